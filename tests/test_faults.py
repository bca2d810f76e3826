"""Fault tests: bplint as a CI gate on untrusted input.

Each case runs bplint in a child process with a timeout and checks that it
ends with exit 0/1 and the scan's findings, or with exit 2 and one clear line
on stderr: never a traceback, never a hang. Where the fault cannot be made
for real (tests may run as root, which ignores permissions and process
limits), the child first replaces the system call that would fail.
"""

import json
import os
import socket
import stat
import subprocess
import sys
import textwrap

import pytest

from bplint.testing import with_preview

TIMEOUT = 30
AWS_KEY_ID = "AKIA" + "4HAFCFGWPBBBW65J"  # a well-formed key id, assembled so that no scanner flags this file
FLASK_DEBUG = "import flask\napp = flask.Flask(__name__)\napp.run(debug=True)\n"
RUN_CLI = "\nimport sys\nsys.argv[0] = 'bplint'\nfrom bplint.cli import main\nmain()\n"


def bplint(cwd, *args, preamble=None, **options):
    """Run `bplint ARGS` in a child process; ``preamble`` is Python code run in the child first.
    A scan runs with the preview tier on, so that every family's inputs are exercised."""
    args = with_preview(args)
    if preamble is None:
        command = [sys.executable, "-m", "bplint", *args]
    else:
        command = [sys.executable, "-c", textwrap.dedent(preamble) + RUN_CLI, *args]
    options.setdefault("capture_output", "stdout" not in options)
    if "stdout" in options:
        options.setdefault("stderr", subprocess.PIPE)
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    env.pop("PYTEST_CURRENT_TEST", None)  # holds the test's id, which can be larger than the system allows
    return subprocess.run(command, cwd=cwd, timeout=TIMEOUT, env=env, **options)


def no_traceback(done):
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")


def one_error_line(done, *expected):
    """Exit 2 and exactly one line on stderr, `bplint: error: ...`, holding each expected text."""
    no_traceback(done)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bplint: error: "), lines
    for text in expected:
        assert text in lines[0], lines
    return lines[0]


def report(done):
    """The JSON report on stdout: valid UTF-8 and valid JSON."""
    no_traceback(done)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout.decode("utf-8"))


def errors_by_path(data):
    return {e["path"]: e["message"] for e in data["errors"]}


def write(root, files):
    for name, content in files.items():
        path = os.path.join(os.fsencode(root), os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content.encode() if isinstance(content, str) else content)


# --- 1. files that are not regular files ------------------------------------------------


def test_fifos_sockets_and_devices_are_skipped_with_a_note(tmp_path, monkeypatch):
    write(tmp_path, {"app.py": FLASK_DEBUG})
    for name in ("views.py", "requirements.txt", ".env"):
        os.mkfifo(tmp_path / name)
    os.symlink("/dev/zero", tmp_path / "settings.py")  # a device behind a link: reading it never ends
    sock = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to about 100 bytes
    try:
        sock.bind("api.py")
        special = {"views.py": "FIFO", "requirements.txt": "FIFO", ".env": "FIFO",
                   "settings.py": "character device", "api.py": "socket"}
        done = bplint(tmp_path, "check", "--no-cache", "--format", "json", ".")
    finally:
        sock.close()
    data = report(done)
    assert done.returncode == 1 and any(f["code"] == "BP103" for f in data["findings"])
    errors = errors_by_path(data)
    for name, kind in special.items():
        assert kind in errors[name] and "not a regular file" in errors[name], errors
        assert f"bplint: {name}: skipped:" in done.stderr.decode()
    assert data["summary"]["files_scanned"] == 1


def test_a_fifo_reached_by_an_include_is_not_read(tmp_path):
    write(tmp_path, {"requirements.txt": "-r base.txt\nflask==3.0.3\n"})
    os.mkfifo(tmp_path / "base.txt")
    data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "--select", "BP200", "."))
    assert [(f["path"], f["line"], f["message"]) for f in data["findings"]] == [
        ("requirements.txt", 1, "Fix the include: `-r base.txt`: the included file is not a regular file.")]


def test_a_fifo_named_on_the_command_line_is_skipped(tmp_path):
    os.mkfifo(tmp_path / "app.py")
    data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "app.py"))
    assert "not a regular file" in errors_by_path(data)["app.py"]


def test_a_file_swapped_for_a_fifo_after_discovery_is_not_read(tmp_path):
    # Discovery sees a regular file; the child then replaces it with a FIFO before it is read.
    write(tmp_path, {"app.py": FLASK_DEBUG, "views.py": "x = 1\n"})
    preamble = """
        import os
        import bplint.discover.discovery as discovery
        found = discovery.discover
        def discover(*args, **kwargs):
            result = found(*args, **kwargs)
            if os.path.isfile("views.py"):
                os.remove("views.py")
                os.mkfifo("views.py")
            return result
        discovery.discover = discover
        import bplint.discover.workset
        bplint.discover.workset.discover = discover
    """
    for cache in ("--no-cache", "--cache-dir=.cache"):
        if (tmp_path / "views.py").exists():
            os.remove(tmp_path / "views.py")
        write(tmp_path, {"views.py": "x = 1\n"})
        data = report(bplint(tmp_path, "check", cache, "--format", "json", ".", preamble=preamble))
        assert any(f["code"] == "BP103" for f in data["findings"])
        assert "not a regular file" in json.dumps(data["errors"]) or any(
            f["path"] == "views.py" and f["code"] == "BP001" for f in data["findings"]), data


# --- 2. a chain of 1,000 includes ----------------------------------------------------


def test_a_chain_of_a_thousand_includes_is_a_finding_at_the_depth_limit(tmp_path):
    files = {f"deps/r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(1000)}  # names that are not requirement files
    files["deps/r1000.txt"] = "flask==3.0.3\nflask==3.0.3\n"
    files["requirements.txt"] = "-r deps/r0.txt\nrequests==2.32.3\n"
    write(tmp_path, files)
    data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "--select", "BP2", "."))
    assert not [e for e in data["errors"] if e["rule"]], data["errors"]  # no rule crashed
    deep = [f for f in data["findings"] if "files deep" in f["message"]]
    assert [(f["code"], f["path"], f["line"]) for f in deep] == [("BP200", "deps/r99.txt", 1)]
    assert deep[0]["message"] == ("Fix the include: `-r r100.txt` nests includes more than 100 files deep, so "
                                  "bplint reads no further; flatten the chain of includes.")


def test_a_thousand_requirement_files_in_one_chain(tmp_path):
    # each file is also a starting file of its own: a thousand walks
    files = {f"requirements/r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(1000)}
    files["requirements/r1000.txt"] = "flask==3.0.3\nflask==3.0.3\n"
    write(tmp_path, files)
    data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "--select", "BP2", "."))
    assert not [e for e in data["errors"] if e["rule"]], data["errors"]
    deep = {f["path"] for f in data["findings"] if "files deep" in f["message"]}
    assert "requirements/r100.txt" in deep and "requirements/r99.txt" not in deep
    assert ("requirements/r1000.txt", 2, "BP204") in {(f["path"], f["line"], f["code"]) for f in data["findings"]}


# --- 3. baselines that are not baselines -------------------------------------------------


@pytest.mark.parametrize("content, expected", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (b"\xff\xfe{}", "not valid UTF-8"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a bplint baseline"),
    ('{"findings": 5}', "not a bplint baseline"),
    ('{"findings": [{"code": "BP101"}]}', "not a bplint baseline"),
    ('{"findings": [7]}', "not a bplint baseline"),
    ("fifo", "FIFO"),
    ("folder", "a folder"),
], ids=["deep", "not-utf8", "not-json", "list", "findings-not-list", "finding-without-fields", "finding-not-object",
        "fifo", "folder"])
def test_a_bad_baseline_is_one_error_line(tmp_path, content, expected):
    write(tmp_path, {"app.py": FLASK_DEBUG})
    baseline = tmp_path / "base.json"
    if content == "fifo":
        os.mkfifo(baseline)
    elif content == "folder":
        baseline.mkdir()
    else:
        write(tmp_path, {"base.json": content})
    done = bplint(tmp_path, "check", "--no-cache", "--baseline", "base.json", ".")
    one_error_line(done, "base.json", expected)


# --- 4. reports that cannot be written, readers that go away ------------------------------


@pytest.mark.parametrize("option", [["--output", "/dev/full"], ["--report", "json:/dev/full"],
                                    ["--format", "sarif", "-o", "/dev/full"]])
def test_a_full_disk_is_one_error_line(tmp_path, option):
    write(tmp_path, {"app.py": FLASK_DEBUG})
    one_error_line(bplint(tmp_path, "check", "--no-cache", *option, "."), "/dev/full", "No space left on device")


def test_standard_output_on_a_full_disk_is_one_error_line(tmp_path):
    write(tmp_path, {"app.py": FLASK_DEBUG})
    with open("/dev/full", "w") as full:
        done = bplint(tmp_path, "check", "--no-cache", "--format", "json", ".", stdout=full)
    one_error_line(done, "standard output", "No space left on device")


def test_a_closed_standard_output_is_one_error_line(tmp_path):
    write(tmp_path, {"app.py": FLASK_DEBUG})
    done = bplint(tmp_path, "check", "--no-cache", ".", stdout=None, preexec_fn=lambda: os.close(1))
    one_error_line(done, "standard output is closed")
    # with the report going to a file, a closed standard output does not matter
    done = bplint(tmp_path, "check", "--no-cache", "-o", "out.txt", ".", stdout=None, preexec_fn=lambda: os.close(1))
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert "BP103" in (tmp_path / "out.txt").read_text()


def many_findings(root, count=250):  # reports of 90 kB (text) and more: more than a pipe holds
    write(root, {f"m{i}.py": FLASK_DEBUG + f'print("{i}")\n' for i in range(count)})


def _read_and_close(args, cwd, lines):
    """Read ``lines`` lines of bplint's output, close the pipe, and return (exit code, stderr)."""
    child = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(lines):
            assert child.stdout.readline()
        child.stdout.close()
        stderr = child.stderr.read()
        return child.wait(timeout=TIMEOUT), stderr
    finally:
        child.kill()


@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize("lines", [0, 1], ids=["closed-at-once", "head-1"])
def test_a_reader_that_goes_away_ends_bplint_quietly(tmp_path, output_format, lines):
    # `bplint check . | head -1`: the pipe is closed after one line, mid-report (the report is
    # far larger than a pipe's buffer), or before bplint writes at all
    many_findings(tmp_path)
    args = [sys.executable, "-m", "bplint", "check", "--no-cache", "--format", output_format, "--jobs", "1", "."]
    # the scan's verdict is the exit code, as when the whole report is read
    assert _read_and_close([*args, "--exit-zero"], tmp_path, lines) == (0, b"")
    assert _read_and_close(args, tmp_path, lines) == (1, b"")


# --- 5. a process limit ----------------------------------------------------------------

# The child's os.fork fails with EAGAIN after some forks, as it does under `ulimit -u`
# (which root ignores, so the limit is made this way).
FORK_LIMIT = """
    import errno, os
    forks = [0]
    real_fork = os.fork
    def fork():
        forks[0] += 1
        if forks[0] > {limit}:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return real_fork()
    os.fork = fork
"""
NO_THREADS = """
    import threading
    def start(self):
        raise RuntimeError("can't start new thread")
    threading.Thread.start = start
"""


@pytest.mark.parametrize("preamble", [FORK_LIMIT.format(limit=0), FORK_LIMIT.format(limit=3),
                                      FORK_LIMIT.format(limit=9), NO_THREADS],
                         ids=["no-fork", "3-forks", "9-forks", "no-threads"])
def test_jobs_500_under_a_process_limit(tmp_path, preamble):
    write(tmp_path, {f"pkg/m{i}.py": FLASK_DEBUG if i % 7 == 0 else f"import os\nX{i} = os.getenv('A{i}')\n"
                     for i in range(60)})
    expected = bplint(tmp_path, "check", "--no-cache", "--format", "json", "--jobs", "1", ".")
    # stdout is a pipe: communicate() returns only once every process holding it has ended,
    # so a worker left behind fails this test with a timeout
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", "--jobs", "500", ".", preamble=preamble)
    assert report(done) == report(expected)
    assert done.stderr == expected.stderr


def test_a_real_process_limit(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root is not held to RLIMIT_NPROC; the simulated limit above covers this")
    import resource

    write(tmp_path, {f"pkg/m{i}.py": FLASK_DEBUG for i in range(120)})
    mine = sum(1 for pid in os.listdir("/proc") if pid.isdigit() and _owned(pid))

    def limit():
        resource.setrlimit(resource.RLIMIT_NPROC, (mine + 4, mine + 4))

    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", "--jobs", "500", ".", preexec_fn=limit)
    assert report(done)["summary"]["files_scanned"] == 120


def _owned(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


# --- 6. folders that cannot be read ---------------------------------------------------------

UNLISTABLE = """
    import errno, os
    real_scandir = os.scandir
    def scandir(path="."):
        if os.fsdecode(path).endswith("{name}"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)
    os.scandir = scandir
"""


def test_a_folder_that_cannot_be_listed_is_named(tmp_path):
    write(tmp_path, {"app.py": FLASK_DEBUG, "private/settings.py": "SECRET_KEY = 'x'\n"})
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", ".",
                  preamble=UNLISTABLE.format(name="private"))
    data = report(done)
    assert errors_by_path(data)["private"] == "skipped: cannot list this folder (Permission denied)"
    assert "bplint: private: skipped: cannot list this folder (Permission denied)" in done.stderr.decode()


def test_a_folder_without_permissions(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every folder; the simulated error above covers this")
    write(tmp_path, {"app.py": FLASK_DEBUG, "private/settings.py": "SECRET_KEY = 'x'\n"})
    (tmp_path / "private").chmod(0)
    try:
        data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "."))
    finally:
        (tmp_path / "private").chmod(stat.S_IRWXU)
    assert "cannot list this folder" in errors_by_path(data)["private"]


# --- 7. paths that do not exist -----------------------------------------------------------


@pytest.mark.parametrize("paths", [["does/not/exist"], [".", "does/not/exist"]])
def test_a_path_that_does_not_exist_fails_the_gate(tmp_path, paths):
    write(tmp_path, {"app.py": "x = 1\n"})
    one_error_line(bplint(tmp_path, "check", "--no-cache", *paths), "does/not/exist", "no such file or directory")


# --- 8. names that are not UTF-8, paths too long, pyproject.toml files that cannot be read --


def test_names_that_are_not_utf8_are_escaped_in_every_format(tmp_path):
    write(tmp_path, {b"bad\xff.py": FLASK_DEBUG, b"dir\xfe/views.py": FLASK_DEBUG, "tests/test_app.py": "def test(): assert 1\n"})
    formats = {}
    for output_format in ("json", "sarif", "gitlab", "text", "github"):
        done = bplint(tmp_path, "check", "--no-cache", "--format", output_format, ".")
        assert done.returncode == 1
        no_traceback(done)
        formats[output_format] = done.stdout.decode("utf-8")  # valid UTF-8, or this raises
    data = json.loads(formats["json"])
    assert {f["path"] for f in data["findings"]} >= {"bad\\xff.py", "dir\\xfe/views.py"}
    assert data["summary"]["files_scanned"] == 3  # still scanned
    sarif = json.loads(formats["sarif"])
    assert sarif["runs"][0]["results"]
    json.loads(formats["gitlab"])
    assert "bad\\xff.py:3:15 BP103" in formats["text"]
    assert "    3 | app.run(debug=True)" in formats["text"]  # the source line is still shown
    assert "file=bad\\xff.py" in formats["github"]


def test_a_baseline_of_names_that_are_not_utf8(tmp_path):
    write(tmp_path, {b"bad\xff.py": FLASK_DEBUG})
    done = bplint(tmp_path, "baseline", "--no-cache", "-o", "base.json", ".")
    assert done.returncode == 0, done.stderr
    json.loads((tmp_path / "base.json").read_bytes().decode("utf-8"))
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", "--baseline", "base.json", ".")
    assert report(done)["findings"] == []


def test_a_path_longer_than_the_system_allows_is_named(tmp_path):
    write(tmp_path, {"app.py": "x = 1\n"})
    name = "d" * 200
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(22):  # more than PATH_MAX (4096) in all
            os.mkdir(name, dir_fd=folder)
            inner = os.open(name, os.O_RDONLY, dir_fd=folder)
            os.close(folder)
            folder = inner
        with open(os.open("deep.py", os.O_WRONLY | os.O_CREAT, dir_fd=folder), "w") as handle:
            handle.write(FLASK_DEBUG)
    finally:
        os.close(folder)
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", ".")
    data = report(done)
    long_ones = {path: message for path, message in errors_by_path(data).items() if path.startswith(name)}
    assert long_ones and all("too long" in m for m in long_ones.values()), data["errors"]
    assert "File name too long" in done.stderr.decode()


DEEP_ARRAYS = "x = " + "[" * 5000 + "]" * 5000 + "\n"
DEEP_TABLES = "x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n"
NOT_UTF8 = b'[project]\nname = "shop\xff"\n'


@pytest.mark.parametrize("content", [DEEP_ARRAYS, DEEP_TABLES, NOT_UTF8], ids=["arrays", "tables", "not-utf8"])
def test_a_scanned_pyproject_that_cannot_be_read_is_a_finding(tmp_path, content):
    write(tmp_path, {"pyproject.toml": content, "app.py": FLASK_DEBUG})
    data = report(bplint(tmp_path, "check", "--no-cache", "--format", "json", "."))
    codes = {(f["path"], f["code"]) for f in data["findings"]}
    assert ("pyproject.toml", "BP200") in codes and ("app.py", "BP103") in codes  # and the scan went on
    assert not [e for e in data["errors"] if e["rule"]]


@pytest.mark.parametrize("content, expected", [
    ("[tool.bplint]\n" + DEEP_ARRAYS, "nested too deeply"),
    ("[tool.bplint]\n" + DEEP_TABLES, "nested too deeply"),
    (b"[tool.bplint]\n" + NOT_UTF8, "not valid UTF-8"),
])
def test_bplints_own_configuration_that_cannot_be_read_is_one_error_line(tmp_path, content, expected):
    write(tmp_path, {"pyproject.toml": content, "app.py": FLASK_DEBUG})
    one_error_line(bplint(tmp_path, "check", "--no-cache", "."), "pyproject.toml", expected)
    write(tmp_path, {"custom.toml": content[len("[tool.bplint]\n"):]})
    one_error_line(bplint(tmp_path, "check", "--no-cache", "--config", "custom.toml", "app.py"), "custom.toml",
                   expected)


# --- 9. a .env file with a bad byte ----------------------------------------------------------


def test_a_dotenv_file_with_a_bad_byte_is_still_checked(tmp_path):
    write(tmp_path, {".env": b"DEBUG=1\nNAME=caf\xe9\nAWS_ACCESS_KEY_ID=" + AWS_KEY_ID.encode() + b"\n"})
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", ".")
    data = report(done)
    codes = {(f["code"], f["line"]) for f in data["findings"] if f["path"] == ".env"}
    assert ("BP107", 1) in codes and ("BP101", 3) in codes  # the committed .env and its secret
    message = errors_by_path(data)[".env"]
    assert message.startswith("line 2 is not valid UTF-8")
    assert "bplint: .env: line 2 is not valid UTF-8" in done.stderr.decode()
    assert AWS_KEY_ID not in done.stdout.decode()


# --- 10. control characters from the scanned tree ----------------------------------------


def test_control_characters_never_reach_the_terminal(tmp_path):
    write(tmp_path, {
        "app\x1b[2J.py": FLASK_DEBUG,
        "conf\x1b]0;owned\x07/.env": "KEY=1\n",
        "views.py": "import flask\napp = flask.Flask(__name__)\napp.run(debug=True)  # \x1b[31m\u202e red\n",
    })
    for output_format in ("text", "github", "json", "sarif", "gitlab"):
        done = bplint(tmp_path, "check", "--no-cache", "--format", output_format, ".")
        assert done.returncode == 1
        for stream in (done.stdout, done.stderr):
            text = stream.decode("utf-8")
            assert not any(c in text for c in "\x1b\x07\u202e"), (output_format, text)
    text = bplint(tmp_path, "check", "--no-cache", ".").stdout.decode()
    assert "app\\x1b[2J.py:3:15 BP103" in text
    assert "`conf\\x1b]0;owned\\x07/.env` is not ignored by git" in text  # a message quoting a name
    assert "app.run(debug=True)  # \\x1b[31m\\u202e red" in text  # a source excerpt
    marker = text.split("app.run(debug=True)  # \\x1b")[1].splitlines()[1]
    assert marker.endswith("|               ^^^^")  # the marker still points at `True`


# --- 11. files that cannot be checked, whatever the selection ---------------------------


def test_files_that_cannot_be_parsed_are_named_whatever_the_selection(tmp_path):
    write(tmp_path, {"broken.py": "def f(:\n", "ok.py": "x = 1\n", "latin.py": b"x = '\xe9'\n"})
    done = bplint(tmp_path, "check", "--no-cache", "--format", "json", "--select", "BP101", ".")
    data = report(done)
    assert done.returncode == 0 and data["findings"] == []
    errors = errors_by_path(data)
    assert errors["broken.py"].startswith("not checked: the file cannot be parsed")
    assert errors["latin.py"].startswith("not checked: the file cannot be parsed")
    assert data["summary"]["files_scanned"] == 1
    stderr = done.stderr.decode()
    assert "bplint: broken.py: not checked" in stderr and "bplint: latin.py: not checked" in stderr
    text = bplint(tmp_path, "check", "--no-cache", "--select", "BP101", ".").stdout.decode()
    assert "No findings in 1 file scanned." in text


def test_git_run_for_diff_and_the_cache_runs_no_program_the_repository_names(tmp_path):
    """A work tree whose git configuration names an fsmonitor hook and a pager: bplint's git calls
    (`--diff`, the cache's tracked-folder check) never start them."""
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    hook.chmod(0o755)
    project = tmp_path / "repo"
    write(project, {"app.py": FLASK_DEBUG})
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                 ["config", "core.fsmonitor", str(hook)], ["config", "core.pager", str(hook)],
                 ["config", "diff.external", str(hook)]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    (project / "app.py").write_text(FLASK_DEBUG + "x = 1\n")
    done = bplint(project, "check", "--diff", "HEAD", "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)
    bplint(project, "check", "--format", "json")  # with the cache: asks git whether it tracks the cache folder
    assert not marker.exists()
