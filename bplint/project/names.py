"""Resolving libcst expressions to qualified names through a module's import map.

This is the light alternative to libcst's QualifiedNameProvider: the import
map comes from the index phase, so resolving a name costs a dict look-up.
"""

from __future__ import annotations

import warnings

import libcst as cst

from bplint.project.index import ModuleFacts


def dotted(node: cst.CSTNode, calls: bool = False) -> str | None:
    """The source spelling of a Name/Attribute chain (`a.b.c`), else None; with `calls`,
    a call on the way is spelled `f()` (`PasswordHasher().hash`). See ``index.ast_dotted``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value, calls)
        return f"{base}.{node.attr.value}" if base else None
    if calls and isinstance(node, cst.Call):
        base = dotted(node.func, calls)
        return f"{base}()" if base else None
    return None


def qualified_name(node: cst.CSTNode, facts: ModuleFacts | None) -> str | None:
    """`F` after `from flask import Flask as F` is `flask.Flask`; a local name is None."""
    if facts is None:
        return None
    if isinstance(node, cst.Name):
        return facts.resolve_name(node.value)
    if isinstance(node, cst.Attribute):
        base = qualified_name(node.value, facts)
        return f"{base}.{node.attr.value}" if base else None
    return None


def instance_of(node: cst.CSTNode, facts: ModuleFacts | None) -> str | None:
    """For a name bound to `Flask(...)` in this module, `flask.Flask`; else None."""
    if facts is None or not isinstance(node, cst.Name):
        return None
    return facts.instances.get(node.value)


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain (non-f) string literal, implicit concatenation included."""
    if isinstance(node, cst.SimpleString):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes such as "\e" in user code
                value = node.evaluated_value
        except Exception:  # malformed escapes: treat as unknown
            return None
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional_arg(call: cst.Call, index: int) -> cst.Arg | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def walk(node: cst.CSTNode):
    """``node`` and every node below it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
