"""git run on a tree bplint scans, without the programs a repository's configuration can name.

A repository's configuration can make git run programs of its own (an fsmonitor hook,
hooks, a pager, external diff and textconv drivers); bplint never lets it.
"""

from __future__ import annotations

import os

SAFE_OPTIONS = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "diff.external=",
                "--no-pager")


def git_command(*args: str) -> list[str]:
    return ["git", *SAFE_OPTIONS, *args]


def git_env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "PAGER": "cat"}
