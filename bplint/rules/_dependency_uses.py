"""What application code uses at run time, for BP203: index-phase facts and their project view.

A development tool in a production list is needed after all when the application imports it
when it runs (a formatter called to format generated code) or a Django settings module that
production loads names it (`INSTALLED_APPS`, `MIDDLEWARE`). An import is not such a use when it
sits under a guard: an `if` on a development, test or debug switch, `if TYPE_CHECKING:`, or a
`try` that catches ImportError (the application runs without the module).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bplint.project.index import ModuleFacts, collects
from bplint.project.roles import Role
from bplint.rules._config_context import GUARD_WORDS, words

if TYPE_CHECKING:
    from bplint.scan.context import ProjectContext

USES_FAMILY = "bp2_uses"
# Django settings that name the packages a site loads (`"debug_toolbar"`, `"debug_toolbar.middleware...."`).
SETTINGS_PACKAGE_LISTS = frozenset({"INSTALLED_APPS", "MIDDLEWARE", "MIDDLEWARE_CLASSES"})
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


@dataclass
class ModuleUses:
    """Which packages a module needs when it runs, as far as its guards say.

    Kept only for modules with a guard or a Django package list; for the others every
    import is a use. A guard is an `if` on a development, test or debug switch
    (`if settings.DEBUG:`), `if TYPE_CHECKING:`, and a `try` that catches ImportError.
    """

    guarded_lines: set[int] = field(default_factory=set)  # statements inside a guard
    guarded: set[str] = field(default_factory=set)  # top-level modules imported inside a guard
    used: set[str] = field(default_factory=set)  # imported outside any guard, or named by a settings list


def _uses(facts: ModuleFacts) -> ModuleUses:
    found = facts.extra.get(USES_FAMILY)
    if not isinstance(found, ModuleUses):
        # The index walks breadth first and a guard encloses what it guards, so every import seen
        # before the module's first guard is outside all guards.
        found = facts.extra[USES_FAMILY] = ModuleUses(used=set(facts.imported_roots))
    return found


def module_runtime_packages(facts: ModuleFacts) -> set[str]:
    """The top-level modules this module needs when it runs (imports outside guards, settings lists)."""
    found = facts.extra.get(USES_FAMILY)
    roots = facts.imported_roots
    if not isinstance(found, ModuleUses):
        return roots
    return (roots - found.guarded) | found.used


def _statement_lines(body: list[ast.stmt], lines: set[int], budget: list[int]) -> None:
    """The lines of the statements in a block and in the blocks nested in it (statements only)."""
    stack = list(body)
    while stack and budget[0] > 0:
        statement = stack.pop()
        budget[0] -= 1
        lines.add(statement.lineno)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            nested = getattr(statement, name, None)
            if isinstance(nested, list):
                for item in nested:
                    if isinstance(item, ast.stmt):
                        stack.append(item)
                    elif isinstance(item, (ast.ExceptHandler, ast.match_case)):
                        stack.extend(item.body)


def _is_switch(test: ast.expr) -> bool:
    """A test on a development, test or debug switch, or on TYPE_CHECKING."""
    for node in ast.walk(test):
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if text == "TYPE_CHECKING":
            return True
        lowered = text.lower()
        if any(part in lowered for part in _GUARD_PARTS) and any(w in GUARD_WORDS for w in words(text)):
            return True
    return False


# every guard word contains one of these (a cheap test before splitting a name into words)
_GUARD_PARTS = ("dev", "local", "test", "debug")


def _guard(facts: ModuleFacts, body: list[ast.stmt]) -> None:
    if body:
        _statement_lines(body, _uses(facts).guarded_lines, [10_000])


@collects(ast.If)
def _collect_switch(node: ast.If, facts: ModuleFacts, _: object) -> None:
    if _is_switch(node.test):
        negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        _guard(facts, node.orelse if negated else node.body)


@collects(ast.Try)
def _collect_import_guard(node: ast.Try, facts: ModuleFacts, _: object) -> None:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS for n in names):
            _guard(facts, node.body)
            return


@collects(ast.Import, ast.ImportFrom)
def _collect_use(node: ast.Import | ast.ImportFrom, facts: ModuleFacts, _: object) -> None:
    found = facts.extra.get(USES_FAMILY)
    if not isinstance(found, ModuleUses):
        return  # no guard so far: runtime_packages counts every import
    if isinstance(node, ast.ImportFrom):
        roots = [node.module.split(".", 1)[0]] if node.module and not node.level else []
    else:
        roots = [alias.name.split(".", 1)[0] for alias in node.names]
    target = found.guarded if node.lineno in found.guarded_lines else found.used
    target.update(roots)


@collects(ast.Assign, ast.AugAssign, ast.AnnAssign)
def _collect_settings_list(node: ast.Assign | ast.AugAssign | ast.AnnAssign, facts: ModuleFacts, _: object) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if node.value is None or not any(isinstance(t, ast.Name) and t.id in SETTINGS_PACKAGE_LISTS for t in targets):
        return
    found = _uses(facts)
    if node.lineno in found.guarded_lines:
        return
    for item in ast.walk(node.value):
        if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value:
            found.used.add(item.value.split(".", 1)[0])


@collects(ast.Call)
def _collect_settings_append(node: ast.Call, facts: ModuleFacts, _: object) -> None:
    """`INSTALLED_APPS.append("debug_toolbar")`, `MIDDLEWARE.insert(0, "...")`, `.extend([...])`"""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("append", "insert", "extend")
            and isinstance(func.value, ast.Name) and func.value.id in SETTINGS_PACKAGE_LISTS):
        return
    found = _uses(facts)
    if node.lineno in found.guarded_lines:
        return
    for argument in node.args:
        for item in ast.walk(argument):
            if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value:
                found.used.add(item.value.split(".", 1)[0])


SHARED_KEY = "bp2.runtime-packages"


def runtime_packages(project: "ProjectContext") -> set[str]:
    """The top-level modules that application code needs when it runs: imported outside guards
    by a module whose role is application code, or named by a Django settings list there. Tests,
    development settings, scripts, migrations and examples do not count. Built once per scan."""
    found = project.shared.get(SHARED_KEY)
    if not isinstance(found, set):
        index = project.index
        found = set()
        for relpath, facts in index.modules.raw().items():
            if facts is not None and index.role_of(relpath) is Role.APPLICATION:
                found |= module_runtime_packages(facts)
        project.shared[SHARED_KEY] = found
    return found
