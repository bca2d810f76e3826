"""The role of every file of the project: application, test, migration, script, example or dev.

A rule checks the code it is about: `print()` is the output of a command-line
program, a demo password in a test-data generator protects nothing, a loop in
a migration runs once. Each file's role is decided here, once per scan, from
facts the index walk already has (paths, imports, a look at the module's
top-level statements) and the project's own packaging and test-runner files,
and recorded in ``ProjectIndex.roles`` so that cached results depend on it.

Evidence, in this order of precedence (the first that holds decides):

1. the user's patterns: ``test-paths`` (when set), ``migration-paths``,
   ``script-paths``, ``example-paths``;
2. migration: a Django migration (``class Migration(migrations.Migration)``),
   an Alembic revision (``revision``/``down_revision`` with ``upgrade()`` /
   ``downgrade()``), a file of an Alembic tree (an ``env.py`` that uses
   Alembic beside ``versions/``), a ``migrations/`` or ``alembic/`` folder, a
   ``migrations.py`` module of numbered steps (``m001_initial(db)``...);
3. test: a test folder (``tests/``, ``testing/``, ``testutils/``...), a hosted
   CI's folder at the top (``.github/``...), ``conftest.py``, a module named
   like a test (``test_*.py``...) that defines tests;
4. example: documentation and examples (``docs/``, ``docs_src/``,
   ``examples/``, ``samples/``, ``tutorials/``, ``example_app/``..., modules named ``demo.py``,
   ``demo_*.py``) and the skeletons a
   command copies into new projects (``project_template/``, ``app_template/``,
   a cookiecutter's ``{{cookiecutter.name}}/``);
5. script: ``manage.py``, ``__main__.py``, ``setup.py`` and the like,
   ``scripts/``, ``bin/`` and ``cli/``, Django management commands, the modules of
   console scripts named in pyproject.toml / setup.cfg / setup.py, modules
   made of click/typer commands, and modules run as ``__main__`` that nothing
   imports (not those that build a web application);
6. dev: settings for development or tests (``settings/dev.py``,
   ``settings_test.py``, the settings module the test runner's configuration
   names) and development requirement and dotenv files;
7. test again, for what is left: modules only test code imports, modules that
   make fake data (faker, factory_boy...) and seeders by name, unless
   application code imports them;
8. application: everything else.

Parts of an application file can have another role (a command's helpers, a testing
configuration class): ``bplint.project.regions`` decides them after the files' roles, and the index
keeps them in ``ProjectIndex.regions``.
"""

from __future__ import annotations

import ast
import configparser
import enum
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

import pathspec

from bplint.discover.files import FileKind, SourceFile
from bplint.project.index import ModuleFacts, _LineIndex, ast_dotted, collects
from bplint.project.regions import Region, decide_regions

if TYPE_CHECKING:
    from bplint.config import Config
    from bplint.project.index import ProjectIndex


class Role(str, enum.Enum):
    APPLICATION = "application"
    TEST = "test"
    MIGRATION = "migration"
    SCRIPT = "script"
    EXAMPLE = "example"
    DEV = "dev"
    VENDORED = "vendored"

    @property
    def description(self) -> str:
        return ROLE_DESCRIPTIONS[self]


ROLE_DESCRIPTIONS = {
    Role.APPLICATION: "application code",
    Role.TEST: "test code (tests, test helpers, test-data generators)",
    Role.MIGRATION: "migrations (Django, Alembic)",
    Role.SCRIPT: "command-line programs and scripts",
    Role.EXAMPLE: "examples, documentation and project skeletons",
    Role.DEV: "settings and requirement files for development or tests",
    Role.VENDORED: "third-party code copied into the project (`vendor/`, `_vendor/`, `third_party/`, a "
                   "single-file library)",
}
ALL_ROLES = frozenset(Role)

# the `[tool.bplint]` keys whose patterns give a role, in their order of precedence
OVERRIDE_KEYS = {"migration-paths": Role.MIGRATION, "script-paths": Role.SCRIPT, "example-paths": Role.EXAMPLE}

MIGRATION_FOLDERS = frozenset({"migrations", "alembic"})
DATABASE_FOLDERS = frozenset({"db", "database"})
# The numbered steps of a module of hand-written migrations (`migrations.py` with `m001_initial(db)`,
# `m002_add_wallets(db)`...): a project whose migration runner calls the module's steps in order.
MIGRATION_STEP = re.compile(r"^[a-z]{0,2}_?\d{2,}_\w+$")
# tests/, test/, testing/, testutils/, test_helpers/, testkit/, benchmarks/, end_to_end_tests/... (not testimonials/)
TEST_FOLDER = re.compile(r"^(tests?|testing|benchmarks?)$|^tests?[_-]|[_-]tests?$|^test(kit|utils?|lib|helpers?|support|data|"
                         r"tools|fixtures|cases)$")
# a demonstration program by its name: `demo.py`, `demo_requests.py`, `api_demo.py`
EXAMPLE_MODULE = re.compile(r"^demo$|^demo_|_demo$")
EXAMPLE_FOLDER = re.compile(r"^(docs?|docs_src|documentation|examples?|samples?|tutorials?|demos?)$"
                            r"|^(examples?|samples?)[_-]"
                            r"|[_-](examples?|samples?)$"
                            # the skeleton a `start` command copies into a new project (Django's
                            # project_template/app_template, a cookiecutter's `{{cookiecutter.name}}/`),
                            # and what a `templates/` folder holds: pages and files rendered or copied
                            # for something else (`templates/requirements/site.txt`)
                            r"|^(project|app)_templates?$|^templates?$|^(skeletons?|scaffold(s|ing)?|boilerplate)$|\{\{")
# The folders of a hosted CI's configuration at the top (`.github/`): the Python code there (its jobs'
# scripts, the throwaway projects they build) is the project's tests, not its deployment. Its other
# files (workflows) keep their roles: a credential written into a workflow is committed all the same.
CI_FOLDERS = frozenset({".github", ".gitlab", ".circleci", ".buildkite"})
# A single-file library copied in (`bottle.py` beside the application's code) names its own author
# and license at the top; an application's modules do not.
LIBRARY_MARKERS = frozenset({"__author__", "__license__"})
# Another project's code kept in this tree: its maintainers are elsewhere, and only engine rules look at it.
VENDORED_FOLDER = re.compile(r"^_?vendor(ed|s)?$|^third[_-]?party$|^3rd[_-]?party$")
SCRIPT_FOLDERS = frozenset({"scripts", "script", "bin", "deploy", "cli"})
SCRIPT_ROOT_FOLDERS = frozenset({"tools", "ci", "contrib"})  # only at the top: `app/tools/` is often application code
SCRIPT_FILES = frozenset({"manage.py", "__main__.py", "noxfile.py", "fabfile.py", "cli.py", "commands.py"})
DEV_WORDS = frozenset({"dev", "devel", "develop", "development", "local", "test", "tests", "testing", "ci",
                       "build"})
# libraries whose job is to make fake data
FAKE_DATA_LIBRARIES = ("faker", "factory", "factory_boy", "mimesis", "model_bakery", "model_mommy", "mixer",
                       "polyfactory", "pytest_factoryboy")
TEST_LIBRARIES = ("pytest", "unittest", "mock", "responses", "freezegun", "hypothesis", "django.test",
                  "flask.testing", "fastapi.testclient", "starlette.testclient", "webtest", *FAKE_DATA_LIBRARIES)
# file stems of seeders and test-data generators
SEEDER_NAME = re.compile(r"^_?(seed|seeds|seeder|seeders|seeding|seed_\w+|\w+_seed|populate|populate_\w+|"
                         r"\w*test_?data\w*|\w*fake_?data\w*|\w*dummy_?data\w*|\w*mock_?data\w*|"
                         r"(create|make|generate|load)_(test|fake|dummy|demo|sample)_\w+|fixtures?|factories)$")
# file stems that mean test support when only tests import the module
TEST_SUPPORT_WORDS = frozenset({"test", "tests", "testing", "fixture", "fixtures", "factory", "factories", "fake",
                                "fakes", "mock", "mocks", "stub", "stubs", "dummy"})
WEB_FRAMEWORKS = ("flask", "fastapi", "starlette", "quart", "sanic", "aiohttp", "litestar", "falcon", "bottle",
                  "tornado", "apiflask", "connexion", "fastmcp", "mcp")
# the classes of web applications (and MCP servers), routers and blueprints
APP_CLASSES = frozenset({"Flask", "FastAPI", "APIRouter", "Blueprint", "Starlette", "Router", "Quart", "Sanic",
                         "Application", "Litestar", "Bottle", "App", "APIFlask", "FlaskApp", "AsyncApp", "FastMCP"})
# of those, the classes whose instance is a whole web application (not a router or a blueprint)
APPLICATION_CLASSES = frozenset({"Flask", "FastAPI", "Quart", "Starlette", "Sanic", "Litestar", "APIFlask",
                                 "Bottle"})
ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "websocket", "api_route"})
# the last names of decorators that make a function a click/typer command (`@cli.command()`, `@click.option`,
# Flask's `@with_appcontext`)
CLI_DECORATORS = frozenset({"command", "group", "callback", "option", "argument", "with_appcontext"})
TEST_RUNNER_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
SETTINGS_NAME = re.compile(r"""DJANGO_SETTINGS_MODULE\s*=\s*["']?([\w.]+)|--ds[= ]["']?([\w.]+)""")


# --- the facts the index walk collects ------------------------------------------

FAMILY = "roles"


@dataclass
class RoleFacts:
    """What a module's top-level statements say about its role (spellings, resolved later)."""

    main_block: bool = False
    names: set[str] = field(default_factory=set)  # module-level assignment targets
    functions: set[str] = field(default_factory=set)  # top-level def names
    cli_commands: int = 0  # top-level defs decorated as click/typer commands
    other_functions: int = 0
    routes: bool = False  # a top-level def decorated as a route
    tests: int = 0  # test functions and test classes
    asserts: int = 0  # assert statements anywhere in the module
    class_bases: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    console_scripts: list[str] = field(default_factory=list)  # setup.py entry points, "name = module:func"
    # the settings modules it makes the default: os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")
    settings_defaults: list[str] = field(default_factory=list)
    # its opening comments say it is a copy of another project's file: the upstream commit it was taken
    # at, or the other project's address with the version copied
    upstream_copy: bool = False


def _collected(facts: ModuleFacts) -> RoleFacts:
    return facts.family(FAMILY, RoleFacts)


_NONE = RoleFacts()


# In a module's opening comments: a 40-digit commit id (`# Androguard4 APK - 2024-11-24 - 04a5703b...`),
# and an address with a version (`# http://sourceforge.net/projects/exif-py/` ... `# VERSION 1.1.0`).
_COMMIT_ID = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
_ADDRESS = re.compile(r"\bhttps?://\S+")
_VERSION_LINE = re.compile(r"^#\s*version\s*:?\s*v?\d+\.\d+(?:\.\d+)?\s*$", re.IGNORECASE)
HEADER_LINES = 60


def names_upstream_copy(text: str, first_statement: int | None) -> bool:
    """Whether the comments above a module's first statement say it was copied from another project:
    they name the commit it was taken at, or an address and a version line. (A `$Id: ... $` keyword
    that version control fills in names this project's own revision.)"""
    last = min(HEADER_LINES, (first_statement or HEADER_LINES + 1) - 1)
    comments = [line.strip() for line in text.splitlines()[:last] if line.strip().startswith("#")]
    if any(_COMMIT_ID.search(c) for c in comments if "$Id" not in c):
        return True
    return any(_ADDRESS.search(c) for c in comments) and any(_VERSION_LINE.match(c) for c in comments)


def _tooling_folder(top: str) -> bool:
    """A hosted CI's folder (`.github/`) or another hidden folder at the top (`.devcontainer/`, an
    editor's or assistant's `.tool/skills/`): the Python there drives the project's tests and tools;
    nothing deploys it."""
    return top in CI_FOLDERS or (top.startswith(".") and top not in (".", ".."))


def role_facts(facts: ModuleFacts) -> RoleFacts:
    """The module's role facts, to read (a module that failed to parse has none)."""
    found = facts.extra.get(FAMILY)
    return found if isinstance(found, RoleFacts) else _NONE


def _decorator_spellings(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    spelled = []
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        spelled.append(ast_dotted(target, calls=True) or "")
    return spelled


def is_cli_command(spelled: list[str]) -> bool:
    """Whether decorators spelled so (``_decorator_spellings``) make a function a command-line command:
    `@cli.command()`, `@app.cli.command("seed")`, `@click.option(...)`, `@typer_app.callback()`."""
    return any(s.rstrip("()").rsplit(".", 1)[-1] in CLI_DECORATORS or s.startswith(("click.", "typer."))
               or ".cli." in f".{s}." for s in spelled)


def is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round): the test of a block that runs only as a program."""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


@collects(ast.Module)
def _collect_module(node: ast.Module, facts: ModuleFacts, lines: _LineIndex) -> None:
    found = _collected(facts)
    found.upstream_copy = names_upstream_copy(lines.text, node.body[0].lineno if node.body else None)
    for statement in node.body:
        if isinstance(statement, ast.If) and is_main_test(statement.test):
            found.main_block = True
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            found.names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.functions.add(statement.name)
            spelled = _decorator_spellings(statement)
            lasts = {s.rstrip("()").rsplit(".", 1)[-1] for s in spelled}
            if is_cli_command(spelled):
                found.cli_commands += 1
            else:
                found.other_functions += 1
            if lasts & ROUTE_DECORATORS and any("." in s for s in spelled):
                found.routes = True
            if statement.name.startswith("test") and not lasts & CLI_DECORATORS:
                found.tests += 1
        elif isinstance(statement, ast.ClassDef):
            bases = tuple(ast_dotted(b) or "" for b in statement.bases)
            found.class_bases.append((statement.name, bases))
            # `class TestOrders`, and `class OrderTest(BaseTest)` built on the project's own test case
            if any(b.endswith("TestCase") for b in bases) or \
                    (statement.name.startswith("Test") or statement.name.endswith(("Test", "Tests"))) and any(
                    isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name.startswith("test")
                    for s in statement.body):
                found.tests += 1


@collects(ast.Assert)
def _collect_assert(node: ast.Assert, facts: ModuleFacts, _: _LineIndex) -> None:
    _collected(facts).asserts += 1


@collects(ast.Call)
def _collect_assert_method(node: ast.Call, facts: ModuleFacts, _: _LineIndex) -> None:
    """`self.assertEqual(...)` in a test case built on the project's own base class."""
    func = node.func
    if type(func) is ast.Attribute and func.attr[:6] == "assert" and type(func.value) is ast.Name and \
            func.value.id == "self":
        _collected(facts).asserts += 1


@collects(ast.Dict)
def _collect_entry_points(node: ast.Dict, facts: ModuleFacts, _: _LineIndex) -> None:
    if not facts.relpath.endswith("setup.py"):
        return
    for key, value in zip(node.keys, node.values):
        if isinstance(key, ast.Constant) and key.value in ("console_scripts", "gui_scripts") and \
                isinstance(value, (ast.List, ast.Tuple)):
            _collected(facts).console_scripts.extend(
                e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))


@collects(ast.keyword)
def _collect_entry_points_text(node: ast.keyword, facts: ModuleFacts, _: _LineIndex) -> None:
    """setup(entry_points='''[console_scripts] name = module:func''')"""
    if node.arg == "entry_points" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
            and facts.relpath.endswith("setup.py"):
        _collected(facts).console_scripts.extend(_console_scripts_section(node.value.value))


def _console_scripts_section(text: str) -> list[str]:
    """The entries of the [console_scripts] section of an entry-points text (setup.cfg style)."""
    found, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line.strip("[] ") in ("console_scripts", "gui_scripts")
        elif inside and "=" in line:
            found.append(line)
    return found


@collects(ast.Call)
def _collect_settings_default(node: ast.Call, facts: ModuleFacts, _: _LineIndex) -> None:
    args = node.args
    if len(args) == 2 and isinstance(args[0], ast.Constant) and args[0].value == "DJANGO_SETTINGS_MODULE" and \
            isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
        _collected(facts).settings_defaults.append(args[1].value)


# --- deciding ------------------------------------------------------------------


def _folders(rootpath: str) -> list[str]:
    return rootpath.split("/")[:-1]


def _stem(rootpath: str) -> str:
    name = rootpath.rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".py") else name


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _resolve(spelled: str, facts: ModuleFacts) -> str:
    """A spelled dotted name with its first part resolved through the module's imports."""
    head, _, rest = spelled.partition(".")
    base = facts.imports.get(head, head)
    return f"{base}.{rest}" if rest else base


def is_django_migration(facts: ModuleFacts) -> bool:
    for name, bases in role_facts(facts).class_bases:
        if name == "Migration" and any(_resolve(b, facts) in ("django.db.migrations.Migration",
                                                               "migrations.Migration") for b in bases):
            return True
    return False


def is_alembic_revision(facts: ModuleFacts) -> bool:
    found = role_facts(facts)
    return {"revision", "down_revision"} <= found.names and bool({"upgrade", "downgrade"} & found.functions)


def defines_tests(facts: ModuleFacts) -> bool:
    """Test functions or classes that assert (`assert`, `self.assert*`) or use a test framework, and no
    command-line commands."""
    found = role_facts(facts)
    return found.tests > 0 and not found.cli_commands and (
        found.asserts > 0 or facts.imports_any("pytest", "unittest", "django.test"))


def builds_web_app(facts: ModuleFacts) -> bool:
    """A module that creates a web application, router or blueprint, or defines routes."""
    if role_facts(facts).routes:
        return True
    return any(framework_class(q, APP_CLASSES) for q in facts.instances.values())


def framework_class(qualified: str | None, classes: frozenset[str]) -> bool:
    """A web framework's class of one of these names (`flask.Flask`, `fastapi.applications.FastAPI`)."""
    return bool(qualified) and qualified.split(".", 1)[0] in WEB_FRAMEWORKS and \
        qualified.rsplit(".", 1)[-1] in classes


def _is_command_module(facts: ModuleFacts) -> bool:
    """Made of click/typer commands, or a Django management command."""
    found = role_facts(facts)
    if found.cli_commands and found.cli_commands >= found.other_functions and facts.imports_any("click", "typer"):
        return True
    return any(name == "Command" and any(_resolve(b, facts).startswith("django.core.management") for b in bases)
               for name, bases in found.class_bases)


class _Specs:
    """The role patterns of one configuration, each matched relative to the folder its file is in."""

    def __init__(self, config: Config) -> None:
        from bplint.config import DEFAULT_TEST_PATHS

        self.config = config
        self.user_tests = list(config.test_paths) != DEFAULT_TEST_PATHS
        paths = config.role_paths
        self.overrides = [(pathspec.GitIgnoreSpec.from_lines(paths.get(key, [])), role, key)
                          for key, role in OVERRIDE_KEYS.items() if paths.get(key)]

    def is_test(self, rootpath: str) -> bool:
        return self.config.is_test_path(rootpath)

    def override(self, rootpath: str) -> Role | None:
        if self.user_tests and self.is_test(rootpath):
            return Role.TEST
        for spec, role, key in self.overrides:
            path = self.config.relative(key, rootpath)
            if path is not None and spec.match_file(path):
                return role
        return None


class RoleAssigner:
    """Decides every file's role from the index's facts (see the module docstring for the order)."""

    def __init__(self, files: Iterable[SourceFile], modules: dict[str, ModuleFacts | None], config: Config) -> None:
        self.files = [f for f in files]
        self.modules = modules
        self.config = config
        self._specs: dict[int, _Specs] = {}
        self.rootpaths = {f.relpath: f.rootpath or f.relpath for f in self.files}
        self.by_name = {facts.module: rel for rel, facts in modules.items() if facts is not None and facts.module}
        self.packages = {name.split(".", 1)[0] for name in self.by_name}
        self.suffixes = self._suffix_names()
        self.importers = self._importers()
        self.alembic_trees = self._alembic_trees()
        self.entry_modules = self._entry_modules()
        self.test_settings = self._test_runner_settings()

    def specs(self, rootpath: str) -> _Specs:
        """The role patterns of the configuration of the file at ``rootpath``."""
        config = self.config.for_path(rootpath)
        found = self._specs.get(id(config))
        if found is None:
            found = self._specs[id(config)] = _Specs(config)
        return found

    def assign(self) -> dict[str, Role]:
        roles = {f.relpath: self._first_pass(f) for f in self.files}
        self._second_pass(roles)
        return roles

    def regions(self, roles: dict[str, Role]) -> dict[str, tuple[Region, ...]]:
        """The functions and classes of application files whose role is not the file's (bplint.project.regions)."""
        return decide_regions(self.modules, roles, self._definition_of)

    # --- facts across files -----------------------------------------------------
    def _suffix_names(self) -> dict[str, str | None]:
        """The dotted names of modules without their leading folders (`shop.views` for
        `backend.shop.views`), for imports of a package that lives below the root; None when ambiguous."""
        names: dict[str, str | None] = {}
        for name, relpath in self.by_name.items():
            parts = name.split(".")
            for cut in range(1, len(parts) - 1):
                suffix = ".".join(parts[cut:])
                names[suffix] = relpath if names.get(suffix, relpath) == relpath else None
        return names

    def _importers(self) -> dict[str, set[str]]:
        """relpath -> the project modules that import it."""
        importers: dict[str, set[str]] = defaultdict(set)
        targets: dict[str, str | None] = {}  # qualified name -> the project module it names
        for relpath, facts in self.modules.items():
            if facts is None:
                continue
            for qualified in facts.imports.values():
                if qualified not in targets:
                    targets[qualified] = self._module_of(qualified)
                target = targets[qualified]
                if target is not None and target != relpath:
                    importers[target].add(relpath)
        return importers

    def _module_of(self, qualified: str) -> str | None:
        place = self._definition_of(qualified)
        return place[0] if place is not None else None

    def _definition_of(self, qualified: str) -> tuple[str, str] | None:
        """The project module a dotted name is in, and the rest of the name (`app.cli.seed` -> the
        relpath of app/cli.py and `seed`; "" for the module itself)."""
        names = self.by_name if qualified.split(".", 1)[0] in self.packages else self.suffixes
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            target = names.get(".".join(parts[:cut]))
            if target is not None:
                return target, ".".join(parts[cut:])
        return None

    def _alembic_trees(self) -> list[str]:
        """The folders (root paths ending in '/') of Alembic trees: an env.py that uses Alembic beside versions/."""
        folders = set()
        for relpath, facts in self.modules.items():
            rootpath = self.rootpaths.get(relpath, relpath)
            if facts is not None and rootpath.rsplit("/", 1)[-1] == "env.py" and facts.imports_any("alembic"):
                folders.add(rootpath[: -len("env.py")])
        versions = {p for p in self.rootpaths.values() for folder in folders if p.startswith(f"{folder}versions/")}
        return sorted(f for f in folders if any(v.startswith(f"{f}versions/") for v in versions))

    def _entry_modules(self) -> set[str]:
        """The relpaths of the modules console scripts run (pyproject.toml, setup.cfg, setup.py)."""
        targets: list[str] = []
        for file in self.files:
            name = self.rootpaths[file.relpath].rsplit("/", 1)[-1]
            if name == "pyproject.toml":
                targets += _pyproject_scripts(_text(file))
            elif name == "setup.cfg":
                targets += _setup_cfg_scripts(_text(file))
            elif name == "setup.py":
                facts = self.modules.get(file.relpath)
                if facts is not None:
                    targets += [t.partition("=")[2] for t in role_facts(facts).console_scripts]
        found = set()
        for target in targets:
            module = target.strip().split(":", 1)[0].split("[", 1)[0].strip()
            relpath = self.by_name.get(module)
            if relpath is not None:
                found.add(relpath)
        return found

    def _test_runner_settings(self) -> set[str]:
        """The settings modules the test runner's configuration names (DJANGO_SETTINGS_MODULE, --ds)."""
        found = set()
        # a module that manage.py, wsgi.py or asgi.py runs with is not only the tests' settings
        defaults = {self.by_name.get(name) for facts in self.modules.values() if facts is not None
                    for name in role_facts(facts).settings_defaults}
        for file in self.files:
            if self.rootpaths[file.relpath].rsplit("/", 1)[-1] not in TEST_RUNNER_FILES:
                continue
            text = _text(file)
            if "DJANGO_SETTINGS_MODULE" not in text and "--ds" not in text:
                continue
            for match in SETTINGS_NAME.finditer(text):
                relpath = self.by_name.get(match.group(1) or match.group(2))
                if relpath is not None and relpath not in defaults:
                    found.add(relpath)
        return found

    # --- one file ---------------------------------------------------------------
    def _first_pass(self, file: SourceFile) -> Role:
        rootpath = self.rootpaths[file.relpath]
        role = self.specs(rootpath).override(rootpath)
        if role is not None:
            return role
        facts = self.modules.get(file.relpath) if file.kind is FileKind.PYTHON else None
        folders = [f.lower() for f in _folders(rootpath)]
        name = rootpath.rsplit("/", 1)[-1]
        if any(VENDORED_FOLDER.search(f) for f in folders) or self._copied_library(name, facts):
            return Role.VENDORED
        if self._is_migration(rootpath, folders, facts):
            return Role.MIGRATION
        if self._is_test(rootpath, folders, name, facts):
            return Role.TEST
        if any(EXAMPLE_FOLDER.search(f) for f in folders) or \
                (name.endswith(".py") and EXAMPLE_MODULE.search(_stem(rootpath)) is not None
                 and not (facts is not None and facts.imports_any(*FAKE_DATA_LIBRARIES))):  # demo data: test
            return Role.EXAMPLE
        if self._is_script(file.relpath, folders, name, facts):
            return Role.SCRIPT
        if self._is_dev(file, rootpath, folders, facts):
            return Role.DEV
        return Role.APPLICATION

    @staticmethod
    def _copied_library(name: str, facts: ModuleFacts | None) -> bool:
        """A module that names its author and license, or whose opening comments name the upstream
        commit or the address and version it was copied at, and defines code: a library copied in whole
        (a package's `__init__.py` and version modules name them for the project itself)."""
        if facts is None or name == "__init__.py" or "version" in name or "about" in name:
            return False
        found = role_facts(facts)
        return (LIBRARY_MARKERS <= found.names or found.upstream_copy) and bool(found.functions or found.class_bases)

    def _is_migration(self, rootpath: str, folders: list[str], facts: ModuleFacts | None) -> bool:
        if facts is not None and (is_django_migration(facts) or is_alembic_revision(facts)):
            return True
        if any(rootpath.startswith(tree) for tree in self.alembic_trees):
            return True
        if (facts is not None and rootpath.rsplit("/", 1)[-1] == "migrations.py"
                and sum(1 for name in facts.defined if MIGRATION_STEP.match(name)) >= 2):
            return True
        # a `migrations/` folder inside a test folder holds the tests of the migrations and their data
        # (`tests/db/migrations/test_walk.py`): test code, unless its content is a migration
        for folder in folders:
            if TEST_FOLDER.search(folder):
                return False
            if folder in MIGRATION_FOLDERS:
                return True
        # `db/migration/`: the package of a database's migrations, its helpers beside the revisions
        if any(a in DATABASE_FOLDERS and b == "migration" for a, b in zip(folders, folders[1:])):
            return True
        return False

    def _is_test(self, rootpath: str, folders: list[str], name: str, facts: ModuleFacts | None) -> bool:
        if name == "conftest.py" or any(TEST_FOLDER.search(f) for f in folders) or \
                (folders and _tooling_folder(folders[0]) and name.endswith(".py")):
            return True
        if not self.specs(rootpath).is_test(rootpath):
            return False
        # A module named like a test (`test_db.py`) outside a test folder is a test only when it defines tests:
        # `cli/test_db.py` may be the command that tests the database connection.
        return facts is None or defines_tests(facts)

    def _is_script(self, relpath: str, folders: list[str], name: str, facts: ModuleFacts | None) -> bool:
        if name in SCRIPT_FILES or any(f in SCRIPT_FOLDERS for f in folders):
            return True
        if folders and folders[0] in SCRIPT_ROOT_FOLDERS:
            return True
        if folders[-2:] == ["management", "commands"]:
            return True
        if facts is None:
            return False
        if name == "tasks.py" and (not folders or facts.imports_any("invoke")):
            return True
        if name == "setup.py" and (not folders or facts.imports_any("setuptools", "distutils")):
            return True
        if builds_web_app(facts):
            return False
        if relpath in self.entry_modules or _is_command_module(facts):
            return True
        # run as `python module.py`, never imported
        return role_facts(facts).main_block and not self.importers.get(relpath)

    def _is_dev(self, file: SourceFile, rootpath: str, folders: list[str], facts: ModuleFacts | None) -> bool:
        stem_words = _words(_stem(rootpath))
        if file.kind is FileKind.PYTHON:
            if file.relpath in self.test_settings:
                return True
            in_settings = (folders and folders[-1] == "settings") or "settings" in stem_words
            return bool(in_settings and DEV_WORDS & set(stem_words))
        if file.kind is FileKind.REQUIREMENTS:
            from bplint.project.dependencies import requirement_file_role

            return requirement_file_role(rootpath) is False
        if file.kind in (FileKind.DOTENV, FileKind.CONFIG):
            return bool(DEV_WORDS & set(_words(rootpath.rsplit("/", 1)[-1])))
        return False

    # --- what imports a module ----------------------------------------------------------
    def _second_pass(self, roles: dict[str, Role]) -> None:
        """Test support and test data: decided after the first pass, from the roles of the modules that
        import them."""
        candidates = [rel for rel, role in roles.items() if role is Role.APPLICATION and self.modules.get(rel)
                      and not self.specs(self.rootpaths[rel]).override(self.rootpaths[rel])]
        changed = True
        while changed:  # test helpers imported by test helpers
            changed = False
            for relpath in candidates:
                if roles[relpath] is not Role.APPLICATION:
                    continue
                if self._is_test_support(relpath, roles):
                    roles[relpath] = Role.TEST
                    changed = True

    def _is_test_support(self, relpath: str, roles: dict[str, Role]) -> bool:
        facts = self.modules[relpath]
        assert facts is not None
        importers = self.importers.get(relpath, set())
        by_app = any(roles.get(i) is Role.APPLICATION for i in importers)
        if by_app or builds_web_app(facts):
            return False
        stem = _stem(self.rootpaths[relpath]).lower()
        if facts.imports_any(*FAKE_DATA_LIBRARIES) or SEEDER_NAME.match(stem):
            return True
        if not importers or any(roles.get(i) is not Role.TEST for i in importers):
            return False
        # only tests import it: a test helper, when it says so by name or by what it uses
        if set(_words(stem)) & TEST_SUPPORT_WORDS or facts.imports_any(*TEST_LIBRARIES):
            return True
        return any(roles.get(self.by_name.get(q, "")) is Role.TEST for q in facts.imports.values())


def _text(file: SourceFile) -> str:
    try:
        return file.text(keep=False)
    except Exception:  # undecodable or unreadable: the scan reports it elsewhere
        return ""


def _pyproject_scripts(text: str) -> list[str]:
    from bplint.config import tomllib
    from bplint.project.dependencies import _dig

    try:
        data = tomllib.loads(text)
    except Exception:  # a broken pyproject.toml is reported by the rules that read it
        return []
    tables = [_dig(data, "project", "scripts"), _dig(data, "project", "gui-scripts"),
              # the same entry points as a group (`[project.entry-points."console_scripts"]`)
              _dig(data, "project", "entry-points", "console_scripts"),
              _dig(data, "project", "entry-points", "gui_scripts"),
              _dig(data, "tool", "poetry", "scripts")]
    targets = []
    for table in tables:
        if isinstance(table, dict):
            for value in table.values():
                if isinstance(value, dict):  # poetry's { callable = "module:func" }
                    value = value.get("callable") or value.get("reference")
                if isinstance(value, str):
                    targets.append(value)
    return targets


def _setup_cfg_scripts(text: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        # setuptools' section, or pbr's (`[entry_points]`, as OpenStack projects write it)
        value = "\n".join(parser.get(section, "console_scripts", fallback="")
                          for section in ("options.entry_points", "entry_points"))
    except (configparser.Error, ValueError):
        return []
    return [line.partition("=")[2] for line in value.splitlines() if "=" in line]


def assign_roles(index: ProjectIndex, files: Iterable[SourceFile], config: Config) -> None:
    """Record every file's role in the index, and the regions of files whose parts have other roles."""
    assigner = RoleAssigner(files, index.modules.raw(), config)
    roles = assigner.assign()
    for relpath, role in roles.items():
        index.roles[relpath] = role
    for relpath, regions in assigner.regions(roles).items():
        index.regions[relpath] = regions


# The role sets rules declare most often (``Rule.roles``).
APPLICATION_ONLY = frozenset({Role.APPLICATION})
RUNNING_CODE = frozenset({Role.APPLICATION, Role.SCRIPT})  # application code and command-line programs
NOT_TESTS_OR_EXAMPLES = ALL_ROLES - {Role.TEST, Role.EXAMPLE, Role.VENDORED}
