"""One walk of the libcst tree per file, shared by every Python rule active in it.

Each rule defines ``visit_<Node>`` / ``leave_<Node>`` methods like a libcst
visitor. The dispatcher builds a table from node type name to the bound
methods of the active rules and calls them as the single walk goes by, so a
file costs one traversal however many rules run.

The walk is bplint's own rather than ``Module.visit``: libcst's visit
rebuilds and re-validates every node on the way back up (it is built for
transformers), which costs as much as the parse. This walk only reads. It
visits children in the order libcst's own visitor does (read once per node
class from libcst's source), and skips whitespace and punctuation fields,
which no rule looks at, unless some active rule asks for such a node type.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import time
from typing import Callable

import libcst as cst

from bplint.project.bindings import Bindings
from bplint.rule import PythonRule

_FUNCTIONS = ("FunctionDef", "Lambda")
_RECORDED_ON_LEAVE = frozenset({"Assign", "AnnAssign", "AugAssign", "NamedExpr", "WithItem", "Import", "ImportFrom"})

# Fields that hold only layout: whitespace, comments, brackets, separators.
_TRIVIA_FIELDS = frozenset({
    "lpar", "rpar", "lbrace", "rbrace", "lbracket", "rbracket", "comma", "semicolon", "equal", "colon", "dot",
    "first_colon", "second_colon", "header", "footer", "leading_lines", "lines_after_decorators",
    "trailing_whitespace", "whitespace",
})
# The node types those fields hold; a rule that handles one of them gets the full walk.
_TRIVIA_TYPES = frozenset({
    "SimpleWhitespace", "ParenthesizedWhitespace", "TrailingWhitespace", "Newline", "EmptyLine", "Comment",
    "LeftParen", "RightParen", "LeftCurlyBrace", "RightCurlyBrace", "LeftSquareBracket", "RightSquareBracket",
    "Comma", "Semicolon", "AssignEqual", "Colon", "Dot",
})
_VISIT_CALL = re.compile(r'visit_(?:required|optional|sequence|sentinel|iterable|body_sequence)\(\s*self,\s*"(\w+)"')


def _is_trivia(field: str) -> bool:
    return field in _TRIVIA_FIELDS or field.startswith("whitespace")


_ORDER: dict[tuple[type, bool], tuple[str, ...]] = {}


def child_fields(cls: type, skip_trivia: bool) -> tuple[str, ...]:
    """The fields of a node class that hold children, in libcst's visiting order."""
    key = (cls, skip_trivia)
    order = _ORDER.get(key)
    if order is None:
        try:
            names = _VISIT_CALL.findall(inspect.getsource(cls._visit_and_replace_children))
        except (OSError, TypeError):
            names = []
        if not names:  # no source at hand: the dataclass order is close to it
            names = [f.name for f in dataclasses.fields(cls)]
        order = _ORDER[key] = tuple(n for n in names if not (skip_trivia and _is_trivia(n)))
    return order


def child_nodes(node: cst.CSTNode, skip_trivia: bool = True) -> list[cst.CSTNode]:
    """The node's children in libcst's visiting order (``node.children`` without running a
    visitor over the node); whitespace and comments left out unless ``skip_trivia`` is False."""
    found: list[cst.CSTNode] = []
    cls = type(node)
    for field in _ORDER.get((cls, skip_trivia)) or child_fields(cls, skip_trivia):
        value = getattr(node, field)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (tuple, list)):
            found.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found


class FileTimeout(Exception):
    pass


def visit_readonly(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Run a libcst ``CSTVisitor`` over ``node`` without rebuilding the tree.

    ``node.visit(visitor)`` rebuilds and re-validates every node it passes (it
    serves transformers); a rule that searches a subtree (a loop body, an
    argument) should call this instead. Visitors see the same ``visit_X`` /
    ``leave_X`` calls, in the same order, and may prune by returning False.
    """
    cls = type(visitor)
    skip = _SKIP_TRIVIA.get(cls)
    if skip is None:
        skip = _SKIP_TRIVIA[cls] = not any(
            attr.split("_", 1)[1] in _TRIVIA_TYPES for attr in dir(cls) if attr.startswith(("visit_", "leave_")))
    _visit_readonly(node, visitor, skip)


_SKIP_TRIVIA: dict[type, bool] = {}


def _visit_readonly(node: cst.CSTNode, visitor: cst.CSTVisitor, skip_trivia: bool) -> None:
    if visitor.on_visit(node):
        for child in child_nodes(node, skip_trivia):
            _visit_readonly(child, visitor, skip_trivia)
    visitor.on_leave(node)


class Dispatcher:
    # how many nodes between two looks at the clock
    _CLOCK_EVERY = 2048

    def __init__(self, rules: list[PythonRule], deadline: float, on_crash: Callable[[PythonRule, BaseException], None],
                 bindings: Bindings | None = None) -> None:
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
        self._skip_trivia = not (_TRIVIA_TYPES & (set(self._visit) | set(self._leave)))

    def walk(self, node: cst.CSTNode) -> None:
        self._count += 1
        if self._count % self._CLOCK_EVERY == 0 and time.monotonic() > self._deadline:
            raise FileTimeout()
        cls = type(node)
        kind = cls.__name__
        bindings = self._bindings
        if bindings is not None:
            # Scopes open before the rules see the node, so a rule visiting a
            # function already sees its parameters.
            if kind in _FUNCTIONS:
                bindings.enter_function(node)  # type: ignore[arg-type]
            elif kind == "ClassDef":
                bindings.enter_class(node)  # type: ignore[arg-type]
            elif kind == "For" or kind == "CompFor":
                bindings.record_loop_target(node.target, node.iter, node)  # type: ignore[attr-defined]
        handlers = self._visit.get(kind)
        if handlers:
            for handler in handlers:
                self._call(handler, node)
        order = _ORDER.get((cls, self._skip_trivia)) or child_fields(cls, self._skip_trivia)
        for field in order:
            value = getattr(node, field)
            if isinstance(value, cst.CSTNode):
                self.walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, cst.CSTNode):
                        self.walk(item)
        handlers = self._leave.get(kind)
        if handlers:
            for handler in handlers:
                self._call(handler, node)
        if bindings is not None:
            if kind in _RECORDED_ON_LEAVE:
                bindings.record(node)
            elif kind in _FUNCTIONS or kind == "ClassDef":
                bindings.leave_scope()

    def _call(self, handler: Callable, node: cst.CSTNode) -> None:
        rule = handler.__self__
        if id(rule) in self._dead:
            return
        try:
            handler(node)
        except FileTimeout:
            raise
        except (Exception, RecursionError) as exc:  # one rule's bug must not stop the others
            # (the walk itself fits the raised recursion limit for any tree
            # CPython accepts, so a RecursionError here is the rule's own)
            self._dead.add(id(rule))
            self._on_crash(rule, exc)
