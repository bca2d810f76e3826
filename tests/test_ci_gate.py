"""CI gate: SARIF, GitHub and GitLab reports, suppressions, baselines, changed-files mode."""

import hashlib
import json
import subprocess
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.report.findings import Severity
from bplint.report.reporters import ReportOptions, get_reporter
from bplint.rule import Precision, PythonRule
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import with_preview, write_project

REPO = Path(__file__).resolve().parent.parent
# shared/ lies beside the repository (in CI) or further up (a worktree of it)
SCHEMA = next((folder / "shared" / "schemas" / "sarif-schema-2.1.0.json" for folder in REPO.parents
               if (folder / "shared" / "schemas" / "sarif-schema-2.1.0.json").is_file()),
              REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json")


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
    return CliRunner().invoke(cli, list(with_preview(args)), catch_exceptions=False)


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


def _many_findings(count):
    from bplint.report.findings import Finding, ScanResult

    severities = [Severity.INFO, Severity.WARNING, Severity.ERROR]
    findings = [Finding(code="BP601", name="print-in-app", severity=severities[i % 3], category="logging",
                        message=f"finding {i} {hashlib.sha256(str(i).encode()).hexdigest()[:24]}", path=f"app/m{i // 100}.py", line=i % 100 + 1,
                        column=1, end_line=i % 100 + 1, end_column=5) for i in range(count)]
    return ScanResult(findings=findings, files_scanned=1)


def test_sarif_keeps_the_most_severe_results_within_the_limit(monkeypatch, capsys):
    from io import StringIO

    from bplint.report.reporters import sarif as sarif_module

    assert sarif_module.MAX_RESULTS == 25_000
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 10)
    result = _many_findings(30)
    out = StringIO()
    sarif_module.report(result, out, ReportOptions())
    log = json.loads(out.getvalue())
    assert not list(_validator().iter_errors(log))
    run_ = log["runs"][0]
    assert [r["level"] for r in run_["results"]] == ["error"] * 10
    assert [r["message"]["text"] for r in run_["results"]] == [f.message for f in result.findings[2:30:3]]
    assert run_["properties"] == {"resultsTruncated": True, "resultsTotal": 30, "resultsShown": 10}
    note = run_["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["level"] == "warning" and "10 of 30 results" in note["message"]["text"]
    assert "10 of 30 results" in capsys.readouterr().err
    # within the limit: nothing cut, nothing said
    out = StringIO()
    sarif_module.report(_many_findings(10), out, ReportOptions())
    assert "properties" not in json.loads(out.getvalue())["runs"][0]
    assert capsys.readouterr().err == ""


def test_sarif_stays_under_the_compressed_size_limit(monkeypatch, capsys):
    import gzip
    from io import StringIO

    from bplint.report.reporters import sarif as sarif_module

    assert sarif_module.MAX_GZIP_BYTES == 10 * 1024 * 1024
    monkeypatch.setattr(sarif_module, "MAX_GZIP_BYTES", 20_000)
    out = StringIO()
    sarif_module.report(_many_findings(2000), out, ReportOptions())
    assert len(gzip.compress(out.getvalue().encode())) <= 20_000
    log = json.loads(out.getvalue())
    assert 0 < len(log["runs"][0]["results"]) < 2000
    assert "compressed SARIF" in capsys.readouterr().err


def test_sarif_precision_and_security_severity():
    from bplint.report.reporters.sarif import SECURITY_SEVERITY, precision_level, rule_descriptor, security_severity

    assert [precision_level(p) for p in (None, 0.99, 0.95, 0.92, 0.9, 0.8, 0.7, 0.5)] == [
        "medium", "very-high", "very-high", "high", "high", "medium", "medium", "low"]
    rules = all_rules()
    for rule in rules:
        descriptor = rule_descriptor(rule)
        assert descriptor["properties"]["precision"] == precision_level(
            rule.precision.value if rule.precision else None)
        assert len(descriptor["properties"]["tags"]) <= 20
        if rule.cwe:  # every security rule has a reasoned score, not a default
            assert rule.code in SECURITY_SEVERITY, rule.code
            assert descriptor["properties"]["security-severity"] == f"{SECURITY_SEVERITY[rule.code][0]:.1f}"
            assert "security" in descriptor["properties"]["tags"]
        else:
            assert "security-severity" not in descriptor["properties"]
    assert set(SECURITY_SEVERITY) <= {r.code for r in rules if r.cwe}
    scores = {float(security_severity(r)) for r in rules if r.cwe}
    assert min(scores) < 4 and max(scores) >= 9  # low to critical, not one figure for all

    class Measured(IntegerRule):
        code, precision = "BP993", Precision(24, 25, "2026-12-01")

    assert rule_descriptor(Measured)["properties"]["precision"] == "very-high"


def test_fingerprints_survive_lines_inserted_above(project):
    first = json.loads(run("check", "--format", "sarif").stdout)["runs"][0]["results"]
    (project / "app/broken.py").write_text("\n" * 10 + "# moved\n" + "def view(request:\n    pass\n")
    second = json.loads(run("check", "--format", "sarif").stdout)["runs"][0]["results"]
    assert first[0]["locations"][0]["physicalLocation"]["region"]["startLine"] != \
        second[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert first[0]["partialFingerprints"] == second[0]["partialFingerprints"]


def _project_findings(args=()):
    sarif = json.loads(run("check", "--no-cache", "--format", "sarif", *args).stdout)
    gitlab = json.loads(run("check", "--no-cache", "--format", "gitlab", *args).stdout)
    results = sarif["runs"][0]["results"]
    places = {r["ruleId"]: (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                            r["partialFingerprints"]["primaryLocationLineHash"]) for r in results}
    return places, {issue["check_name"].split()[0]: issue["fingerprint"] for issue in gitlab}


def test_project_level_findings_point_at_their_file_and_keep_their_fingerprints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    models = "from django.db import models\n\nclass Order(models.Model):\n    total = models.IntegerField()\n"
    write_project(tmp_path, {
        "manage.py": "import os\nimport sys\n", "requirements.txt": "django>=5\n",
        "pyproject.toml": '[project]\nname = "shop"\nversion = "1"\ndependencies = ["django>=5"]\n',
        "shop/__init__.py": "", "shop/models.py": models,
        "shop/settings.py": 'import os\n\nfrom dotenv import load_dotenv\n\nload_dotenv()\nDEBUG = os.environ.get("DEBUG")\n',
        "shop/views.py": "from django.http import HttpResponse\n\ndef index(request):\n    return HttpResponse()\n",
    })
    codes = ["--select", "BP106,BP202,BP701,BP703,BP704"]
    before, gitlab_before = _project_findings(codes)
    assert {code: uri for code, (uri, _) in before.items()} == {
        "BP106": "shop/settings.py", "BP202": "pyproject.toml", "BP701": "shop/models.py", "BP703": "shop/models.py", "BP704": "pyproject.toml"}
    run("baseline", *codes, "--no-cache", "-o", "baseline.json")
    # lines move and change in every file these findings point at
    (tmp_path / "manage.py").write_text("\n\n\nimport os\nimport sys\n")
    (tmp_path / "shop/models.py").write_text('"""Models."""\n\n' + models)
    (tmp_path / "shop/settings.py").write_text('import os\n\nfrom dotenv import load_dotenv\n\n\nload_dotenv()\n'
                                              'DEBUG = os.environ.get("DEBUG", "0")\n')
    (tmp_path / "pyproject.toml").write_text('# the shop\n\n[project]\nname = "shop"\nversion = "2"\n'
                                             'dependencies = ["django>=5", "celery>=5"]\n')
    after, gitlab_after = _project_findings(codes)
    assert after == before
    assert gitlab_after == gitlab_before
    kept = run("check", *codes, "--no-cache", "--format", "json", "--baseline", "baseline.json")
    assert json.loads(kept.stdout)["findings"] == [], kept.stdout


def test_several_reports_from_one_scan(project):
    result = run("check", "--no-color", "--report", "sarif:out/bplint.sarif", "--report", "json:out/bplint.json")
    assert "BP001 [error]" in result.output
    assert json.loads((project / "out/bplint.json").read_text())["findings"][0]["code"] == "BP001"
    assert json.loads((project / "out/bplint.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "BP001"
    bad = CliRunner().invoke(cli, ["check", "--report", "pdf:x.pdf"])
    assert bad.exit_code == 2 and "FORMAT:PATH" in bad.output


# --- GitHub and GitLab ------------------------------------------------------------

def test_statistics_as_json(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"a.py": "print(1)\nprint(2)\n", "b.py": "def (:\n"})
    findings = json.loads(run("check", "--format", "json").stdout)["findings"]
    result = run("check", "--format", "json", "--statistics")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["statistics"] == [
        {"code": "BP601", "name": "print-in-app", "severity": "warning", "count": 2},
        {"code": "BP001", "name": "syntax-error", "severity": "error", "count": 1}]
    assert sum(row["count"] for row in data["statistics"]) == len(findings) == data["summary"]["findings"]
    assert "findings" not in data
    text = run("check", "--statistics", "--no-color").stdout
    assert "2  BP601" in text and "1  BP001" in text and "a.py:1" not in text


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab"])
def test_statistics_in_a_per_finding_format_is_a_usage_error(project, fmt):
    result = CliRunner().invoke(cli, ["check", "--format", fmt, "--statistics"])
    assert result.exit_code == 2
    assert "--statistics" in result.output and "text or json" in result.output


def test_github_annotations(project):
    (project / "app/odd, name.py").write_text("def f(:\n")
    lines = run("check", "--format", "github").stdout.splitlines()
    assert lines[0].startswith("::error file=app/broken.py,line=1,endLine=1,col=")
    assert "title=BP001 syntax-error::" in lines[0]
    assert any("file=app/odd%2C name.py" in line for line in lines)


def test_github_annotation_escaping_and_multiline_spans():
    from io import StringIO

    from bplint.report.findings import Finding, ScanResult

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


def _diff_findings(*args):
    result = run("check", "--no-cache", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return sorted((f["path"], f["line"], f["code"]) for f in json.loads(result.stdout)["findings"])


def _repo_on_main(root, files):
    """A git repository at ``root`` whose branch main holds ``files`` in one commit."""
    write_project(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "start")


def test_diff_compares_against_the_merge_base_not_the_tip_of_ref(tmp_path, monkeypatch):
    """A branch that never touched a file is not blamed for what main changed in it since."""
    monkeypatch.chdir(tmp_path)
    _repo_on_main(tmp_path, {"app/settings.py": 'SECRET_KEY = "k8s-s1gn1ng-v4lue-from-2019"\n',
                             "app/views.py": "x = 1\n"})
    git(tmp_path, "branch", "feature")
    # main removes the secret after the branch left it
    (tmp_path / "app/settings.py").write_text('import os\nSECRET_KEY = os.environ["SECRET_KEY"]\n')
    git(tmp_path, "commit", "-qam", "read the key from the environment")
    git(tmp_path, "checkout", "-q", "feature")
    # the branch adds a violation of its own, in another file
    (tmp_path / "app/views.py").write_text('x = 1\nAPI_TOKEN = "t0k3n-of-the-feature-branch"\n')
    git(tmp_path, "commit", "-qam", "feature work")

    assert _diff_findings("--select", "BP101") == [("app/settings.py", 1, "BP101"), ("app/views.py", 2, "BP101")]
    from_root = _diff_findings("--select", "BP101", "--diff", "main")
    assert from_root == [("app/views.py", 2, "BP101")]
    # uncommitted work counts as changed too
    (tmp_path / "app/views.py").write_text('PASSWORD = "uncommitted-pa55word-x1"\nx = 1\n'
                                           'API_TOKEN = "t0k3n-of-the-feature-branch"\n')
    assert _diff_findings("--select", "BP101", "--diff", "main") == [("app/views.py", 1, "BP101"),
                                                                   ("app/views.py", 3, "BP101")]
    git(tmp_path, "checkout", "-q", "app/views.py")
    # from a subfolder, over the whole project or the subfolder: the same findings
    monkeypatch.chdir(tmp_path / "app")
    assert _diff_findings("--select", "BP101", "--diff", "main", "..") == [("views.py", 2, "BP101")]
    assert _diff_findings("--select", "BP101", "--diff", "main") == [("views.py", 2, "BP101")]


def test_diff_reports_a_project_level_finding_when_its_file_changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo_on_main(tmp_path, {"app/__init__.py": "from flask import Flask\n\napp = Flask(__name__)\n",
                             "notes.txt": "x\n"})
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "notes.txt").write_text("y\n")
    assert _diff_findings("--select", "BP701", "--diff", "main") == []
    (tmp_path / "app/__init__.py").write_text("from flask import Flask\n\napp = Flask(__name__)\napp.debug = False\n")
    assert _diff_findings("--select", "BP701", "--diff", "main") == [("app/__init__.py", 1, "BP701")]


def test_diff_without_a_common_ancestor_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo_on_main(tmp_path, {"a.py": "x = 1\n"})
    git(tmp_path, "checkout", "-q", "--orphan", "other")
    git(tmp_path, "commit", "-qm", "unrelated")
    result = CliRunner().invoke(cli, ["check", "--diff", "main"])
    assert result.exit_code == 2
    assert "no common ancestor" in result.output


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
    result = CliRunner().invoke(cli, ["check", "--preview", "--format", "json", "--baseline",
                                      ".bplint-baseline.json"])
    found = [(f["path"], f["code"]) for f in json.loads(result.stdout)["findings"]]
    assert found == [("app/config.py", "BP101")], found
    assert "0 baseline entries are fixed" in result.stderr
