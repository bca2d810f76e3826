"""Where a local name's value came from: bindings per function, in source order.

A shared engine facility for rules that track values (request data into a
model, a hashed password, an SQL string built before it is executed). It runs
inside the one shared traversal, only in files where an active rule sets
``uses_bindings = True``, and records every binding of a name in the
enclosing function (or module) as the walk passes it: assignments, annotated
and augmented assignments, tuple unpacking, parameters, ``for`` and
comprehension targets, ``with ... as``, walrus, imports. A rule asks, at a use,
what the name was bound to before that point.

It is deliberately flow-insensitive within a function (branches are not
told apart): rules should treat several different bindings as "unclear"
and stay quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import libcst as cst


# Methods whose result still carries the value they are called on: container
# reads and copies, and string methods that keep the content.
_VALUE_KEEPING_METHODS = frozenset({
    "get", "copy", "dict", "model_dump", "to_dict", "items", "values",
    "strip", "lstrip", "rstrip", "lower", "upper", "encode", "decode",
})


@dataclass(frozen=True)
class Binding:
    """One binding of a name.

    ``kind``: assign, augassign, annassign, unpack, param, for, with, walrus, import.
    ``value``: the expression bound (for ``unpack`` the whole right side, with
    ``index`` the target's position; for ``for`` the iterated expression; for
    ``param`` the default, if any).
    """

    name: str
    kind: str
    node: cst.CSTNode
    value: cst.BaseExpression | None = None
    index: int | None = None
    param: cst.Param | None = None
    annotation: cst.Annotation | None = None


@dataclass
class _Scope:
    node: cst.CSTNode | None
    names: dict[str, list[Binding]] = field(default_factory=dict)

    def add(self, binding: Binding) -> None:
        self.names.setdefault(binding.name, []).append(binding)


class Bindings:
    def __init__(self) -> None:
        self._module = _Scope(None)
        self._stack: list[_Scope] = [self._module]

    # --- queries --------------------------------------------------------------
    def of(self, name: str) -> list[Binding]:
        """Every binding of ``name`` so far in the innermost scope, else the module."""
        scope = self._stack[-1]
        if name in scope.names:
            return scope.names[name]
        return self._module.names.get(name, [])

    def latest(self, name: str) -> Binding | None:
        found = self.of(name)
        return found[-1] if found else None

    def only(self, name: str) -> Binding | None:
        """The single binding of ``name``; None when there is none or several (unclear flow)."""
        found = self.of(name)
        return found[0] if len(found) == 1 else None

    def is_local(self, name: str) -> bool:
        """True when the innermost function (or class body) binds ``name``, shadowing the module's."""
        return len(self._stack) > 1 and name in self._stack[-1].names

    @property
    def function(self) -> cst.CSTNode | None:
        """The innermost function being walked (None at module or class level)."""
        for scope in reversed(self._stack):
            if isinstance(scope.node, (cst.FunctionDef, cst.Lambda)):
                return scope.node
        return None

    def trace(self, expr: cst.BaseExpression, test: Callable[[cst.BaseExpression], bool], depth: int = 6,
              attributes: bool = False) -> bool:
        """True when ``expr`` is, or comes through names from, an expression ``test`` accepts.

        Follows names to their latest binding, and sees through subscripts,
        ``.get()``/``.copy()``/``.dict()`` style calls and value-keeping string
        methods (``.strip()``, ``.encode()``) on a traced value, and ``await``.
        With ``attributes``, ``payload.password`` also comes from ``payload``.
        Stops after ``depth`` steps.
        """
        for candidate in self.sources(expr, depth, attributes):
            if test(candidate):
                return True
        return False

    def sources(self, expr: cst.BaseExpression, depth: int = 6,
                attributes: bool = False) -> Iterator[cst.BaseExpression]:
        """``expr`` and the expressions it was derived from, nearest first."""
        seen: set[int] = set()
        current: list[cst.BaseExpression] = [expr]
        for _ in range(depth):
            following: list[cst.BaseExpression] = []
            for node in current:
                if id(node) in seen:
                    continue
                seen.add(id(node))
                yield node
                following.extend(self._derived_from(node))
                if attributes and isinstance(node, cst.Attribute):
                    following.append(node.value)
            if not following:
                return
            current = following

    def _derived_from(self, node: cst.BaseExpression) -> list[cst.BaseExpression]:
        if isinstance(node, cst.Name):
            binding = self.latest(node.value)
            if binding is None or binding.value is None:
                return []
            if binding.kind == "unpack" and isinstance(binding.value, (cst.Tuple, cst.List)):
                elements = binding.value.elements
                if binding.index is not None and binding.index < len(elements):
                    return [elements[binding.index].value]
            return [binding.value]
        if isinstance(node, cst.Await):
            return [node.expression]
        if isinstance(node, cst.Subscript):
            return [node.value]
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                node.func.attr.value in _VALUE_KEEPING_METHODS:
            return [node.func.value]
        return []

    # --- recording, called by the dispatcher ------------------------------------
    def enter_class(self, node: cst.ClassDef) -> None:
        # class bodies bind names of their own; methods do not see them
        self._stack.append(_Scope(node))

    def enter_function(self, node: cst.FunctionDef | cst.Lambda) -> None:
        scope = _Scope(node)
        self._stack.append(scope)
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            scope.add(Binding(param.name.value, "param", param, value=param.default, param=param,
                              annotation=param.annotation))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.add(Binding(star.name.value, "param", star, param=star, annotation=star.annotation))

    def leave_scope(self) -> None:
        if len(self._stack) > 1:
            self._stack.pop()

    def record(self, node: cst.CSTNode) -> None:
        """Record the bindings a statement or expression makes (call on leave)."""
        scope = self._stack[-1]
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._bind_target(scope, target.target, node.value, "assign", node)
        elif isinstance(node, cst.AnnAssign):
            if isinstance(node.target, cst.Name):
                scope.add(Binding(node.target.value, "annassign", node, value=node.value, annotation=node.annotation))
        elif isinstance(node, cst.AugAssign):
            if isinstance(node.target, cst.Name):
                scope.add(Binding(node.target.value, "augassign", node, value=node.value))
        elif isinstance(node, cst.NamedExpr):
            if isinstance(node.target, cst.Name):
                scope.add(Binding(node.target.value, "walrus", node, value=node.value))
        elif isinstance(node, cst.WithItem):
            if node.asname is not None:
                self._bind_target(scope, node.asname.name, node.item, "with", node)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = alias.asname.name if alias.asname else alias.name
                if isinstance(name, cst.Name):
                    scope.add(Binding(name.value, "import", node))

    def record_loop_target(self, target: cst.BaseExpression, iterable: cst.BaseExpression, node: cst.CSTNode) -> None:
        """``for`` and comprehension targets: call on visit, before the body."""
        self._bind_target(self._stack[-1], target, iterable, "for", node)

    def _bind_target(self, scope: _Scope, target: cst.BaseExpression, value: cst.BaseExpression, kind: str,
                     node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            scope.add(Binding(target.value, kind, node, value=value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for index, element in enumerate(target.elements):
                inner = element.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                if isinstance(inner, cst.Name):
                    scope.add(Binding(inner.value, "unpack" if kind != "for" else "for", node, value=value,
                                      index=index))
                elif isinstance(inner, (cst.Tuple, cst.List)):
                    self._bind_target(scope, inner, value, kind, node)
