"""git run on a tree bplint scans, without the programs a repository's configuration can name.

A repository's configuration can make git run programs of its own (an fsmonitor hook,
hooks, a pager, external diff and textconv drivers); bplint never lets it.
"""

from __future__ import annotations

import os
from pathlib import Path

SAFE_OPTIONS = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "diff.external=",
                "--no-pager")


def git_command(*args: str) -> list[str]:
    return ["git", *SAFE_OPTIONS, *args]


def git_env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat"}


GIT_TIMEOUT = 10.0


def work_tree_of(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds a `.git` (a work tree's top), or None."""
    try:
        absolute = Path(os.path.abspath(path))
    except OSError:
        return None
    return next((p for p in (absolute, *absolute.parents) if os.path.lexists(p / ".git")), None)


def ignored_by_git(paths: list[Path], timeout: float | None = None) -> dict[Path, bool]:
    """Whether git ignores each of ``paths`` (absolute), as git decides: every `.gitignore`,
    `.git/info/exclude` and the user's global excludes file; a tracked file is never ignored.
    One git run per work tree. A path git cannot answer for (no git, not in a work tree, an
    error, too slow) is left out: the caller reads the `.gitignore` files itself."""
    timeout = GIT_TIMEOUT if timeout is None else timeout
    trees: dict[Path, list[Path]] = {}
    for path in paths:
        top = work_tree_of(path.parent)
        if top is not None:
            trees.setdefault(top, []).append(path)
    answers: dict[Path, bool] = {}
    for top, inside in trees.items():
        ignored = _check_ignore(top, inside, timeout)
        if ignored is not None:
            answers.update((path, path in ignored) for path in inside)
    return answers


def _check_ignore(top: Path, paths: list[Path], timeout: float) -> set[Path] | None:
    import subprocess  # only when there is a work tree to ask

    # paths, not pathspecs: check-ignore takes each one as it is (no glob magic)
    command = git_command("-C", str(top), "check-ignore", "-z", "--stdin")
    given = b"".join(os.fsencode(p) + b"\0" for p in paths)
    try:
        done = subprocess.run(command, input=given, capture_output=True, timeout=timeout, env=git_env(),
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode not in (0, 1):  # 1: none of them is ignored; 128: not a work tree, or an error
        return None
    named = {os.fsdecode(item) for item in done.stdout.split(b"\0") if item}
    return {p for p in paths if str(p) in named}


def top_level(path: Path, timeout: float | None = None) -> Path | None:
    """The top folder of the git work tree ``path`` is in, as git says it (``rev-parse
    --show-toplevel``); when git cannot answer (not installed, too slow), the nearest folder
    with a `.git`; None outside a work tree."""
    import subprocess

    found = work_tree_of(path)
    if found is None:
        return None
    command = git_command("-C", str(Path(os.path.abspath(path))), "rev-parse", "--show-toplevel")
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT if timeout is None else timeout,
                              env=git_env(), check=False)
    except (OSError, subprocess.SubprocessError):
        return found
    answer = os.fsdecode(done.stdout).rstrip("\n")
    if done.returncode != 0 or not answer:
        return found
    return Path(answer)
