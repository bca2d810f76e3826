"""BP7 project structure and tests: tests, assertions, migrations, README."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import libcst as cst

from bplint import names
from bplint.findings import Severity, Span
from bplint.index import ModuleFacts
from bplint.roles import APPLICATION_ONLY, Role
from bplint.rule import Flag, ProjectRule, PythonRule, Quiet
from bplint.routes import FAMILY, RouteFacts

# The files that describe the project (its name, its README), best first.
MANIFESTS = ("pyproject.toml", "setup.cfg", "setup.py")


FILE_START = Span(1, 1, 1, 1)  # a project-level finding points at the file it is about, not at a line


def _manifest(project) -> str | None:
    """The report path of the project's manifest at its root (pyproject.toml, setup.cfg, setup.py)."""
    index = project.index
    for name in MANIFESTS:
        if index.fs.is_file(Path(index.root) / name):
            return index.root_relpath(name)
    return None


def _rootpath(project, relpath: str) -> str:
    prefix = project.index.root_prefix
    return relpath[len(prefix):] if prefix and relpath.startswith(prefix) else relpath


# What makes a module web-application code (bplint's subject): it uses one of these.
APPLICATION_FRAMEWORKS = ("flask", "fastapi", "django", "starlette", "rest_framework", "sqlalchemy", "flask_sqlalchemy",
                          "sqlmodel", "quart", "aiohttp", "tornado", "sanic", "litestar", "falcon", "bottle",
                          "pyramid", "apiflask", "connexion")


def application_modules(project, frameworks_only: bool = True) -> list[str]:
    """The modules whose role is application code (not tests, docs, examples, scripts, migrations, setup files);
    with ``frameworks_only``, only those that use a web framework or an ORM (computed once per scan)."""
    key = f"bp7:application_modules:{frameworks_only}"
    if key not in project.shared:
        project.shared[key] = _application_modules(project, frameworks_only)
    return project.shared[key]


def _application_modules(project, frameworks_only: bool) -> list[str]:
    index = project.index
    found = []
    for relpath, facts in sorted(index.modules.items()):
        if index.role_of(relpath) is not Role.APPLICATION or facts.syntax_error is not None:
            continue
        if facts.node_count <= 2:  # an empty __init__.py
            continue
        if frameworks_only and not facts.imports_any(*APPLICATION_FRAMEWORKS):
            continue
        found.append(relpath)
    return found


# --- BP701 -------------------------------------------------------------------------------------

TEST_DIRS = ("tests", "test", "testing")


class MissingTests(ProjectRule):
    code = "BP701"
    name = "missing-tests"
    category = "structure"
    severity = Severity.WARNING
    roles = APPLICATION_ONLY
    summary = "Project has application code and no tests"
    what = ("Reports a project that has application code (modules that use a web framework or an ORM, "
            "whose role is application code, not docs, examples, scripts or migrations) but no test code: no "
            "`tests/` or `test/` folder, no `test_*.py`, `*_test.py` or `conftest.py` (the `test-paths` setting). The finding points at "
            "`pyproject.toml` (or another root file) when there is one.")
    why = ("Without tests every change is checked by hand, or in production; refactoring and "
           "dependency upgrades become risky.")
    how_to_fix = ("Add a `tests/` folder with pytest tests, starting with the app's critical paths "
                  "(`client.get(\"/health\")`, login, the main write endpoint).")
    bad = "app/\n    __init__.py\n    views.py\npyproject.toml\n"
    good = "app/\n    __init__.py\n    views.py\ntests/\n    test_views.py\npyproject.toml\n"
    docs_language = "text"
    examples = (
        Flag("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
             files={"pyproject.toml": "[project]\nname = 'shop'\n", "requirements.txt": "flask==3.0.3\n"},
             line=1, count=1, note="points at the application's code, not at pyproject.toml"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
              files={"tests/test_app.py": "def test_app():\n    assert True\n"}),
        Quiet("def test_add():\n    assert 1 + 1 == 2\n", path="calc_test.py",
              files={"calc.py": "def add(a, b):\n    return a + b\n"}),
        Quiet("", path="docs/conf.py", files={"setup.py": "from setuptools import setup\nsetup()\n"},
              note="no application code"),
    )

    def check(self) -> None:
        index = self.project.index
        modules = application_modules(self.project)
        if not modules:
            return
        if any(index.is_test_file(path) for path in index.modules):
            return
        if any(index.fs.is_dir(Path(index.root) / d) for d in TEST_DIRS):
            return
        # about the application's code: its first module
        self.report(modules[0], FILE_START, "Add tests (a `tests/` folder with pytest tests) for this "
                                            "application's critical paths.", project_level=True)


# --- BP702 -------------------------------------------------------------------------------------

TEST_FILE_PATTERNS = ("test_*.py", "*_test.py", "test*.py")
# `expect(...)` is an assertion library's entry; `test_*()` runs another (asserting) test
ASSERTING_PREFIXES = ("assert", "check", "verify", "expect", "test")
PYTEST_ASSERTING = frozenset({"pytest.raises", "pytest.warns", "pytest.deprecated_call", "pytest.fail",
                              "pytest.skip", "pytest.xfail", "pytest.approx", "pytest.importorskip"})
TESTCASE_ROOTS = ("unittest.", "django.test", "rest_framework.test", "flask_testing", "asynctest.",
                  "twisted.trial")


def _is_test_module(filename: str) -> bool:
    return any(fnmatch.fnmatch(filename, pattern) for pattern in TEST_FILE_PATTERNS)


class AssertionFreeTest(PythonRule):
    code = "BP702"
    name = "assertion-free-test"
    category = "structure"
    severity = Severity.WARNING
    roles = frozenset({Role.TEST})
    summary = "Test function that asserts nothing"
    what = ("Finds test functions, as pytest and unittest collect them (`test*` functions in "
            "`test_*.py`/`*_test.py` modules, `test*` methods of `Test*` classes and of `TestCase` "
            "subclasses), whose body checks nothing: no `assert`, no `pytest.raises`/`pytest.warns`, no "
            "`self.assert*`/`self.fail`, no mock `assert_*` call, and no call of a helper whose name "
            "starts with `assert`, `check`, `verify` or `expect`. Tests marked `skip`/`xfail` and "
            "benchmarks (a `benchmark` fixture) are left alone.")
    why = ("A test without an assertion passes whatever the code does: it gives coverage numbers "
           "and confidence without checking anything.")
    how_to_fix = ("Assert the outcome: the response status and body, the database row, the raised "
                  "exception (`with pytest.raises(...)`).")
    bad = 'def test_create_user(client):\n    client.post("/users", json={"email": "a@b.c"})\n'
    good = ('def test_create_user(client):\n    response = client.post("/users", json={"email": "a@b.c"})\n'
            '    assert response.status_code == 201\n')
    examples = (
        Flag("""
            def test_create_user(client):
                client.post("/users", json={"email": "a@b.c"})

            def test_ok(client):
                assert client.get("/").status_code == 200
            """, path="tests/test_users.py", line=1, count=1),
        Flag("""
            import unittest

            class UserTests(unittest.TestCase):
                def test_save(self):
                    save_user()

                def test_other(self):
                    self.assertEqual(1, 1)
            """, path="tests/test_models.py", line=4, count=1),
        Quiet("""
            import pytest
            from unittest import mock

            def test_raises():
                with pytest.raises(ValueError):
                    parse("x")

            def test_mock():
                sender = mock.Mock()
                notify(sender)
                sender.send.assert_called_once()

            def test_helper(client):
                check_response(client.get("/"))

            def test_verify():
                verify_schema({})

            @pytest.mark.skip(reason="later")
            def test_later():
                pass

            def helper():
                pass

            class TestThing:
                def test_it(self):
                    self.assert_valid()

            def test_speed(benchmark):
                benchmark(parse, "x")
            """, path="tests/test_misc.py"),
        Quiet("""
            def test_connection():
                connect()
            """, path="app/diagnostics.py", note="not a test module"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return _is_test_module(ctx.filename) and "test" in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._classes: list[bool] = []  # per enclosing class: is it collected?
        self._asserting: frozenset[str] = frozenset()
        self._depth = 0  # function nesting

    def visit_Module(self, node: cst.Module) -> None:
        self._asserting = _asserting_helpers(self.ctx, node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(self._collected_class(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        if self._depth != 1 or not node.name.value.startswith("test"):
            return
        if self._classes and not self._classes[-1]:
            return
        if len(self._classes) > 1:
            return
        if self._marked_or_benchmark(node) or _asserts(self.ctx, node, self._asserting):
            return
        self.report(node.name, "Assert the outcome in this test (`assert ...`, `pytest.raises`, "
                               "`self.assert...`): without an assertion it passes whatever the code does.")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def _collected_class(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            qualified = self.ctx.qualified_name(base.value) or names.dotted(base.value) or ""
            if qualified.startswith(TESTCASE_ROOTS) or qualified.endswith(("TestCase", "TestBase")):
                return True
        if node.name.value.startswith("Test"):
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
            return not any(isinstance(s, cst.FunctionDef) and s.name.value == "__init__" for s in body)
        return False

    def _marked_or_benchmark(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            spelled = names.dotted(decorator.decorator.func if isinstance(decorator.decorator, cst.Call)
                                   else decorator.decorator) or ""
            if spelled.rsplit(".", 1)[-1] in ("skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"):
                return True
        params = node.params
        return any(p.name.value == "benchmark" for p in (*params.params, *params.kwonly_params))


def _asserting_helpers(ctx, module: cst.Module) -> frozenset[str]:
    """Names of the module's own functions and methods that assert (directly or through each other):
    a test calling `self._check_facets(...)` or `run_and_compare(...)` asserts through them."""
    helpers: dict[str, list[cst.FunctionDef]] = {}
    blocks = [module.body]
    while blocks:
        for stmt in blocks.pop():
            if isinstance(stmt, cst.FunctionDef):
                helpers.setdefault(stmt.name.value, []).append(stmt)
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                blocks.append(stmt.body.body)
    asserting: set[str] = set()
    for _ in range(3):  # helpers calling helpers, a few levels deep
        grown = {name for name, defs in helpers.items() if name not in asserting and
                 any(_asserts(ctx, d, frozenset(asserting)) for d in defs)}
        if not grown:
            break
        asserting |= grown
    return frozenset(asserting)


def _asserts(ctx, function: cst.FunctionDef, helpers: frozenset[str] = frozenset()) -> bool:
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Assert, cst.Raise)):
            return True
        if isinstance(node, cst.Call):
            spelled = names.dotted(node.func) or ""
            last = spelled.rsplit(".", 1)[-1].lstrip("_").lower()
            if last.startswith(ASSERTING_PREFIXES) or last in ("fail", "failif", "failunless"):
                return True
            if spelled.rsplit(".", 1)[-1] in helpers and (spelled.count(".") == 0 or
                                                          spelled.startswith(("self.", "cls."))):
                return True
            qualified = ctx.qualified_name(node.func)
            if qualified in PYTEST_ASSERTING:
                return True
        stack.extend(node.children)
    return False


# --- BP703 -------------------------------------------------------------------------------------

SQLALCHEMY_BASES = frozenset({"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
                              "sqlmodel.SQLModel"})
DECLARATIVE_FACTORIES = frozenset({"sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
                                   "sqlalchemy.orm.decl_api.declarative_base"})
MIGRATION_MARKERS = ("migrations", "alembic", "alembic.ini", "migrate", "db_migrations")


def _model_kind(project, facts: ModuleFacts, base: str, depth: int = 0) -> str | None:
    """"django" or "sqlalchemy" when a base class (as spelled in ``facts``' module) makes a model."""
    if depth > 5:
        return None
    head, _, rest = base.partition(".")
    qualified = facts.resolve_name(head)
    if qualified is not None:
        qualified = f"{qualified}.{rest}" if rest else qualified
        if qualified in ("django.db.models.Model", "django.contrib.gis.db.models.Model"):
            return "django"
        if qualified in SQLALCHEMY_BASES:
            # `class Base(DeclarativeBase)` is the base; its subclasses are the models
            return "sqlalchemy" if depth > 0 else None
    # `db.Model` on a Flask-SQLAlchemy `db`, `Base` from declarative_base()
    built = facts.instances.get(head)
    if built == "flask_sqlalchemy.SQLAlchemy" and rest == "Model":
        return "sqlalchemy"
    if built in DECLARATIVE_FACTORIES and not rest:
        return "sqlalchemy"
    # a base class of the project (here or in another module)
    raw = facts.extra.get(FAMILY)
    if not rest and isinstance(raw, RouteFacts) and head in raw.classes:
        return _class_model_kind(project, facts, raw.classes[head].bases, depth + 1)
    if qualified is not None:
        found = project.index.resolve_definition(qualified)
        if found is not None:
            target, name = found
            if name in target.instances:
                built = target.instances[name]
                if built in DECLARATIVE_FACTORIES:
                    return "sqlalchemy"
            if name.endswith(".Model") and target.instances.get(name.split(".")[0]) == "flask_sqlalchemy.SQLAlchemy":
                return "sqlalchemy"
            target_raw = target.extra.get(FAMILY)
            if isinstance(target_raw, RouteFacts) and name in target_raw.classes:
                return _class_model_kind(project, target, target_raw.classes[name].bases, depth + 1)
    return None


def _class_model_kind(project, facts: ModuleFacts, bases: list[str], depth: int) -> str | None:
    for base in bases:
        kind = _model_kind(project, facts, base, depth)
        if kind is not None:
            return kind
    return None


class MissingMigrations(ProjectRule):
    code = "BP703"
    name = "missing-migrations"
    category = "structure"
    severity = Severity.WARNING
    roles = APPLICATION_ONLY
    summary = "Database models without migrations"
    what = ("Reports a project that defines SQLAlchemy models (`db.Model`, `declarative_base()` or "
            "`DeclarativeBase` subclasses, SQLModel) or Django models (`models.Model`) in application "
            "code but has no migrations: no `migrations/` or `alembic/` folder, no `alembic.ini`, no "
            "Django app `migrations/` package next to the models.")
    why = ("Without migrations the schema is created by `create_all()` or by hand: production and "
           "development drift apart, and changing a column means downtime or data loss.")
    how_to_fix = ("Set up migrations: Flask-Migrate (`flask db init`), Alembic (`alembic init alembic`) or "
                  "Django's `python manage.py makemigrations`, and commit them.")
    bad = "app/\n    models.py      # class User(db.Model): ...\npyproject.toml\n"
    good = "app/\n    models.py\nmigrations/\n    versions/\npyproject.toml\n"
    docs_language = "text"
    examples = (
        Flag("""
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
            """, path="app/models.py", line=1),
        Flag("from django.db import models\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
             path="shop/models.py", files={"pyproject.toml": "[project]\nname = 'shop'\n", "manage.py": "\n"},
             line=1, count=1, note="points at the models, not at pyproject.toml or manage.py"),
        Flag("""
            from app.db import Base

            class Item(Base):
                __tablename__ = "items"
            """, path="app/models.py",
            files={"app/db.py": "from sqlalchemy.orm import DeclarativeBase\n\nclass Base(DeclarativeBase):\n"
                                "    pass\n"}),
        Quiet("""
            from django.db import models

            class Order(models.Model):
                total = models.IntegerField()
            """, path="shop/models.py", files={"shop/migrations/__init__.py": "",
                                               "shop/migrations/0001_initial.py": "operations = []\n"}),
        Quiet("""
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
            """, path="app/models.py", files={"alembic.ini": "[alembic]\nscript_location = alembic\n"}),
        Quiet("""
            from pydantic import BaseModel

            class User(BaseModel):
                name: str
            """, path="app/schemas.py", note="not a database model"),
    )

    def check(self) -> None:
        index = self.project.index
        model_module = None
        for relpath in application_modules(self.project, frameworks_only=False):
            facts = index.modules[relpath]
            raw = facts.extra.get(FAMILY)
            if not isinstance(raw, RouteFacts):
                continue
            if any(_class_model_kind(self.project, facts, c.bases, 0) for c in raw.classes.values()):
                model_module = relpath
                break
        if model_module is None or self._has_migrations(model_module):
            return
        # about the models: the first module that defines some
        self.report(model_module, FILE_START, "Add database migrations (Flask-Migrate/Alembic `migrations/`, or "
                                              "Django `makemigrations`) for the models this project defines.",
                    project_level=True)

    def _has_migrations(self, model_module: str) -> bool:
        index = self.project.index
        for relpath in index.files:
            parts = _rootpath(self.project, relpath).split("/")
            if any(part in MIGRATION_MARKERS for part in parts[:-1]) or parts[-1] == "alembic.ini" \
                    or index.roles.get(relpath) is Role.MIGRATION:
                return True
        root = Path(index.root)
        if any(index.fs.exists(root / marker) for marker in MIGRATION_MARKERS):
            return True
        # a Django app's migrations package next to its models, or one level up
        folder = (root / _rootpath(self.project, model_module)).parent
        for candidate in (folder, folder.parent):
            if index.fs.is_dir(candidate / "migrations") or index.fs.is_dir(candidate / "alembic"):
                return True
        return False


# --- BP704 -------------------------------------------------------------------------------------


class MissingReadme(ProjectRule):
    code = "BP704"
    name = "missing-readme"
    category = "structure"
    severity = Severity.INFO
    summary = "No README at the project root"
    what = ("Reports a project with application code (modules that use a web framework or an ORM) and no "
            "README (`README`, `README.md`, `README.rst`, ...) at its root.")
    why = ("The README is where a new developer or deployer learns what the service does, how to run "
           "it, and which settings it needs.")
    how_to_fix = "Add a `README.md` with what the service does, how to run it locally, its configuration and tests."
    bad = "app/\n    __init__.py\npyproject.toml\n"
    good = "app/\n    __init__.py\npyproject.toml\nREADME.md\n"
    docs_language = "text"
    examples = (
        Flag("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py", line=1),
        Flag("[project]\nname = 'shop'\n", path="pyproject.toml",
             files={"app.py": "from flask import Flask\n\napp = Flask(__name__)\n", "requirements.txt": "flask\n"},
             line=1, count=1, note="points at the manifest that describes the project"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py",
              files={"README.md": "# shop\n"}),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py",
              files={"readme.rst": "shop\n====\n"}),
    )

    def check(self) -> None:
        index = self.project.index
        modules = application_modules(self.project)
        if not modules:
            return
        entries = [name.lower() for name in index.fs.file_names(index.root)]
        if any(name == "readme" or name.startswith("readme.") for name in entries):
            return
        # about the project: the manifest that describes it (and names its README), else its code
        self.report(_manifest(self.project) or modules[0], FILE_START,
                    "Add a `README.md` at the project root that says what the service does and how to run and "
                    "configure it.", project_level=True)
