"""Cheap tests over CPython's ast for the ast triggers of the route and logging rules.

A trigger runs on every node of its types in every file of the project, so each
test here looks at one node and its near children only. They may be looser
than the rules they stand for, never stricter: a trigger that says False for a
node the rule would report loses a finding.
"""

from __future__ import annotations

import ast
from typing import Iterator

BROAD_EXCEPTION_NAMES = frozenset({"Exception", "BaseException"})
BROAD_QUALIFIED = frozenset({"builtins.Exception", "builtins.BaseException"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
ERROR_HANDLER_DECORATORS = frozenset({"errorhandler", "app_errorhandler", "exception_handler"})


def last_name(node: ast.AST) -> str | None:
    """`abort` for `abort`, `flask.abort` and `self.api.abort`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def imported_as(node: ast.AST, facts, qualified: frozenset[str]) -> bool:
    """A bare name imported under another name from one of ``qualified`` (`from traceback
    import format_exc as fe`). Imports deeper in the tree than ``node`` are not seen yet:
    triggers that depend on this also fire on such aliasing imports themselves."""
    return isinstance(node, ast.Name) and facts.imports.get(node.id) in qualified


def aliases_any(node: ast.ImportFrom, modules: frozenset[str]) -> bool:
    """`from <one of modules> import X as Y`: a renamed import the name tests cannot follow."""
    return node.module in modules and any(alias.asname for alias in node.names)


def could_be_broad(handler: ast.ExceptHandler, facts) -> bool:
    """`except:`, `except Exception`, `except BaseException` (plain, dotted, aliased or in a tuple)."""
    kind = handler.type
    if kind is None:
        return True
    types = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for node in types:
        if last_name(node) in BROAD_EXCEPTION_NAMES or imported_as(node, facts, BROAD_QUALIFIED):
            return True
    return False


def own_walk(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes``, not descending into nested functions, lambdas and classes."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def mentions(node: ast.AST, name: str) -> bool:
    """The name appears anywhere under ``node``: as a variable, a keyword or a lambda parameter
    (the libcst side counts all three, so the trigger must too)."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            if inner.id == name:
                return True
        elif isinstance(inner, (ast.keyword, ast.arg)):
            if inner.arg == name:
                return True
    return False


def is_log_call(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS


def has_error_handler_decorator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) \
                and decorator.func.attr in ERROR_HANDLER_DECORATORS:
            return True
    return False
