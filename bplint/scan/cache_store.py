"""The cache's folder: the only way its files are read and written.

bplint runs on pull requests, in trees that anyone may have written, and a tree
can hold a cache folder too. Nothing in it may run code or change a report:

* The files hold plain data (JSON, see ``cache_codec``), never pickles.
* Each file carries an HMAC-SHA256 of its purpose and contents under a key that
  lives outside any scanned tree, in the user's cache home
  (``$XDG_CACHE_HOME/bplint/key`` or ``~/.cache/bplint/key``, mode 0600). A file
  whose MAC does not verify was not written by this user's bplint and is
  ignored (and rewritten): a committed cache cannot claim anything, whatever
  its shape, its owner or the tag beside it. Without a usable key nothing is
  read or written.
* A folder that git tracks, that another user owns, that is not a folder, that
  is a symbolic link inside the project, or that holds files but no
  CACHEDIR.TAG of bplint's is neither read nor written; one line on stderr
  says so.
* Files are opened without following symbolic links and without blocking,
  must be regular files (a FIFO or a device is never read from) and are read
  up to a size limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable

CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by bplint.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")
KEY_SIZE = 32
MAX_FILE_SIZE = 1 << 30  # far above any real cache file (a 9,000-file tree writes ~150 MB)
HEADER = b"bplint-cache-v1 "
GIT_TIMEOUT = 10.0
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular_file(path: Path, limit: int = MAX_FILE_SIZE) -> tuple[bytes, os.stat_result] | None:
    """The bytes of ``path`` and its status, if it is a regular file (not followed through a
    symbolic link) of at most ``limit`` bytes; None otherwise. Never blocks on a FIFO."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, max(st.st_size + 1 - size, 1 << 16))
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks), st
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file, then a rename, which
    replaces a symbolic link or a FIFO there instead of writing through it)."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def user_cache_home() -> Path:
    configured = os.environ.get("XDG_CACHE_HOME", "")
    if configured and os.path.isabs(configured):
        return Path(configured)
    return Path.home() / ".cache"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def load_key(project_root: Path | None) -> tuple[bytes | None, str]:
    """This user's cache key (made on first use), or None and what to do about it."""
    try:
        folder = user_cache_home() / "bplint"
    except RuntimeError:  # no home folder
        return None, "set XDG_CACHE_HOME to a folder of yours to use the cache"
    path = folder / "key"
    if project_root is not None and _inside(folder, project_root):
        return None, f"its key {path} would be inside the scanned project: set XDG_CACHE_HOME to a folder outside it"
    for _ in range(2):
        found = read_regular_file(path, KEY_SIZE)
        if found is not None:
            key, st = found
            if st.st_uid != os.geteuid() or st.st_mode & 0o077 or len(key) != KEY_SIZE:
                return None, f"its key {path} is not a private file of yours: delete it to have a new one made"
            return key, ""
        if os.path.lexists(path):
            return None, f"its key {path} is not a private file of yours: delete it to have a new one made"
        try:
            _make_key(folder, path)
        except OSError as exc:
            return None, f"cannot make its key in {folder} ({exc.strerror or exc}): make the folder writable " \
                         "or set XDG_CACHE_HOME"
    return None, f"cannot read its key {path}: delete it to have a new one made"


def _make_key(folder: Path, path: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(os.urandom(KEY_SIZE))
        try:
            os.link(temp, path)  # never replaces a key another run has just made
        except FileExistsError:
            pass
        except OSError:
            if not os.path.lexists(path):
                os.rename(temp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _warn_on_stderr(message: str) -> None:
    print(message, file=sys.stderr)


class CacheStore:
    """One cache folder. Its checks run once, on first use; ``warn`` gets at most one line."""

    def __init__(self, directory: Path, project_root: Path | None = None,
                 warn: Callable[[str], None] = _warn_on_stderr) -> None:
        self.directory = directory
        self.project_root = project_root
        self._warn = warn
        self._key: bytes | None = None
        self._readable = self._writable = False
        self._checked = False
        self._warned = False

    # --- the checks -----------------------------------------------------------
    def _check(self) -> None:
        if self._checked:
            return
        self._checked = True
        key, advice = load_key(self.project_root)
        if key is None:
            self._say(f"not using the cache: {advice}")
            return
        self._key = key
        problem = self._folder_problem()
        if problem is not None:
            self._say(f"not using the cache in {self.directory} ({problem[0]}): {problem[1]}")
            return
        self._writable = True

    def _folder_problem(self) -> tuple[str, str] | None:
        """Why the folder is not bplint's (and what to do), or None; sets ``_readable``."""
        directory = self.directory
        elsewhere = "remove it or pass another --cache-dir"
        try:
            st = os.lstat(directory)
        except FileNotFoundError:
            return None  # made on the first write
        except OSError as exc:
            return f"it cannot be read: {exc.strerror}", elsewhere
        if stat.S_ISLNK(st.st_mode):
            if self.project_root is not None and _inside(directory.parent, self.project_root):
                return "it is a symbolic link inside the project", elsewhere
            try:
                st = os.stat(directory)
            except OSError as exc:
                return f"it cannot be read: {exc.strerror}", elsewhere
        if not stat.S_ISDIR(st.st_mode):
            return "it is not a directory", elsewhere
        if st.st_uid != os.geteuid():
            return "it belongs to another user", elsewhere
        if git_tracks(directory):
            return "git tracks files in it", f"remove them from git (git rm -r --cached {directory})"
        tag = read_regular_file(directory / "CACHEDIR.TAG", 4096)
        if tag is None or tag[0] != CACHEDIR_TAG.encode() or tag[1].st_uid != os.geteuid():
            try:
                empty = not any(os.scandir(directory))
            except OSError:
                empty = False
            if empty:
                return None  # a folder made for the cache: adopted on the first write
            return "bplint did not make it: it has no CACHEDIR.TAG of bplint's", elsewhere
        self._readable = True
        return None

    def _say(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(f"bplint: {message}")

    @property
    def usable(self) -> bool:
        """Whether this run may write the cache (it may read it only if, besides, it holds files)."""
        self._check()
        return self._writable

    # --- files ------------------------------------------------------------------
    def _mac(self, purpose: str, body: bytes) -> bytes:
        assert self._key is not None
        signer = hmac.new(self._key, purpose.encode("utf-8") + b"\n", hashlib.sha256)
        signer.update(body)
        return signer.hexdigest().encode("ascii")

    def read(self, name: str, purpose: str) -> bytes | None:
        """The contents of the cache file ``name`` if this user's bplint wrote it for ``purpose``."""
        self._check()
        if not self._readable:
            return None
        found = read_regular_file(self.directory / name)
        if found is None:
            return None
        data, st = found
        if st.st_uid != os.geteuid():
            return None
        mac_end = len(HEADER) + 64
        if not data.startswith(HEADER) or data[mac_end:mac_end + 1] != b"\n":
            return None
        body = data[mac_end + 1:]
        if not hmac.compare_digest(data[len(HEADER):mac_end], self._mac(purpose, body)):
            return None
        return body

    def write(self, name: str, purpose: str, body: bytes) -> None:
        """Write the cache file ``name`` (raises OSError); nothing when the cache is not usable."""
        if not self.usable:
            return
        self._prepare()
        write_atomically(self.directory / name, HEADER + self._mac(purpose, body) + b"\n" + body)

    def _prepare(self) -> None:
        directory = self.directory
        directory.mkdir(parents=True, exist_ok=True)
        tag = directory / "CACHEDIR.TAG"
        if not self._readable or not os.path.lexists(tag):
            write_atomically(tag, CACHEDIR_TAG.encode())
        ignore = directory / ".gitignore"
        if not os.path.lexists(ignore):
            write_atomically(ignore, b"*\n")
        self._readable = True

    def remove(self, name: str) -> None:
        if self.usable:
            with contextlib.suppress(OSError):
                os.unlink(self.directory / name)

    def names(self, pattern: str) -> list[str]:
        """The names of the files in the folder that match ``pattern``."""
        if not self.usable:
            return []
        try:
            return [p.name for p in self.directory.glob(pattern)]
        except OSError:
            return []


def git_tracks(directory: Path) -> bool:
    """Whether git tracks anything in the folder (False when git does not, or cannot say).
    git runs with a timeout and without the programs a repository's
    configuration can name (an fsmonitor hook, a pager)."""
    try:
        absolute = Path(os.path.abspath(directory))
    except OSError:
        return False
    top = next((p for p in absolute.parents if os.path.lexists(p / ".git")), None)
    if top is None:
        return False
    relative = absolute.relative_to(top).as_posix()
    import subprocess  # only when there is a git work tree to ask

    from bplint.discover.safegit import git_command, git_env

    env = {**git_env(), "GIT_LITERAL_PATHSPECS": "1"}
    command = git_command("-C", str(top), "ls-files", "-z", "--", relative)
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=GIT_TIMEOUT,
                              env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and bool(done.stdout.strip(b"\0"))
