"""The real pre-commit, running this repository's hook on a temporary git repository."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _try_repo(project: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["pre-commit", "try-repo", str(REPO), "bplint", "--verbose"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed (pip install -e '.[test]')")
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_hook_blocks_a_violation_and_passes_a_clean_file(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "NO_COLOR": "1"}
    env.pop("PYTEST_CURRENT_TEST", None)
    _git(project, "init", "-q")
    (project / "views.py").write_text("def view(request:\n    return 1\n")
    _git(project, "add", "views.py")

    blocked = _try_repo(project, env)
    if "An unexpected error has occurred" in blocked.stdout + blocked.stderr and "pip" in blocked.stdout + blocked.stderr:
        pytest.skip(f"pre-commit could not install the hook's environment: {blocked.stdout[-500:]}")
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "BP001" in blocked.stdout

    (project / "views.py").write_text("def view(request):\n    return 1\n")
    _git(project, "add", "views.py")
    passed = _try_repo(project, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
