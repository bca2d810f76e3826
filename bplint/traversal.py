"""One libcst traversal per file, shared by every Python rule active in it.

Each rule defines ``visit_<Node>`` / ``leave_<Node>`` methods like a libcst
visitor. The dispatcher builds a table from node type name to the bound
methods of the active rules and calls them as the single walk goes by, so a
file costs one traversal however many rules run.
"""

from __future__ import annotations

import time
from typing import Callable

import libcst as cst

from bplint.bindings import Bindings
from bplint.rule import PythonRule

_FUNCTIONS = ("FunctionDef", "Lambda")
_RECORDED_ON_LEAVE = frozenset({"Assign", "AnnAssign", "AugAssign", "NamedExpr", "WithItem", "Import", "ImportFrom"})


class FileTimeout(Exception):
    pass


class RuleCrash(Exception):
    def __init__(self, rule: PythonRule, error: BaseException) -> None:
        super().__init__(f"{rule.code}: {type(error).__name__}: {error}")
        self.rule = rule
        self.error = error


class Dispatcher(cst.CSTVisitor):
    # how many nodes between two looks at the clock
    _CLOCK_EVERY = 2048

    def __init__(self, rules: list[PythonRule], deadline: float, on_crash: Callable[[PythonRule, BaseException], None],
                 bindings: Bindings | None = None) -> None:
        super().__init__()
        self._bindings = bindings
        self._visit: dict[str, list[Callable]] = {}
        self._leave: dict[str, list[Callable]] = {}
        self._deadline = deadline
        self._count = 0
        self._on_crash = on_crash
        self._dead: set[int] = set()
        for rule in rules:
            for attr in dir(type(rule)):
                if attr.startswith("visit_") and attr != "visit_":
                    self._visit.setdefault(attr[6:], []).append(getattr(rule, attr))
                elif attr.startswith("leave_") and attr != "leave_":
                    self._leave.setdefault(attr[6:], []).append(getattr(rule, attr))

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._count += 1
        if self._count % self._CLOCK_EVERY == 0 and time.monotonic() > self._deadline:
            raise FileTimeout()
        kind = type(node).__name__
        if self._bindings is not None:
            self._track_visit(kind, node)
        handlers = self._visit.get(kind)
        if handlers:
            for handler in handlers:
                self._call(handler, node)
        # Rules never prune the walk: another rule may want the children.
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        kind = type(original_node).__name__
        handlers = self._leave.get(kind)
        if handlers:
            for handler in handlers:
                self._call(handler, original_node)
        if self._bindings is not None:
            if kind in _RECORDED_ON_LEAVE:
                self._bindings.record(original_node)
            elif kind in _FUNCTIONS or kind == "ClassDef":
                self._bindings.leave_scope()

    def _track_visit(self, kind: str, node: cst.CSTNode) -> None:
        # Scopes open before the rules see the node, so a rule visiting a
        # function already sees its parameters.
        if kind in _FUNCTIONS:
            self._bindings.enter_function(node)  # type: ignore[arg-type]
        elif kind == "ClassDef":
            self._bindings.enter_class(node)  # type: ignore[arg-type]
        elif kind in ("For", "CompFor"):
            self._bindings.record_loop_target(node.target, node.iter, node)  # type: ignore[attr-defined]

    def _call(self, handler: Callable, node: cst.CSTNode) -> None:
        rule = handler.__self__
        if id(rule) in self._dead:
            return
        try:
            handler(node)
        except (FileTimeout, RecursionError):
            raise
        except Exception as exc:  # one rule's bug must not stop the others
            self._dead.add(id(rule))
            self._on_crash(rule, exc)
