"""The preview tier: rules not yet precise enough on real code are off unless asked for."""

import json

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import ConfigError, build_config
from bplint.docs import render_index, render_rule
from bplint.report.findings import Severity
from bplint.rule import Flag, ProjectRule, Quiet
from bplint.scan.registry import all_rules, tier
from bplint.testing import write_project


class _Base(ProjectRule):
    category = "structure"
    severity = Severity.INFO
    summary = "A probe"
    what = why = how_to_fix = bad = good = "x"
    examples = (Flag("x = 1\n"), Quiet("x = 1\n"))

    def check(self) -> None:
        pass


class Stable(_Base):
    code = "BP791"
    name = "stable-probe"


class Previewed(_Base):
    code = "BP792"
    name = "preview-probe"
    preview = True


class OptIn(_Base):
    code = "BP793"
    name = "opt-in-probe"
    opt_in = True


RULES = (Stable, Previewed, OptIn)


def enabled(tmp_path, **table):
    return set(build_config(table, RULES, root=tmp_path).enabled)


def test_preview_rules_are_off_by_default(tmp_path):
    assert enabled(tmp_path) == {"BP791"}


def test_preview_setting_turns_them_on(tmp_path):
    assert enabled(tmp_path, preview=True) == {"BP791", "BP792"}
    # the command line's --preview arrives as an override of the same key
    config = build_config({}, RULES, root=tmp_path, overrides={"preview": True})
    assert config.preview and "BP792" in config.enabled


def test_prefixes_and_all_take_preview_rules_only_in_preview(tmp_path):
    assert enabled(tmp_path, select=["BP7"]) == {"BP791"}
    assert enabled(tmp_path, select=["BP7"], preview=True) == {"BP791", "BP792"}
    assert enabled(tmp_path, select=["ALL"]) == {"BP791", "BP793"}
    assert enabled(tmp_path, select=["ALL"], preview=True) == {"BP791", "BP792", "BP793"}


def test_exact_code_or_name_selects_a_preview_rule(tmp_path):
    assert enabled(tmp_path, select=["BP792"]) == {"BP792"}
    assert enabled(tmp_path, **{"extend-select": ["preview-probe"]}) == {"BP791", "BP792"}


def test_ignore_reaches_preview_rules(tmp_path):
    assert enabled(tmp_path, preview=True, ignore=["BP79"]) == set()


def test_preview_must_be_a_bool(tmp_path):
    with pytest.raises(ConfigError, match="'preview' must be true or false"):
        build_config({"preview": "yes"}, RULES, root=tmp_path)


def test_tier_is_shown_in_rules_listing_and_pages():
    assert tier(Previewed) == "preview" and tier(Stable) == "stable"
    assert "**Tier:** preview" in render_rule(Previewed)
    assert "**Tier:**" not in render_rule(Stable)
    assert "(preview)" in render_index(RULES)
    result = CliRunner().invoke(cli, ["rules", "--format", "json"], catch_exceptions=False)
    rows = json.loads(result.output)["rules"]
    assert {row["tier"] for row in rows} <= {"stable", "preview"}
    assert {row["code"]: row["tier"] for row in rows} == {r.code: tier(r) for r in all_rules()}


def test_cli_preview_flag_enables_a_real_preview_rule(tmp_path, monkeypatch):
    previewed = [r for r in all_rules() if r.preview and not r.opt_in]
    if not previewed:
        pytest.skip("no rule is in the preview tier")
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"app.py": "x = 1\n"})
    code = previewed[0].code
    from bplint.cli import _run_scan

    without = _run_scan((), (), (), (), None, (), None, 1, True, None)
    with_flag = _run_scan((), (), (), (), True, (), None, 1, True, None)
    assert code not in without.enabled
    assert code in with_flag.enabled


def test_every_rule_tier_follows_its_measured_precision():
    """A rule measured below 90% on real applications is in preview; one measured at or above is not."""
    from bplint.rule import PREVIEW_BELOW

    wrong = [(r.code, r.precision.describe(), tier(r)) for r in all_rules()
             if r.precision is not None and r.preview != (r.precision.tier_value < PREVIEW_BELOW)]
    assert not wrong, wrong
    unmeasured_preview = [r.code for r in all_rules() if r.precision is None and r.preview]
    assert not unmeasured_preview, "a rule goes to preview on a measured figure"


def test_a_rule_below_90_percent_on_unseen_applications_is_in_preview():
    from bplint.rule import PREVIEW_BELOW, Precision

    kept = Precision(31, 33, "2026-12-02")
    fresh = Precision(31, 33, "2026-12-02", unseen=(16, 25))
    assert kept.tier_value >= PREVIEW_BELOW > fresh.tier_value
    assert "64% (16 of 25) on applications first reviewed then" in fresh.describe()


def test_precision_is_shown_on_the_rule_page():
    from bplint.rule import Precision

    class Measured(Stable):
        code = "BP794"
        name = "measured-probe"
        precision = Precision(9, 10, "2026-12-01")

    assert "**Precision on real code:** 90% (9 of 10 judged findings, reviewed 2026-12-01)" in render_rule(Measured)
