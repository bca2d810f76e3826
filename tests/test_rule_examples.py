"""Every rule's own Flag and Quiet examples, run through the whole engine."""

import pytest

from bplint.scan.registry import all_rules
from bplint.testing import check_example

CASES = [(rule, example) for rule in all_rules() for example in rule.examples]


@pytest.mark.parametrize(
    "rule, example", CASES,
    ids=[f"{r.code}-{'flag' if e.flagged else 'quiet'}-{i}" for i, (r, e) in enumerate(CASES)],
)
def test_rule_example(rule, example, tmp_path):
    check_example(rule, example, tmp_path)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_documented_and_has_examples(rule):
    assert rule.docs_problems() == []


TRIGGERED = [(rule, example) for rule, example in CASES if getattr(rule, "ast_trigger_types", ())]


@pytest.mark.parametrize(
    "rule, example", TRIGGERED,
    ids=[f"{r.code}-{'flag' if e.flagged else 'quiet'}-{i}" for i, (r, e) in enumerate(TRIGGERED)],
)
def test_ast_trigger_loses_no_finding(rule, example, tmp_path, monkeypatch):
    """A rule's ast trigger only skips files: with or without it, the findings are the same."""
    from bplint.scan import engine
    from bplint.testing import run_example

    _, with_trigger = run_example(rule, example, tmp_path / "a")
    monkeypatch.setattr(engine, "USE_AST_TRIGGERS", False)
    _, without = run_example(rule, example, tmp_path / "b")
    assert [(f.path, f.line, f.column, f.message) for f in with_trigger] == \
        [(f.path, f.line, f.column, f.message) for f in without]


SECRET_CASES = [(rule, example) for rule, example in CASES if rule.code == "BP101"]


@pytest.mark.parametrize("rule, example", SECRET_CASES, ids=[f"BP101-{i}" for i in range(len(SECRET_CASES))])
def test_secret_candidates_lose_no_finding(rule, example, tmp_path, monkeypatch):
    """BP101 skips modules by index-phase candidates (its option widens what counts, so it has
    no ast trigger): with every module a candidate, the findings are the same."""
    from bplint.rules import bp1_secrets
    from bplint.testing import run_example

    _, normal = run_example(rule, example, tmp_path / "a")
    monkeypatch.setattr(bp1_secrets, "has_candidate", lambda facts: True)
    _, everywhere = run_example(rule, example, tmp_path / "b")
    assert [(f.path, f.line, f.column, f.message) for f in normal] == \
        [(f.path, f.line, f.column, f.message) for f in everywhere]
