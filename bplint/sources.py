"""Source lines of reported files, read once per report, for reporters and fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from bplint.files import read_regular_file, split_lines
from bplint.findings import Finding

_SPACE = re.compile(r"\s+")


class SourceLines:
    def __init__(self, cwd: Path | None = None, real_paths: dict[str, str] | None = None) -> None:
        self._cwd = cwd
        self._cache: dict[str, list[str]] = {}
        # printed path -> the path on disk, for names that are not printable as they are
        self._real = real_paths or {}

    def lines(self, path: str) -> list[str]:
        if path not in self._cache:
            real = self._real.get(path, path)
            target = Path(real) if self._cwd is None else self._cwd / real
            try:
                self._cache[path] = split_lines(read_regular_file(target).decode("utf-8", "replace"))
            except OSError:
                self._cache[path] = []
        return self._cache[path]

    def line(self, path: str, number: int) -> str | None:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else None


def fingerprints(findings: Iterable[Finding], sources: SourceLines) -> dict[Finding, str]:
    """A fingerprint per finding that survives lines moving up or down.

    It hashes the code, the path, the flagged line's text with white space
    folded, and the occurrence of that same triple in the file. Only a hash is
    kept, so a secret on the line is never stored in clear.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    result: dict[Finding, str] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key()):
        text = _SPACE.sub(" ", sources.line(finding.path, finding.line) or "").strip()
        key = (finding.code, finding.path, text)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8", "surrogatepass")).hexdigest()
        result[finding] = digest[:32]
    return result
