"""The project index: facts about the whole project, gathered before any rule runs.

Phase one of a scan reads every Python file once with CPython's own parser
(``ast``). That parse is cheap (about a seventh of libcst's), it is the gate
that keeps inputs which would crash or hang libcst away from it, and its walk
collects the per-module facts rules need across files: the import map, the
objects built from framework classes, the environment variables read.
Later rule families add their own facts through ``FACT_COLLECTORS``.
"""

from __future__ import annotations

import ast
import builtins
import enum
import sys
from collections import deque
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")

from bplint.discover.files import FileKind, SourceFile, is_env_example
from bplint.discover.filesystem import FileSystem
from bplint.discover.pyversion import PythonTarget

BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Location:
    """1-based line and column, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class EnvRead:
    name: str
    location: Location


class SyntaxKind(str, enum.Enum):
    FILE = "file"  # not text, or not readable: whatever the Python version
    SYNTAX = "syntax"  # invalid for the project's Python (BP001 names the version)
    UNSUPPORTED = "unsupported"  # maybe valid for the project's Python, but this bplint cannot read it


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    line: int
    column: int
    kind: SyntaxKind = SyntaxKind.FILE


class Families(dict):
    """``ModuleFacts.extra``: the facts each rule family gathers, by the family's name. A plain
    dict to its users; the cache reads a family back only when something asks for it (see
    ``cache_codec.lazy_families``): most families of most modules are never asked for in a scan
    that reuses the cache."""

    __slots__ = ()
    cache_lazy_values = True


@dataclass
class ModuleFacts:
    relpath: str
    module: str  # dotted module name, best effort from the path
    # local name -> qualified name: `from flask import Flask as F` gives F -> flask.Flask
    imports: dict[str, str] = field(default_factory=dict)
    # names the module itself binds with def/class (they shadow builtins)
    defined: set[str] = field(default_factory=set)
    # name -> qualified name of the callable whose result it is bound to
    # (`app = Flask(__name__)` gives app -> flask.Flask); None when ambiguous
    instances: dict[str, str | None] = field(default_factory=dict)
    env_reads: list[EnvRead] = field(default_factory=list)
    # facts that one rule family collects for itself (keyed by the family's name); the cache
    # holds only plain values and the dataclasses listed in ``cache_codec.ALLOWED``
    extra: Families = field(default_factory=Families)
    node_count: int = 0
    syntax_error: SyntaxProblem | None = None
    # codes of the rules whose ast trigger fired in this module (see PythonRule.ast_trigger)
    triggered: set[str] = field(default_factory=set)
    # the modules whose names it takes with `from x import *` (qualified), in import order
    star_imports: list[str] = field(default_factory=list)

    @property
    def imported_roots(self) -> set[str]:
        return {q.split(".", 1)[0] for q in self.imports.values()}

    def imports_any(self, *prefixes: str) -> bool:
        """True when the module imports any of these modules (or names from them)."""
        return any(q == p or q.startswith(p + ".") for q in self.imports.values() for p in prefixes)

    def family(self, key: str, kind: type[T]) -> T:
        """The facts one rule family gathers in this module (``extra[key]``), made on first use."""
        found = self.extra.get(key)
        if not isinstance(found, kind):
            found = self.extra[key] = kind()
        return found

    def imported(self, spelled: str) -> str | None:
        """The qualified name a dotted spelling stands for when its first part is imported here
        (`api.TestApp` with `import webtest as api` gives `webtest.TestApp`); None otherwise."""
        head, _, rest = spelled.partition(".")
        qualified = self.imports.get(head)
        if qualified is None:
            return None
        return f"{qualified}.{rest}" if rest else qualified

    def resolve_name(self, name: str) -> str | None:
        """The qualified name a bare name stands for, or None for a local."""
        if name in self.imports:
            return self.imports[name]
        if name in self.defined:
            return None
        if name in BUILTIN_NAMES:
            return f"builtins.{name}"
        return None


class _Recorded(dict):
    """A dict that notes which keys a rule reads, so cached results know their inputs."""

    def __init__(self, label: str, note: Callable[[tuple[str, str]], None]) -> None:
        super().__init__()
        self._label = label
        self._note = note
        self._plain: dict = {}  # the same contents, read without noting

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self._plain[key] = value

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        del self._plain[key]

    def __getitem__(self, key):  # type: ignore[override]
        self._note((self._label, key))
        return super().__getitem__(key)

    def get(self, key, default=None):  # type: ignore[override]
        self._note((self._label, key))
        return super().get(key, default)

    def __contains__(self, key) -> bool:  # type: ignore[override]
        self._note((self._label, key))
        return super().__contains__(key)

    def _all(self) -> None:
        self._note((self._label, "*"))

    def __iter__(self):  # type: ignore[override]
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self):  # type: ignore[override]
        self._all()
        return super().keys()

    def values(self):  # type: ignore[override]
        self._all()
        return super().values()

    def items(self):  # type: ignore[override]
        self._all()
        return super().items()

    def raw(self) -> dict:
        """The contents, without noting a read (for the engine's own bookkeeping; do not modify)."""
        return self._plain


# name -> builder of a project-wide view that callers depend on by value (see ProjectIndex.view)
VIEW_BUILDERS: dict[str, Callable[["ProjectIndex"], object]] = {}
# separates a view's name from the part of it a caller read, in recorded reads
VIEW_PART = "\x00"


def project_view(name: str) -> Callable[[Callable[["ProjectIndex"], T]], Callable[["ProjectIndex"], T]]:
    """Register the builder of a project-wide view read through ``ProjectIndex.view``.

    The view must be plain data (dataclasses, containers, strings, numbers):
    the cache compares views by a digest of their value. A view that callers
    read in pieces has a ``part(key)`` method.
    """

    def register(build: Callable[["ProjectIndex"], T]) -> Callable[["ProjectIndex"], T]:
        VIEW_BUILDERS[name] = build
        return build

    return register


class ProjectIndex:
    """Facts about the whole project, shared read-only by every rule.

    While the engine checks one file it records which facts that file's rules
    read (``reading``): modules by path or name, the file list, the roles
    of files, and the paths it asked ``fs`` about. A cached result is reused only while those facts are unchanged, so
    editing a model module re-checks the views that look at it and nothing else.
    """

    def __init__(self, root: Path, root_prefix: str = "") -> None:
        self.root = root
        # the root as a report path prefix: "" when the root is the working directory
        self.root_prefix = root_prefix
        self._reads: set[tuple[str, str]] | None = None
        self.modules: _Recorded = _Recorded("modules", self._note)  # relpath -> ModuleFacts
        self.files: _Recorded = _Recorded("files", self._note)  # relpath -> FileKind
        self.roles: _Recorded = _Recorded("roles", self._note)  # relpath -> roles.Role (bplint.project.roles)
        # relpath -> the regions (bplint.project.regions.Region) of lines whose role is not the file's
        self.regions: _Recorded = _Recorded("regions", self._note)
        # paths beyond the scanned files (a README, an included requirement file)
        self.fs = FileSystem(self._note)
        self._by_name: dict[str, ModuleFacts] | None = None
        self._packages: set[str] = set()  # the top-level packages of the project's modules
        self._derived: dict[str, tuple[object, frozenset[tuple[str, str]]]] = {}
        self._views: dict[str, tuple[object, frozenset[tuple[str, str]]]] = {}
        self._derived_used: set[str] | None = None

    def derived(self, name: str, build: Callable[["ProjectIndex"], T]) -> T:
        """A project-wide view (all routes, all models) built once per scan and shared.

        What ``build`` read is recorded for every file that asks for the view,
        not only the first, so cached results that used it are re-checked when
        those facts change. A builder may iterate ``modules.raw()`` and note
        only the facts it really used, to keep the dependency narrow.
        """
        entry = self._derived.get(name)
        if entry is None:
            with self.reading() as reads:
                value = build(self)
            entry = self._derived[name] = (value, frozenset(reads))
        for key in entry[1]:
            self._note(key)
        if self._derived_used is not None:
            self._derived_used.add(name)
        return entry[0]  # type: ignore[return-value]

    def view(self, name: str, part: str | None = None) -> Any:
        """A registered project-wide view (``project_view``), built once per scan.

        Unlike with ``derived``, the caller depends on the view's value, not
        on every fact it was built from: an edit that changes a module's facts
        but leaves the view equal (or the part the caller asked for: the
        routes of one module) keeps the caller's cached result.
        """
        value, _ = self.view_and_inputs(name)
        self._note(("view", name if part is None else f"{name}{VIEW_PART}{part}"))
        return value if part is None else value.part(part)  # type: ignore[attr-defined]

    def view_and_inputs(self, name: str) -> tuple[Any, frozenset[tuple[str, str]]]:
        """The view and the facts its builder read (for the cache), without noting a read."""
        entry = self._views.get(name)
        if entry is None:
            with self.reading() as reads:
                value = VIEW_BUILDERS[name](self)
            entry = self._views[name] = (value, frozenset(reads))
        return entry

    def replace_module(self, relpath: str, facts: ModuleFacts) -> None:
        """Put a file's new facts in place of its old ones (an edited file, in an editor's
        session): the views built from the old facts are built again when next asked for."""
        self.modules[relpath] = facts
        self._by_name = None
        self.forget_views()

    def forget_views(self) -> None:
        """Drop the project-wide views built so far (``derived``, ``view``)."""
        self._derived.clear()
        self._views.clear()

    def _note(self, key: tuple[str, str]) -> None:
        if self._reads is not None:
            self._reads.add(key)

    @contextmanager
    def using_derived(self) -> Iterator[set[str]]:
        """The names of the ``derived`` views used inside the block. A builder may note only some
        of the facts it read, so an editor's session checks a file that used one again whenever
        another module's facts change."""
        previous, self._derived_used = self._derived_used, set()
        try:
            yield self._derived_used
        finally:
            if previous is not None:
                previous |= self._derived_used
            self._derived_used = previous

    @contextmanager
    def reading(self) -> Iterator[set[tuple[str, str]]]:
        """Record the facts read inside the block."""
        previous, self._reads = self._reads, set()
        try:
            yield self._reads
        finally:
            self._reads = previous

    # Test files are the files whose role is test (``Role.TEST``, a str enum: compared by value here).
    @property
    def test_files(self) -> set[str]:
        return {relpath for relpath, role in self.roles.items() if role == "test"}

    def is_test_file(self, relpath: str) -> bool:
        return self.roles.get(relpath) == "test"

    def role_of(self, relpath: str) -> Any:
        """The file's role (a ``bplint.project.roles.Role``; application code when the scan does not have it)."""
        role = self.roles.get(relpath)
        if role is None:
            from bplint.project.roles import Role

            return Role.APPLICATION
        return role

    def regions_of(self, relpath: str) -> tuple:
        """The file's regions whose role differs from the file's (``bplint.project.regions.Region``), by line."""
        return self.regions.get(relpath) or ()

    def module_by_name(self, dotted: str) -> ModuleFacts | None:
        """The project module with this dotted name (`app.models`), if the scan has it."""
        by_name = self._names()
        package = dotted.split(".", 1)[0]
        if package in self._packages:
            self._note(("name", dotted))
        else:
            # Most names asked about are other libraries' (`os.path`, `flask.request`): noting
            # only that the project has no such top-level package keeps each file's record short.
            self._note(("package", package))
        return by_name.get(dotted)

    def has_package(self, name: str) -> bool:
        """Whether some project module's dotted name starts with this top-level package (not noted)."""
        self._names()
        return name in self._packages

    def _names(self) -> dict[str, ModuleFacts]:
        if self._by_name is None:
            by_name = {facts.module: facts for facts in self.modules.raw().values()}
            by_name.update(_rooted_names(by_name))
            self._by_name = by_name
            self._packages = {name.split(".", 1)[0] for name in self._by_name}
        return self._by_name

    def resolve_definition(self, qualified: str) -> tuple[ModuleFacts, str] | None:
        """For `app.security.hash_password`, the project module `app.security` and the name
        `hash_password` (trying shorter module prefixes for attributes of classes)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self.module_by_name(".".join(parts[:cut]))
            if facts is not None:
                return facts, ".".join(parts[cut:])
        return None

    def star_export(self, facts: ModuleFacts, name: str, depth: int = 0) -> str | None:
        """The qualified name a module gets `name` under through its `from x import *` lines
        (`from .models import *` in a package's `__init__`), following chains of them; None when
        no project module it star-imports binds the name."""
        if depth > 6 or name.startswith("_"):
            return None
        for source in reversed(facts.star_imports):  # a later star import shadows an earlier one
            module = self.module_by_name(source)
            if module is None or module is facts:
                continue
            if name in module.defined or name in module.imports or name in module.instances:
                return f"{source}.{name}"
            found = self.star_export(module, name, depth + 1)
            if found is not None:
                return found
        return None

    def root_relpath(self, name: str) -> str:
        """The report path of a file at the project root."""
        return f"{self.root_prefix}{name}"

    def dotenv_ignored_by_git(self) -> dict[str, bool]:
        """Whether git ignores each dotenv file of the scan (by relpath), asked once per scan and
        recorded like any question about the file system; a file git could not answer for is missing."""
        prefix = self.root_prefix
        paths = {str(self.root / relpath[len(prefix):]): relpath for relpath, kind in self.files.raw().items()
                 if kind is FileKind.DOTENV and relpath.startswith(prefix)}
        if not paths:
            return {}
        answers = self.fs.ignored_by_git(list(paths))
        return {paths[path]: ignored for path, ignored in answers.items() if path in paths}

    @property
    def env_example_files(self) -> list[str]:
        return sorted(p for p, kind in self.files.items() if kind is FileKind.DOTENV and is_env_example(p))


# --- gathering ---------------------------------------------------------------

FactCollector = Callable[[ast.AST, ModuleFacts, "_LineIndex"], None]
FACT_COLLECTORS: dict[type, list[FactCollector]] = {}


def collects(*node_types: type) -> Callable[[FactCollector], FactCollector]:
    """Register a function that reads facts from nodes of these ast types."""

    def register(func: FactCollector) -> FactCollector:
        for node_type in node_types:
            FACT_COLLECTORS.setdefault(node_type, []).append(func)
        return func

    return register


class _LineIndex:
    """Turns ast's UTF-8 byte columns into character columns."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    @property
    def text(self) -> str:
        """The module's source text."""
        return self._text

    def location(self, node: ast.AST) -> Location:
        line, end_line = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
        return Location(line, self._column(line, node.col_offset) + 1, end_line,
                        self._column(end_line, getattr(node, "end_col_offset", node.col_offset) or 0) + 1)

    def _column(self, line: int, byte_offset: int) -> int:
        if self._text.isascii():
            return byte_offset
        if self._lines is None:
            from bplint.discover.files import split_lines

            self._lines = split_lines(self._text)
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _rooted_names(by_name: dict[str, ModuleFacts]) -> dict[str, ModuleFacts]:
    """Names of the modules of a package that sits in a plain folder of the project
    (`backend/app/__init__.py`: the application runs from `backend/`, so it imports `app.models`,
    not `backend.app.models`). Only packages count (a plain folder's single modules would shadow
    the standard library's); a name the project already has, or that two folders give, is left out."""
    packages = {name for name, facts in by_name.items() if facts.relpath.endswith("__init__.py")}
    found: dict[str, ModuleFacts] = {}
    clashes: set[str] = set()
    for name, facts in by_name.items():
        parts = name.split(".")
        for cut in range(1, len(parts)):
            if ".".join(parts[:cut]) in packages:
                break  # inside a package: imported by its full name
            if ".".join(parts[:cut + 1]) in packages:
                inner = ".".join(parts[cut:])
                if inner in found and found[inner] is not facts:
                    clashes.add(inner)
                found[inner] = facts
                break
    return {name: facts for name, facts in found.items() if name not in by_name and name not in clashes}


def unimportable_folders(parts: list[str]) -> list[int]:
    """The positions of the folders of a path (its parts, the file last) whose name is no Python
    identifier (`MyApp-2.0`, `02-invalid-files`): no import path can go through them."""
    return [i for i, part in enumerate(parts[:-1]) if part and not part.isidentifier()]


def module_name(relpath: str) -> str:
    """The dotted name the file is imported by (`app/models.py` -> `app.models`).

    A folder whose name is no Python identifier (`MyApp-2.0/`, an unpacked release or a checkout
    named `my-project`) cannot be part of an import path: the imports start below the last one,
    so a project scanned from the folder above it still resolves `from app.models import ...`.
    """
    parts = relpath[:-3].split("/") if relpath.endswith(".py") else relpath.split("/")
    outside = unimportable_folders(parts)
    if outside:
        parts = parts[outside[-1] + 1:]
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p)


# Deeper syntax trees than this are not handed to libcst: its native parser
# crashes the process on some of them, and its visitors recurse per level.
MAX_NODES = 400_000
GATE_RECURSION_LIMIT = 1000


Trigger = Callable[[ast.AST, ModuleFacts], bool]
# Nodes with no child nodes but their expression context: a third of a tree.
_LEAF_TYPES = frozenset({ast.Name, ast.Constant})


def parse_module_facts(file: SourceFile, text: str,
                       triggers: dict[type, list[tuple[str, Trigger]]] | None = None,
                       target: PythonTarget | None = None, timeout: float = 30.0,
                       ) -> tuple[ast.Module | None, ModuleFacts]:
    """Parse with CPython's parser and gather the module's facts in one walk.

    ``triggers`` maps ast node types to (rule code, test) pairs: a rule whose
    test holds for some node is noted in ``facts.triggered``, and only such
    rules' libcst visitors run on the file later. A file the running parser
    rejects is read for ``target`` when that Python is newer (see
    ``bplint.discover.newer_syntax``; ``timeout`` bounds that).
    """
    facts = ModuleFacts(relpath=file.relpath, module=module_name(file.rootpath or file.relpath))
    rewritten = False
    try:
        tree = _parse(text, file.relpath)
    except SyntaxError as exc:
        message = _syntax_message(exc)
        problem_kind = SyntaxKind.FILE if "null bytes" in (exc.msg or "") else SyntaxKind.SYNTAX
        problem = SyntaxProblem(message, exc.lineno or 1, max(exc.offset or 1, 1), problem_kind)
        if problem_kind is SyntaxKind.FILE or target is None or not target.newer_than_running:
            facts.syntax_error = problem
            return None, facts
        tree, facts.syntax_error = _parse_for_target(file, text, target, timeout, problem)
        if tree is None:
            return None, facts
        rewritten = True
    except (RecursionError, MemoryError):
        facts.syntax_error = TOO_DEEP
        return None, facts
    except ValueError as exc:  # NUL bytes on older Pythons
        facts.syntax_error = SyntaxProblem(str(exc), 1, 1)
        return None, facts
    lines = _LineIndex(text)
    collectors = FACT_COLLECTORS
    triggers = triggers or {}
    triggered = facts.triggered
    count = 0
    # Breadth first, as ast.walk: module-level imports and assignments are
    # seen before the code nested in functions that uses them.
    todo = deque([tree])
    pop, push = todo.popleft, todo.append
    AST, context, leaves = ast.AST, ast.expr_context, _LEAF_TYPES
    while todo:
        node = pop()
        count += 1
        kind = type(node)
        handlers = collectors.get(kind)
        if handlers:
            for handler in handlers:
                handler(node, facts, lines)
        tests = triggers.get(kind)
        if tests:
            for code, test in tests:
                if code not in triggered and test(node, facts):
                    triggered.add(code)
        if kind in leaves:
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST) and not isinstance(value, context):
                push(value)
    facts.node_count = count
    if rewritten:
        # the rewritten constructs are not spelled as the rules' ast triggers expect
        triggered.update(code for tests in triggers.values() for code, _ in tests)
    return tree, facts


TOO_DEEP = SyntaxProblem("expression nested too deeply for the Python parser (CPython cannot compile it either)",
                         1, 1)


def _parse(text: str, filename: str) -> ast.Module:
    with warnings.catch_warnings(), _default_recursion_limit():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
        return ast.parse(text, filename=filename, type_comments=False)


def _parse_for_target(file: SourceFile, text: str, target: PythonTarget, timeout: float,
                      first: SyntaxProblem) -> tuple[ast.Module | None, SyntaxProblem | None]:
    """The tree of a file in syntax newer than the running parser's, from its rewrite.
    ``first`` is the running parser's complaint."""
    from bplint.discover.newer_syntax import INVALID_EVERYWHERE, Rewritten, rewrite_for_target, unsupported

    outcome = rewrite_for_target(text, target, timeout)
    if not isinstance(outcome, Rewritten):
        if outcome.message == INVALID_EVERYWHERE and outcome.line == first.line:
            return None, first  # the same error, in CPython's clearer words
        return None, outcome
    try:
        return _parse(outcome.text, file.relpath), None
    except SyntaxError as exc:  # syntax newer still that is not rewritten, or an error libcst lets pass
        return None, unsupported(target, f"{_syntax_message(exc)} at line {exc.lineno or 1}")
    except (RecursionError, MemoryError):
        return None, TOO_DEEP


@contextmanager
def _default_recursion_limit() -> Iterator[None]:
    """Parse under CPython's default limit: the gate must reject what CPython rejects,
    even while the scan runs with the raised limit libcst's visitors need."""
    previous = sys.getrecursionlimit()
    if previous > GATE_RECURSION_LIMIT:
        sys.setrecursionlimit(GATE_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _syntax_message(exc: SyntaxError) -> str:
    message = exc.msg or "invalid syntax"
    if "null bytes" in message:
        return "file contains NUL bytes (a binary file?)"
    return message


# --- core facts: imports, definitions, instances, environment reads ----------


@collects(ast.Import)
def _import(node: ast.Import, facts: ModuleFacts, _: _LineIndex) -> None:
    for alias in node.names:
        if alias.asname:
            facts.imports[alias.asname] = alias.name
        else:
            root = alias.name.split(".", 1)[0]
            facts.imports[root] = root


@collects(ast.ImportFrom)
def _import_from(node: ast.ImportFrom, facts: ModuleFacts, _: _LineIndex) -> None:
    base = node.module or ""
    if node.level:
        package = facts.module.split(".") if facts.module else []
        if not facts.relpath.endswith("__init__.py"):
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join([*package, base] if base else package)
    for alias in node.names:
        if alias.name == "*":
            if base and base not in facts.star_imports:
                facts.star_imports.append(base)
            continue
        facts.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


@collects(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
def _definition(node: ast.AST, facts: ModuleFacts, _: _LineIndex) -> None:
    facts.defined.add(node.name)  # type: ignore[attr-defined]


def ast_dotted(node: ast.AST, calls: bool = False) -> str | None:
    """The source spelling of a Name/Attribute chain (`a.b.c`), else None; with `calls`,
    a call on the way is spelled `f()` (`PasswordHasher().hash`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = ast_dotted(node.value, calls)
        return f"{base}.{node.attr}" if base else None
    if calls and isinstance(node, ast.Call):
        base = ast_dotted(node.func, calls)
        return f"{base}()" if base else None
    return None


def qualified_name(node: ast.AST, facts: ModuleFacts) -> str | None:
    """The qualified name of a Name/Attribute chain, resolved through imports."""
    if isinstance(node, ast.Name):
        return facts.resolve_name(node.id)
    if isinstance(node, ast.Attribute):
        base = qualified_name(node.value, facts)
        return f"{base}.{node.attr}" if base else None
    return None


@collects(ast.Assign, ast.AnnAssign)
def _instance(node: ast.AST, facts: ModuleFacts, _: _LineIndex) -> None:
    value = node.value  # type: ignore[attr-defined]
    if not isinstance(value, ast.Call):
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    callee = qualified_name(value.func, facts)
    for target in targets:
        if isinstance(target, ast.Name):
            if callee is None:
                # bound to something else somewhere: no longer sure what it is
                if target.id in facts.instances:
                    facts.instances[target.id] = None
                continue
            previous = facts.instances.get(target.id, callee)
            facts.instances[target.id] = callee if previous == callee else None


ENV_GETTERS = {
    "os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop",
    "decouple.config", "posix.getenv",
}
ENV_READER_CLASSES = {"environs.Env", "environ.Env"}
# give a variable a value: `os.environ.setdefault("X", "1")` is the code's default, not a read to document
ENV_DEFAULT_SETTERS = {"os.environ.setdefault"}


@collects(ast.Call)
def _env_call(node: ast.Call, facts: ModuleFacts, lines: _LineIndex) -> None:
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return
    callee = qualified_name(node.func, facts)
    reader = callee in ENV_GETTERS and callee not in ENV_DEFAULT_SETTERS
    if not reader:
        # env("X"), env.str("X"), env.bool("X") on an environs / django-environ Env()
        func = node.func
        base = func.value if isinstance(func, ast.Attribute) else func
        if isinstance(base, ast.Name) and facts.instances.get(base.id) in ENV_READER_CLASSES:
            reader = True
    if reader:
        facts.env_reads.append(EnvRead(node.args[0].value, lines.location(node)))


@collects(ast.Subscript)
def _env_subscript(node: ast.Subscript, facts: ModuleFacts, lines: _LineIndex) -> None:
    key = node.slice
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and isinstance(node.ctx, ast.Load):
        if qualified_name(node.value, facts) == "os.environ":
            facts.env_reads.append(EnvRead(key.value, lines.location(node)))
