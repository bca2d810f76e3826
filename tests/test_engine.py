"""Engine facilities: discovery, classification, import map, metadata on demand, plugins."""

import types
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import ScopeProvider

from bplint.config import ConfigError, build_config
from bplint.discover.discovery import discover
from bplint.discover.files import FileKind, classify
from bplint.report.findings import Severity, mask_span_in_line
from bplint.rule import Flag, Option, PythonRule, Quiet
from bplint.scan import registry
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


@pytest.mark.parametrize("path, kind", [
    ("app/views.py", FileKind.PYTHON),
    ("requirements.txt", FileKind.REQUIREMENTS),
    ("requirements/base.txt", FileKind.REQUIREMENTS),
    ("dev-requirements.txt", FileKind.REQUIREMENTS),
    ("requirements-dev.in", FileKind.REQUIREMENTS),
    ("pyproject.toml", FileKind.PYPROJECT),
    ("Pipfile", FileKind.PIPFILE),
    ("poetry.lock", FileKind.LOCKFILE),
    (".env", FileKind.DOTENV),
    (".env.production", FileKind.DOTENV),
    (".env.example", FileKind.DOTENV),
    ("config/settings.yaml", FileKind.CONFIG),
    ("setup.cfg", FileKind.CONFIG),
    ("docs/index.rst", FileKind.OTHER),
    ("notes.txt", FileKind.OTHER),
])
def test_classify(path, kind):
    assert classify(path) is kind


def test_discovery_skips_virtualenvs_caches_and_gitignored(tmp_path):
    write_project(tmp_path, {
        "app.py": "", "build/gen.py": "", "node_modules/x/y.py": "", "env/pyvenv.cfg": "", "env/lib/z.py": "",
        ".gitignore": "secret_stuff/\n*.generated.py\n!keep.generated.py\n", "secret_stuff/a.py": "",
        "b.generated.py": "", "keep.generated.py": "", "pkg/.gitignore": "local.py\n", "pkg/local.py": "",
        "pkg/mod.py": "", "__pycache__/c.py": "",
    })
    found = discover([tmp_path], tmp_path, build_config({}, all_rules(), root=tmp_path).exclude, cwd=tmp_path)
    assert [f.relpath for f in found.files] == ["app.py", "keep.generated.py", "pkg/mod.py"]


def test_report_paths_are_relative_to_the_working_directory(tmp_path):
    write_project(tmp_path, {"proj/app/bad.py": "def (:\n"})
    config = build_config({}, all_rules(), root=tmp_path / "proj")
    result = scan([tmp_path / "proj"], config, cwd=tmp_path)
    assert [f.path for f in result.findings] == ["proj/app/bad.py"]


class _FlaskRun(PythonRule):
    code, name, category, severity = "BP980", "test-flask-run", "test", Severity.INFO
    summary = what = why = how_to_fix = bad = good = "x"

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "run":
            if self.ctx.instance_of(func.value) == "flask.Flask":
                self.report(node, "flask run")
        if self.ctx.qualified_name(func) == "os.getenv":
            self.report(node, "getenv")


def _scan_with(rule, files, tmp_path, table=None):
    write_project(tmp_path, files)
    config = build_config(table or {"select": [rule.code]}, (*all_rules(), rule), root=tmp_path)
    return scan([tmp_path], config, cwd=tmp_path)


def test_names_resolve_through_imports_not_spelling(tmp_path):
    result = _scan_with(_FlaskRun, {
        "a.py": "from flask import Flask as F\napp = F(__name__)\napp.run()\n",
        "b.py": "def run(): pass\nclass App:\n    def run(self): pass\napp = App()\napp.run()\n",
        "c.py": "import os as o\no.getenv('X')\n",
        "d.py": "from os import getenv as ge\nge('X')\n",
        "e.py": "def getenv(x): pass\ngetenv('X')\n",
    }, tmp_path)
    assert sorted((f.path, f.message) for f in result.findings) == [
        ("a.py", "flask run"), ("c.py", "getenv"), ("d.py", "getenv")]


def test_relative_imports_resolve_against_the_package(tmp_path):
    class Rel(_FlaskRun):
        code = "BP981"

        def visit_Call(self, node):
            if self.ctx.qualified_name(node.func) == "shop.models.User":
                self.report(node, "user")

    result = _scan_with(Rel, {"shop/__init__.py": "", "shop/models.py": "class User: pass\n",
                              "shop/views.py": "from .models import User\nUser()\n",
                              "shop/api/v1.py": "from ..models import User\nUser()\n"}, tmp_path)
    assert sorted(f.path for f in result.findings) == ["shop/api/v1.py", "shop/views.py"]


def test_metadata_is_computed_on_demand(tmp_path):
    class UsesScope(_FlaskRun):
        code = "BP982"

        def visit_Name(self, node):
            scope = self.get_metadata(ScopeProvider, node)
            if node.value == "x" and scope is not None and type(scope).__name__ == "FunctionScope":
                self.report(node, "x in a function")

    result = _scan_with(UsesScope, {"m.py": "x = 1\ndef f():\n    x = 2\n"}, tmp_path)
    assert [(f.line, f.column) for f in result.findings] == [(3, 5)]


def test_applies_to_skips_the_parse_entirely(tmp_path, monkeypatch):
    parsed = []
    real_parse = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text: parsed.append(text) or real_parse(text))

    class OnlyFlask(_FlaskRun):
        code = "BP983"

        @classmethod
        def applies_to(cls, ctx):
            return ctx.imports_any("flask")

    _scan_with(OnlyFlask, {"a.py": "import flask\n", "b.py": "import os\n"}, tmp_path)
    assert parsed == ["import flask\n"]


def test_rule_options_are_validated():
    class WithOption(_FlaskRun):
        code = "BP984"
        options = {"extra-names": Option([], "more names"), "limit": Option(3, "a limit")}

    rules = (*all_rules(), WithOption)
    config = build_config({"rules": {"BP984": {"extra-names": ["dsn"]}}}, rules, root=Path("."))
    assert config.option("BP984", "extra-names") == ["dsn"]
    assert config.option("BP984", "limit") == 3
    with pytest.raises(ConfigError, match="unknown option 'nope'"):
        build_config({"rules": {"BP984": {"nope": 1}}}, rules, root=Path("."))
    with pytest.raises(ConfigError, match="a list of strings"):
        build_config({"rules": {"test-flask-run": {}, "BP984": {"extra-names": "dsn"}}}, rules, root=Path("."))
    with pytest.raises(ConfigError, match="a number"):
        build_config({"rules": {"BP984": {"limit": "x"}}}, rules, root=Path("."))


def test_opt_in_rules_need_their_exact_code():
    class OptIn(_FlaskRun):
        code, opt_in = "BP985", True

    rules = (*all_rules(), OptIn)
    assert "BP985" not in build_config({}, rules, root=Path(".")).enabled
    assert "BP985" not in build_config({"select": ["BP9"]}, rules, root=Path(".")).enabled
    assert "BP985" in build_config({"extend-select": ["BP985"]}, rules, root=Path(".")).enabled


def test_plugin_rules_load_from_entry_points(monkeypatch):
    pack = types.ModuleType("acme_rules")

    class AcmeRule(_FlaskRun):
        code, name = "BP970", "acme-rule"
        examples = (Flag("x = 1\n"), Quiet("y = 2\n"))

    pack.AcmeRule = AcmeRule

    class EntryPoint:
        name, value = "acme", "acme_rules"

        def load(self):
            return pack

    monkeypatch.setattr(registry, "entry_points", lambda group: [EntryPoint()] if group == "bplint.rules" else [])
    registry.all_rules.cache_clear()
    try:
        assert registry.find_rule("BP970") is AcmeRule
        assert registry.find_rule("acme-rule") is AcmeRule
    finally:
        registry.all_rules.cache_clear()


def test_mask_span_keeps_four_characters_and_quotes():
    line = 'KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"  # prod'
    start = line.index('"')
    masked = mask_span_in_line(line, start, line.index("  #"))
    assert masked == 'KEY = "sk_l' + "*" * 28 + '"  # prod'
    assert mask_span_in_line("TOKEN=abcdefgh", 6, None) == "TOKEN=abcd****"


def test_bindings_trace_values_through_local_names(tmp_path):
    class FromRequest(_FlaskRun):
        code, uses_bindings = "BP986", True

        def visit_Call(self, node):
            if isinstance(node.func, cst.Name) and node.func.value == "sink":
                arg = node.args[0].value

                def from_request(expr):
                    return self.ctx.qualified_name(expr) == "flask.request.json" or (
                        isinstance(expr, cst.Call) and self.ctx.qualified_name(expr.func) == "flask.request.get_json")

                if self.ctx.bindings.trace(arg, from_request):
                    self.report(node, "from request")

    code = '''
from flask import request

def direct():
    sink(request.json)

def through_names():
    data = request.get_json()
    email = data["email"]
    sink(email)

def unpacked():
    a, b = request.json, "x"
    sink(a)

def unpacked_other():
    a, b = request.json, "x"
    sink(b)

def rebound():
    data = request.get_json()
    data = {"fixed": 1}
    sink(data)

def param(data):
    sink(data)

def other_function_does_not_leak():
    sink(data)

def dict_get():
    payload = request.get_json()
    sink(payload.get("name"))

def walrus():
    if (body := request.get_json()):
        sink(body)
'''
    result = _scan_with(FromRequest, {"views.py": code}, tmp_path)
    lines = sorted(f.line for f in result.findings)
    source_lines = code.lstrip("\n").splitlines()
    functions = []
    for line in lines:
        defs = [i for i, text in enumerate(source_lines[:line], 1) if text.startswith("def ")]
        functions.append(source_lines[defs[-1] - 1].split("(")[0][4:])
    assert functions == ["direct", "through_names", "unpacked", "dict_get", "walrus"]


def test_ast_triggers_skip_files_without_candidates(tmp_path, monkeypatch):
    import ast as pyast

    parsed = []
    real_parse = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda text: parsed.append(text) or real_parse(text))

    class PrintCalls(_FlaskRun):
        code = "BP987"
        ast_trigger_types = (pyast.Call,)

        @staticmethod
        def ast_trigger(node, facts):
            return isinstance(node.func, pyast.Name) and node.func.id == "print"

        def visit_Call(self, node):
            if isinstance(node.func, cst.Name) and node.func.value == "print":
                self.report(node, "print")

    result = _scan_with(PrintCalls, {"a.py": "def f():\n    print(1)\n", "b.py": "len([])\n"}, tmp_path)
    assert [(f.path, f.line) for f in result.findings] == [("a.py", 2)]
    assert parsed == ["def f():\n    print(1)\n"]


@pytest.mark.parametrize("patterns", [
    ["build/", "*.egg-info/", "/top.py", "docs/**/conf.py", "*.log", "a/b/", "*_pb2.py"],
    ["build/", "!build/keep/", "*.py", "!main.py"],  # negations: order decides
    [],
])
def test_exclude_matching_agrees_with_gitignore_semantics(patterns):
    import pathspec

    from bplint.discover.discovery import _Excluded

    paths = ["build/", "build/x.py", "src/build/", "x.egg-info/", "top.py", "sub/top.py", "docs/a/b/conf.py",
             "docs/conf.py", "app.log", "a/b/", "a/b/c.py", "x/a/b/", "m_pb2.py", "main.py", "build/keep/",
             "keep/", "deep/er/main.py", "deep/er/other.py", "name with space.py", ""]
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    excluded = _Excluded(patterns)
    assert [excluded.match(p) for p in paths] == [spec.match_file(p) for p in paths]


def test_discovery_walks_very_deep_trees(tmp_path):
    import os

    from bplint.discover.discovery import discover

    depth = 1100  # deeper than the recursion limit
    folders = [os.path.join(str(tmp_path), *["d"] * n) for n in range(1, depth + 1)]
    for folder in folders:
        os.mkdir(folder)
    deep = os.path.join(folders[-1], "deep.py")
    with open(deep, "w") as handle:
        handle.write("x = 1\n")
    try:
        found = discover([tmp_path], tmp_path, [], tmp_path)
        assert [f.relpath.count("/") for f in found.files] == [depth]
    finally:  # removed bottom-up: recursive removal would hit the same limit
        os.unlink(deep)
        for folder in reversed(folders):
            os.rmdir(folder)


def test_engine_modules_import_no_rule_module_but_the_engine_s_own():
    """The layers: discovery, index and views, engine, reporters; rules build on them, not the reverse."""
    import ast

    import bplint

    package = Path(bplint.__file__).parent
    offenders = []
    for path in [p for p in package.rglob("*.py") if p.relative_to(package).parts[0] != "rules"]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if name.startswith("bplint.rules") and name not in ("bplint.rules.bp0_engine", "bplint.rules"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_folders_given_inside_the_project_are_taken_from_its_one_walk(tmp_path, monkeypatch):
    """What `bplint check app/` checks is what a walk of `app/` alone finds, whatever lies on the
    way (.gitignore files above and inside, an excluded folder, a virtualenv, a nested repository,
    a symbolic link); when nothing does, the project is walked once."""
    import os

    from bplint.discover import workset
    from bplint.discover.discovery import discover

    write_project(tmp_path, {
        ".gitignore": "build/\n*.gen.py\n", "app/a.py": "", "app/b.gen.py": "", "app/build/c.py": "",
        "app/sub/.gitignore": "skip.py\n", "app/sub/skip.py": "", "app/sub/keep.py": "", "lib/d.py": "",
        "env/pyvenv.cfg": "", "env/e.py": "", "vendor/repo/.git/HEAD": "", "vendor/repo/.gitignore": "",
        "vendor/repo/f.py": "", "vendor/repo/build/g.py": "", "build/h.py": "", "pyproject.toml": "",
    })
    (tmp_path / ".git").mkdir()
    exclude = build_config({}, all_rules(), root=tmp_path).exclude
    walks = []
    real = workset.discover
    monkeypatch.setattr(workset, "discover", lambda paths, *a: walks.append(list(paths)) or real(paths, *a))
    cases = [["app"], ["app/sub", "lib"], ["app", "app/sub"], ["env"], ["build"], ["vendor/repo"], ["app/a.py", "lib"]]
    for given in cases:
        walks.clear()
        found = workset.gather([tmp_path / p for p in given], tmp_path, exclude, 10**6, tmp_path, False).found
        alone = discover([tmp_path / p for p in given], tmp_path, exclude, tmp_path)
        assert [(f.relpath, f.rootpath, f.kind) for f in found.files] == \
            [(f.relpath, f.rootpath, f.kind) for f in alone.files], given
        if given in (["app"], ["app/sub", "lib"], ["app", "app/sub"]):
            assert len(walks) == 1, given
    os.symlink(tmp_path / "lib/d.py", tmp_path / "app/link.py")
    found = workset.gather([tmp_path / "app"], tmp_path, exclude, 10**6, tmp_path, False).found
    assert [f.relpath for f in found.files] == [f.relpath for f in discover([tmp_path / "app"], tmp_path, exclude,
                                                                            tmp_path).files]
