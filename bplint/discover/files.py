"""The files of a project: what kind each one is, and how its text is read."""

from __future__ import annotations

import codecs
import enum
import errno
import fnmatch
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path


class FileKind(str, enum.Enum):
    PYTHON = "python"
    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    PIPFILE = "pipfile"
    LOCKFILE = "lockfile"
    DOTENV = "dotenv"
    CONFIG = "config"  # yaml, json, ini, toml, cfg
    OTHER = "other"


LOCKFILE_NAMES = {"poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"}
CONFIG_SUFFIXES = {".yaml", ".yml", ".json", ".ini", ".toml", ".cfg"}
ENV_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults")


def classify(relpath: str) -> FileKind:
    """The kind of a file from its path (relative, '/'-separated)."""
    name = relpath.rsplit("/", 1)[-1]
    parent = relpath.rsplit("/", 2)[-2] if "/" in relpath else ""
    lower = name.lower()
    if lower.endswith((".py", ".pyi")):
        return FileKind.PYTHON
    if name == "pyproject.toml":
        return FileKind.PYPROJECT
    if name == "Pipfile":
        return FileKind.PIPFILE
    if name in LOCKFILE_NAMES:
        return FileKind.LOCKFILE
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return FileKind.DOTENV
    if is_requirements_name(name, parent):
        return FileKind.REQUIREMENTS
    if os.path.splitext(lower)[1] in CONFIG_SUFFIXES:
        return FileKind.CONFIG
    return FileKind.OTHER


def is_requirements_name(name: str, parent: str = "") -> bool:
    lower = name.lower()
    if not lower.endswith((".txt", ".in")):
        return False
    if parent.lower() in {"requirements", "reqs", "requirements.d"}:
        return True
    return fnmatch.fnmatch(lower, "*requirements*") or fnmatch.fnmatch(lower, "*reqs*.txt")


def is_env_example(relpath: str) -> bool:
    return relpath.lower().endswith(ENV_EXAMPLE_SUFFIXES)


class DecodeError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class SourceFile:
    """One file of the scan. ``text`` is read lazily and cached."""

    path: Path  # as found on disk
    relpath: str  # relative to the working directory, '/' separators
    kind: FileKind
    rootpath: str = ""  # relative to the project root: what config patterns match
    _text: str | None = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)

    def read_bytes(self) -> bytes:
        if self._raw is None:
            self._raw = read_regular_file(self.path)
        return self._raw

    def text(self, keep: bool = True) -> str:
        """The decoded text; Python files honour their PEP 263 coding cookie.

        Raises DecodeError for an undecodable Python file (the caller reports
        it). Other files are decoded as UTF-8 with undecodable bytes replaced
        by U+FFFD, so that the rest of them is still checked;
        ``decode_problem`` says where the first such byte was.
        ``keep=False`` decodes without keeping the text, for a last look at a
        file (a large project's texts would otherwise all stay in memory).
        """
        if self._text is not None:
            return self._text
        raw = self.read_bytes()
        text = decode_python(raw) if self.kind is FileKind.PYTHON else decode_text(raw, replace=True)
        if keep:
            self._text = text
        return text

    def lines(self) -> list[str]:
        return split_lines(self.text())

    def decode_problem(self) -> DecodeError | None:
        """Where a non-Python file is not valid UTF-8 (its text has U+FFFD there), or None."""
        if self.kind is FileKind.PYTHON:
            return None
        try:
            decode_text(self.read_bytes())
        except DecodeError as exc:
            return exc
        return None


def decode_python(raw: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        # No usable coding cookie and the first lines are not UTF-8: say where.
        decode_text(raw)
        raise DecodeError(f"cannot decode: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line, column = _offset_position(raw, getattr(exc, "start", 0))
        raise DecodeError(f"file is not valid {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}",
                          line, column) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def decode_text(raw: bytes, replace: bool = False) -> str:
    """UTF-8 text; ``replace``: undecodable bytes become U+FFFD instead of raising DecodeError."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if replace:
            return raw.decode("utf-8", errors="replace")
        line, column = _offset_position(raw, exc.start)
        raise DecodeError(f"file is not valid UTF-8 ({exc.reason})", line, column) from None


class NotRegularFile(OSError):
    """A path that names a FIFO, socket, device or folder where a file's contents were expected."""


_SPECIAL_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a named pipe (FIFO)"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _SPECIAL_KINDS if test(mode)), "not a regular file")


def read_regular_file(path: str | os.PathLike) -> bytes:
    """The bytes of a regular file; raises NotRegularFile (an OSError) for anything else.

    Opened without blocking and checked after opening, so neither a FIFO
    (whose open and read wait for a writer) nor a file swapped for one after
    discovery looked at it can hang the scan.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        kind = special_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(errno.EINVAL, f"{kind}, not a regular file", os.fsdecode(path))
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            return handle.read()
    finally:
        if fd >= 0:
            os.close(fd)


def _offset_position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines without their endings; \\r\\n, \\r and \\n all end a line, as for Python."""
    return _LINE_SPLIT.split(text)
