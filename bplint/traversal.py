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

from bplint.rule import PythonRule


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

    def __init__(self, rules: list[PythonRule], deadline: float, on_crash: Callable[[PythonRule, BaseException], None]) -> None:
        super().__init__()
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
        handlers = self._visit.get(type(node).__name__)
        if handlers:
            for handler in handlers:
                self._call(handler, node)
        # Rules never prune the walk: another rule may want the children.
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        handlers = self._leave.get(type(original_node).__name__)
        if handlers:
            for handler in handlers:
                self._call(handler, original_node)

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
