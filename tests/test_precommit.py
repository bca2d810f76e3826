"""The pre-commit hook: its default gate, and the real pre-commit running this repository's hook."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bplint.cli import cli

REPO = Path(__file__).resolve().parent.parent
INFO_ONLY = "import datetime\n\nnow = datetime.datetime.utcnow()\n"  # BP406, info (a preview rule: selected)
SELECT_INFO = ["--extend-select", "BP406"]
WARNING = 'from flask import Flask\n\napp = Flask(__name__)\napp.config["SESSION_COOKIE_SECURE"] = False\n'  # BP104


def _hook_args() -> list[str]:
    """The arguments the hook's entry passes to `bplint`."""
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    entry = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("entry:"))
    words = entry.split()
    assert words[0] == "bplint"
    return words[1:]


@pytest.mark.parametrize("files, config, extra, code", [
    ({"views.py": INFO_ONLY}, None, [], 0),  # info does not block a commit
    ({"views.py": WARNING}, None, [], 1),  # a warning does
    ({"views.py": INFO_ONLY}, 'fail-on = "info"\n', [], 1),  # the project's fail-on wins over the hook's default
    ({"views.py": WARNING}, 'fail-on = "error"\n', [], 0),
    ({"views.py": INFO_ONLY}, None, ["--fail-on", "info"], 1),  # and so does --fail-on in the hook's args
])
def test_hook_gate_fails_on_warnings_unless_configured(tmp_path, monkeypatch, files, config, extra, code):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    if config is not None:
        (tmp_path / "pyproject.toml").write_text("[tool.bplint]\n" + config)
    result = CliRunner().invoke(cli, [*_hook_args(), "--no-cache", *SELECT_INFO, *extra, *files])
    assert result.exit_code == code, result.output


def test_check_itself_still_fails_on_any_finding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "views.py").write_text(INFO_ONLY)
    assert CliRunner().invoke(cli, ["check", "--no-cache", *SELECT_INFO, "views.py"]).exit_code == 1


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _head() -> str | None:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _run_hook(project: Path, env: dict) -> subprocess.CompletedProcess:
    # A config naming this repository at HEAD: pre-commit installs the hook's environment once
    # and reuses it for every run below (try-repo would install it anew each time).
    return subprocess.run(["pre-commit", "run", "bplint", "--verbose"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed (pip install -e '.[test]')")
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_hook_blocks_a_violation_and_passes_a_clean_file(tmp_path):
    head = _head()
    if head is None:
        pytest.skip("this copy of bplint is not a git repository")
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "NO_COLOR": "1"}
    env.pop("PYTEST_CURRENT_TEST", None)
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {head}\n    hooks:\n      - id: bplint\n")
    (project / "views.py").write_text("def view(request:\n    return 1\n")
    _git(project, "add", "views.py", ".pre-commit-config.yaml")

    blocked = _run_hook(project, env)
    if "An unexpected error has occurred" in blocked.stdout + blocked.stderr and "pip" in blocked.stdout + blocked.stderr:
        pytest.skip(f"pre-commit could not install the hook's environment: {blocked.stdout[-500:]}")
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "BP001" in blocked.stdout

    (project / "views.py").write_text("def view(request):\n    return 1\n")
    _git(project, "add", "views.py")
    passed = _run_hook(project, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr

    # an info-level finding is shown but does not block the commit...
    (project / "views.py").write_text(INFO_ONLY)
    (project / "pyproject.toml").write_text('[tool.bplint]\nextend-select = ["BP406"]\n')
    _git(project, "add", "views.py", "pyproject.toml")
    informed = _run_hook(project, env)
    assert informed.returncode == 0, informed.stdout + informed.stderr
    assert "BP406" in informed.stdout
    # ...unless the project's configuration says fail-on = "info"
    (project / "pyproject.toml").write_text('[tool.bplint]\nextend-select = ["BP406"]\nfail-on = "info"\n')
    _git(project, "add", "pyproject.toml")
    strict = _run_hook(project, env)
    assert strict.returncode != 0, strict.stdout + strict.stderr
    assert "BP406" in strict.stdout
