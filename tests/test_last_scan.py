"""The last scan's result: served whole on an unchanged tree, never when an input changed."""

import pytest
from click.testing import CliRunner

from bplint import cli as cli_module
from bplint.cli import cli
from bplint.testing import write_project

APP = {
    "pyproject.toml": "[project]\nname = 'shop'\ndependencies = ['flask==3.0.3']\n",
    "shop/__init__.py": "",
    "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\nSECRET_KEY = 'sk_live_" + "a" * 24 + "'\n",
    "shop/views.py": "def index():\n    print('hello')\n",
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_project(tmp_path, APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPLINT_CACHE_DIR", raising=False)
    return tmp_path


class Scans:
    """Counts the scans that loaded rules (a result served from the last scan loads none)."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = cli_module.all_rules

        def counting():
            self.count += 1
            return real()

        monkeypatch.setattr(cli_module, "all_rules", counting)

    def run(self, *args):
        before = self.count
        result = CliRunner().invoke(cli, ["check", "--preview", "--format", "json", *args])
        return result.exit_code, result.output, self.count > before


def test_an_unchanged_tree_is_answered_from_the_last_scan(project, monkeypatch):
    scans = Scans(monkeypatch)
    first = scans.run()
    assert first[0] == 1 and first[2]
    second = scans.run()
    assert second == (first[0], first[1], False)
    assert (project / ".bplint_cache/last-scan.cache").is_file()


@pytest.mark.parametrize("change", [
    "edit a file", "add a file", "remove a file", "change the configuration", "add a readme",
    "other options", "other paths",
])
def test_any_changed_input_scans_afresh(project, monkeypatch, change):
    scans = Scans(monkeypatch)
    scans.run()
    args: list[str] = []
    if change == "edit a file":
        (project / "shop/views.py").write_text("def index():\n    return 'hello'\n")
    elif change == "add a file":
        (project / "shop/more.py").write_text("print('x')\n")
    elif change == "remove a file":
        (project / "shop/views.py").unlink()
    elif change == "change the configuration":
        (project / "pyproject.toml").write_text(APP["pyproject.toml"] + "[tool.bplint]\nignore = ['BP601']\n")
    elif change == "add a readme":  # a path BP704 asks about, beyond the scanned files
        (project / "README.md").write_text("# shop\n")
    elif change == "other options":
        args = ["--ignore", "BP601"]
    elif change == "other paths":
        args = ["shop"]
    code, output, scanned = scans.run(*args)
    assert scanned
    assert (code, output) == _no_cache(args)  # and what a scan without any cache says


def _no_cache(args):
    result = CliRunner().invoke(cli, ["check", "--preview", "--format", "json", "--no-cache", *args])
    return result.exit_code, result.output


def test_findings_that_depend_on_paths_outside_the_scan_follow_them(project, monkeypatch):
    scans = Scans(monkeypatch)
    assert '"BP704"' in scans.run()[1]
    (project / "README.md").write_text("# shop\n")
    code, output, scanned = scans.run()
    assert scanned and '"BP704"' not in output
    (project / "README.md").unlink()
    assert '"BP704"' in scans.run()[1]


def test_every_report_format_is_the_same_from_the_last_scan(project, monkeypatch):
    scans = Scans(monkeypatch)
    for fmt in ("text", "json", "sarif", "github", "gitlab"):
        fresh = CliRunner().invoke(cli, ["check", "--preview", "--no-cache", "--no-color", "--format", fmt]).output
        scans.run()  # fills the last scan
        before = scans.count
        served = CliRunner().invoke(cli, ["check", "--preview", "--no-color", "--format", fmt]).output
        assert scans.count == before, fmt  # served from the last scan
        assert served == fresh, fmt
    assert "sk_l" in fresh and "a" * 24 not in fresh


def test_a_corrupt_or_foreign_last_scan_is_ignored(project, monkeypatch):
    scans = Scans(monkeypatch)
    first = scans.run()
    memo = project / ".bplint_cache/last-scan.cache"
    memo.write_bytes(b"\x80\x04garbage")
    assert scans.run() == (first[0], first[1], True)
    memo.write_bytes(b"")
    assert scans.run() == (first[0], first[1], True)
    assert scans.run() == (first[0], first[1], False)


def test_fail_on_and_exit_code_are_kept_when_served(project, monkeypatch):
    scans = Scans(monkeypatch)
    assert scans.run("--fail-on", "error")[0] == 1
    assert scans.run("--fail-on", "error")[2] is False
    (project / "shop/app.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    assert scans.run("--fail-on", "error")[0] == 0
    assert scans.run("--fail-on", "error")[0:3:2] == (0, False)


def test_paths_asked_about_while_building_a_view_are_inputs_of_the_last_scan(project, monkeypatch):
    from bplint.project.index import VIEW_BUILDERS, project_view
    from bplint.report.findings import Severity, Span
    from bplint.rule import ProjectRule

    @project_view("test:changelog")
    def changelog(index):
        return index.fs.is_file(index.root / "notes" / "changelog.txt")

    class NeedsChangelog(ProjectRule):
        code, name, category, severity = "BP993", "test-changelog", "test", Severity.INFO
        summary = what = why = how_to_fix = bad = good = "x"

        def check(self):
            if not self.project.index.view("test:changelog"):
                self.report("shop/app.py", Span(1, 1, 1, 2), "no changelog")

    monkeypatch.setitem(VIEW_BUILDERS, "test:changelog", changelog)
    real = cli_module.all_rules
    monkeypatch.setattr(cli_module, "all_rules", lambda: (*real(), NeedsChangelog))
    scans = Scans(monkeypatch)
    assert '"BP993"' in scans.run("--extend-select", "BP993")[1]
    (project / "notes").mkdir()
    (project / "notes/changelog.txt").write_text("1.0\n")
    code, output, scanned = scans.run("--extend-select", "BP993")
    assert scanned and '"BP993"' not in output
