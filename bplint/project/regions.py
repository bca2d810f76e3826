"""Roles narrower than a file: the functions and classes whose role differs from their module's.

An application module may hold code that only the command line runs (a click
command, the helper only that command calls, an ``if __name__ == "__main__":``
block) or a configuration class only tests use (``class TestingConfig(Config):
TESTING = True``). Such a function or class is a *region* with its own role;
the engine gives each finding the role of the innermost region around its
line (the file's role elsewhere) and drops it when the rule does not check
that role.

Facts come from the index's one walk of each module (``RegionFacts``): its
top-level functions, classes and their methods, with line ranges, and where
each name is referenced from. The regions are then decided once per scan,
across modules (``decide_regions``):

* script: command-line entry points (functions decorated as click/typer/Flask
  CLI commands, ``__main__`` blocks, functions that build an
  ``argparse.ArgumentParser``, command classes: Django's management commands, Flask-Script's and
  cliff's, and the project's own classes built on them), and the
  functions and methods whose every reference in the project is from
  command-line code (those entry points, the code of script files, other such
  functions), followed through the modules' own calls and imports. A plain class (no decorator, no
  base but the module's own classes) that only such code makes, and only to use it at once
  (`InitDB().run()` in a command: the object is kept nowhere, handed to nothing), is command-line
  code with its methods, unless one of them builds the web application. A method
  is followed by name when only a few classes in the project define that name (a method and
  its overrides: a call reaches each of them).
  References from tests and examples do not count either way; a function no
  code references, one a framework calls (any other decorator than the project's own
  functions, which wrap it: `@provide_session`) or one that
  builds a web application is never a region;
* test: configuration classes for tests (``TESTING = True``, or a settings
  class named for tests: ``TestingConfig``, ``TestSettings``) and settings
  classes that only test code references.

Only application files get regions.
"""

from __future__ import annotations

import ast
import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from bplint.project.index import ModuleFacts, _LineIndex, ast_dotted, collects, qualified_name

if TYPE_CHECKING:
    from bplint.project.roles import Role

FAMILY = "regions"
# decorators that leave a function called only by the module's own code
# (not `property`: templates read properties by name, where no reference of the code shows)
MAX_OVERRIDES = 4  # classes defining one method name, followed as one method and its overrides
PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod", "cache", "lru_cache", "wraps", "contextmanager",
                              "asynccontextmanager", "overload", "abstractmethod"})
# the words of a class name that say it configures tests
TEST_CONFIG_WORDS = frozenset({"test", "tests", "testing", "unittest", "pytest"})
CONFIG_WORDS = ("config", "configuration", "settings", "conf")
HARMLESS_KINDS = ("function", "method")
# the base classes of command-line commands, by the prefix of their qualified names
COMMAND_BASES = ("django.core.management", "flask_script.Command", "flask_script.commands.Command",
                 "cliff.command.Command", "cliff.lister.Lister", "cliff.show.ShowOne")


@dataclass
class Definition:
    """A top-level function or class, a method of a top-level class, or a ``__main__`` block."""

    name: str  # "func", "Class", "Class.method", "__main__"
    kind: str  # "function", "class", "method", "main", "nested" (a command defined inside a function)
    start: int  # first line, decorators included
    end: int
    parent: int = -1  # a method: the index of its class
    entry: bool = False  # run from the command line by itself (CLI command, __main__ block, argparse)
    framework: bool = False  # decorated otherwise: called by a framework
    returns_value: bool = False  # a `return <value>` in its body
    raises: bool = False  # a `raise` in its body
    builds_app: bool = False  # creates a web application object
    test_config: bool = False  # a class that configures tests (TESTING = True, named for tests)
    settings: bool = False  # a class whose body is UPPER_CASE settings
    # a class of the module's own making: no decorator, no base but `object` or the module's own
    # classes (not a model, a view or a framework's command), which may be command-line code
    plain: bool = False
    # for a ``framework`` one, its decorators as spelled: one that is the project's own function wraps
    # the function (`@provide_session`) and leaves its callers the project's
    decorators: tuple[str, ...] = ()


@dataclass
class RegionFacts:
    definitions: list[Definition] = field(default_factory=list)
    # a name as referenced (`helper`, `search.check`, `.method`) -> the definitions it is referenced
    # in (indices into ``definitions``; -1 at module level)
    refs: dict[str, list[int]] = field(default_factory=dict)
    # module-level objects made from the module's own classes: `providers = Registry()`
    made: dict[str, str] = field(default_factory=dict)
    # per name, how often the module's code loads it, and how often as an object made and used at
    # once (`InitDB().run()`: the object is kept nowhere, handed to nothing)
    uses: dict[str, int] = field(default_factory=dict)
    at_once: dict[str, int] = field(default_factory=dict)

    def at(self, line: int) -> int:
        """The index of the innermost definition holding the line, -1 when none."""
        order = self.__dict__.get("_order")
        if order is None:
            order = sorted(range(len(self.definitions)), key=lambda i: (self.definitions[i].start,
                                                                       -self.definitions[i].end))
            self.__dict__["_order"] = order
            self.__dict__["_starts"] = [self.definitions[i].start for i in order]
        i = bisect.bisect_right(self.__dict__["_starts"], line) - 1
        definitions = self.definitions
        while i >= 0:
            if definitions[order[i]].end >= line:
                return order[i]
            i -= 1
        return -1

    def add(self, definition: Definition) -> None:
        self.definitions.append(definition)
        self.__dict__.pop("_order", None)


def region_facts(facts: ModuleFacts) -> RegionFacts | None:
    found = facts.extra.get(FAMILY)
    return found if isinstance(found, RegionFacts) else None


@dataclass(frozen=True)
class Region:
    """Lines of a file whose role is not the file's."""

    start: int
    end: int
    role: "Role"
    kind: str  # "function", "method", "class", "main"
    name: str


def role_at(regions: tuple[Region, ...], line: int, default: "Role") -> "Role":
    """The role of the innermost region holding the line (the file's role outside them)."""
    best = None
    for region in regions:
        if region.start <= line <= region.end and (best is None or region.start >= best.start):
            best = region
    return default if best is None else best.role


# --- collecting, in the index's walk ---------------------------------------------------


def _decorator_spellings(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    from bplint.project.roles import _decorator_spellings as spellings

    return spellings(node)  # type: ignore[arg-type]


def _start(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str, kind: str, parent: int) -> Definition:
    from bplint.project.roles import is_cli_command

    spelled = _decorator_spellings(node)
    cli = is_cli_command(spelled)
    plain = all(s.rstrip("()").rsplit(".", 1)[-1] in PLAIN_DECORATORS for s in spelled)
    framework = not cli and not plain
    return Definition(name, kind, _start(node), node.end_lineno or node.lineno, parent, entry=cli,
                      framework=framework,
                      decorators=tuple(s.rstrip("()") for s in spelled) if framework else ())


def _is_upper_assign(stmt: ast.stmt) -> str | None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) \
        else []
    for target in targets:
        if isinstance(target, ast.Name) and target.id.isupper():
            return target.id
    return None


def _class(node: ast.ClassDef, local_classes: set[str]) -> Definition:
    from bplint.project.roles import _words

    definition = Definition(node.name, "class", _start(node), node.end_lineno or node.lineno)
    upper = 0
    testing = False
    for stmt in node.body:
        name = _is_upper_assign(stmt)
        if name is not None:
            upper += 1
            value = stmt.value  # type: ignore[attr-defined]
            if name == "TESTING" and isinstance(value, ast.Constant) and value.value is True:
                testing = True
    bases = [(ast_dotted(b) or "").rsplit(".", 1)[-1] for b in node.bases]
    words = set(_words(_split_camel(node.name)))
    config_shaped = upper > 0 and (any(b in local_classes for b in bases) or
                                   any(node.name.lower().endswith(w) for w in CONFIG_WORDS))
    definition.settings = config_shaped
    definition.plain = not node.decorator_list and not node.keywords and \
        all(b == "object" or b in local_classes for b in (ast_dotted(b) or "?" for b in node.bases))
    definition.test_config = testing or (config_shaped and bool(words & TEST_CONFIG_WORDS))
    return definition


def _split_camel(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch)
    return "".join(out)


def _collected(facts: ModuleFacts) -> RegionFacts:
    return facts.family(FAMILY, RegionFacts)


@collects(ast.Module)
def _collect_definitions(node: ast.Module, facts: ModuleFacts, _: _LineIndex) -> None:
    from bplint.project.roles import is_main_test

    found = _collected(facts)
    definitions = found.definitions
    local_classes: set[str] = set()
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            definitions.append(_function(statement, statement.name, "function", -1))
        elif isinstance(statement, ast.ClassDef):
            index = len(definitions)
            definitions.append(_class(statement, local_classes))
            local_classes.add(statement.name)
            for member in statement.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    definitions.append(_function(member, f"{statement.name}.{member.name}", "method", index))
        elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call) and \
                isinstance(statement.value.func, ast.Name) and statement.value.func.id in local_classes:
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found.made[target.id] = statement.value.func.id
        elif isinstance(statement, ast.If) and is_main_test(statement.test):
            definitions.append(Definition("__main__", "main", statement.lineno,
                                          statement.end_lineno or statement.lineno, entry=True))
    found.__dict__["_own"] = {d.name for d in definitions if d.kind in ("function", "class")}
    found.__dict__["_seen"] = {id(s) for s in node.body} | {id(m) for s in node.body if isinstance(s, ast.ClassDef)
                                                            for m in s.body}


@collects(ast.FunctionDef, ast.AsyncFunctionDef)
def _collect_nested_command(node: ast.FunctionDef | ast.AsyncFunctionDef, facts: ModuleFacts, _: _LineIndex) -> None:
    """A command defined inside a function (`@app.cli.command()` in an application factory)."""
    found = facts.extra.get(FAMILY)
    if not node.decorator_list or not isinstance(found, RegionFacts) or id(node) in found.__dict__.get("_seen", ()):
        return
    definition = _function(node, node.name, "nested", -1)
    if definition.entry:
        found.add(definition)


def _note(found: RegionFacts, key: str, line: int) -> None:
    where = found.at(line)
    refs = found.refs
    seen = refs.get(key)
    if seen is None:
        refs[key] = [where]
    elif where not in seen:
        seen.append(where)


@collects(ast.Name)
def _collect_name(node: ast.Name, facts: ModuleFacts, _: _LineIndex) -> None:
    if type(node.ctx) is not ast.Load:
        return
    found = facts.extra.get(FAMILY)
    if isinstance(found, RegionFacts) and (node.id in found.__dict__.get("_own", ()) or node.id in facts.imports):
        _note(found, node.id, node.lineno)
        found.uses[node.id] = found.uses.get(node.id, 0) + 1


@collects(ast.Call)
def _collect_used_at_once(node: ast.Call, facts: ModuleFacts, _: _LineIndex) -> None:
    """`InitDB().run(...)`: an object made and used at once."""
    func = node.func
    if type(func) is ast.Attribute and type(func.value) is ast.Call and type(func.value.func) is ast.Name:
        found = facts.extra.get(FAMILY)
        if isinstance(found, RegionFacts):
            name = func.value.func.id
            found.at_once[name] = found.at_once.get(name, 0) + 1


@collects(ast.Attribute)
def _collect_attribute(node: ast.Attribute, facts: ModuleFacts, _: _LineIndex) -> None:
    if type(node.ctx) is not ast.Load or node.attr.startswith("__"):
        return
    found = facts.extra.get(FAMILY)
    if not isinstance(found, RegionFacts):
        return
    value = node.value
    while type(value) is ast.Attribute:
        value = value.value
    if type(value) is ast.Name and value.id in facts.imports:
        spelled = ast_dotted(node)  # `search.check`, `shop.lib.search.check` after `import shop.lib.search`
        if spelled is not None:
            _note(found, spelled, node.lineno)
    else:  # a method, or an attribute of an object: `self.helper`, `plugin.clear_pending`
        _note(found, f".{node.attr}", node.lineno)


def _mark(facts: ModuleFacts, line: int, attribute: str) -> None:
    found = facts.extra.get(FAMILY)
    if isinstance(found, RegionFacts):
        where = found.at(line)
        if where >= 0:
            setattr(found.definitions[where], attribute, True)


@collects(ast.Return)
def _collect_return(node: ast.Return, facts: ModuleFacts, _: _LineIndex) -> None:
    value = node.value
    if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
        _mark(facts, node.lineno, "returns_value")


@collects(ast.Raise)
def _collect_raise(node: ast.Raise, facts: ModuleFacts, _: _LineIndex) -> None:
    _mark(facts, node.lineno, "raises")


@collects(ast.Call)
def _collect_entry_call(node: ast.Call, facts: ModuleFacts, _: _LineIndex) -> None:
    from bplint.project.roles import APP_CLASSES, WEB_FRAMEWORKS

    func = node.func
    last = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else ""
    if last == "ArgumentParser":
        if qualified_name(func, facts) == "argparse.ArgumentParser":
            _mark(facts, node.lineno, "entry")
    elif last in APP_CLASSES:
        callee = qualified_name(func, facts) or ""
        if callee.split(".", 1)[0] in WEB_FRAMEWORKS:
            _mark(facts, node.lineno, "builds_app")


# --- deciding, once per scan ------------------------------------------------------------

Target = tuple[str, int]  # (relpath, index of a definition)


class _Resolver:
    """Where a reference of one module leads: a definition of a project module, or nowhere."""

    def __init__(self, modules: dict[str, ModuleFacts | None], module_of: Callable[[str], tuple[str, str] | None]):
        self.modules = modules
        self.module_of = module_of
        self.facts = {rel: found for rel, f in modules.items() if f is not None
                      and (found := region_facts(f)) is not None}
        self.by_name: dict[str, dict[str, int]] = {
            rel: {d.name: i for i, d in enumerate(found.definitions) if d.kind not in ("main", "nested")}
            for rel, found in self.facts.items()}
        methods: dict[str, list[Target]] = defaultdict(list)
        for rel, found in self.facts.items():
            for i, d in enumerate(found.definitions):
                if d.kind == "method":
                    methods[d.name.rsplit(".", 1)[1]].append((rel, i))
        # a method by its name: the classes that define it (a method and its overrides in subclasses,
        # `dependency.install()`), when they are few; a name many classes define says nothing
        self.methods = {name: found for name, found in methods.items() if len(found) <= MAX_OVERRIDES}
        self._qualified: dict[str, Target | None] = {}

    def resolve_all(self, relpath: str, facts: ModuleFacts, key: str) -> list[Target]:
        """The definitions a reference may lead to: one, or for a method called by name, each
        class's that defines it."""
        if key[0] == ".":
            return self.methods.get(key[1:], [])
        found = self.resolve(relpath, facts, key)
        return [found] if found is not None else []

    def own_function(self, relpath: str, facts: ModuleFacts, spelled: str) -> bool:
        """A decorator spelled so is a function of the project (`provide_session`, `utils.retry`)."""
        found = self.resolve(relpath, facts, spelled) if spelled and spelled[0] != "." else None
        return found is not None and self.facts[found[0]].definitions[found[1]].kind == "function"

    def resolve(self, relpath: str, facts: ModuleFacts, key: str) -> Target | None:
        if key[0] == ".":
            found = self.methods.get(key[1:], [])
            return found[0] if len(found) == 1 else None
        head, _, attr = key.partition(".")
        if not attr:
            own = self.by_name.get(relpath, {}).get(key)
            if own is not None and key not in facts.imports:
                return relpath, own
        qualified = facts.imports.get(head)
        if qualified is None:
            return None
        return self.qualified(f"{qualified}.{attr}" if attr else qualified)

    def qualified(self, qualified: str, depth: int = 0) -> Target | None:
        if qualified in self._qualified:
            return self._qualified[qualified]
        self._qualified[qualified] = None  # a cycle of re-exports
        found: Target | None = None
        place = self.module_of(qualified)
        if place is not None:
            relpath, rest = place
            own = self.by_name.get(relpath, {}).get(rest)
            if own is not None:
                found = relpath, own
            elif depth < 3 and "." not in rest:
                facts = self.modules.get(relpath)
                forwarded = facts.imports.get(rest) if facts is not None else None
                if forwarded is not None and forwarded != qualified:  # `from .search import check` in __init__
                    found = self.qualified(forwarded, depth + 1)
        self._qualified[qualified] = found
        return found


def decide_regions(modules: dict[str, ModuleFacts | None], roles: dict[str, "Role"],
                   module_of: Callable[[str], tuple[str, str] | None]) -> dict[str, tuple[Region, ...]]:
    """The regions of every application file (``module_of`` splits a dotted name into a project
    module's relpath and the rest)."""
    from bplint.project.roles import Role, role_facts, _resolve

    resolver = _Resolver(modules, module_of)
    callers: dict[Target, list[Target]] = defaultdict(list)
    kept: set[Target] = set()  # made somewhere and kept or handed on, not only used at once
    named: dict[Target, list[Target]] = defaultdict(list)  # callers that name the target, not a method name
    for relpath, found in resolver.facts.items():
        facts = modules[relpath]
        assert facts is not None
        for key, wheres in found.refs.items():
            at_once = "." not in key and 0 < found.uses.get(key, 0) == found.at_once.get(key, 0)
            for target in resolver.resolve_all(relpath, facts, key):
                callers[target].extend((relpath, w) for w in wheres)
                if key[0] != ".":
                    named[target].extend((relpath, w) for w in wheres)
                if not at_once and roles.get(relpath) not in (Role.TEST, Role.EXAMPLE, Role.VENDORED):
                    kept.add(target)
        for local, qualified in facts.imports.items():
            if local not in found.refs and "." in qualified:
                # imported and not used here: a re-export (`from .jobs import enqueue as enqueue_job` in a
                # toolkit module), which code that the scan does not see may call
                target = resolver.qualified(qualified)
                if target is not None:
                    callers[target].append((relpath, -1))

    def application(relpath: str) -> bool:
        return roles.get(relpath) is Role.APPLICATION

    # command classes: a framework's (Django's management commands, Flask-Script's, cliff's) and the
    # project's own built on one (`class Command(flask_script.Command)` in the package, its subclasses)
    bases_of = {f"{facts.module}.{name}": [_resolve(b, facts) for b in bases]
                for facts in modules.values() if facts is not None
                for name, bases in role_facts(facts).class_bases}
    command_classes: set[str] = set()
    for _ in range(3):  # a base of the project's built on a framework's, and its subclasses
        command_classes.update(cls for cls, resolved in bases_of.items()
                               if any(r.startswith(COMMAND_BASES) or r in command_classes for r in resolved))
    cli: set[Target] = set()
    for relpath, found in resolver.facts.items():
        if not application(relpath):
            continue
        facts = modules[relpath]
        commands = {name for name, _ in role_facts(facts).class_bases  # type: ignore[arg-type]
                    if f"{facts.module}.{name}" in command_classes}  # type: ignore[union-attr]
        for i, d in enumerate(found.definitions):
            if d.entry or (d.kind == "class" and d.name in commands):
                cli.add((relpath, i))
    neutral = {Role.TEST, Role.EXAMPLE, Role.VENDORED}

    def runs_from_cli(caller: Target) -> bool | None:
        """True for command-line code, None for tests and examples, False for the rest."""
        relpath, where = caller
        role = roles.get(relpath)
        if role is Role.SCRIPT:
            return True
        if role in neutral:
            return None
        if where < 0:
            return False
        if caller in cli:
            return True
        parent = resolver.facts[relpath].definitions[where].parent
        return parent >= 0 and (relpath, parent) in cli

    # What builds a web application, and what calls that, runs the application: the command-line
    # command that starts the server does not make the application factory command-line code.
    builds = {(relpath, i) for relpath, found in resolver.facts.items() for i, d in enumerate(found.definitions)
              if d.builds_app}
    # (followed through the calls that name what they call: a method called by name, `x.run()`, may be
    # any class's, and would spread the application to code that only shares a method name)
    todo = list(builds)
    while todo:
        for caller in named.get(todo.pop(), ()):
            if caller[1] >= 0 and caller not in builds:
                builds.add(caller)
                todo.append(caller)
    # a plain class that only command-line code makes (`InitDB().run()` in a command) is
    # command-line code with its methods, unless one of them builds the web application
    building_classes = {(relpath, resolver.facts[relpath].definitions[i].parent) for relpath, i in builds}
    members: dict[Target, list[Target]] = defaultdict(list)
    for relpath, found in resolver.facts.items():
        for i, d in enumerate(found.definitions):
            if d.parent >= 0:
                members[(relpath, d.parent)].append((relpath, i))
    candidates = [(relpath, i) for relpath, found in resolver.facts.items() if application(relpath)
                  for i, d in enumerate(found.definitions)
                  if (d.kind in HARMLESS_KINDS or d.kind == "class" and d.plain and not d.settings
                      and not d.test_config and (relpath, i) not in building_classes and (relpath, i) not in kept)
                  and (relpath, i) not in builds and not d.entry
                  and (not d.framework or all(resolver.own_function(relpath, modules[relpath], s)  # type: ignore
                                              for s in d.decorators))
                  and not d.name.rsplit(".", 1)[-1].startswith("__") and (relpath, i) in callers]
    # what each definition references, to look again at only those when it turns out command-line code
    callees: dict[Target, list[Target]] = defaultdict(list)
    for target in candidates:
        for caller in callers[target]:
            callees[caller].append(target)
    todo = list(candidates)
    while todo:
        target = todo.pop()
        if target in cli:
            continue
        verdicts = [runs_from_cli(c) for c in callers[target] if c != target]
        if True in verdicts and False not in verdicts:
            cli.add(target)
            todo.extend(callees.get(target, ()))
            for member in members.get(target, ()):  # what the methods of a command-line class call
                todo.extend(callees.get(member, ()))

    tests: set[Target] = set()
    for relpath, found in resolver.facts.items():
        if not application(relpath):
            continue
        for i, d in enumerate(found.definitions):
            if d.kind != "class" or not d.settings:
                continue
            # who selects it: not a subclass (whose base is a reference in the class's own lines)
            users = {roles.get(r) for r, w in callers.get((relpath, i), ())
                     if w < 0 or resolver.facts[r].definitions[w].kind != "class"}
            if d.test_config or (users and users <= {Role.TEST}):
                tests.add((relpath, i))

    regions: dict[str, list[Region]] = defaultdict(list)
    for role, members in ((Role.SCRIPT, cli), (Role.TEST, tests)):
        for relpath, i in sorted(members):
            d = resolver.facts[relpath].definitions[i]
            if d.parent >= 0 and (relpath, d.parent) in members:
                continue  # inside a region of the same role
            regions[relpath].append(Region(d.start, d.end, role, d.kind, d.name))
    return {relpath: tuple(sorted(found, key=lambda r: (r.start, -r.end))) for relpath, found in regions.items()}


def describe(regions: tuple[Region, ...]) -> str:
    """`script: 3 functions, 1 block; test: 1 class`, for --show-files."""
    by_role: dict[str, dict[str, int]] = {}
    for region in regions:
        kinds = by_role.setdefault(region.role.value, {})
        kind = {"main": "block", "method": "function", "nested": "function"}.get(region.kind, region.kind)
        kinds[kind] = kinds.get(kind, 0) + 1
    parts = []
    for role, kinds in by_role.items():
        counted = ", ".join(f"{n} {kind}{'es' if n != 1 and kind == 'class' else 's' if n != 1 else ''}"
                            for kind, n in kinds.items())
        parts.append(f"{role}: {counted}")
    return "; ".join(parts)


# --- what a callee is ------------------------------------------------------------------


def definition_of(index, facts: ModuleFacts, spelled: str) -> Definition | None:
    """The project function or method a callee spelled in a module stands for: `helper`,
    `module.func`, `Class().method`, `obj.method` for a module-level `obj = Class()` (resolved
    through imports; None when it is not the project's or not known)."""
    built, _, method = spelled.partition("().")
    if method:
        found = _resolved(index, facts, built)
        if found is None or found[1].kind != "class" or "." in method:
            return None
        return _member(found[0], f"{found[1].name}.{method}")
    head, _, rest = spelled.partition(".")
    if head in facts.imports:
        return _qualified_definition(index, f"{facts.imports[head]}.{rest}" if rest else facts.imports[head])
    if not rest:
        return _member(facts, head)
    return None


def _resolved(index, facts: ModuleFacts, spelled: str) -> tuple[ModuleFacts, Definition] | None:
    head, _, rest = spelled.partition(".")
    if head in facts.imports:
        return _qualified(index, f"{facts.imports[head]}.{rest}" if rest else facts.imports[head])
    found = _member(facts, spelled)
    return (facts, found) if found is not None else None


def _member(facts: ModuleFacts, name: str) -> Definition | None:
    found = region_facts(facts)
    if found is None:
        return None
    for definition in found.definitions:
        if definition.name == name and definition.kind not in ("main", "nested"):
            return definition
    return None


def _qualified_definition(index, qualified: str) -> Definition | None:
    found = _qualified(index, qualified)
    return found[1] if found is not None else None


def _qualified(index, qualified: str, depth: int = 0) -> tuple[ModuleFacts, Definition] | None:
    place = index.resolve_definition(qualified)
    if place is None or depth > 3:
        return None
    facts, name = place
    found = _member(facts, name)
    if found is not None:
        return facts, found
    head, _, rest = name.partition(".")
    if head in facts.imports and facts.imports[head] != qualified:  # re-exported
        return _qualified(index, f"{facts.imports[head]}.{rest}" if rest else facts.imports[head], depth + 1)
    if not rest or "." in rest:
        return None
    # `plugins = PluginManager()` ... `plugins.get`
    local = region_facts(facts)
    cls: tuple[ModuleFacts, Definition] | None = None
    if local is not None and head in local.made:
        own = _member(facts, local.made[head])
        cls = (facts, own) if own is not None else None
    elif facts.instances.get(head):
        cls = _qualified(index, facts.instances[head], depth + 1)  # type: ignore[arg-type]
    if cls is not None and cls[1].kind == "class":
        member = _member(cls[0], f"{cls[1].name}.{rest}")
        return (cls[0], member) if member is not None else None
    return None
