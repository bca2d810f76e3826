"""Fixes: how a rule describes one (edits of libcst nodes), and how `check --fix` applies them.

A Python rule builds a ``NodeFix`` from the nodes it visits; once the traversal is over the
engine turns it into a ``Fix`` of text edits (bplint.report.findings) at the nodes' positions.
Applying fixes to a file takes them all at once, leaving out a fix whose edits overlap one
already taken (the next round of `--fix` gets it) and any fix after which the file no
longer parses.
"""

from __future__ import annotations

import ast
import difflib
import os
import stat
import tempfile
import tokenize
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from bplint.discover.files import _LINE_SPLIT, split_lines
from bplint.report.findings import Applicability, Edit, Finding, Fix, ScanError, Span

# `--fix` scans again after writing, until nothing is left to fix or this many rounds
MAX_ROUNDS = 5


@dataclass(frozen=True)
class NodeEdit:
    """Replace ``node`` with ``content`` (``where="replace"``), or insert ``content`` right
    after it (``where="after"``); with ``until``, ``content`` replaces the text from the end of
    ``node`` to the end of ``until``."""

    node: cst.CSTNode
    content: str
    where: str = "replace"
    until: cst.CSTNode | None = None


@dataclass(frozen=True)
class NodeFix:
    applicability: Applicability
    message: str
    edits: tuple[NodeEdit, ...]


def replace(module: cst.Module, node: cst.CSTNode, new: cst.CSTNode | str) -> NodeEdit:
    """An edit that puts ``new`` (a node, rendered as the module renders code, or source text) in place of ``node``."""
    return NodeEdit(node, new if isinstance(new, str) else module.code_for_node(new))


def insert_after(node: cst.CSTNode, text: str, until: cst.CSTNode | None = None) -> NodeEdit:
    return NodeEdit(node, text, "after", until)


def resolve(fix: NodeFix, module: cst.Module, lines: list[str], position) -> Fix | None:
    """The text edits of ``fix``: ``position(node)`` is the node's CodeRange. None when a node
    has no position or its source text is not what the module renders for it (the edit would
    then not replace exactly that node)."""
    def outer(node: cst.CSTNode) -> Span | None:
        # a node's position leaves out its own parentheses; what the module renders for it has them
        first = position(node.lpar[0]) if getattr(node, "lpar", None) else position(node)
        last = position(node.rpar[-1]) if getattr(node, "rpar", None) else position(node)
        if first is None or last is None:
            return None
        return Span(first.start.line, first.start.column + 1, last.end.line, last.end.column + 1)

    edits = []
    for edit in fix.edits:
        span = outer(edit.node)
        if span is None:
            return None
        if edit.where == "after":
            end = span if edit.until is None else outer(edit.until)
            if end is None:
                return None
            span = Span(span.end_line, span.end_column, end.end_line, end.end_column)
        elif span_text(lines, span) != "\n".join(split_lines(module.code_for_node(edit.node))):
            return None
        edits.append(Edit(span.line, span.column, span.end_line, span.end_column, edit.content))
    edits.sort(key=lambda e: (e.line, e.column, e.end_line, e.end_column))
    return Fix(fix.applicability, fix.message, tuple(edits))


def span_text(lines: list[str], span: Span) -> str | None:
    """The text of ``lines`` (without line endings) that ``span`` covers, lines joined by "\\n"."""
    if not (0 < span.line <= span.end_line <= len(lines)):
        return None
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1:], *lines[span.line:span.end_line - 1],
             lines[span.end_line - 1][:span.end_column - 1]]
    return "\n".join(parts)


# --- applying -------------------------------------------------------------------




def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in _LINE_SPLIT.finditer(text))]


def _offsets(text: str, starts: list[int], edit: Edit) -> tuple[int, int] | None:
    def offset(line: int, column: int) -> int | None:
        if not 0 < line <= len(starts):
            return None
        value = starts[line - 1] + column - 1
        limit = starts[line] if line < len(starts) else len(text)
        return value if starts[line - 1] <= value <= limit else None

    start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
    if start is None or end is None or end < start:
        return None
    return start, end


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] == b[0]:
        return True  # two edits at one place: their order would be a guess
    return a[0] < b[1] and b[0] < a[1]


def _splice(text: str, edits: list[tuple[int, int, str]], newline: str) -> str:
    for start, end, content in sorted(set(edits), key=lambda e: (e[0], e[1]), reverse=True):
        if newline != "\n":
            content = content.replace("\r\n", "\n").replace("\n", newline)
        text = text[:start] + content + text[end:]
    return text


def parses(text: str, python: bool) -> bool:
    """Whether ``text`` still parses, for both CPython and libcst (what the next scan needs)."""
    if not python:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        cst.parse_module(text)
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError, MemoryError):
        return False
    return True


@dataclass
class FileFixes:
    """What applying the fixes of one file's findings did."""

    text: str
    applied: list[Finding] = field(default_factory=list)
    broken: list[Finding] = field(default_factory=list)  # fixes after which the file did not parse


def apply_fixes(text: str, findings: list[Finding], python: bool = True) -> FileFixes:
    """``text`` with the fixes of ``findings`` applied: each fix whole or not at all, none that
    overlaps one taken before it (in the order of the findings), none that breaks the file."""
    starts = _line_starts(text)
    newline = _newline_of(text)
    taken: list[tuple[int, int]] = []
    shared: set[tuple[int, int, str]] = set()
    chosen: list[tuple[Finding, list[tuple[int, int, str]]]] = []
    for finding in findings:
        if finding.fix is None or not finding.fix.edits:
            continue
        placed = [_offsets(text, starts, edit) for edit in finding.fix.edits]
        if any(p is None for p in placed):
            continue
        edits = [(s, e, edit.content) for (s, e), edit in zip((p for p in placed if p is not None), finding.fix.edits)]
        # an edit that another fix makes too (the same import added) is made once, for both
        fresh = [edit for edit in edits if edit not in shared]
        ranges = [(s, e) for s, e, _ in fresh]
        if any(_overlap(r, t) for r in ranges for t in taken) or any(
                _overlap(a, b) for i, a in enumerate(ranges) for b in ranges[i + 1:]):
            continue
        taken.extend(ranges)
        shared.update(fresh)
        chosen.append((finding, edits))
    outcome = FileFixes(text)
    if not chosen:
        return outcome
    together = _splice(text, [e for _, edits in chosen for e in edits], newline)
    if parses(together, python):
        outcome.text = together
        outcome.applied = [f for f, _ in chosen]
        return outcome
    # one of them breaks the file: keep those that parse on their own, then the sum of them
    good = []
    for finding, edits in chosen:
        if parses(_splice(text, edits, newline), python):
            good.append((finding, edits))
        else:
            outcome.broken.append(finding)
    together = _splice(text, [e for _, edits in good for e in edits], newline)
    if good and parses(together, python):
        outcome.text = together
        outcome.applied = [f for f, _ in good]
    else:
        outcome.broken.extend(f for f, _ in good)
    return outcome


def _newline_of(text: str) -> str:
    for index, char in enumerate(text):
        if char == "\r":
            return "\r\n" if text[index + 1:index + 2] == "\n" else "\r"
        if char == "\n":
            return "\n"
    return "\n"


def broken_fix_error(finding: Finding) -> ScanError:
    return ScanError(finding.path, f"internal error in rule {finding.code}: its fix for line {finding.line} would "
                                   f"leave the file unparsable, so it was not applied (please report this)",
                     rule=finding.code, internal=True)


# --- files --------------------------------------------------------------------


@dataclass
class FilePlan:
    path: str  # the report path
    target: Path  # the real file that is written
    old: str
    new: str
    encoding: str
    bom: bool
    applied: list[Finding]


def wanted(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and (unsafe or finding.fix.applicability is Applicability.SAFE)


def read_for_fixing(target: Path, python: bool) -> tuple[str, str, bool]:
    """(text, encoding, had a BOM) of a file to fix; newlines are kept as they are."""
    raw = target.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    encoding = tokenize.detect_encoding(io.BytesIO(raw).readline)[0] if python else "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    body = raw[3:] if bom else raw
    return body.decode(encoding), encoding, bom


def inside(target: Path, root: Path) -> Path | None:
    """The real path of ``target`` when it is a regular file inside ``root`` (a symbolic link
    that leads out of the project is never followed)."""
    try:
        real = target.resolve(strict=True)
        real.relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    try:
        if not stat.S_ISREG(real.stat().st_mode):
            return None
    except OSError:
        return None
    return real


def write_atomically(target: Path, text: str, encoding: str, bom: bool) -> None:
    """Write through a temporary file in the same folder and rename it over ``target``,
    keeping its permission bits: a reader sees the old file or the new one, never half."""
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bplint-fix", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def unified_diff(plan: FilePlan) -> str:
    return "".join(difflib.unified_diff(plan.old.splitlines(keepends=True), plan.new.splitlines(keepends=True),
                                        fromfile=f"a/{plan.path}", tofile=f"b/{plan.path}"))


@dataclass
class Round:
    """One round of `--fix`: the files it changes, and what it could not do."""

    plans: list[FilePlan] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return sum(len(plan.applied) for plan in self.plans)


def plan_round(findings: list[Finding], errors: list[ScanError], root: Path, cwd: Path, unsafe: bool) -> Round:
    """The fixes to apply to ``findings`` (those of a scan that are reported), file by file.

    A file the scan did not fully check (it had an error: an internal one, a part not parsed,
    a timeout) is left as it is, and so is a file outside ``root``.
    """
    outcome = Round()
    unsure = {error.path for error in errors}
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if wanted(finding, unsafe):
            by_path.setdefault(finding.path, []).append(finding)
    for path, group in sorted(by_path.items()):
        if path in unsure:
            outcome.errors.append(ScanError(path, "not fixed: the scan of this file was not complete "
                                                  "(see the error above)"))
            continue
        target = inside(cwd / path, root)
        if target is None:
            outcome.errors.append(ScanError(path, "not fixed: not a regular file inside the project"))
            continue
        python = target.suffix in (".py", ".pyi")
        try:
            old, encoding, bom = read_for_fixing(target, python)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            outcome.errors.append(ScanError(path, f"not fixed: cannot read it again ({exc})"))
            continue
        group.sort(key=lambda f: (f.line, f.column, f.code))
        applied = apply_fixes(old, group, python)
        outcome.errors.extend(broken_fix_error(f) for f in applied.broken)
        if applied.applied and applied.text != old:
            outcome.plans.append(FilePlan(path, target, old, applied.text, encoding, bom, applied.applied))
    return outcome


def write_round(round_: Round) -> list[ScanError]:
    """Write the files of ``round_``; a file that cannot be written is one error, the others are written."""
    errors = []
    for plan in round_.plans:
        try:
            write_atomically(plan.target, plan.new, plan.encoding, plan.bom)
        except (OSError, UnicodeEncodeError) as exc:
            errors.append(ScanError(plan.path, f"not fixed: cannot write it ({exc})"))
            plan.applied = []
    return errors
