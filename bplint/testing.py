"""Running a rule's own examples: used by bplint's test suite and by rule-pack authors."""

from __future__ import annotations

from pathlib import Path

from bplint.config import build_config
from bplint.engine import scan
from bplint.findings import Finding, ScanResult
from bplint.registry import all_rules
from bplint.rule import Example, Rule


def write_project(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def run_example(rule: type[Rule], example: Example, root: Path) -> tuple[ScanResult, list[Finding]]:
    """Scan the example's project with only ``rule`` selected; return the result and its findings."""
    write_project(root, example.project_files())
    table = {"select": [rule.code], **example.config}
    if example.options:
        table["rules"] = {rule.code: example.options}
    config = build_config(table, all_rules(), root=root)
    result = scan([root], config, cwd=root)
    return result, [f for f in result.findings if f.code == rule.code]


def check_example(rule: type[Rule], example: Example, root: Path) -> None:
    """Assert that the example behaves as it says (raises AssertionError otherwise)."""
    result, found = run_example(rule, example, root)
    internal = [e for e in result.errors if e.internal]
    assert not internal, f"rule crashed: {internal}"
    described = f"{rule.code} {'Flag' if example.flagged else 'Quiet'} example {example.note or ''}\n{example.code}"
    if not example.flagged:
        assert not found, f"{described}\nunexpected findings: {[f'{f.path}:{f.line} {f.message}' for f in found]}"
        return
    in_path = [f for f in found if f.path == example.path]
    assert in_path, f"{described}\nexpected a finding in {example.path}, got {[(f.path, f.line) for f in found]}"
    if example.line is not None:
        assert in_path[0].line == example.line, f"{described}\nexpected line {example.line}, got {in_path[0].line}"
    if example.count is not None:
        assert len(in_path) == example.count, f"{described}\nexpected {example.count} findings, got {len(in_path)}: " \
                                              f"{[(f.line, f.message) for f in in_path]}"


def with_preview(args: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Command-line arguments with the preview tier on for a scan (`check`, `baseline`): tests of
    engine features use rules of every family, preview ones included."""
    if args and args[0] in ("check", "baseline"):
        return (args[0], "--preview", *args[1:])
    return tuple(args)
