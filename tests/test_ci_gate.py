"""CI gate: SARIF, GitHub and GitLab reports, suppressions, baselines, changed-files mode."""

import json
import subprocess
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.engine import scan
from bplint.findings import Severity
from bplint.registry import all_rules
from bplint.reporters import ReportOptions, get_reporter
from bplint.rule import PythonRule
from bplint.testing import write_project

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


class IntegerRule(PythonRule):
    code, name, category, severity = "BP995", "test-integer", "test", Severity.WARNING
    summary = what = why = how_to_fix = bad = good = "x"

    def visit_Integer(self, node):
        if node.value == "7":
            self.report(node, "seven")


def scan_with_rule(tmp_path, files, table=None):
    write_project(tmp_path, files)
    config = build_config(table or {"select": ["BP995", "BP001", "BP003"]}, (*all_rules(), IntegerRule),
                          root=tmp_path)
    return scan([tmp_path], config, cwd=tmp_path)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"app/broken.py": "def view(request:\n    pass\n", "app/ok.py": "x = 1\n"})
    return tmp_path


# --- SARIF ----------------------------------------------------------------------

def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"the SARIF schema is not at {SCHEMA}")
    return jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("fixture", ["flask-violations", "flask-clean"])
def test_sarif_of_the_fixtures_validates_against_the_schema(in_repo, fixture):
    result = run("check", "--format", "sarif", f"fixtures/{fixture}")
    sarif = json.loads(result.stdout)
    errors = sorted(_validator().iter_errors(sarif), key=str)
    assert not errors, errors[:3]
    run_ = sarif["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    for descriptor in rules:
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"].startswith(f"# {descriptor['id']}")
        assert len(descriptor["fullDescription"]["text"]) <= 1024
        if "security" in descriptor["properties"]["tags"]:
            assert 0.1 <= float(descriptor["properties"]["security-severity"]) <= 10
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        assert res["partialFingerprints"]["primaryLocationLineHash"]
        assert not res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("/")


def test_sarif_reports_internal_errors_as_notifications(tmp_path):
    class Crashes(IntegerRule):
        code = "BP996"

        def visit_Name(self, node):
            raise RuntimeError("boom")

    write_project(tmp_path, {"a.py": "x = 7\n"})
    config = build_config({"select": ["BP995", "BP996"]}, (*all_rules(), IntegerRule, Crashes), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    from io import StringIO

    out = StringIO()
    rules = tuple(r for r in config.rules if r.code in config.enabled)
    get_reporter("sarif")(result, out, ReportOptions(enabled_rules=rules))
    sarif = json.loads(out.getvalue())
    assert not list(_validator().iter_errors(sarif))
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "boom" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_fingerprints_survive_lines_inserted_above(project):
    first = json.loads(run("check", "--format", "sarif").stdout)["runs"][0]["results"]
    (project / "app/broken.py").write_text("\n" * 10 + "# moved\n" + "def view(request:\n    pass\n")
    second = json.loads(run("check", "--format", "sarif").stdout)["runs"][0]["results"]
    assert first[0]["locations"][0]["physicalLocation"]["region"]["startLine"] != \
        second[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert first[0]["partialFingerprints"] == second[0]["partialFingerprints"]


def test_several_reports_from_one_scan(project):
    result = run("check", "--no-color", "--report", "sarif:out/bplint.sarif", "--report", "json:out/bplint.json")
    assert "BP001 [error]" in result.output
    assert json.loads((project / "out/bplint.json").read_text())["findings"][0]["code"] == "BP001"
    assert json.loads((project / "out/bplint.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "BP001"
    bad = CliRunner().invoke(cli, ["check", "--report", "pdf:x.pdf"])
    assert bad.exit_code == 2 and "FORMAT:PATH" in bad.output


# --- GitHub and GitLab ------------------------------------------------------------

def test_github_annotations(project):
    (project / "app/odd, name.py").write_text("def f(:\n")
    lines = run("check", "--format", "github").stdout.splitlines()
    assert lines[0].startswith("::error file=app/broken.py,line=1,endLine=1,col=")
    assert "title=BP001 syntax-error::" in lines[0]
    assert any("file=app/odd%2C name.py" in line for line in lines)


def test_github_annotation_escaping_and_multiline_spans():
    from io import StringIO

    from bplint.findings import Finding, ScanResult

    finding = Finding("BP001", "syntax-error", Severity.INFO, "engine", "100% bad\nreally", "a.py", 3, 5, 6, 2)
    out = StringIO()
    get_reporter("github")(ScanResult(findings=[finding]), out, ReportOptions())
    assert out.getvalue() == "::notice file=a.py,line=3,endLine=6,title=BP001 syntax-error::100%25 bad%0Areally\n"


def test_gitlab_code_quality(project):
    issues = json.loads(run("check", "--format", "gitlab").stdout)
    assert issues[0]["check_name"].startswith("BP001")
    assert issues[0]["severity"] == "critical"
    assert issues[0]["location"] == {"path": "app/broken.py", "lines": {"begin": 1, "end": 1}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


# --- suppressions -------------------------------------------------------------------

def test_suppression_comments(tmp_path):
    result = scan_with_rule(tmp_path, {"m.py": (
        "a = 7  # bplint: ignore[BP995]\n"
        "b = 7  # bplint: ignore[BP101, BP995]\n"
        "c = 7  # bplint: ignore\n"
        "d = 7  # noqa: BP995\n"
        "e = 7  # noqa: E501\n"
        "f = 7  # bplint: ignore[BP001]\n"
        "g = call(\n"
        "    7,\n"
        ")  # bplint: ignore[BP995]\n"
        "h = call(  # bplint: ignore[BP995]\n"
        "    7,\n"
        ")\n"
        "i = 7  # bplint: ignore[BP99]\n"
    )})
    found = sorted((f.line, f.code) for f in result.findings)
    assert found == [(5, "BP995"), (6, "BP995"), (8, "BP995"), (13, "BP003"), (13, "BP995")]


def test_file_level_suppression(tmp_path):
    result = scan_with_rule(tmp_path, {"m.py": "# bplint: ignore-file[BP995]\na = 7\n", "n.py": "# bplint: ignore-file\nb = 7\n",
                                       "o.py": "# bplint: ignore-file[BP001]\nc = 7\n"})
    assert [(f.path, f.code) for f in result.findings] == [("o.py", "BP995")]


def test_unused_suppressions_when_selected(tmp_path):
    files = {"m.py": "a = 7  # bplint: ignore[BP995]\nb = 1  # bplint: ignore[BP995]\nc = 1  # noqa: BP995\n"}
    quiet = scan_with_rule(tmp_path, files)
    assert not quiet.findings
    loud = scan_with_rule(tmp_path, files, {"select": ["BP995", "BP002"]})
    assert sorted((f.line, f.code) for f in loud.findings) == [(2, "BP002"), (3, "BP002")]


def test_suppression_in_a_requirement_file(tmp_path):
    result = scan_with_rule(tmp_path, {"requirements.txt": "flask==3.0.3  # bplint: ignore[BP0O3]\n"})
    assert [(f.path, f.code, f.line) for f in result.findings] == [("requirements.txt", "BP003", 1)]


# --- baseline -----------------------------------------------------------------------

def test_baseline_round_trip(project):
    write_project(project, {"app/legacy.py": "print 'a'\n", "app/more.py": "exec 'x'\n"})
    made = run("baseline", "-o", "baseline.json")
    assert made.exit_code == 0, made.output
    stored = (project / "baseline.json").read_text()
    assert "print 'a'" not in stored  # hashes only
    assert run("check", "--baseline", "baseline.json").exit_code == 0
    # move old code down 10 lines, and add one new violation
    (project / "app/legacy.py").write_text("\n" * 10 + "print 'a'\n")
    write_project(project, {"app/new.py": "def (:\n"})
    result = CliRunner(mix_stderr=False).invoke(cli, ["check", "--format", "json", "--baseline", "baseline.json"]) \
        if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else \
        CliRunner().invoke(cli, ["check", "--format", "json", "--baseline", "baseline.json"])
    data = json.loads(result.stdout)
    assert [f["path"] for f in data["findings"]] == ["app/new.py"]
    assert "3 known findings not shown; 0 baseline entries are fixed" in result.stderr
    (project / "app/more.py").write_text("x = 1\n")
    fixed = CliRunner().invoke(cli, ["check", "--baseline", "baseline.json"])
    assert "1 baseline entries are fixed" in fixed.stderr


def test_bad_baseline_file_exits_2(project):
    (project / "b.json").write_text("{not json")
    assert CliRunner().invoke(cli, ["check", "--baseline", "b.json"]).exit_code == 2
    assert CliRunner().invoke(cli, ["check", "--baseline", "missing.json"]).exit_code == 2


# --- changed-files mode ----------------------------------------------------------------

def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin",
                        "HOME": str(cwd)})


def test_diff_reports_only_changed_lines(project):
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "start")
    assert run("check", "--diff", "HEAD").exit_code == 0  # the old violation is not on a changed line
    write_project(project, {"app/new.py": "def (:\n"})
    result = run("check", "--format", "json", "--diff", "HEAD")
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app/new.py"]
    (project / "app/broken.py").write_text("def view(request:\n    pass\n# touched\n")
    result = run("check", "--format", "json", "--changed-since", "HEAD")
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app/new.py"]
    (project / "app/broken.py").write_text("def view(request, x:\n    pass\n")
    result = run("check", "--format", "json", "--diff", "HEAD")
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app/broken.py", "app/new.py"]
    bad = CliRunner().invoke(cli, ["check", "--diff", "no-such-ref"])
    assert bad.exit_code == 2


def test_checking_some_files_still_reads_the_whole_project(tmp_path, monkeypatch):
    class SeesOtherModules(IntegerRule):
        code = "BP997"

        def visit_Module(self, node):
            if self.ctx.index.module_by_name("other") is not None:
                self.report(node, "sees other.py")

    write_project(tmp_path, {"pyproject.toml": "", "main.py": "x = 1\n", "other.py": "y = 2\n"})
    monkeypatch.chdir(tmp_path)
    config = build_config({"select": ["BP997"]}, (*all_rules(), SeesOtherModules), root=tmp_path)
    result = scan([Path("main.py")], config, cwd=tmp_path)
    assert [f.path for f in result.findings] == ["main.py"]
    assert result.files_scanned == 1


def test_baseline_round_trip_on_the_violation_fixture(tmp_path, monkeypatch):
    import shutil

    project = tmp_path / "shop"
    shutil.copytree(REPO / "fixtures" / "flask-violations", project)
    monkeypatch.chdir(project)
    assert run("baseline", "-o", ".bplint-baseline.json").exit_code == 0
    assert "s3cr3t" not in (project / ".bplint-baseline.json").read_text()  # no secret in clear
    config = project / "app" / "config.py"
    # old code moves down 10 lines, and one new violation arrives
    config.write_text("\n" * 10 + config.read_text() + '\n\nADMIN_PASSWORD = "n3w-Adm1n-pa55"\n')
    result = CliRunner().invoke(cli, ["check", "--format", "json", "--baseline", ".bplint-baseline.json"])
    found = [(f["path"], f["code"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [("app/config.py", "BP101")], found
    assert "0 baseline entries are fixed" in result.stderr
