"""Changed-files mode: which lines changed since a git ref, to report findings on those only."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bplint.config import ConfigError
from bplint.discover.discovery import report_path
from bplint.discover.safegit import git_command, git_env
from bplint.report.findings import Finding

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")

ALL_LINES = None  # a new (untracked) file: every line counts as changed


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(git_command(*args), cwd=cwd, capture_output=True, text=True, timeout=120,
                              env=git_env(), stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ConfigError("--diff needs git, which is not installed") from None
    if done.returncode != 0:
        raise ConfigError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def changed_lines(ref: str, cwd: Path) -> dict[str, set[int] | None]:
    """Report path -> lines changed on this branch since it left ``ref`` (working tree included).

    The comparison starts at the merge base of ``ref`` and HEAD, as ``git diff REF...HEAD``
    does: what ``ref`` changed since (a secret removed on main) is not this branch's doing.
    """
    cwd = cwd.resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip()).resolve()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    try:
        base = _git(["merge-base", ref, "HEAD"], cwd).strip()
    except ConfigError:
        raise ConfigError(f"--diff {ref}: {ref} and HEAD have no common ancestor to compare against") from None
    changes: dict[str, set[int] | None] = {}
    current: set[int] | None = None
    diff = _git(["-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", "-U0", base,
                 "--"], top)
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            if name == "/dev/null":
                current = None
                continue
            name = name[2:] if name.startswith("b/") else name
            current = changes.setdefault(report_path(top / name, cwd), set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or "1")
                current.update(range(start, start + count))
    for name in _git(["-c", "core.quotepath=off", "ls-files", "--others", "--exclude-standard"], top).splitlines():
        changes[report_path(top / name, cwd)] = ALL_LINES
    return changes


def only_changed(findings: list[Finding], changes: dict[str, set[int] | None]) -> list[Finding]:
    """The findings on changed lines; a project-level finding counts when its file changed at all."""
    kept = []
    for finding in findings:
        if finding.path not in changes:
            continue
        lines = changes[finding.path]
        if finding.project_level and (lines is ALL_LINES or lines):
            kept.append(finding)
            continue
        if lines is ALL_LINES or any(n in lines for n in range(finding.line, finding.end_line + 1)):
            kept.append(finding)
    return kept
