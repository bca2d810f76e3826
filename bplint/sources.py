"""Source lines of reported files, read once per report, for reporters and fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from bplint.files import split_lines
from bplint.findings import Finding, Span, mask_secrets_in_line

_SPACE = re.compile(r"\s+")


class SourceLines:
    """Lines as reports may show them: the scan's detected secrets (``ScanResult.secrets``) masked."""

    def __init__(self, cwd: Path | None = None, secrets: dict[str, list[Span]] | None = None) -> None:
        self._cwd = cwd
        self._cache: dict[str, list[str]] = {}
        self._secrets: dict[str, list[Span]] = dict(secrets or {})

    def know_secrets(self, secrets: dict[str, list[Span]]) -> None:
        """Mask these secrets too (a scan's ``ScanResult.secrets``)."""
        for path, spans in secrets.items():
            known = self._secrets.setdefault(path, [])
            known.extend(s for s in spans if s not in known)
            self._cache.pop(path, None)

    def lines(self, path: str) -> list[str]:
        if path not in self._cache:
            target = Path(path) if self._cwd is None else self._cwd / path
            try:
                lines = split_lines(target.read_bytes().decode("utf-8", "replace"))
            except OSError:
                lines = []
            spans = self._secrets.get(path)
            if spans:
                touched = {n for s in spans for n in range(s.line, s.end_line + 1)}
                lines = [mask_secrets_in_line(text, n, spans) if n in touched else text
                         for n, text in enumerate(lines, 1)]
            self._cache[path] = lines
        return self._cache[path]

    def line(self, path: str, number: int) -> str | None:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else None


def fingerprints(findings: Iterable[Finding], sources: SourceLines) -> dict[Finding, str]:
    """A fingerprint per finding that survives lines moving up or down.

    It hashes the code, the path, the flagged line's text with white space
    folded (detected secrets masked), and the occurrence of that same triple in
    the file. A project-level finding (``Finding.project_level``) is not about
    its line: its text is left out, so editing the file it points at keeps it.
    Only a hash is kept, so a secret on the line is never stored in clear.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    result: dict[Finding, str] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key()):
        text = "" if finding.project_level else _SPACE.sub(" ", sources.line(finding.path, finding.line) or "").strip()
        key = (finding.code, finding.path, text)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8")).hexdigest()
        result[finding] = digest[:32]
    return result
