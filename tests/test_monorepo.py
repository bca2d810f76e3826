"""Per-directory configuration (nearest configuration file, `extend`, --config, --show-settings) and
report paths relative to the repository's top, on a two-service monorepo (fixtures/monorepo)."""

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from conftest import FIXTURES

MONOREPO = FIXTURES / "monorepo"
BILLING = "services/billing"
SEARCH = "services/search"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def findings(*args):
    result = run("check", "--no-cache", "-j", "1", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return {(f["path"], f["code"], f["severity"]) for f in json.loads(result.output)["findings"]}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The monorepo fixture, copied into a git repository of its own; the working directory is its top."""
    top = tmp_path / "repo"
    shutil.copytree(MONOREPO, top)
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    monkeypatch.chdir(top)
    return top


def test_each_service_gets_its_own_rules(repo):
    found = findings(".")
    # billing extends the shared file: its selection (BP101 included) and BP406's severity
    assert (f"{BILLING}/app.py", "BP101", "warning") in found  # billing's own severity wins
    assert (f"{BILLING}/app.py", "BP406", "error") in found  # inherited from ../../pyproject.toml
    # search has a configuration of its own: no BP101, and BP406 at its default severity
    assert not any(path.startswith(SEARCH) and code == "BP101" for path, code, _ in found)
    assert (f"{SEARCH}/app.py", "BP406", "info") in found


def test_each_service_gets_its_own_test_paths(repo):
    found = findings(".")
    # billing's test-paths make checks/ test code, where print() is fine; search's do not
    assert not any(path == f"{BILLING}/checks/check_orders.py" for path, _, _ in found)
    assert (f"{SEARCH}/checks/check_orders.py", "BP601", "warning") in found
    roles = run("check", "--show-files", ".").output.splitlines()
    assert any(line.startswith("test ") and line.endswith(f"{BILLING}/checks/check_orders.py") for line in roles)
    assert any(line.startswith("application ") and line.endswith(f"{SEARCH}/checks/check_orders.py")
               for line in roles)


def test_per_file_ignores_are_relative_to_the_file_that_sets_them(repo):
    found = findings(".")
    legacy = {(code, severity) for path, code, severity in found if path == f"{BILLING}/legacy/export.py"}
    assert legacy == {("BP601", "warning")}  # "legacy/*" of billing's file: BP406 is ignored there


def test_a_service_scanned_alone_gets_the_same_findings(repo):
    everything = findings(".")
    alone = findings(BILLING)
    assert alone == {f for f in everything if f[0].startswith(BILLING)}


def test_show_settings_says_which_file_set_each_value(repo):
    result = run("check", "--show-settings", "--project-root", ".", f"{BILLING}/app.py")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()

    def line_of(key):
        found = [line for line in lines if line.startswith(f"{key} = ")]
        assert len(found) == 1, (key, lines)
        return found[0]

    service = os.path.join(BILLING, "pyproject.toml")
    assert f"configuration: {service} extends pyproject.toml" in lines
    assert line_of("select").split("# ")[1] == "pyproject.toml"
    assert line_of("extend-select").split("# ")[1] == service
    assert line_of("test-paths").split("# ")[1] == f"{service} (patterns relative to {BILLING}/)"
    assert line_of("severity.BP101").split("# ")[1] == service
    assert line_of("severity.BP406").split("# ")[1] == "pyproject.toml"
    assert line_of("preview").split("# ")[1] == "pyproject.toml"
    assert line_of("ignore").split("# ")[1] == "default"
    assert "enabled rules (3): BP101, BP406, BP601" in lines
    assert "project root: ." in lines
    # the file alone: the service is a project of its own, and the same file set each value
    alone = run("check", "--show-settings", f"{BILLING}/app.py").output.splitlines()
    assert f"project root: {BILLING}" in alone
    assert [line.split("# ")[1] for line in alone if line.startswith(("select =", "severity."))] == \
        ["pyproject.toml", "pyproject.toml", service]

    search = run("check", "--show-settings", "--ignore", "BP601", f"{SEARCH}/checks/check_orders.py").output
    assert f"configuration: {os.path.join(SEARCH, 'pyproject.toml')}" in search.splitlines()
    assert any(line.startswith('ignore + = ["BP601"]') and line.endswith("# command line (--ignore)")
               for line in search.splitlines())
    assert "enabled rules (1): BP406" in search.splitlines()


def test_show_settings_takes_one_path(repo):
    result = run("check", "--show-settings", BILLING, SEARCH)
    assert result.exit_code == 2
    assert "one file" in result.output


def sarif_uris(*args):
    result = run("check", "--no-cache", "-j", "1", "--format", "sarif", *args)
    assert result.exit_code in (0, 1), result.output
    run_ = json.loads(result.output)["runs"][0]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"])
    prints = sorted(r["partialFingerprints"]["primaryLocationLineHash"] for r in run_["results"])
    return uris, prints, run_["originalUriBaseIds"]["%SRCROOT%"]["uri"]


def test_sarif_uris_are_the_same_from_the_top_and_from_a_subfolder(repo, monkeypatch):
    from_top = sarif_uris(".")
    assert f"{BILLING}/app.py" in from_top[0] and f"{SEARCH}/app.py" in from_top[0]
    assert from_top[2] == repo.resolve().as_uri() + "/"
    monkeypatch.chdir(repo / "services")
    assert sarif_uris("..") == from_top
    # one service, named from the top and scanned from its own folder
    monkeypatch.chdir(repo)
    service_from_top = sarif_uris(BILLING)
    monkeypatch.chdir(repo / BILLING)
    assert sarif_uris(".") == service_from_top
    assert all(uri.startswith(f"{BILLING}/") for uri in service_from_top[0])
    # the JSON report's paths stay relative to the working directory
    assert {path for path, _, _ in findings(".")} >= {"app.py", "legacy/export.py"}


def test_github_and_gitlab_paths_are_relative_to_the_repository_top(repo, monkeypatch):
    monkeypatch.chdir(repo / BILLING)
    github = run("check", "--no-cache", "-j", "1", "--format", "github", ".").output
    assert f"file={BILLING}/app.py," in github
    gitlab = json.loads(run("check", "--no-cache", "-j", "1", "--format", "gitlab", ".").output)
    assert {issue["location"]["path"] for issue in gitlab} == {f"{BILLING}/app.py", f"{BILLING}/legacy/export.py"}


def test_project_root_option_sets_what_report_paths_are_relative_to(repo, monkeypatch):
    monkeypatch.chdir(repo / "services")
    uris, _, base = sarif_uris("--project-root", ".", ".")
    assert base == (repo / "services").resolve().as_uri() + "/"
    assert "billing/app.py" in uris


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_extend_cycle_is_one_error_line(repo):
    write(repo / "pyproject.toml", '[tool.bplint]\nextend = "services/billing/pyproject.toml"\n')
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bplint: error: ") and "cycle" in lines[0], lines
    top, service = repo / "pyproject.toml", repo / BILLING / "pyproject.toml"
    assert f"({top} -> {service} -> {top})" in lines[0] or f"({service} -> {top} -> {service})" in lines[0]


def test_an_extend_of_a_missing_file_is_one_error_line(repo):
    write(repo / SEARCH / "pyproject.toml", '[tool.bplint]\nextend = "../shared.toml"\n')
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "no such configuration file" in result.output
    assert os.path.join(SEARCH, "..", "shared.toml") not in result.output  # the path is shown normalized


def test_an_unknown_key_in_a_service_file_names_that_file(repo):
    write(repo / SEARCH / "bplint.toml", 'selct = ["BP406"]\n')  # bplint.toml wins over pyproject.toml
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and "bplint.toml: unknown key 'selct'" in lines[0], lines


def test_a_bad_value_in_an_extended_file_names_the_extended_file(repo):
    write(repo / "pyproject.toml", '[tool.bplint]\nselect = ["BP9999"]\n')
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.bplint]: select: unknown rule code" in result.output
    assert "services" not in result.output


def test_config_file_with_a_tool_bplint_table_and_the_root_stays(repo):
    write(repo / "ci" / "lint.toml", '[tool.bplint]\nselect = ["BP101"]\n[tool.other]\nx = 1\n')
    found = findings("--config", "ci/lint.toml", ".")
    # every file gets the --config file's settings, the services' own files are not read
    assert {code for _, code, _ in found} == {"BP101"}
    assert {path for path, _, _ in found} == {f"{BILLING}/app.py", f"{SEARCH}/app.py"}
    settings = run("check", "--show-settings", "--config", "ci/lint.toml", ".").output.splitlines()
    assert "project root: ." in settings and "configuration: ci/lint.toml" in settings
    # a bplint.toml with top-level keys, and a pyproject.toml given as --config
    write(repo / "ci" / "bplint.toml", 'select = ["BP406"]\n')
    assert {code for _, code, _ in findings("--config", "ci/bplint.toml", ".")} == {"BP406"}
    write(repo / "ci" / "pyproject.toml", '[tool.bplint]\nselect = ["BP601"]\n')
    assert {code for _, code, _ in findings("--config", "ci/pyproject.toml", ".")} == {"BP601"}
    settings = run("check", "--show-settings", "--config", "ci/pyproject.toml", ".").output
    assert "project root: ." in settings.splitlines()


def test_a_changed_service_configuration_is_seen_by_a_cached_scan(repo, tmp_path):
    cache = str(tmp_path / "cache")

    def cached():
        result = run("check", "--cache-dir", cache, "-j", "1", "--format", "json", ".")
        return {(f["path"], f["code"]) for f in json.loads(result.output)["findings"]}

    # search extends a file outside the repository, which no scan reads as a file of the project:
    # only the configuration's part of the cache keys can tell that it changed
    shared = tmp_path / "shared" / "bplint.toml"
    write(shared, 'select = ["BP406"]\n')
    write(repo / SEARCH / "bplint.toml", 'extend = "../../../shared/bplint.toml"\n')
    assert (f"{SEARCH}/app.py", "BP601") not in cached()
    shared.write_text('select = ["BP406", "BP601"]\n')
    # nothing else changed: the last scan's result must not be served
    assert (f"{SEARCH}/app.py", "BP601") in cached()
    shared.write_text('select = ["BP406"]\n')
    write(repo / "tools" / "seed.py", "x = 1\n")
    assert (f"{SEARCH}/app.py", "BP601") not in cached()
    # another file changed too, so the scan runs: the files' cached results (BP601 not run) must not be served
    shared.write_text('select = ["BP406", "BP601"]\n')
    write(repo / "tools" / "seed.py", "x = 2\n")
    assert (f"{SEARCH}/app.py", "BP601") in cached()


def test_settings_for_a_path_is_what_the_scan_uses(repo):
    """The one function the scan and the language server ask: the settings of one file."""
    from bplint.config import settings_for
    from bplint.scan.registry import all_rules

    billing = settings_for(repo / BILLING / "checks" / "check_orders.py", root=repo)
    assert billing.folder == BILLING and billing.source == (repo / BILLING / "pyproject.toml").resolve()
    config = billing.config(all_rules())
    assert config.enabled == {"BP101", "BP406", "BP601"}
    assert config.is_test_path(f"{BILLING}/checks/check_orders.py")
    assert not config.is_test_path(f"{SEARCH}/checks/check_orders.py")  # outside billing's folder
    search = settings_for(repo / SEARCH / "app.py", root=repo).config(all_rules())
    assert search.enabled == {"BP406", "BP601"} and not search.is_test_path(f"{SEARCH}/checks/check_orders.py")
    # without a root: the project of the nearest configuration file, as a scan of the file alone
    alone = settings_for(repo / SEARCH / "app.py")
    assert alone.root == (repo / SEARCH).resolve() and alone.folder == ""
    assert alone.config(all_rules()).enabled == {"BP406", "BP601"}
    top = settings_for(repo / "tools" / "seed.py", root=repo)
    assert top.folder == "" and top.config(all_rules()).enabled == {"BP101", "BP406"}


def test_files_of_two_services_named_together_are_one_project(repo):
    """As a pre-commit hook names them: each file still gets its own service's settings."""
    named = findings(f"{BILLING}/app.py", f"{SEARCH}/app.py")
    everything = findings(".")
    assert named == {f for f in everything if f[0] in (f"{BILLING}/app.py", f"{SEARCH}/app.py")}
    assert (f"{BILLING}/app.py", "BP101", "warning") in named and (f"{SEARCH}/app.py", "BP406", "info") in named


def test_a_malformed_service_file_that_names_bplint_is_one_error_line(repo):
    write(repo / SEARCH / "pyproject.toml", '[tool.bplint\nselect = ["BP406"]\n')
    result = run("check", "--no-cache", ".")
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and "services/search/pyproject.toml: not valid TOML" in lines[0], lines


def test_a_file_outside_the_report_root_gets_an_absolute_uri(repo):
    result = run("check", "--no-cache", "-j", "1", "--format", "sarif", "--project-root", BILLING, f"{SEARCH}/app.py")
    assert result.exit_code == 1, result.output
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"]
                 for r in json.loads(result.output)["runs"][0]["results"]]
    assert locations and all(loc == {"uri": (repo / SEARCH / "app.py").resolve().as_uri()} for loc in locations)


def test_a_file_on_standard_input_gets_the_settings_of_its_folder(repo):
    # the text piped for billing's check module is test code there (billing's test-paths) and
    # application code in search, where its print() is reported
    text = (repo / f"{SEARCH}/checks/check_orders.py").read_text()

    def piped(path):
        result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", "--select", "BP601",
                                          "--project-root", str(repo),
                                          "--stdin-filename", path, "-"], input=text, catch_exceptions=False)
        assert result.exit_code in (0, 1), result.output
        return [f["code"] for f in json.loads(result.output)["findings"]]

    assert piped(f"{BILLING}/checks/check_orders.py") == []
    assert "BP601" in piped(f"{SEARCH}/checks/check_orders.py")
