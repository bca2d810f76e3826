"""Snapshots of the text and JSON reports over the fixtures.

Update after an intended change with `python -m pytest tests/test_reports.py --snapshot-update`.
"""

import json

import pytest
from click.testing import CliRunner

from bplint.cli import cli

FIXTURES = ["flask-violations", "flask-clean"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_text_report(in_repo, snapshot, fixture):
    result = CliRunner().invoke(cli, ["check", "--preview", "--no-color", f"fixtures/{fixture}"])
    snapshot.snapshot_dir = in_repo / "tests" / "snapshots"
    snapshot.assert_match(result.output, f"{fixture}.txt")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_json_report(in_repo, snapshot, fixture):
    result = CliRunner().invoke(cli, ["check", "--preview", "--format", "json", f"fixtures/{fixture}"])
    data = json.loads(result.stdout)
    data["version"] = "<version>"
    snapshot.snapshot_dir = in_repo / "tests" / "snapshots"
    snapshot.assert_match(json.dumps(data, indent=2) + "\n", f"{fixture}.json")


def test_violation_fixture_fails_and_clean_fixture_passes(in_repo):
    assert CliRunner().invoke(cli, ["check", "fixtures/flask-violations"]).exit_code == 1
    clean = CliRunner().invoke(cli, ["check", "fixtures/flask-clean"])
    assert clean.exit_code == 0, clean.output


def test_no_report_shows_a_secret_in_full(in_repo):
    secrets = ["s3cr3t-k3y-for-sessions", "hunter2", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "jwt-signing-secret",
               "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", "AKIAZ7QK3XTW5DLPNY4M", "mail-pa55word"]
    for fmt in ("text", "json"):
        output = CliRunner().invoke(cli, ["check", "--preview", "--format", fmt, "fixtures/flask-violations"]).output
        for secret in secrets:
            assert secret not in output, (fmt, secret)
