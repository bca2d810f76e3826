"""Inline suppressions: `# bplint: ignore[BP101]`, `# noqa: BP101`, `# bplint: ignore-file[...]`.

A suppression applies to the line it stands on, and to every line of the
statement that starts on that line (a comment on the first line of a
multi-line call covers the whole call), or, when that first line ends inside
a string and cannot take a comment, to the statement that ends on it. A file-level suppression applies to
the whole file. Requirement files, dotenv and other config files take the
same `#` comments. Bare `# noqa` (without codes) belongs to other tools and
is left alone. Unknown codes are reported as BP003; with BP002 selected,
suppressions that suppress nothing are reported too.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field

from bplint.discover.files import FileKind, SourceFile, split_lines
from bplint.report.findings import Finding, Span

_BPLINT = re.compile(r"#\s*bplint:\s*(?P<kind>ignore-file|ignore)\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Za-z]+\d\w*(?:[\s,]+[A-Za-z]+\d\w*)*)", re.IGNORECASE)
_OUR_CODE = re.compile(r"^BP\d", re.IGNORECASE)
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")
# A file is read for suppressions only if it may hold one of ours: `# noqa` comments of other
# tools are common, and tokenizing every file that has one was most of this phase's cost.
_NOQA_OURS = re.compile(r"noqa:[^\n]*\bbp\d")


def _may_hold_ours(text: str) -> bool:
    # on the lower-cased text, plain substring tests: far faster than a case-insensitive pattern
    lower = text.lower()
    return "bplint:" in lower or ("noqa:" in lower and _NOQA_OURS.search(lower) is not None)


@dataclass
class Suppression:
    line: int
    column: int  # 1-based, where the comment starts
    end_column: int
    codes: tuple[str, ...] | None  # None: every code
    file_level: bool
    unknown: tuple[str, ...] = ()
    used: set[str] = field(default_factory=set)
    used_any: bool = False

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def _comments(file: SourceFile, text: str) -> list[tuple[int, int, str]]:
    """(line, column, comment text) of the file's comments."""
    if file.kind is FileKind.PYTHON:
        try:
            found = []
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT:
                    found.append((token.start[0], token.start[1], token.string))
            return found
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass  # a broken file: fall back to reading lines
    found = []
    for number, line in enumerate(file.lines(), 1):
        index = line.find("#")
        while index != -1:
            if index == 0 or line[index - 1].isspace() or file.kind is FileKind.PYTHON:
                found.append((number, index, line[index:]))
                break
            index = line.find("#", index + 1)
    return found


def parse_suppressions(file: SourceFile, known_codes: set[str]) -> list[Suppression]:
    try:
        text = file.text(keep=False)  # most files hold no suppression: their text is not kept
    except Exception:
        return []
    if not _may_hold_ours(text):
        return []
    result = []
    for line, column, comment in _comments(file, text):
        for match in _BPLINT.finditer(comment):
            codes = _codes(match.group("codes")) if match.group("codes") is not None else None
            result.append(_make(line, column + match.start(), column + match.end(), codes,
                                match.group("kind").lower() == "ignore-file", known_codes, all_codes_ours=True))
        for match in _NOQA.finditer(comment):
            ours = tuple(c for c in _codes(match.group("codes")) if _OUR_CODE.match(c))
            if ours:
                result.append(_make(line, column + match.start(), column + match.end(), ours, False, known_codes,
                                    all_codes_ours=False))
    return result


def _codes(raw: str) -> tuple[str, ...]:
    return tuple(c.upper() for c in re.split(r"[\s,]+", raw.strip()) if c)


def _make(line: int, start: int, end: int, codes: tuple[str, ...] | None, file_level: bool, known: set[str],
          all_codes_ours: bool) -> Suppression:
    unknown = tuple(c for c in codes or () if c not in known)
    valid = None if codes is None else tuple(c for c in codes if c in known)
    return Suppression(line, start + 1, end + 1, valid, file_level, unknown)


def statement_starts(file: SourceFile, text: str) -> dict[int, int]:
    """For each line inside a multi-line statement, the line the statement starts on."""
    if file.kind is not FileKind.PYTHON:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    starts: dict[int, tuple[int, int]] = {}  # line -> (span, first line): the smallest statement wins
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        first, last = node.lineno, node.end_lineno or node.lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            last = max(first, body[0].lineno - 1)  # a compound statement: its header only
        if last == first:
            continue
        for line in range(first, last + 1):
            span = last - first
            if line not in starts or span < starts[line][0]:
                starts[line] = (span, first)
    return {line: first for line, (_, first) in starts.items()}


def statement_ends(starts: dict[int, int]) -> dict[int, int]:
    """For each first line of a multi-line statement (from ``statement_starts``), its last line."""
    ends: dict[int, int] = {}
    for line, first in starts.items():
        if line > ends.get(first, 0):
            ends[first] = line
    return ends


def apply_suppressions(findings: list[Finding], files: dict[str, SourceFile], config) -> list[Finding]:
    """Drop suppressed findings; add BP003 for unknown codes and, when selected, BP002 for unused ones."""
    from bplint.rules.bp0_engine import InvalidSuppression, UnusedSuppression
    from bplint.scan.context import make_finding

    known = {rule.code for rule in config.rules}
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    kept: list[Finding] = [f for f in findings if f.path not in files]
    extra: list[Finding] = []
    project = config
    for path, file in files.items():
        config = project.for_path(file.rootpath)  # BP002 is on or off by the file's configuration
        file_findings = by_path.get(path, [])
        suppressions = parse_suppressions(file, known)
        if not suppressions:
            kept.extend(file_findings)
            continue
        starts = statement_starts(file, file.text()) if file_findings else {}
        file_wide = [s for s in suppressions if s.file_level]
        by_line: dict[int, list[Suppression]] = {}
        for s in suppressions:
            if not s.file_level:
                by_line.setdefault(s.line, []).append(s)
        ends = statement_ends(starts)
        blocked: set[int] | None = None
        for finding in file_findings:
            first = starts.get(finding.line, finding.line)
            lines = {finding.line, first}
            last = ends.get(first)
            if last is not None and last in by_line:
                if blocked is None:
                    text = file.text()
                    blocked = blocked_lines(text, split_lines(text), True)
                if first in blocked:  # the first line cannot take a comment: the last one stands for it
                    lines.add(last)
            candidates = file_wide + [s for line in lines for s in by_line.get(line, [])]
            matching = [s for s in candidates if s.covers(finding.code)]
            if not matching:
                kept.append(finding)
                continue
            for s in matching:
                s.used_any = True
                s.used.add(finding.code)
        for s in suppressions:
            span = Span(s.line, s.column, s.line, s.end_column)
            for code in s.unknown:
                extra.append(make_finding(InvalidSuppression, path, span,
                                          f"Fix or remove the unknown code {code} in this suppression "
                                          f"(`bplint rules` lists the codes)."))
            if UnusedSuppression.code not in config.enabled:
                continue
            if s.codes is None:
                if not s.used_any:
                    extra.append(make_finding(UnusedSuppression, path, span,
                                              "Remove this suppression: it suppresses no finding."))
                continue
            unused = [c for c in s.codes if c not in s.used and c in config.enabled]
            if unused:
                extra.append(make_finding(UnusedSuppression, path, span,
                                          f"Remove the unused suppression of {', '.join(unused)}: "
                                          f"no such finding here."))
    return kept + extra


def blocked_lines(text: str, lines: list[str], python: bool) -> set[int]:
    """Lines that cannot take a comment at their end: inside a multi-line string, continued with
    a backslash, or the first lines' interpreter and coding comments."""
    blocked = {number for number, line in enumerate(lines, 1) if line.rstrip().endswith("\\")}
    for number, line in enumerate(lines[:2], 1):
        if line.startswith("#!") or _CODING.match(line):
            blocked.add(number)
    if not python:
        return blocked
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.end[0] > token.start[0]:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set(range(1, len(lines) + 1))  # cannot tell where the strings are: block every line
    return blocked
