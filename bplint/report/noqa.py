"""`check --add-noqa`: mark each reported finding as accepted with a `# bplint: ignore[CODE]` comment.

The comment goes where bplint reads it (bplint.report.suppressions): on the first line of the
finding's statement, on its own line, or else on the statement's last line. An existing `# bplint: ignore[...]` comment there
takes the new codes; a line that ends inside a string (or continues with a backslash) takes
no comment, since one there would change the code.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from bplint.discover.files import _LINE_SPLIT, FileKind, SourceFile, is_requirements_name, split_lines
from bplint.report.findings import Finding, ScanError
from bplint.report.fixes import inside, parses, read_for_fixing, write_atomically
from bplint.report.suppressions import (_BPLINT, _CODING, _codes, _comments, blocked_lines, statement_ends,
                                        statement_starts)

# TOML manifests, which take `#` comments as requirement files do
_MANIFESTS = ("pyproject.toml", "Pipfile")


@dataclass
class NoqaOutcome:
    added: int = 0  # comments added or extended
    files: int = 0
    left: int = 0  # findings that could not be marked
    errors: list[ScanError] = field(default_factory=list)


def add_noqa(findings: list[Finding], errors: list[ScanError], root: Path, cwd: Path) -> NoqaOutcome:
    outcome = NoqaOutcome()
    unsure = {error.path for error in errors}
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, group in sorted(by_path.items()):
        problem = None
        target = inside(cwd / path, root)
        if path in unsure:
            problem = "the scan of this file was not complete (see the error above)"
        elif target is None:
            problem = "not a regular file inside the project"
        elif target.suffix not in (".py", ".pyi") and not is_requirements_name(target.name, target.parent.name) \
                and target.name not in _MANIFESTS:
            problem = "bplint adds suppression comments to Python, requirement and manifest files only"
        if problem is not None or target is None:
            outcome.left += len(group)
            outcome.errors.append(ScanError(path, f"not marked: {problem}"))
            continue
        python = target.suffix in (".py", ".pyi")
        try:
            text, encoding, bom = read_for_fixing(target, python)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            outcome.left += len(group)
            outcome.errors.append(ScanError(path, f"not marked: cannot read it again ({exc})"))
            continue
        new, added, left = mark_lines(text, group, python, path)
        if left:
            outcome.left += len(left)
            lines = ", ".join(str(line) for line in sorted(set(left)))
            outcome.errors.append(ScanError(path, f"not marked: line {lines} ends inside a string or a "
                                                  f"continued line (suppress it in a baseline instead)"))
        if not added or new == text:
            continue
        if target.name in _MANIFESTS and not _same_toml(text, new):
            outcome.left += len(group)
            outcome.errors.append(ScanError(path, "not marked: a comment would change the file's data (a line "
                                                  "inside a multi-line string); record it in a baseline instead"))
            continue
        if not parses(new, python):
            outcome.left += len(group)
            outcome.errors.append(ScanError(path, "not marked: the comments would leave the file unparsable "
                                                  "(please report this)", internal=True))
            continue
        try:
            write_atomically(target, new, encoding, bom)
        except (OSError, UnicodeEncodeError) as exc:
            outcome.left += len(group)
            outcome.errors.append(ScanError(path, f"not marked: cannot write it ({exc})"))
            continue
        outcome.added += added
        outcome.files += 1
    return outcome


def _same_toml(old: str, new: str) -> bool:
    """The comments left a TOML file's data as it was (none went into a multi-line string)."""
    try:
        return tomllib.loads(old) == tomllib.loads(new)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return False


def mark_lines(text: str, findings: list[Finding], python: bool, path: str = "") -> tuple[str, int, list[int]]:
    """``text`` with the suppression comments of ``findings``; (new text, comments added or
    extended, the lines of findings that could not be marked)."""
    file = SourceFile(Path(path or "x.py"), path, FileKind.PYTHON if python else FileKind.REQUIREMENTS, path,
                      _text=text)
    pieces = split_lines(text)
    ends = [m.group() for m in _LINE_SPLIT.finditer(text)] + [""]
    starts = statement_starts(file, text)
    last_lines = statement_ends(starts)
    blocked = blocked_lines(text, pieces, python)
    codes: dict[int, list[str]] = {}
    whole_file: list[str] = []  # project-level findings on a line that takes no comment
    left = []
    for finding in findings:
        first = starts.get(finding.line, finding.line)
        candidates = [first, finding.line]
        if not finding.project_level:  # a finding about the whole file is marked for the whole file
            candidates.append(last_lines.get(first, first))
        line = next((c for c in candidates if 0 < c <= len(pieces) and c not in blocked), None)
        if line is None and finding.project_level:
            # about the whole file (no tests, no README), not its line: a file-level suppression says so
            if finding.code not in whole_file:
                whole_file.append(finding.code)
            continue
        if line is None:
            left.append(finding.line)
            continue
        if finding.code not in codes.setdefault(line, []):
            codes[line].append(finding.code)
    comments = {line: (column, comment) for line, column, comment in _comments(file, text)}
    for line, wanted in codes.items():
        pieces[line - 1] = _with_codes(pieces[line - 1], comments.get(line), wanted)
    text = "".join(p + e for p, e in zip(pieces, ends))
    if whole_file:
        text = mark_file(text, whole_file)
    return text, len(codes) + (1 if whole_file else 0), left


def mark_file(text: str, codes: list[str]) -> str:
    """``text`` with a `# bplint: ignore-file[CODES]` line, after an interpreter line and a coding
    cookie, which must stay first."""
    pieces = split_lines(text)
    ends = [m.group() for m in _LINE_SPLIT.finditer(text)] + [""]
    head = sum(1 for line in pieces[:2] if line.startswith("#!") or _CODING.match(line))
    head = head if all(pieces[i].startswith("#!") or _CODING.match(pieces[i]) for i in range(head)) else 0
    newline = ends[0] or "\n"
    offset = sum(len(p) + len(e) for p, e in zip(pieces[:head], ends[:head]))
    return text[:offset] + f"# bplint: ignore-file[{', '.join(codes)}]{newline}" + text[offset:]


def _with_codes(line: str, comment: tuple[int, str] | None, codes: list[str]) -> str:
    if comment is not None:
        column, text = comment
        for match in _BPLINT.finditer(text):
            if match.group("kind").lower() == "ignore" and match.group("codes") is not None:
                known = [c.strip() for c in re.split(r"[\s,]+", match.group("codes")) if c.strip()]
                seen = set(_codes(match.group("codes")))
                merged = known + [c for c in codes if c.upper() not in seen]
                start = column + match.start("codes")
                return line[:start] + ", ".join(merged) + line[column + match.end("codes"):]
    return f"{line.rstrip()}  # bplint: ignore[{', '.join(codes)}]"
