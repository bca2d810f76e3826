"""What a scan produces: findings, internal errors, and the secret mask every report uses."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Span:
    """1-based lines and columns; the end column is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


class Applicability(str, enum.Enum):
    """How far a fix can be trusted: ``safe`` keeps behaviour (applied by ``--fix``); ``unsafe``
    may change it (applied only with ``--unsafe-fixes``)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) to (end_line, end_column) with ``content``:
    1-based, the end exclusive, as a ``Span``; an empty range inserts."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_json(self) -> dict:
        return {"line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "content": self.content}


@dataclass(frozen=True)
class Fix:
    """A change that removes a finding: its edits are applied together or not at all."""

    applicability: Applicability
    message: str  # one sentence: what the fix does
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {"applicability": self.applicability.value, "message": self.message,
                "edits": [edit.to_json() for edit in self.edits]}

    def with_text(self, message, content) -> "Fix":
        """The fix with ``message`` applied to its message and ``content`` to the content of its edits."""
        return Fix(self.applicability, message(self.message),
                   tuple(dataclasses.replace(e, content=content(e.content)) for e in self.edits))


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    category: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: Fix | None = None
    # True when the span holds a credential: reports then show at most its
    # first four characters.
    secret: bool = False
    # True for a finding about the project or a whole file (no tests, no README), not
    # about its line: its fingerprint leaves the line out, so it survives edits there.
    project_level: bool = False

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "category": self.category,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": self.fix.to_json() if self.fix is not None else None,
        }


@dataclass(frozen=True)
class ScanError:
    """A problem that kept bplint from checking something fully (never a finding)."""

    path: str
    message: str
    rule: str | None = None
    # internal: a bplint bug (a rule raised). Such errors make the exit code 2.
    internal: bool = False

    def to_json(self) -> dict:
        return {"path": self.path, "rule": self.rule, "message": self.message}


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    # report path -> where the detected secrets of that file are, whether their own
    # findings are reported or not: every report masks them wherever it shows the file
    secrets: dict[str, list[Span]] = field(default_factory=dict)
    # what the scan did, by kind: files indexed or served from the cache, parsed by libcst, ...
    work: dict[str, int] = field(default_factory=dict)

    def secret_spans(self) -> dict[str, list[Span]]:
        """``secrets`` with the spans of the secret findings among ``findings`` (a result built by hand)."""
        return secret_spans(self.findings, self.secrets)


def secret_spans(findings: list[Finding], known: dict[str, list[Span]] | None = None) -> dict[str, list[Span]]:
    """Path -> the spans of the secret findings among ``findings``, added to ``known``."""
    spans = {path: set(found) for path, found in (known or {}).items()}
    for finding in findings:
        if finding.secret:
            spans.setdefault(finding.path, set()).add(
                Span(finding.line, finding.column, finding.end_line, finding.end_column))
    return {path: sorted(found, key=lambda s: (s.line, s.column, s.end_line, s.end_column))
            for path, found in spans.items()}


VISIBLE_SECRET_CHARS = 4
_OPENING_QUOTE = re.compile(r"[rRbBuUfF]{0,2}(?P<quote>'''|\"\"\"|'|\")")


def mask_secret(text: str) -> str:
    """Keep the first four characters of a secret value, star the rest."""
    head = text[:VISIBLE_SECRET_CHARS]
    return head + "*" * max(len(text) - VISIBLE_SECRET_CHARS, 0)


def mask_span_in_line(line: str, start: int, end: int | None) -> str:
    """Mask the secret that occupies ``line[start:end]`` (0-based, end exclusive).

    A quoted literal keeps its prefix and quotes readable; of the value itself
    only the first four characters remain.
    """
    end = len(line) if end is None or end > len(line) else end
    head, value, tail = _unquoted(line[start:end])
    return line[:start] + head + mask_secret(value) + tail + line[end:]


def _unquoted(segment: str) -> tuple[str, str, str]:
    """A secret's span text as (string prefix and opening quote, value, closing quote)."""
    opening = _OPENING_QUOTE.match(segment)  # a string prefix counts only before a quote
    if opening is None:
        return "", segment, ""
    quote = opening.group("quote")
    body = segment[opening.end():]
    if body.endswith(quote) and len(body) >= len(quote):
        return segment[:opening.end()], body[: -len(quote)], quote
    return segment[:opening.end()], body, ""


def secret_value(segment: str) -> str:
    """The value of a secret's span text: a quoted literal without its prefix and quotes."""
    return _unquoted(segment)[1]


def mask_secrets_in_line(line: str, number: int, secrets: list[Span]) -> str:
    """Line ``number`` of a file with every secret that touches it masked (its length unchanged)."""
    for span in secrets:
        if span.line <= number <= span.end_line:
            start = span.column - 1 if span.line == number else 0
            end = span.end_column - 1 if span.end_line == number else None
            line = mask_span_in_line(line, start, end)
    return line


# Characters that must not reach a terminal or a CI log as they are: C0/C1
# controls (escape sequences, carriage returns), bidirectional overrides, and
# the lone surrogates that stand for bytes of a file name that are not UTF-8.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return _NAMED_ESCAPES.get(char) or f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text from the scanned tree (a file name, a quoted line) safe to print and valid UTF-8.

    Control and bidirectional characters are shown as escapes (``\\x1b``,
    ``\\u202e``) and a file name's undecodable bytes as ``\\xff``, the same in
    every report format; other text is returned unchanged.
    """
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(_escape, text)


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")


def printable_code(text: str) -> str:
    """Source text (a fix's edit) made ``printable`` line by line: its line breaks stay."""
    return "".join(part if _LINE_BREAK.fullmatch(part) else printable(part) for part in _LINE_BREAK.split(text))


def displayable(result: ScanResult) -> tuple[ScanResult, dict[str, str]]:
    """The result with every path and message made ``printable``, and printed path -> real path."""
    real: dict[str, str] = {}

    def path(value: str) -> str:
        shown = printable(value)
        if shown != value:
            real[shown] = value
        return shown

    findings = []
    for finding in result.findings:
        shown = (path(finding.path), printable(finding.message),
                 finding.fix.with_text(printable, printable_code) if finding.fix is not None else None)
        if shown != (finding.path, finding.message, finding.fix):
            finding = dataclasses.replace(finding, path=shown[0], message=shown[1], fix=shown[2])
        findings.append(finding)
    errors = [dataclasses.replace(e, path=path(e.path), message=printable(e.message)) for e in result.errors]
    secrets = {path(p): spans for p, spans in result.secrets.items()}
    return ScanResult(findings, errors, result.files_scanned, secrets, result.work), real
