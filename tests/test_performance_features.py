"""Parallel scan and cache: same findings whatever the jobs or cache state; the cache invalidates right."""

import json

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.report.findings import Severity
from bplint.rule import PythonRule
from bplint.scan import engine, workers
from bplint.scan.cache import ScanCache
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


class UsesOtherModule(PythonRule):
    """Reports `Model()` calls when the module defining Model says it is a model."""

    code, name, category, severity = "BP994", "test-cross-module", "test", Severity.INFO
    summary = what = why = how_to_fix = bad = good = "x"

    def visit_Call(self, node):
        qualified = self.ctx.qualified_name(node.func)
        found = self.ctx.index.resolve_definition(qualified) if qualified else None
        if found is not None:
            facts, name = found
            if name in facts.defined and "IS_MODEL" in facts.instances:
                self.report(node, f"model {name}")


def project_files(count=60):
    files = {f"pkg/mod{i:03}.py": f"import os\nx = os.getenv('V{i}')\ndef f():\n    print 'x'\n" if i % 7 == 0
             else f"from pkg.models import User\nx{i} = {i}\nUser()\n" for i in range(count)}
    files["pkg/__init__.py"] = ""
    files["pkg/models.py"] = "IS_MODEL = object()\nclass User: pass\n"
    files["requirements.txt"] = "flask==3.0.3\n"
    return files


def run_scan(root, jobs=1, cache_dir=None, rules=None, preview=False):
    rules = rules or (*all_rules(), UsesOtherModule)
    config = build_config({"select": ["ALL"], "preview": preview}, rules, root=root)
    cache = ScanCache(cache_dir, config) if cache_dir else None
    result = scan([root], config, cwd=root, jobs=jobs, cache=cache)
    return result, cache


def looked_at(result):
    """The files the per-file pass went through: those scanned and those it could not check."""
    unchecked = {e.path for e in result.errors if e.message.startswith("not checked")}
    return result.files_scanned + len(unchecked)


def as_json(result):
    from bplint.report.reporters.json_report import as_dict

    return json.dumps(as_dict(result), sort_keys=True)


def test_same_findings_for_one_and_two_jobs_and_with_cache(tmp_path):
    write_project(tmp_path, project_files())
    one, _ = run_scan(tmp_path, jobs=1)
    two, _ = run_scan(tmp_path, jobs=2)
    cold, _ = run_scan(tmp_path, jobs=2, cache_dir=tmp_path / ".cache")
    warm, cache = run_scan(tmp_path, jobs=2, cache_dir=tmp_path / ".cache")
    assert len(one.findings) >= 60
    assert as_json(one) == as_json(two) == as_json(cold) == as_json(warm)
    assert cache.hits == looked_at(warm) == 63


def test_parallel_pass_really_uses_workers(tmp_path, monkeypatch):
    write_project(tmp_path, project_files())
    calls = []
    real = workers._run_parallel
    monkeypatch.setattr(workers, "_run_parallel", lambda *a: calls.append(1) or real(*a))
    run_scan(tmp_path, jobs=2)
    assert calls == [1]


def test_warm_scan_does_not_parse(tmp_path, monkeypatch):
    write_project(tmp_path, project_files(10))
    run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    parsed = []
    monkeypatch.setattr(engine, "index_python", lambda file: parsed.append(file) or pytest.fail("parsed"))
    monkeypatch.setattr(engine, "check_file", lambda *a: pytest.fail("checked"))
    result, cache = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert result.findings and not parsed


def test_editing_a_model_module_rechecks_its_dependents_only(tmp_path, monkeypatch):
    write_project(tmp_path, project_files(10))
    first, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert sum(f.code == "BP994" for f in first.findings) == 8
    checked = []
    real = engine.check_file
    monkeypatch.setattr(engine, "check_file", lambda file, *a: checked.append(file.relpath) or real(file, *a))
    (tmp_path / "pkg/models.py").write_text("class User: pass\n")  # no longer a model
    second, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert sum(f.code == "BP994" for f in second.findings) == 0
    users = {f"pkg/mod{i:03}.py" for i in range(10) if i % 7}
    assert set(checked) == users | {"pkg/models.py"}


ORM_PROJECT = {
    "app/__init__.py": "",
    "app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\nclass User(db.Model):\n"
                     "    id = db.Column(db.Integer, primary_key=True)\n\n\nclass Post(db.Model):\n"
                     "    id = db.Column(db.Integer, primary_key=True)\n"
                     "    user_id = db.Column(db.Integer, db.ForeignKey('user.id'))\n"
                     "    author = db.relationship('User')\n",
    "app/views.py": "from flask import Flask\n\nfrom .models import Post\n\napp = Flask(__name__)\n\n\n"
                    "@app.route('/posts')\ndef posts():\n    return [post.author.id for post in Post.query.all()]\n",
}


def test_a_relationship_removed_from_a_model_rechecks_the_loops_over_it(tmp_path):
    # the model index is built from every module that declares classes: a cached result of a
    # view must depend on those modules' facts, or the N+1 finding outlives the relationship
    write_project(tmp_path, ORM_PROJECT)
    rules = [rule for rule in all_rules() if rule.code == "BP401"]
    n_plus_one = lambda result: [f.path for f in result.findings if f.code == "BP401"]  # noqa: E731
    first, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache", rules=rules, preview=True)
    assert n_plus_one(first) == ["app/views.py"]
    models = tmp_path / "app/models.py"
    models.write_text(models.read_text().replace("    author = db.relationship('User')\n", ""))
    second, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache", rules=rules, preview=True)
    assert n_plus_one(second) == []
    (tmp_path / "app/more.py").write_text("from .models import db\n\n\nclass Post(db.Model):\n"
                                          "    author = db.relationship('User')\n")
    third, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache", rules=rules, preview=True)
    fresh, _ = run_scan(tmp_path, rules=rules, preview=True)
    assert as_json(third) == as_json(fresh)


def test_corrupt_or_foreign_cache_is_ignored_and_rewritten(tmp_path):
    write_project(tmp_path, project_files(10))
    fresh, cache = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    cache.path.write_bytes(b"\x80\x04garbage")
    again, cache2 = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert as_json(fresh) == as_json(again) and cache2.hits == 0
    cache.store.write(cache.path.name, "scan", json.dumps({"format": 1, "key": "someone else", "entries": {"x": 1}}).encode())
    third, cache3 = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert as_json(fresh) == as_json(third) and cache3.hits == 0
    fourth, cache4 = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert cache4.hits > 0


def test_cli_cache_location_and_switches(tmp_path, monkeypatch):
    write_project(tmp_path, {"app.py": "x = 1\n", "pyproject.toml": ""})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BPLINT_CACHE_DIR", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["check", "--no-cache"]).exit_code == 0
    assert not (tmp_path / ".bplint_cache").exists()
    assert runner.invoke(cli, ["check"]).exit_code == 0
    assert (tmp_path / ".bplint_cache/CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (tmp_path / ".bplint_cache/.gitignore").read_text() == "*\n"
    assert runner.invoke(cli, ["check", "--cache-dir", "elsewhere"]).exit_code == 0
    assert list((tmp_path / "elsewhere").glob("scan-*.cache"))
    monkeypatch.setenv("BPLINT_CACHE_DIR", str(tmp_path / "from-env"))
    assert runner.invoke(cli, ["check"]).exit_code == 0
    assert list((tmp_path / "from-env").glob("scan-*.cache"))
    assert runner.invoke(cli, ["check", "--jobs", "2"]).exit_code == 0
    assert runner.invoke(cli, ["check", "--jobs", "0"]).exit_code == 2


def test_a_project_wide_view_records_its_inputs_for_every_file(tmp_path):
    from bplint.project.index import ProjectIndex

    index = ProjectIndex(root=tmp_path)
    index.modules["a.py"] = object()
    index.modules["b.py"] = object()

    def build(idx):
        return sorted(idx.modules)  # reads every module

    with index.reading() as first:
        assert index.derived("view", build) == ["a.py", "b.py"]
    with index.reading() as second:
        index.derived("view", build)  # from the memo: still recorded
    assert first == second == {("modules", "*")}


def test_an_edit_that_leaves_a_module_s_facts_equal_rechecks_only_that_module(tmp_path, monkeypatch):
    write_project(tmp_path, project_files(10))
    run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    checked = []
    real = engine.check_file
    monkeypatch.setattr(engine, "check_file", lambda file, *a: checked.append(file.relpath) or real(file, *a))
    models = tmp_path / "pkg/models.py"
    models.write_text(models.read_text() + "# a comment at the end\n")
    second, _ = run_scan(tmp_path, cache_dir=tmp_path / ".cache")
    assert checked == ["pkg/models.py"]
    assert sum(f.code == "BP994" for f in second.findings) == 8


def test_roles_are_decided_again_only_when_a_module_s_facts_or_a_project_file_change(tmp_path):
    files = project_files(10)
    files["pkg/report.py"] = "import click\n\n@click.command()\ndef main():\n    print('done')\n"
    files["pkg/seed.py"] = "def main():\n    print('seeded')\n"
    write_project(tmp_path, files)
    cache = tmp_path / ".cache"
    cold, _ = run_scan(tmp_path, cache_dir=cache, preview=True)
    assert cold.work["roles_from_cache"] == 0
    models = tmp_path / "pkg/models.py"
    models.write_text(models.read_text() + "# a comment at the end\n")
    same, _ = run_scan(tmp_path, cache_dir=cache, preview=True)
    assert same.work["roles_from_cache"] == 1 and as_json(same) == as_json(cold)
    # the command module stops being one: its print() is application output now
    (tmp_path / "pkg/report.py").write_text("def main():\n    print('done')\n")
    changed, _ = run_scan(tmp_path, cache_dir=cache, preview=True)
    fresh, _ = run_scan(tmp_path, preview=True)
    assert changed.work["roles_from_cache"] == 0 and as_json(changed) == as_json(fresh) != as_json(cold)
    # a console script named in pyproject.toml makes a module command-line code
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "pkg"\n[project.scripts]\nseed = "pkg.seed:main"\n')
    named, _ = run_scan(tmp_path, cache_dir=cache, preview=True)
    fresh, _ = run_scan(tmp_path, preview=True)
    assert named.work["roles_from_cache"] == 0 and as_json(named) == as_json(fresh) != as_json(changed)


def test_a_cached_result_is_rechecked_when_a_path_its_rules_asked_about_changes(tmp_path):
    # BP107 on a .env named on the command line reads the .gitignore files above it.
    write_project(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "deploy/.env": "SECRET_KEY=abc\n"})
    config = build_config({"extend-select": ["BP107"]}, all_rules(), root=tmp_path)

    def bp107():
        cache = ScanCache(tmp_path / ".cache", config)
        result = scan([tmp_path / "deploy/.env"], config, cwd=tmp_path, cache=cache)
        return [f.path for f in result.findings if f.code == "BP107"], cache.hits

    assert bp107() == (["deploy/.env"], 0)
    assert bp107() == (["deploy/.env"], 1)
    (tmp_path / ".gitignore").write_text(".env\n")
    assert bp107() == ([], 0)


FILE_SYSTEM_CALLS = {"is_file", "is_dir", "exists", "iterdir", "read_text", "stat", "glob", "rglob", "scandir",
                     "listdir", "isfile", "isdir"}


def test_rules_and_their_fact_modules_ask_the_file_system_only_through_the_index():
    """Every path a rule looks at beyond the scanned files must be a recorded input of its result."""
    import ast
    from pathlib import Path

    import bplint

    package = Path(bplint.__file__).parent
    modules = [*sorted((package / "rules").glob("*.py")),
               *(package / f"{name.replace('.', '/')}.py" for name in ("project.dependencies",
                                                                       "project.requirements",
                                                                       "project.routes",
                                                                       "project._route_facts",
                                                                       "project._route_resolve",
                                                                       "project.orm_models",
                                                                       "project.orm_queries",
                                                                       "project.orm_triggers",
                                                                       "project.flow", "project.bindings",
                                                                       "scan.context"))]
    offenders = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                offenders.append(f"{path.name}:{node.lineno} open()")
            elif isinstance(func, ast.Attribute) and func.attr in FILE_SYSTEM_CALLS | {"read_bytes", "walk"}:
                receiver = ast.unparse(func.value)
                through_fs = receiver == "fs" or receiver.endswith(".fs")
                scanned_file = func.attr == "read_bytes" and receiver in ("file", "self.file")
                tree_walk = func.attr == "walk" and receiver != "os"
                if not through_fs and not scanned_file and not tree_walk:
                    offenders.append(f"{path.name}:{node.lineno} {receiver}.{func.attr}()")
    assert offenders == []


ROUTED = {
    "shop/__init__.py": "",
    "shop/web.py": "from flask import Blueprint\n\nbp = Blueprint('users', __name__)\n",
    "shop/models.py": "class User:\n    pass\n",
    "shop/util.py": "def helper():\n    return 1\n",
    "shop/views.py": (
        "from shop.web import bp\nfrom shop.models import User\n\n\n"
        "@bp.get('/users/<int:user_id>')\ndef get_user(user_id):\n"
        "    user = User.query.get(user_id)\n    return {'name': user.name}\n"),
}


def test_files_depend_on_the_routes_they_read_not_on_every_module(tmp_path, monkeypatch):
    write_project(tmp_path, ROUTED)
    cache_dir = tmp_path / ".cache"
    first, _ = run_scan(tmp_path, cache_dir=cache_dir, preview=True)
    assert [f.path for f in first.findings if f.code == "BP501"] == ["shop/views.py"]
    checked = []
    real = engine.check_file
    monkeypatch.setattr(engine, "check_file", lambda file, *a: checked.append(file.relpath) or real(file, *a))

    # a new function elsewhere changes that module's facts, but no route
    (tmp_path / "shop/util.py").write_text("def helper():\n    return 1\n\n\ndef other():\n    return 2\n")
    second, _ = run_scan(tmp_path, cache_dir=cache_dir, preview=True)
    assert "shop/views.py" not in checked
    assert as_json(second) == as_json(run_scan(tmp_path, preview=True)[0])

    # `bp` stops being a blueprint: the view's handler is no longer a route
    checked.clear()
    (tmp_path / "shop/web.py").write_text("bp = object()\n")
    third, _ = run_scan(tmp_path, cache_dir=cache_dir, preview=True)
    assert "shop/views.py" in checked
    assert [f for f in third.findings if f.code == "BP501"] == []
    assert as_json(third) == as_json(run_scan(tmp_path, preview=True)[0])


def test_a_cached_result_that_found_no_project_module_is_rechecked_when_one_appears(tmp_path):
    # names of other libraries are noted by top-level package only; a new package must still count
    write_project(tmp_path, {"pkg/__init__.py": "", "pkg/use.py": "from extlib.models import User\nUser()\n"})
    cache_dir = tmp_path / ".cache"
    first, _ = run_scan(tmp_path, cache_dir=cache_dir)
    assert [f for f in first.findings if f.code == "BP994"] == []
    write_project(tmp_path, {"extlib/__init__.py": "", "extlib/models.py": "IS_MODEL = object()\nclass User: pass\n"})
    second, cache = run_scan(tmp_path, cache_dir=cache_dir)
    assert [f.path for f in second.findings if f.code == "BP994"] == ["pkg/use.py"]
    assert as_json(second) == as_json(run_scan(tmp_path)[0])


def test_a_small_change_is_written_beside_the_cache_and_folded_in_later(tmp_path):
    write_project(tmp_path, project_files(12))
    cache_dir = tmp_path / ".cache"
    _, cache = run_scan(tmp_path, cache_dir=cache_dir)
    base = cache.path.read_bytes()
    (tmp_path / "pkg/mod001.py").write_text("x1 = 2\n")
    edited, cache = run_scan(tmp_path, cache_dir=cache_dir)
    assert cache.path.read_bytes() == base and cache.changes_path.is_file()
    again, cache = run_scan(tmp_path, cache_dir=cache_dir)
    assert cache.hits == looked_at(again) and as_json(again) == as_json(edited)
    assert as_json(again) == as_json(run_scan(tmp_path)[0])
    # a changes file made for another base is not applied
    other = json.loads(cache.store.read(cache.changes_path.name, "changes"))
    other["base"] = "another"
    cache.store.write(cache.changes_path.name, "changes", json.dumps(other).encode())
    _, cache = run_scan(tmp_path, cache_dir=cache_dir)
    assert cache.hits < looked_at(again)
    # once the changes reach a quarter of the entries, the base is rewritten
    for i in range(2, 8):
        (tmp_path / f"pkg/mod{i:03}.py").write_text(f"x{i} = 2\n")
    last, cache = run_scan(tmp_path, cache_dir=cache_dir)
    assert cache.path.read_bytes() != base and not cache.changes_path.exists()
    assert as_json(run_scan(tmp_path, cache_dir=cache_dir)[0]) == as_json(last) == as_json(run_scan(tmp_path)[0])


_SLOW = {}


def _slow_for_largest(positions):
    """A chunk function that takes two seconds on the chunk holding the largest file (module-level:
    the pool pickles it by name)."""
    import time as _time

    real, marker = _SLOW["real"], _SLOW["marker"]
    files = (workers._STATE or workers._INDEX_STATE)[0]
    if any(files[i].relpath.endswith(marker) for i in positions):
        _time.sleep(2.0)
    return real(positions)


@pytest.mark.parametrize("phase, name", [("checking", "_check_chunk"), ("indexing", "_index_chunk")])
def test_progress_moves_while_the_largest_file_is_still_being_worked_on(tmp_path, monkeypatch, phase, name):
    files = project_files(80)
    files["pkg/big.py"] = "".join(f"v{i} = {i}\n" for i in range(3000))  # given out first: largest
    write_project(tmp_path, files)
    monkeypatch.setitem(_SLOW, "real", getattr(workers, name))
    monkeypatch.setitem(_SLOW, "marker", "pkg/big.py")
    monkeypatch.setattr(workers, name, _slow_for_largest)
    import time as _time

    seen = []
    run = lambda done, total, which: seen.append((which, done, total, _time.monotonic()))  # noqa: E731
    config = build_config({"select": ["ALL"]}, (*all_rules(), UsesOtherModule), root=tmp_path)
    scan([tmp_path], config, cwd=tmp_path, jobs=2, progress=run)
    calls = [(done, total, at) for which, done, total, at in seen if which == phase]
    assert calls and calls[-1][0] == calls[-1][1]
    started, finished = calls[0][2], calls[-1][2]
    assert finished - started >= 2.0
    # more than half the files were reported done while the slow chunk (given out first) still ran
    assert any(done > total // 2 and at < finished - 1.0 for done, total, at in calls)


def test_progress_bar_shows_each_phase_and_closes_after_the_checks(monkeypatch):
    from bplint.scan.progress import ProgressBar

    bar = ProgressBar()
    bar(0, 10, "indexing")
    assert bar._progress is None  # not in the first second
    monkeypatch.setattr(bar, "_started", bar._started - 2)
    bar(3, 10, "indexing")
    shown = bar._progress
    assert shown is not None and shown.tasks[0].description == "indexing"
    bar(10, 10, "indexing")
    assert bar._progress is shown  # the index is done; the checks are still to come
    bar(4, 12, "checking")
    assert shown.tasks[0].description == "checking" and shown.tasks[0].total == 12
    bar(12, 12, "checking")
    assert bar._progress is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_statistics_say_what_the_scan_did(tmp_path, jobs):
    write_project(tmp_path, project_files())
    cold, _ = run_scan(tmp_path, jobs=jobs, cache_dir=tmp_path / ".cache")
    python_files = 62
    assert cold.work["indexed"] == python_files and cold.work["facts_from_cache"] == 0
    assert 0 < cold.work["libcst_parsed"] <= python_files
    assert 0 < cold.work["positions_resolved"] <= cold.work["libcst_parsed"]
    (tmp_path / "pkg" / "mod001.py").write_text("from pkg.models import User\nx1 = 2\nUser()\n")
    warm, _ = run_scan(tmp_path, jobs=jobs, cache_dir=tmp_path / ".cache")
    assert warm.work["indexed"] == 1 and warm.work["facts_from_cache"] == python_files - 1
    assert warm.work["libcst_parsed"] == 1 and warm.work["checks_from_cache"] == 62
    runner = CliRunner()
    shown = runner.invoke(cli, ["check", str(tmp_path), "--statistics", "--format", "json", "--no-cache",
                                "--exit-zero", "--jobs", str(jobs)])
    assert json.loads(shown.stdout)["work"]["indexed"] == python_files, shown.output


def test_assertion_free_test_rule_parses_only_test_modules_that_can_have_a_finding(tmp_path):
    write_project(tmp_path, {
        "tests/__init__.py": "",
        "tests/test_checked.py": "def test_total():\n    assert 1 + 1 == 2\n\n\ndef test_more():\n    assert True\n",
        "tests/test_unchecked.py": "def test_create(client):\n    client.post('/users')\n",
    })
    config = build_config({"select": ["BP702"]}, all_rules(), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert [f.path for f in result.findings] == ["tests/test_unchecked.py"]
    assert result.work["libcst_parsed"] == 1  # the module whose tests all assert is decided from its facts
