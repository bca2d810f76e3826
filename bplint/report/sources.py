"""Source lines of reported files, read once per report, for reporters and fingerprints."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from bplint.discover.files import read_regular_file, split_lines
from bplint.report.findings import Finding, Span, mask_secrets_in_line, mask_span_in_line

_SPACE = re.compile(r"\s+")


class SourceLines:
    """Lines as reports may show them, every secret masked: the spans the rules detected
    (``ScanResult.secrets``, suppressed findings' too) and, in any line, passwords written
    into URLs (``https://user:password@``, ``git+https://TOKEN@``), whichever rules ran.
    ``real_paths`` maps a printed path to the path on disk, for names not printable as they are."""

    def __init__(self, cwd: Path | None = None, secrets: dict[str, list[Span]] | None = None,
                 real_paths: dict[str, str] | None = None) -> None:
        self._cwd = cwd
        self._raw: dict[str, list[str]] = {}
        self._shown: dict[tuple[str, int], str] = {}
        self._secrets: dict[str, list[Span]] = dict(secrets or {})
        self._real = real_paths or {}

    def know_secrets(self, secrets: dict[str, list[Span]]) -> None:
        """Mask these secrets too (a scan's ``ScanResult.secrets``)."""
        for path, spans in secrets.items():
            known = self._secrets.setdefault(path, [])
            new = [s for s in spans if s not in known]
            if new:
                known.extend(new)
                self._shown = {key: text for key, text in self._shown.items() if key[0] != path}

    def provide(self, path: str, text: str) -> None:
        """Show ``text`` as the file at ``path`` (a file read from standard input, not from disk)."""
        self._raw[path] = split_lines(text)
        self._shown = {key: line for key, line in self._shown.items() if key[0] != path}

    def _lines(self, path: str) -> list[str]:
        if path not in self._raw:
            real = self._real.get(path, path)
            target = Path(real) if self._cwd is None else self._cwd / real
            try:
                self._raw[path] = split_lines(read_regular_file(target).decode("utf-8", "replace"))
            except OSError:
                self._raw[path] = []
        return self._raw[path]

    def line(self, path: str, number: int) -> str | None:
        key = (path, number)
        if key not in self._shown:
            lines = self._lines(path)
            if not 0 < number <= len(lines):
                return None
            text = mask_secrets_in_line(lines[number - 1], number, self._secrets.get(path, ()))
            self._shown[key] = mask_detected_in_line(text)
        return self._shown[key]


def mask_detected_in_line(line: str) -> str:
    """``line`` with every password (or token given as the user) written into a URL masked."""
    if "@" in line and "//" in line:
        from bplint.project.requirements import credential_columns  # only here: a warm run imports no parser

        for start, end in list(credential_columns(line)):
            line = mask_span_in_line(line, start, end)
    return line


def fingerprints(findings: Iterable[Finding], sources: SourceLines,
                 shown: Callable[[str], str] | None = None) -> dict[Finding, str]:
    """A fingerprint per finding that survives lines moving up or down.

    It hashes the code, the path, the flagged line's text with white space
    folded (detected secrets masked), and the occurrence of that same triple in
    the file. A project-level finding (``Finding.project_level``) is not about
    its line: its text is left out, so editing the file it points at keeps it.
    Only a hash is kept, so a secret on the line is never stored in clear. ``shown`` gives the path
    the report names the file by (its path from the repository's top), when it is not the finding's.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    result: dict[Finding, str] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key()):
        text = "" if finding.project_level else _SPACE.sub(" ", sources.line(finding.path, finding.line) or "").strip()
        key = (finding.code, shown(finding.path) if shown is not None else finding.path, text)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8", "surrogatepass")).hexdigest()
        result[finding] = digest[:32]
    return result
