"""The rule pages in rules/ are generated from the rule classes and must be fresh."""

from pathlib import Path

from bplint.docs import expected_pages, render_rule
from bplint.scan.registry import all_rules

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def test_rule_pages_are_fresh():
    expected = expected_pages(all_rules())
    stale = [name for name, content in expected.items()
             if not (RULES_DIR / name).is_file() or (RULES_DIR / name).read_text(encoding="utf-8") != content]
    extra = sorted(p.name for p in RULES_DIR.glob("*.md") if p.name not in expected)
    assert not stale and not extra, (
        f"rules/ is stale (stale: {stale}, extra: {extra}); regenerate with `bplint rules --docs rules/`")


def test_every_page_has_the_sections_of_a_rule_page():
    for rule in all_rules():
        page = render_rule(rule)
        for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## How to fix"):
            assert section in page, (rule.code, section)


def test_index_links_every_rule():
    index = expected_pages(all_rules())["README.md"]
    for rule in all_rules():
        assert f"[{rule.code}]({rule.code}.md)" in index
