"""A scanned tree's cache folder can neither run code nor change a report.

Each test runs bplint in child processes (bounded by a timeout) on a small project
whose cache folder the "repository" has filled: a pickle that writes a marker file
when loaded, forged or garbage cache files, a FIFO, a folder git tracks. Every run
must leave the marker absent, print no traceback and report exactly what a
``--no-cache`` scan reports.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bplint.scan.cache_store import CACHEDIR_TAG, CacheStore
from bplint.testing import write_project

TIMEOUT = 120
PROJECT = {
    "pyproject.toml": "[project]\nname = 'shop'\ndependencies = ['flask==3.0.3']\n",
    "shop/__init__.py": "",
    "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\napp.config['DEBUG'] = True\n",
    "shop/views.py": "from shop.app import app\n\n\n@app.route('/items')\ndef items():\n    print('listing')\n"
                     "    return []\n",
    "shop/models.py": "import hashlib\n\n\ndef digest(password):\n    return hashlib.md5(password.encode()).hexdigest()\n",
}


class Planted:
    """Unpickling this writes the marker file: what a malicious committed cache would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    write_project(root, PROJECT)
    return root


@pytest.fixture
def home(tmp_path):
    """The user's cache home (where the key lives), outside the project."""
    folder = tmp_path / "home-cache"
    folder.mkdir()
    return folder


def bplint(project: Path, home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("BPLINT_CACHE_DIR", "NO_COLOR")}
    environment.update({"XDG_CACHE_HOME": str(home), **(env or {})})
    return subprocess.run([sys.executable, "-m", "bplint", "check", "--preview", "--format", "json", *args], cwd=project,
                          env=environment, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> tuple[int, str]:
    """What a scan without any cache reports (report paths are relative: the same for every copy)."""
    root = tmp_path_factory.mktemp("baseline")
    write_project(root / "project", PROJECT)
    done = bplint(root / "project", root, "--no-cache")
    assert done.returncode == 1 and '"BP601"' in done.stdout, done.stderr
    return done.returncode, done.stdout


def assert_same(done: subprocess.CompletedProcess, expected: tuple[int, str], marker: Path | None = None) -> None:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert (done.returncode, done.stdout) == expected, done.stderr
    if marker is not None:
        assert not marker.exists(), "a cache file ran code"


def cache_names(folder: Path) -> list[str]:
    """The names of the files a scan wrote in the cache folder, and of its changes file."""
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".cache"))
    scan = next(n for n in names if n.startswith("scan-") and not n.endswith(("-roles.cache", "-changes.cache")))
    return sorted({*names, scan.replace(".cache", "-changes.cache")})


def signed(folder: Path, home: Path, monkeypatch, name: str, purpose: str, payload: bytes) -> None:
    """Write a cache file as the bplint of the user whose cache home is ``home`` would."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    CacheStore(folder).write(name, purpose, payload)


def purpose_of(name: str) -> str:
    if name.startswith("last-scan"):
        return "last-scan"
    return "changes" if name.endswith("-changes.cache") else "roles" if name.endswith("-roles.cache") else "scan"


def sign_a_lie(folder: Path, home: Path, monkeypatch) -> None:
    """Make the last scan's result claim no findings, signed with this user's own key:
    believed if the folder is read at all."""
    data = body_of(folder / "last-scan.cache")
    data["result"] = [[], [], data["result"][2]]
    signed(folder, home, monkeypatch, "last-scan.cache", "last-scan", json.dumps(data).encode())


def body_of(path: Path) -> dict:
    data = path.read_bytes()
    return json.loads(data[data.index(b"\n") + 1:])


# --- a committed pickle never runs ------------------------------------------------------------


@pytest.mark.parametrize("where", ["default", "--cache-dir", "BPLINT_CACHE_DIR"])
@pytest.mark.parametrize("signature", ["unsigned", "signed"])
def test_a_committed_pickle_is_never_loaded(project, home, tmp_path, monkeypatch, where, signature, expected):
    """Signed: even a pickle that carries this user's own signature (as if the key had leaked)
    is data that does not parse, never code that runs."""
    marker = tmp_path / "marker"
    folder = project / ".bplint_cache" if where == "default" else project / "ci-cache"
    args = ["--cache-dir", str(folder)] if where == "--cache-dir" else []
    env = {"BPLINT_CACHE_DIR": str(folder)} if where == "BPLINT_CACHE_DIR" else {}
    bplint(project, home, *args, env=env)  # the files' names; the folder keeps its CACHEDIR.TAG
    bomb = pickle.dumps(Planted(marker))
    for name in ["last-scan.pickle", "scan-0123456789abcdef0123.pickle", "scan-0123456789abcdef0123-changes.pickle"]:
        (folder / name).write_bytes(bomb)
    for name in cache_names(folder):
        if signature == "signed":
            signed(folder, home, monkeypatch, name, purpose_of(name), bomb)
        else:
            (folder / name).write_bytes(bomb)
    for _ in range(2):  # ignored and rewritten, then read back
        assert_same(bplint(project, home, *args, env=env), expected, marker)


# --- forged, garbage and malformed files change nothing ---------------------------------------


def test_a_forged_cache_claiming_no_findings_is_not_believed(project, home, tmp_path, monkeypatch, expected):
    folder = project / ".bplint_cache"
    other = tmp_path / "another-users-cache-home"
    other.mkdir()
    bplint(project, other)  # the forger's own cache, made with their own key
    forged = {}
    for path in folder.glob("*.cache"):
        data = forged[path.name] = body_of(path)
        if path.name == "last-scan.cache":
            data["result"] = [[], [], *data["result"][2:]]
        elif path.name.endswith("-roles.cache"):  # every file test code: most rules would look away
            data["roles"] = {relpath: "test" for relpath in data["roles"]}
        else:
            for entry in data["entries"].values():
                if entry[3] is not None:
                    entry[3] = [[], []]
        signed(folder, other, monkeypatch, path.name, purpose_of(path.name), json.dumps(data).encode())
    lie = bplint(project, other)
    assert lie.returncode == 0 and '"findings": []' in lie.stdout  # believed under the forger's key only
    assert_same(bplint(project, home), expected)
    # the same claims as plain JSON, without any MAC
    for name, data in forged.items():
        (folder / name).write_bytes(json.dumps(data).encode())
    assert_same(bplint(project, home), expected)
    assert_same(bplint(project, home), expected)


def test_garbage_in_every_cache_file_is_ignored(project, home, monkeypatch, expected):
    """Signed garbage too (which only a damaged disk could make): the parser's own errors."""
    folder = project / ".bplint_cache"
    bplint(project, home)
    names = cache_names(folder)
    for content, sign in [(os.urandom(4096), False), (b"", True), (b"9" * 100_000, True), (b"[" * 100_000, True),
                          (b'{"format": 5, "key": "\xff', True)]:
        for name in names:
            if sign:
                signed(folder, home, monkeypatch, name, purpose_of(name), content)
            else:
                (folder / name).write_bytes(content)
        assert_same(bplint(project, home), expected)
    assert_same(bplint(project, home), expected)


WRONG_SHAPES = {
    "facts of the wrong shape": lambda d: [e.__setitem__(2, [1, 2, 3]) for e in d["entries"].values()],
    "a field of the wrong type": lambda d: [e[2].__setitem__(0, 42) for e in d["entries"].values() if e[2]],
    "a class the cache does not hold": lambda d: [e[2][6].__setitem__("routes", '["c", "os.system", ["x"]]')
                                                  for e in d["entries"].values() if e[2]],
    "a family that is no JSON text": lambda d: [e[2][6].__setitem__("routes", ["c", "os.system", ["x"]])
                                                for e in d["entries"].values() if e[2]],
    "findings of the wrong shape": lambda d: [e.__setitem__(3, [[["BP601"]], []]) for e in d["entries"].values()
                                              if e[3] is not None],
    "a severity that does not exist": lambda d: [f.__setitem__(2, "fatal") for e in d["entries"].values()
                                                 if e[3] is not None for f in e[3][0]],
    "reads out of range": lambda d: d.__setitem__("tables", [[10**6] for _ in d["tables"]]),
    "entries as a list": lambda d: d.__setitem__("entries", list(d["entries"])),
    "no views": lambda d: d.pop("views"),
}


@pytest.mark.parametrize("shape", sorted(WRONG_SHAPES))
def test_a_well_signed_file_of_the_wrong_shape_is_ignored_and_rewritten(project, home, monkeypatch, shape, expected):
    """What a bplint bug (or a file from a damaged disk) could leave: signed, with the right key,
    and values the decoder must reject one by one."""
    folder = project / ".bplint_cache"
    bplint(project, home)
    (folder / "last-scan.cache").unlink()  # served from the per-file entries
    scan = folder / next(n for n in cache_names(folder) if purpose_of(n) == "scan")
    data = body_of(scan)
    WRONG_SHAPES[shape](data)
    signed(folder, home, monkeypatch, scan.name, "scan", json.dumps(data).encode())
    damaged = scan.read_bytes()
    assert_same(bplint(project, home), expected)
    assert scan.read_bytes() != damaged  # rewritten


@pytest.mark.parametrize("shape", ["a result of the wrong shape", "a finding missing a field", "answers as a list"])
def test_a_well_signed_last_scan_of_the_wrong_shape_is_ignored(project, home, monkeypatch, shape, expected):
    folder = project / ".bplint_cache"
    bplint(project, home)
    data = body_of(folder / "last-scan.cache")
    if shape == "a result of the wrong shape":
        data["result"] = {"findings": []}
    elif shape == "a finding missing a field":
        data["result"][0] = [finding[:-1] for finding in data["result"][0]]
    else:
        data["answers"] = list(data["answers"])
    signed(folder, home, monkeypatch, "last-scan.cache", "last-scan", json.dumps(data).encode())
    assert_same(bplint(project, home), expected)


# --- what is not a cache file is not read ---------------------------------------------------


@pytest.mark.parametrize("where", ["default", "--cache-dir", "BPLINT_CACHE_DIR"])
def test_a_cache_folder_that_is_a_regular_file_is_not_used(project, home, where, expected):
    path = project / (".bplint_cache" if where == "default" else "cache-file")
    path.write_text("not a folder\n")
    args = ["--cache-dir", str(path)] if where == "--cache-dir" else []
    env = {"BPLINT_CACHE_DIR": str(path)} if where == "BPLINT_CACHE_DIR" else {}
    done = bplint(project, home, *args, env=env)
    assert_same(done, expected)
    assert done.stderr.count("not using the cache") == 1 and "not a directory" in done.stderr
    assert path.read_text() == "not a folder\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_a_cache_file_never_blocks(project, home, expected):
    folder = project / ".bplint_cache"
    bplint(project, home)
    for name in [*cache_names(folder), "CACHEDIR.TAG"]:
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)
    done = bplint(project, home)  # a blocking read would hang until the timeout
    assert_same(done, expected)
    assert done.stderr.count("not using the cache") == 1  # without its tag the folder is not bplint's
    (folder / "CACHEDIR.TAG").unlink()
    (folder / "CACHEDIR.TAG").write_text(CACHEDIR_TAG)
    for _ in range(2):  # the FIFOs are replaced by cache files
        assert_same(bplint(project, home), expected)
    assert (folder / "last-scan.cache").is_file()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_cache_folder_that_git_tracks_is_not_read(project, home, tmp_path, monkeypatch, expected):
    folder = project / ".bplint_cache"
    bplint(project, home)
    sign_a_lie(folder, home, monkeypatch)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True, timeout=TIMEOUT)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True, timeout=TIMEOUT)
    subprocess.run([*git, "add", "-f", ".bplint_cache"], cwd=project, check=True, timeout=TIMEOUT)
    subprocess.run([*git, "commit", "-q", "-m", "x"], cwd=project, check=True, timeout=TIMEOUT)
    # a program the repository's configuration names must not run either
    hook_marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {hook_marker}\n")
    hook.chmod(0o755)
    subprocess.run(["git", "config", "core.fsmonitor", str(hook)], cwd=project, check=True, timeout=TIMEOUT)
    done = bplint(project, home)
    assert_same(done, expected, hook_marker)
    assert done.stderr.count("\n") == 1 and "git tracks files in it" in done.stderr
    assert "git rm -r --cached" in done.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away")
def test_a_cache_folder_of_another_user_is_not_read(project, home, monkeypatch, expected):
    folder = project / ".bplint_cache"
    bplint(project, home)
    sign_a_lie(folder, home, monkeypatch)
    for path in [folder, *folder.iterdir()]:
        os.chown(path, 4242, 4242)
    done = bplint(project, home)
    assert_same(done, expected)
    assert "belongs to another user" in done.stderr


def test_a_cache_folder_bplint_did_not_make_is_not_read(project, home, monkeypatch, expected):
    folder = project / ".bplint_cache"
    bplint(project, home)
    sign_a_lie(folder, home, monkeypatch)
    (folder / "CACHEDIR.TAG").unlink()
    done = bplint(project, home)
    assert_same(done, expected)
    assert "no CACHEDIR.TAG" in done.stderr


# --- the key --------------------------------------------------------------------------------


def test_the_key_is_private_and_outside_the_project(project, home, tmp_path, expected):
    assert_same(bplint(project, home), expected)
    key = home / "bplint" / "key"
    assert key.is_file() and key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)  # as a committed or copied key would be
    done = bplint(project, home)
    assert_same(done, expected)
    assert "is not a private file of yours" in done.stderr
    # a cache home inside the scanned tree: a key committed there would sign anything
    inside = project / "cache-home"
    done = bplint(project, inside)
    assert_same(done, expected)
    assert "inside the scanned project" in done.stderr and not inside.exists()
    # no cache home at all (unwritable): scanned without a cache
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    done = bplint(project, blocked)
    assert_same(done, expected)
    assert done.stderr.count("not using the cache") == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_a_cache_folder_that_is_a_symbolic_link_in_the_project_is_not_read(project, home, tmp_path, monkeypatch,
                                                                              expected):
    elsewhere = tmp_path / "elsewhere"
    bplint(project, home, "--cache-dir", str(elsewhere))
    sign_a_lie(elsewhere, home, monkeypatch)
    (project / ".bplint_cache").symlink_to(elsewhere)  # a link the repository committed
    done = bplint(project, home)
    assert_same(done, expected)
    assert "symbolic link inside the project" in done.stderr
