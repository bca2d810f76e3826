"""Running a rule's own examples: used by bplint's test suite and by rule-pack authors."""

from __future__ import annotations

from pathlib import Path

from bplint.config import build_config
from bplint.report.findings import Finding, ScanResult
from bplint.rule import Example, Rule
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules


def write_project(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def run_example(rule: type[Rule], example: Example, root: Path) -> tuple[ScanResult, list[Finding]]:
    """Scan the example's project with only ``rule`` selected; return the result and its findings."""
    write_project(root, example.project_files())
    return _scan_example(rule, example, root)


def _scan_example(rule: type[Rule], example: Example, root: Path) -> tuple[ScanResult, list[Finding]]:
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
    fixes = [f for f in found if f.fix is not None]
    assert not fixes or rule.fix_applicability is not None, \
        f"{described}\n{rule.code} attaches fixes but does not say so (fix_applicability)"
    expected = example.fixed_text()
    if expected is not None:
        text = fix_example(rule, example, root)
        assert text == expected, f"{described}\nexpected this fixed file:\n{expected}\ngot:\n{text}"


def fix_example(rule: type[Rule], example: Example, root: Path) -> str:
    """Apply the rule's fixes, safe and unsafe, to the example's project as `check --fix
    --unsafe-fixes` does, and return the text of ``example.path`` then. Asserts the guarantees:
    the fixed file parses, nothing fixable is left, and fixing again changes nothing."""
    from bplint.report.fixes import MAX_ROUNDS, parses, plan_round, write_round

    result, found = _scan_example(rule, example, root)
    for _ in range(MAX_ROUNDS):
        outcome = plan_round(found, result.errors, root, root, unsafe=True)
        assert not outcome.errors, f"{rule.code}: {outcome.errors}"
        if not outcome.plans:
            break
        assert not write_round(outcome)
        result, found = _scan_example(rule, example, root)
    text = (root / example.path).read_text(encoding="utf-8")
    assert parses(text, example.path.endswith(".py")), f"{rule.code}: the fixed file does not parse:\n{text}"
    left = [f for f in found if f.fix is not None]
    assert not left, f"{rule.code}: fixes left after {MAX_ROUNDS} rounds: {left}"
    again = plan_round(found, result.errors, root, root, unsafe=True)
    assert not again.plans, f"{rule.code}: a second --fix would change the file again"
    return text


def with_preview(args: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Command-line arguments with the preview tier on for a scan (`check`, `baseline`): tests of
    engine features use rules of every family, preview ones included."""
    if args and args[0] in ("check", "baseline"):
        return (args[0], "--preview", *args[1:])
    return tuple(args)
