"""Every rule's own Flag and Quiet examples, run through the whole engine."""

import pytest

from bplint.registry import all_rules
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
