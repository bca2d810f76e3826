"""The command line: exit codes, options, configuration errors, report plumbing."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bplint import __version__
from bplint.cli import cli
from bplint.testing import write_project

BROKEN = "def handler(request:\n    return 1\n"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    write_project(tmp_path, {"app/views.py": BROKEN, "app/ok.py": "x = 1\n", "requirements.txt": "flask==3.0.3\n"})
    return tmp_path


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_findings_exit_1_and_text_report(project):
    result = run("check", "--no-color")
    assert result.exit_code == 1
    assert "app/views.py:1:" in result.output
    assert "BP001 [error]" in result.output
    assert "def handler(request:" in result.output  # the source line under the finding
    assert "\x1b[" not in result.output  # no color codes when not on a terminal


def test_clean_project_exits_0(project):
    (project / "app/views.py").write_text("def handler(request):\n    return 1\n")
    result = run("check")
    assert result.exit_code == 0
    assert "No findings" in result.output


def test_exit_zero_and_fail_on(project):
    assert run("check", "--exit-zero").exit_code == 0
    # BP001 is an error: a threshold of error still fails
    assert run("check", "--fail-on", "error").exit_code == 1
    write_project(project, {"pyproject.toml": '[tool.bplint]\nseverity = { BP001 = "warning" }\n'})
    assert run("check", "--fail-on", "error").exit_code == 0
    assert run("check", "--fail-on", "warning").exit_code == 1


def test_select_and_ignore(project):
    assert run("check", "--ignore", "BP001").exit_code == 0
    assert run("check", "--select", "BP1").exit_code == 0
    assert run("check", "--select", "BP0").exit_code == 1
    assert run("check", "--select", "syntax-error").exit_code == 1


def test_per_file_ignores(project):
    write_project(project, {"pyproject.toml": '[tool.bplint.per-file-ignores]\n"app/views.py" = ["BP001"]\n'})
    assert run("check").exit_code == 0
    write_project(project, {"pyproject.toml": '[tool.bplint.per-file-ignores]\n"other/*.py" = ["BP001"]\n'})
    assert run("check").exit_code == 1


def test_exclude(project):
    assert run("check", "--exclude", "app/views.py").exit_code == 0
    write_project(project, {"pyproject.toml": '[tool.bplint]\nextend-exclude = ["app/"]\n'})
    assert run("check").exit_code == 0


def test_gitignored_files_are_skipped(project):
    write_project(project, {".gitignore": "app/views.py\n"})
    assert run("check").exit_code == 0


def test_json_report_shape(project):
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert list(data) == ["version", "findings", "errors", "summary"]
    assert data["version"] == __version__
    finding = data["findings"][0]
    assert list(finding) == ["code", "name", "severity", "category", "message", "path", "line", "column",
                             "end_line", "end_column", "fix"]
    assert finding["path"] == "app/views.py" and finding["line"] == 1 and finding["code"] == "BP001"
    assert data["summary"] == {"files_scanned": 2, "findings": 1,
                               "by_severity": {"error": 1, "warning": 0, "info": 0}}
    assert data["errors"] == [{"path": "app/views.py", "rule": None,
                               "message": "not checked: the file cannot be parsed ('(' was never closed at line 1)"}]


def test_output_file(project):
    result = run("check", "--format", "json", "--output", "report.json")
    assert result.exit_code == 1
    assert json.loads((project / "report.json").read_text())["summary"]["findings"] == 1


def test_statistics_and_quiet(project):
    stats = run("check", "--statistics")
    assert "BP001" in stats.output and "def handler" not in stats.output
    quiet = run("check", "--quiet")
    assert "BP001" in quiet.output and "Found" not in quiet.output


@pytest.mark.parametrize("toml, expected", [
    ('[tool.bplint]\nselcet = ["BP1"]\n', "unknown key 'selcet'"),
    ('[tool.bplint]\nselect = ["BP999"]\n', "'BP999'"),
    ('[tool.bplint]\nignore = ["hardcoded-secrets"]\n', "'hardcoded-secrets'"),
    ('[tool.bplint]\nfail-on = "fatal"\n', "fail-on"),
    ('[tool.bplint]\nselect = "BP1" = 2\n', "not valid TOML"),
    ('[tool.bplint.rules.BP999]\nx = 1\n', "rules.BP999"),
    ('[tool.bplint.per-file-ignores]\n"a.py" = ["NOPE"]\n', "'NOPE'"),
    ('[tool.bplint.severity]\nBP001 = "loud"\n', "severity.BP001"),
])
def test_bad_configuration_exits_2_naming_file_and_key(project, toml, expected):
    write_project(project, {"pyproject.toml": toml})
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_config_option_file(project):
    write_project(project, {"custom.toml": 'ignore = ["BP001"]\n'})
    assert run("check", "--config", "custom.toml").exit_code == 0
    result = CliRunner().invoke(cli, ["check", "--config", "missing.toml"])
    assert result.exit_code == 2


def test_unknown_select_on_command_line(project):
    result = CliRunner().invoke(cli, ["check", "--select", "BP9"])
    assert result.exit_code == 2
    assert "command line" in result.output and "'BP9'" in result.output


def test_missing_path_is_reported(project):
    result = CliRunner().invoke(cli, ["check", "nowhere/"])
    assert result.stderr == "bplint: error: nowhere: no such file or directory\n"
    assert result.exit_code == 2


def test_rules_and_explain():
    listing = run("rules", "--format", "json")
    rows = json.loads(listing.output)["rules"]
    assert {"code", "name", "category", "severity"} <= set(rows[0])
    assert any(r["code"] == "BP001" for r in rows)
    text = run("rules").output
    assert "BP001  syntax-error" in text
    explained = run("explain", "BP001")
    assert explained.exit_code == 0 and "## Why is this bad?" in explained.output
    assert run("explain", "syntax-error").exit_code == 0
    assert CliRunner().invoke(cli, ["explain", "BP999"]).exit_code == 2


def test_python_dash_m(project):
    done = subprocess.run([sys.executable, "-m", "bplint", "check", "--format", "json"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert json.loads(done.stdout)["findings"][0]["code"] == "BP001"


def test_color_only_when_forced(project, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run("check").output
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("check").output
