"""Where a piece of code sits in an application's configuration.

The BP1 configuration rules (debug mode, cookie flags, connection URLs) only
mean something in configuration that production runs with. This module
answers the questions they share:

* is this file a Django settings module (``settings.py``, a ``settings/``
  package, the module ``DJANGO_SETTINGS_MODULE`` names) or a config module
  (``config.py``, ``celeryconfig.py``)?
* is this class a config class (``class ProductionConfig(Config)``)?
* is this file, class or ``if`` block marked as development or testing
  (``settings/dev.py``, ``TestingConfig``, ``if os.getenv("ENV") == "dev":``)?
* is a setting overridden later, by a subclass or by a settings module that
  star-imports this one (``production.py`` doing ``from .base import *``)?
* is a name bound to a Flask or FastAPI application, also when it comes from
  a project app factory (``app = create_app()``)?

Facts that span files are gathered in the index phase (``facts.extra["bp1_config"]``)
and resolved per project once.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import libcst as cst

from bplint.project.index import ENV_GETTERS, ENV_READER_CLASSES, ModuleFacts, ProjectIndex, ast_dotted, collects
from bplint.project.names import dotted, qualified_name, string_value
from bplint.project.roles import Role

FAMILY = "bp1_config"

# Words that mark configuration as development or testing.
DEV_TEST_WORDS = frozenset({"dev", "devel", "develop", "development", "local", "test", "tests", "testing",
                            "unittest", "unittests"})
# An ``if`` guarded by one of these (or by an environment read) is a switch, not a fixed setting.
GUARD_WORDS = DEV_TEST_WORDS | {"debug"}
# The framework's own table of defaults, which every project's settings override.
FRAMEWORK_DEFAULT_MODULES = ("django.conf.global_settings",)
CONFIG_WORDS = ("config", "configuration", "settings", "setting", "conf")

APP_CLASSES = {
    "flask.Flask": "Flask", "flask.app.Flask": "Flask", "quart.Quart": "Quart",
    "fastapi.FastAPI": "FastAPI", "fastapi.applications.FastAPI": "FastAPI",
    "starlette.applications.Starlette": "Starlette",
}
ENV_SETTINGS_BASES = {"pydantic.BaseSettings", "pydantic_settings.BaseSettings", "pydantic.v1.BaseSettings"}

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def words(name: str) -> list[str]:
    """`DevelopmentConfig` -> development, config; `settings_local` -> settings, local."""
    return [w.lower() for w in _WORD.findall(name)]


def is_dev_or_test_name(name: str) -> bool:
    parts = words(name)
    if any(p in DEV_TEST_WORDS for p in parts):
        return True
    # glued names: `testsettings`, `devconfig`, `localsettings`
    for part in parts:
        for suffix in CONFIG_WORDS:
            if part.endswith(suffix) and part[: -len(suffix)] in DEV_TEST_WORDS:
                return True
    return False


def is_config_name(name: str) -> bool:
    return any(p.endswith(CONFIG_WORDS) for p in words(name))


def path_parts(rootpath: str) -> list[str]:
    """Folder names and the file stem of a path relative to the project root."""
    parts = rootpath.split("/")
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][:-3]
    return [p for p in parts if p]


DEV_OR_TEST = frozenset({Role.DEV, Role.TEST})


def path_is_dev_or_test(rootpath: str) -> bool:
    return any(is_dev_or_test_name(p) for p in path_parts(rootpath))


# --- index-phase facts ---------------------------------------------------------------


@dataclass
class ConfigFacts:
    # module-level names assigned at the top of the module (also inside top-level if/try)
    module_names: set[str] = field(default_factory=set)
    # modules this one star-imports (`from .base import *`), resolved to dotted names
    star_imports: list[str] = field(default_factory=list)
    # values of DJANGO_SETTINGS_MODULE the module sets or defaults to
    settings_modules: list[str] = field(default_factory=list)
    # function name -> dotted callees whose result the function returns (app factories)
    factory_calls: dict[str, list[str]] = field(default_factory=dict)
    # name -> the callees (as spelled) whose results the module binds to it anywhere:
    # `app = create_app()` inside main() as well as at the top
    bound_calls: dict[str, set[str]] = field(default_factory=dict)


def config_facts(facts: ModuleFacts) -> ConfigFacts:
    return facts.family(FAMILY, ConfigFacts)


def _top_statements(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _top_statements(stmt.body)
            yield from _top_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _top_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _top_statements(handler.body)
            yield from _top_statements(stmt.orelse)
            yield from _top_statements(stmt.finalbody)


def _assigned_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    names = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            names.extend(e.id for e in target.elts if isinstance(e, ast.Name))
    return names


@collects(ast.Module)
def _module_config_facts(node: ast.Module, facts: ModuleFacts, _lines: object) -> None:
    info: ConfigFacts | None = None
    for stmt in _top_statements(node.body):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            names = [n for n in _assigned_names(stmt) if n.isupper()]
            if names:
                info = info or config_facts(facts)
                info.module_names.update(names)
        elif isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
            info = info or config_facts(facts)
            info.star_imports.append(_resolve_from(stmt, facts))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            returned = _factory_callees(stmt)
            if returned:
                info = info or config_facts(facts)
                info.factory_calls[stmt.name] = returned


def _resolve_from(node: ast.ImportFrom, facts: ModuleFacts) -> str:
    base = node.module or ""
    if not node.level:
        return base
    package = facts.module.split(".") if facts.module else []
    if not facts.relpath.endswith("__init__.py"):
        package = package[:-1]
    if node.level > 1:
        package = package[: max(len(package) - (node.level - 1), 0)]
    return ".".join([*package, base] if base else package)


def _factory_callees(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Dotted callees whose result the function returns: `app = Flask(...); ...; return app`."""
    bound: dict[str, str] = {}
    returned: list[str] = []
    for stmt in func.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            callee = ast_dotted(stmt.value.func)
            if callee:
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        bound[target.id] = callee
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            if isinstance(stmt.value, ast.Name) and stmt.value.id in bound:
                returned.append(bound[stmt.value.id])
            elif isinstance(stmt.value, ast.Call):
                callee = ast_dotted(stmt.value.func)
                if callee:
                    returned.append(callee)
    return returned


_APP_NAME = re.compile(r"app|api|server|site", re.IGNORECASE)


@collects(ast.Assign)
def _bound_call(node: ast.Assign, facts: ModuleFacts, _lines: object) -> None:
    if not isinstance(node.value, ast.Call):
        return
    callee = ast_dotted(node.value.func)
    if callee is None:
        return
    for target in node.targets:
        # only names that may hold an application: every local variable would bloat the index
        if isinstance(target, ast.Name) and _APP_NAME.search(target.id):
            calls = config_facts(facts).bound_calls.setdefault(target.id, set())
            if len(calls) < 8:
                calls.add(callee)


@collects(ast.Call)
def _settings_module_call(node: ast.Call, facts: ModuleFacts, _lines: object) -> None:
    # os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings") and getenv defaults
    args = node.args
    if (len(args) >= 2 and isinstance(args[0], ast.Constant) and args[0].value == "DJANGO_SETTINGS_MODULE"
            and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
        config_facts(facts).settings_modules.append(args[1].value)


@collects(ast.Assign)
def _settings_module_assign(node: ast.Assign, facts: ModuleFacts, _lines: object) -> None:
    # os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
        return
    for target in node.targets:
        if (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                and target.slice.value == "DJANGO_SETTINGS_MODULE"):
            config_facts(facts).settings_modules.append(node.value.value)


# --- project-wide views, computed once per index ----------------------------------------


class ProjectConfig:
    """Cross-module look-ups over one project index.

    Built once per index from the raw module table; every look-up notes the
    facts it depends on through the index, so cached results stay correct.
    """

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.by_suffix: dict[str, list[ModuleFacts]] = {}
        self.settings_names: set[str] = set()
        modules = index.modules.raw() if hasattr(index.modules, "raw") else dict(index.modules)
        for facts in modules.values():
            parts = facts.module.split(".") if facts.module else []
            for i in range(len(parts)):
                self.by_suffix.setdefault(".".join(parts[i:]), []).append(facts)
            info = facts.extra.get(FAMILY)
            if isinstance(info, ConfigFacts):
                self.settings_names.update(info.settings_modules)
        self._modules = modules
        self._importers: dict[str, list[ModuleFacts]] | None = None

    def _depends_on_all(self) -> None:
        len(self.index.modules)  # notes a read of the whole module table

    def _depends_on(self, found: list[ModuleFacts]) -> list[ModuleFacts]:
        for facts in found:
            self.index.modules.get(facts.relpath)  # notes the read
        return found

    def modules_named(self, dotted_name: str) -> list[ModuleFacts]:
        """Project modules that `dotted_name` may stand for (matched on the name's tail)."""
        found = self.by_suffix.get(dotted_name)
        if not found:
            parts = dotted_name.split(".")
            for i in range(1, len(parts)):  # an absolute name under a folder the scan root adds
                found = self.by_suffix.get(".".join(parts[i:]))
                if found:
                    break
        if not found:
            self._depends_on_all()  # a module added later could match
            return []
        return self._depends_on(found)

    def is_named_settings_module(self, facts: ModuleFacts) -> bool:
        self._depends_on_all()
        if not facts.module:
            return False
        return any(facts.module == name or facts.module.endswith("." + name) for name in self.settings_names)

    def star_importers(self, facts: ModuleFacts) -> list[ModuleFacts]:
        """Modules that do `from <this module> import *`."""
        self._depends_on_all()
        if self._importers is None:
            self._importers = {}
            for other in self._modules.values():
                info = other.extra.get(FAMILY)
                if not isinstance(info, ConfigFacts):
                    continue
                for name in info.star_imports:
                    for target in self.by_suffix.get(name, ()):
                        self._importers.setdefault(target.relpath, []).append(other)
        return self._importers.get(facts.relpath, [])

    def app_kind_of_callee(self, qualified: str | None, depth: int = 0) -> str | None:
        """"Flask" when calling `qualified` returns a Flask app (the class or a project factory)."""
        if qualified is None:
            return None
        if qualified in APP_CLASSES:
            return APP_CLASSES[qualified]
        if depth > 3 or "." not in qualified:
            return None
        module, _, func = qualified.rpartition(".")
        for facts in self.modules_named(module):
            kind = self.factory_kind(facts, func, depth + 1)
            if kind:
                return kind
        return None

    def factory_kind(self, facts: ModuleFacts, func: str, depth: int = 0) -> str | None:
        """"Flask" when the module's function `func` returns an app it builds."""
        info = facts.extra.get(FAMILY)
        if not isinstance(info, ConfigFacts) or depth > 4:
            return None
        for callee in info.factory_calls.get(func, ()):
            kind = self._kind_of_spelled(facts, callee, depth + 1)
            if kind:
                return kind
        return None

    def _kind_of_spelled(self, facts: ModuleFacts, callee: str, depth: int = 0) -> str | None:
        """The app kind a call of `callee` (as spelled in the module) returns."""
        head, _, rest = callee.partition(".")
        resolved = facts.resolve_name(head)
        if resolved is None:
            if head in facts.defined and not rest:  # a factory in the same module
                return self.factory_kind(facts, head, depth + 1)
            return None
        return self.app_kind_of_callee(f"{resolved}.{rest}" if rest else resolved, depth + 1)

    def app_kind_of_name(self, facts: ModuleFacts, name: str, depth: int = 0) -> str | None:
        """"Flask" / "FastAPI" when every call result the module binds to `name` is an app."""
        info = facts.extra.get(FAMILY)
        calls = info.bound_calls.get(name) if isinstance(info, ConfigFacts) else None
        if calls:
            kinds = {self._kind_of_spelled(facts, callee) for callee in calls}
            return kinds.pop() if len(kinds) == 1 else None
        imported = facts.imports.get(name)
        if imported and "." in imported:  # `from myapp import app`
            module, _, attr = imported.rpartition(".")
            for other in self.modules_named(module):
                if other is not facts and depth < 3:
                    kind = self.app_kind_of_name(other, attr, depth + 1)
                    if kind:
                        return kind
        return None


_LAST: tuple[ProjectIndex, ProjectConfig] | None = None


def project_config(index: ProjectIndex) -> ProjectConfig:
    global _LAST
    last = _LAST
    if last is not None and last[0] is index:
        return last[1]
    built = ProjectConfig(index)
    _LAST = (index, built)
    return built


# --- what a file is ---------------------------------------------------------------------


def is_settings_module(facts: ModuleFacts | None, rootpath: str, index: ProjectIndex) -> bool:
    """A Django settings module: settings.py, a module of a settings/ package, or DJANGO_SETTINGS_MODULE."""
    parts = path_parts(rootpath)
    if not parts:
        return False
    if parts[-1] == "settings" or "settings" in parts[:-1]:
        return True
    return facts is not None and project_config(index).is_named_settings_module(facts)


def is_config_module(facts: ModuleFacts | None, rootpath: str, index: ProjectIndex) -> bool:
    """A settings module, or a module whose name says it holds configuration (config.py)."""
    parts = path_parts(rootpath)
    if parts and parts[-1] != "__init__" and is_config_name(parts[-1]):
        return True
    if len(parts) >= 2 and parts[-1] == "__init__" and is_config_name(parts[-2]):
        return True
    return is_settings_module(facts, rootpath, index)


# --- reading libcst expressions -----------------------------------------------------------


def is_env_read(node: cst.CSTNode, facts: ModuleFacts | None) -> bool:
    """`os.getenv(...)`, `os.environ[...]`, `env.bool(...)` and the like."""
    if isinstance(node, cst.Call):
        if qualified_name(node.func, facts) in ENV_GETTERS:
            return True
        base = node.func.value if isinstance(node.func, cst.Attribute) else node.func
        if isinstance(base, cst.Name) and facts is not None and facts.instances.get(base.value) in ENV_READER_CLASSES:
            return True
    if isinstance(node, cst.Subscript) and qualified_name(node.value, facts) == "os.environ":
        return True
    return False


def mentions_env_or_dev(node: cst.CSTNode, facts: ModuleFacts | None) -> bool:
    """Whether an `if` test reads the environment or names a dev/test/debug switch."""
    stack = [node]
    seen = 0
    while stack and seen < 200:
        current = stack.pop()
        seen += 1
        if is_env_read(current, facts):
            return True
        if isinstance(current, cst.Name) and any(w in GUARD_WORDS for w in words(current.value)):
            return True
        if isinstance(current, cst.Attribute) and any(w in GUARD_WORDS for w in words(current.attr.value)):
            return True
        text = string_value(current) if isinstance(current, (cst.SimpleString, cst.ConcatenatedString)) else None
        if text is not None and any(w in GUARD_WORDS for w in words(text)):
            return True
        stack.extend(current.children)
    return False


def literal_true(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def literal_false(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def literal_none(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return string_value(node.slice[0].slice.value)


def is_config_object(node: cst.CSTNode) -> bool:
    """`app.config`, `self.config`, `config`, `settings`: where Flask/Django settings live."""
    spelled = dotted(node)
    if spelled is None:
        return False
    last = spelled.rsplit(".", 1)[-1].lower()
    return last in ("config", "settings", "conf")


# --- scope tracking for the rules -----------------------------------------------------------


@dataclass
class ClassInfo:
    name: str
    bases: list[str]  # simple names of the bases (last dotted part)
    dev_or_test: bool
    config: bool
    env_driven: bool  # pydantic BaseSettings: every field comes from the environment
    opened_at: int  # how many functions enclose the class
    assigned: set[str] = field(default_factory=set)  # names its body assigns


@dataclass
class _Deferred:
    owner: ClassInfo
    key: str
    node: cst.CSTNode
    message: str
    secret: bool
    fix: Any = None  # a NodeFix


class ConfigScope:
    """Mixin for PythonRules: tracks classes, functions and `if` guards around a node.

    A setting in a config class is reported at the end of the module, once all
    subclasses are known (``report_setting``): a base class whose every
    production subclass sets the value again is not what production runs with.
    """

    ctx: object

    def _scope(self) -> "_ScopeState":
        state = self.__dict__.get("_scope_state")
        if state is None:
            state = self.__dict__["_scope_state"] = _ScopeState()
        return state

    # libcst visitor hooks (the dispatcher picks them up by name)
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        facts = self.ctx.facts  # type: ignore[attr-defined]
        state = self._scope()
        bases = []
        qualified = []
        for arg in node.bases:
            if arg.keyword is not None:
                continue
            spelled = dotted(arg.value)
            if spelled:
                bases.append(spelled.rsplit(".", 1)[-1])
            qualified.append(qualified_name(arg.value, facts))
        known = {c.name: c for c in state.classes}
        parents = [known[b] for b in bases if b in known]
        name = node.name.value
        info = ClassInfo(
            name=name, bases=bases,
            dev_or_test=(is_dev_or_test_name(name) or any(is_dev_or_test_name(b) for b in bases)
                         or any(p.dev_or_test for p in parents)),
            config=(is_config_name(name) or any(is_config_name(b) for b in bases)
                    or any(p.config for p in parents)
                    or any(q is not None and q.startswith("configurations.") for q in qualified)),
            env_driven=(any(q in ENV_SETTINGS_BASES for q in qualified) or "BaseSettings" in bases
                        or any(p.env_driven for p in parents)),
            opened_at=state.function_depth,
            assigned=_class_body_names(node),
        )
        state.classes.append(info)
        state.class_stack.append(info)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope().class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope().function_depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope().function_depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scope().function_depth += 1

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._scope().function_depth -= 1

    def visit_If(self, node: cst.If) -> None:
        self._scope().guards.append(self._is_switch(node.test))

    def leave_If(self, node: cst.If) -> None:
        self._scope().guards.pop()

    # match ENVIRONMENT: case "development": ...: each case is a switch like an `if`
    def visit_Match(self, node: cst.Match) -> None:
        self._scope().subjects.append(self._is_switch(node.subject))

    def leave_Match(self, node: cst.Match) -> None:
        self._scope().subjects.pop()

    def visit_MatchCase(self, node: cst.MatchCase) -> None:
        state = self._scope()
        subject = bool(state.subjects) and state.subjects[-1]
        state.guards.append(subject or self._is_switch(node.pattern)
                            or (node.guard is not None and self._is_switch(node.guard)))

    def leave_MatchCase(self, node: cst.MatchCase) -> None:
        self._scope().guards.pop()

    def _is_switch(self, test: cst.CSTNode) -> bool:
        """The test reads the environment or names a dev/test/debug switch, directly or through a
        name bound to an environment read (`ENVIRONMENT = os.environ.get("ENVIRONMENT")`)."""
        facts = self.ctx.facts  # type: ignore[attr-defined]
        if mentions_env_or_dev(test, facts):
            return True
        bindings = getattr(self.ctx, "bindings", None)  # type: ignore[attr-defined]
        if bindings is None:
            return False
        names = [test] if isinstance(test, cst.Name) else []
        stack = list(test.children)
        while stack and len(names) < 20:
            current = stack.pop()
            if isinstance(current, cst.Name):
                names.append(current)
            elif not isinstance(current, (cst.Attribute, cst.Call)):
                stack.extend(current.children)
        for name in names:
            binding = bindings.only(name.value)
            if binding is not None and binding.value is not None and mentions_env_or_dev(binding.value, facts):
                return True
        return False

    def leave_Module(self, node: cst.Module) -> None:
        state = self._scope()
        for item in state.deferred:
            if not self.overridden_in_subclasses(item.owner, item.key):
                self.report(item.node, item.message, secret=item.secret, fix=item.fix)  # type: ignore[attr-defined]
        state.deferred.clear()

    # questions
    @property
    def current_class(self) -> ClassInfo | None:
        """The class whose body (not a method of it) holds the node."""
        state = self._scope()
        if state.class_stack and state.class_stack[-1].opened_at == state.function_depth:
            return state.class_stack[-1]
        return None

    @property
    def at_module_level(self) -> bool:
        state = self._scope()
        return not state.class_stack and state.function_depth == 0

    @property
    def guarded(self) -> bool:
        """Inside an `if` that reads the environment or tests a dev/test/debug switch."""
        return any(self._scope().guards)

    def file_is_dev_or_test(self) -> bool:
        ctx = self.ctx  # type: ignore[attr-defined]
        return ctx.is_test or ctx.role in DEV_OR_TEST or path_is_dev_or_test(ctx.file.rootpath)

    def outside_production(self) -> bool:
        """Dev/test code, an environment or debug switch around the node, or a framework's defaults."""
        if self.guarded or self.file_is_dev_or_test():
            return True
        facts = self.ctx.facts  # type: ignore[attr-defined]
        return facts is not None and facts.module.endswith(FRAMEWORK_DEFAULT_MODULES)

    def file_is_settings(self) -> bool:
        ctx = self.ctx  # type: ignore[attr-defined]
        return is_settings_module(ctx.facts, ctx.file.rootpath, ctx.index)

    def file_is_config(self) -> bool:
        ctx = self.ctx  # type: ignore[attr-defined]
        return is_config_module(ctx.facts, ctx.file.rootpath, ctx.index)

    def report_setting(self, key: str, node: cst.CSTNode, message: str, secret: bool = False, fix: Any = None) -> None:
        """Report a module- or class-level setting unless production overrides it later."""
        owner = self.current_class
        if owner is not None:
            self._scope().deferred.append(_Deferred(owner, key, node, message, secret, fix))
        elif not self.overridden_by_star_importers(key):
            self.report(node, message, secret=secret, fix=fix)  # type: ignore[attr-defined]

    def overridden_in_subclasses(self, owner: ClassInfo, key: str) -> bool:
        """Every production subclass of `owner` in this module sets `key` again."""
        state = self._scope()
        by_name = {c.name: c for c in state.classes}
        production = [c for c in state.classes if c is not owner and not c.dev_or_test
                      and _descends(c, owner, by_name)]
        if not production:
            return False
        return all(_sets_on_path(c, owner, key, by_name) for c in production)

    def overridden_by_star_importers(self, key: str) -> bool:
        """Every production module that star-imports this one sets `key` again."""
        ctx = self.ctx  # type: ignore[attr-defined]
        if ctx.facts is None:
            return False
        importers = [m for m in project_config(ctx.index).star_importers(ctx.facts)
                     if m is not ctx.facts and not path_is_dev_or_test(m.relpath)
                     and ctx.index.role_of(m.relpath) not in DEV_OR_TEST]
        if not importers:
            return False
        for module in importers:
            info = module.extra.get(FAMILY)
            if not isinstance(info, ConfigFacts) or key not in info.module_names:
                return False
        return True


class _ScopeState:
    def __init__(self) -> None:
        self.classes: list[ClassInfo] = []
        self.class_stack: list[ClassInfo] = []
        self.function_depth = 0
        self.guards: list[bool] = []
        self.subjects: list[bool] = []  # per enclosing `match`: is its subject a switch
        self.deferred: list[_Deferred] = []


def _class_body_names(node: cst.ClassDef) -> set[str]:
    names: set[str] = set()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    for stmt in body:
        small = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ()
        if isinstance(stmt, cst.SimpleStatementSuite):
            small = stmt.body
        for item in small:
            targets: list[cst.CSTNode] = []
            if isinstance(item, cst.Assign):
                targets = [t.target for t in item.targets]
            elif isinstance(item, (cst.AnnAssign, cst.AugAssign)):
                targets = [item.target]
            for target in targets:
                if isinstance(target, cst.Name):
                    names.add(target.value)
    return names


def _descends(cls: ClassInfo, ancestor: ClassInfo, by_name: dict[str, ClassInfo], depth: int = 0) -> bool:
    if depth > 20:
        return False
    for base in cls.bases:
        if base == ancestor.name:
            return True
        parent = by_name.get(base)
        if parent is not None and parent is not cls and _descends(parent, ancestor, by_name, depth + 1):
            return True
    return False


def _sets_on_path(cls: ClassInfo, ancestor: ClassInfo, key: str, by_name: dict[str, ClassInfo],
                  depth: int = 0) -> bool:
    """`key` is assigned in `cls` or in a class between it and `ancestor`, on every path."""
    if key in cls.assigned:
        return True
    if depth > 20:
        return False
    paths = []
    for base in cls.bases:
        if base == ancestor.name:
            paths.append(False)
            continue
        parent = by_name.get(base)
        if parent is not None and parent is not cls and _descends(parent, ancestor, by_name):
            paths.append(_sets_on_path(parent, ancestor, key, by_name, depth + 1))
    return bool(paths) and all(paths)
