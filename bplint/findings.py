"""What a scan produces: findings, internal errors, and the secret mask every report uses."""

from __future__ import annotations

import enum
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
    fix: str | None = None
    # True when the span holds a credential: reports then show at most its
    # first four characters.
    secret: bool = False

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
            "fix": self.fix,
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


VISIBLE_SECRET_CHARS = 4
_QUOTE_PREFIX = set("rRbBuUfF'\"")


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
    segment = line[start:end]
    lead = 0
    while lead < len(segment) and segment[lead] in _QUOTE_PREFIX:
        lead += 1
    trail = 0
    while trail < len(segment) - lead and segment[len(segment) - 1 - trail] in "'\"":
        trail += 1
    value = segment[lead : len(segment) - trail]
    masked = segment[:lead] + mask_secret(value) + segment[len(segment) - trail :]
    return line[:start] + masked + line[end:]
