"""Is a possibly-``None`` value checked before it is used? A small, conservative flow check.

``first_unchecked_use(function, statement, name)`` starts right after
``statement`` (the assignment that binds ``name`` inside ``function``, a
libcst ``FunctionDef``) and follows the code forward, in source order,
looking for the first place where the value is *used* as if it could not be
``None``: an attribute (``user.email``, ``user.save()``), a subscript
(``row["id"]``), or an argument of a serializer (``UserSchema().dump(user)``,
``UserSerializer(user)``, ``UserOut.model_validate(user)``). It returns that
node, or ``None`` when the value is checked first or the flow is unclear.

Being a linter's helper, it prefers silence to guessing. The walk stops
(nothing reported) at the first statement that:

* tests the name at all: ``if not user``, ``if user is None``, ``if user``,
  ``assert user``, ``while user``, comparisons, ``user and user.name``,
  ``x if user else y``, ``getattr(user, ...)``;
* rebinds or deletes it, or aliases it (``return user``, ``other = user``);
* hands it to a function that is not a serializer (``ensure_found(user)``,
  ``authorize(user)``, ``render_template(..., user=user)``);
* uses it inside a ``try`` whose handler catches broad exceptions.

A use inside a branch that does not test the name (``if request.method ==
"POST": user.name = ...``) is a use: that path reaches it unchecked. The walk
leaves the block that binds the name only through ``try``/``with`` bodies;
out of an ``if`` or loop body the flow is unclear and it stops.

``surely_reaches(scope, statement, use, span)`` answers the converse question
for value tracking: does an assignment run on every path to a later use (the
use sits after it in the same block, or nested in a statement of that block)?
Then the value it binds is the one the use sees.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Callable, Iterator, Sequence, Union

import libcst as cst

# Callables whose argument is read field by field: None fails or serializes as an empty object.
SERIALIZER_WORDS = ("serializer", "schema", "serialize", "dump", "model_validate", "from_orm", "parse_obj")
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "AttributeError", "TypeError"})


_KINDS: ContextVar[frozenset[str]] = ContextVar("flow_use_kinds", default=frozenset({"attribute", "subscript",
                                                                                   "serializer"}))


class _Stop:
    """The flow is checked or unclear from here: report nothing."""


STOP = _Stop()
Result = Union[cst.CSTNode, _Stop, None]  # a use, stop, or "go on"


ALL_USES = frozenset({"attribute", "subscript", "serializer"})


def first_unchecked_use(function: cst.FunctionDef, statement: cst.CSTNode, name: str,
                        kinds: frozenset[str] = ALL_USES) -> cst.CSTNode | None:
    """The first use of ``name`` after ``statement`` that no ``None`` check protects, else None.

    ``kinds`` narrows what counts as a use: ``{"subscript"}`` asks only about
    ``data["key"]`` (an attribute use such as ``data.get(...)`` then ends the
    walk, as a check would).
    """
    token = _KINDS.set(kinds)
    try:
        return _first_unchecked_use(function, statement, name)
    finally:
        _KINDS.reset(token)


def _first_unchecked_use(function: cst.FunctionDef, statement: cst.CSTNode, name: str) -> cst.CSTNode | None:
    path = _path_to(_block(function.body), statement, [])
    if path is None:
        return None
    # innermost block first: the rest of the binding's block, then the blocks around it
    for depth in range(len(path) - 1, -1, -1):
        block, position, _ = path[depth]
        if depth < len(path) - 1 and not isinstance(path[depth + 1][2], (cst.Try, cst.With)):
            return None  # out of an if / loop / handler body: unclear which paths bound it
        result = _scan_block(block[position + 1:], name)
        if isinstance(result, _Stop):
            return None
        if result is not None:
            return result
        if _ends(block):
            return None
    return None


# --- locating the binding ---------------------------------------------------------------------

_PathEntry = tuple[Sequence[cst.CSTNode], int, cst.CSTNode | None]


def _path_to(block: Sequence[cst.CSTNode], target: cst.CSTNode, path: list[_PathEntry],
             owner: cst.CSTNode | None = None) -> list[_PathEntry] | None:
    for position, stmt in enumerate(block):
        here = [*path, (block, position, owner)]
        if stmt is target or (isinstance(stmt, cst.SimpleStatementLine) and any(s is target for s in stmt.body)):
            return here
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        for inner, inner_owner in _child_blocks(stmt):
            found = _path_to(inner, target, here, inner_owner)
            if found is not None:
                return found
    return None


def _child_blocks(stmt: cst.CSTNode) -> Iterator[tuple[Sequence[cst.CSTNode], cst.CSTNode]]:
    if isinstance(stmt, cst.If):
        yield _block(stmt.body), stmt
        if stmt.orelse is not None:
            if isinstance(stmt.orelse, cst.If):
                yield [stmt.orelse], stmt
            else:
                yield _block(stmt.orelse.body), stmt
    elif isinstance(stmt, (cst.For, cst.While)):
        yield _block(stmt.body), stmt
        if stmt.orelse is not None:
            yield _block(stmt.orelse.body), stmt
    elif isinstance(stmt, cst.With):
        yield _block(stmt.body), stmt
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        yield _block(stmt.body), stmt
        for handler in stmt.handlers:
            yield _block(handler.body), handler
        if stmt.orelse is not None:
            yield _block(stmt.orelse.body), stmt.orelse
        if stmt.finalbody is not None:
            yield _block(stmt.finalbody.body), stmt.finalbody


def _block(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(body, cst.IndentedBlock):
        return body.body
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    return []


def _ends(block: Sequence[cst.CSTNode]) -> bool:
    """The block leaves the function (or loop) at its end: nothing after it runs on this path."""
    if not block:
        return False
    last = block[-1]
    small = last.body if isinstance(last, cst.SimpleStatementLine) else [last]
    return any(isinstance(s, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for s in small)


# --- scanning forward ---------------------------------------------------------------------------


def _scan_block(block: Sequence[cst.CSTNode], name: str) -> Result:
    for stmt in block:
        result = _scan_statement(stmt, name)
        if result is not None:
            return result
        small = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        if any(isinstance(s, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for s in small):
            return STOP  # this path ends here without a use
    return None


def _scan_statement(stmt: cst.CSTNode, name: str) -> Result:
    if isinstance(stmt, cst.BaseSmallStatement):  # from a one-line suite: `if x: return`
        return _scan_small(stmt, name)
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            result = _scan_small(small, name)
            if result is not None:
                return result
        return None
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return STOP if mentions(stmt, name) else None  # a closure over it: unclear when it runs
    if isinstance(stmt, cst.If):
        header = _header_result(stmt.test, name)
        if header is not None:
            return header
        return _first_of(_scan_block(block, name) for block, _ in _child_blocks(stmt))
    if isinstance(stmt, (cst.For, cst.While)):
        header = _header_result(stmt.iter if isinstance(stmt, cst.For) else stmt.test, name)
        if header is not None:
            return header
        if isinstance(stmt, cst.For) and mentions(stmt.target, name):
            return STOP
        return _first_of(_scan_block(block, name) for block, _ in _child_blocks(stmt))
    if isinstance(stmt, cst.With):
        for item in stmt.items:
            header = _header_result(item, name)
            if header is not None:
                return header
        return _scan_block(_block(stmt.body), name)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        inside = _scan_block(_block(stmt.body), name)
        if isinstance(inside, cst.CSTNode) and _catches_broadly(stmt):
            return STOP
        if inside is not None:
            return inside
        for handler in stmt.handlers:
            if mentions(handler, name):
                return STOP
        for part in (stmt.orelse, stmt.finalbody):
            if part is not None:
                result = _scan_block(_block(part.body), name)
                if result is not None:
                    return result
        return None
    return STOP if mentions(stmt, name) else None


def _first_of(results: Iterator[Result]) -> Result:
    stopped = False
    for result in results:
        if isinstance(result, cst.CSTNode):
            return result
        if isinstance(result, _Stop):
            stopped = True
    return STOP if stopped else None


def _header_result(expr: cst.CSTNode, name: str) -> Result:
    use = find_use(expr, name)
    if use is not None:
        return use
    return STOP if mentions(expr, name) else None


def _scan_small(small: cst.CSTNode, name: str) -> Result:
    use = find_use(small, name)
    if use is not None:
        return use
    if mentions(small, name) or _binds(small, name):
        return STOP
    return None


def _binds(small: cst.CSTNode, name: str) -> bool:
    targets: list[cst.CSTNode] = []
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
        targets = [small.target]
    elif isinstance(small, cst.Del):
        targets = [small.target]
    elif isinstance(small, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
        return True  # rare in handlers; unclear
    return any(isinstance(t, cst.Name) and t.value == name or
               isinstance(t, (cst.Tuple, cst.List)) and mentions(t, name) for t in targets)


def _catches_broadly(stmt: cst.Try | cst.TryStar) -> bool:
    for handler in stmt.handlers:
        if handler.type is None:
            return True
        caught = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
        for exc in caught:
            spelled = exc.attr.value if isinstance(exc, cst.Attribute) else getattr(exc, "value", None)
            if spelled in BROAD_EXCEPTIONS:
                return True
    return False


# --- expressions ----------------------------------------------------------------------------------


def mentions(node: cst.CSTNode, name: str) -> bool:
    """The name appears as a variable anywhere in ``node`` (not as an attribute or keyword)."""
    if isinstance(node, cst.Name):
        return node.value == name
    if isinstance(node, cst.Attribute):
        return mentions(node.value, name)
    if isinstance(node, cst.Arg):
        return mentions(node.value, name)
    return any(mentions(child, name) for child in node.children)


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def find_use(node: cst.CSTNode, name: str) -> cst.CSTNode | None:
    """The first unguarded use of ``name`` in an expression or small statement.

    None when there is none, or when a guard comes first (``user and
    user.name``, ``user.name if user else None``, ``getattr(user, ...)``).
    """
    result = _find(node, name)
    return result if isinstance(result, cst.CSTNode) else None


def _find(node: cst.CSTNode, name: str) -> Result:
    if isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
        return STOP if mentions(node, name) else None
    if isinstance(node, cst.Attribute):
        if _is_name(node.value, name):
            return node if "attribute" in _KINDS.get() else STOP
        return _find(node.value, name)
    if isinstance(node, cst.Subscript):
        if _is_name(node.value, name):
            return node if "subscript" in _KINDS.get() else STOP
    if isinstance(node, cst.BooleanOperation):
        if mentions(node.left, name):
            left = _find(node.left, name)
            return left if isinstance(left, cst.CSTNode) else STOP
    if isinstance(node, cst.IfExp):
        if mentions(node.test, name):
            return STOP
    if isinstance(node, cst.Comparison) and mentions(node, name):
        inner = _children_first(node, name)
        return inner if isinstance(inner, cst.CSTNode) else STOP
    if isinstance(node, cst.NamedExpr) and _is_name(node.target, name):
        return STOP
    if isinstance(node, cst.Call):
        passed = [arg for arg in node.args if _is_name(arg.value, name)]
        if passed:
            inner = _find(node.func, name)
            if isinstance(inner, cst.CSTNode):
                return inner
            if _is_serializer(node.func) and "serializer" in _KINDS.get():
                return passed[0].value
            return STOP  # handed to a function that may check it
    return _children_first(node, name)


def _children_first(node: cst.CSTNode, name: str) -> Result:
    for child in node.children:
        if _is_name(child, name) and not isinstance(node, (cst.Attribute, cst.Subscript)):
            # a bare reference: returned, stored, aliased... it may be checked later
            return STOP
        result = _find(child, name)
        if result is not None:
            return result
    return None


def _is_serializer(func: cst.CSTNode) -> bool:
    spelled = ""
    while isinstance(func, (cst.Attribute, cst.Call)):
        if isinstance(func, cst.Call):
            func = func.func
            continue
        spelled = f"{func.attr.value}.{spelled}"
        func = func.value
    if isinstance(func, cst.Name):
        spelled = f"{func.value}.{spelled}"
    lower = spelled.lower()
    return any(word in lower for word in SERIALIZER_WORDS)


# --- does an assignment reach a use? --------------------------------------------------------------

Span = Callable[[cst.CSTNode], "tuple[tuple[int, int], tuple[int, int]] | None"]


def surely_reaches(scope: cst.CSTNode, statement: cst.CSTNode, use: cst.CSTNode, span: Span) -> bool:
    """True when ``statement`` (a small statement of ``scope``, a function or module: an assignment)
    runs on every path to ``use`` and nothing in between is skipped: ``use`` sits in a statement
    after it in the same block (or nested in one). ``span`` gives a node's (start, end) as
    (line, column) pairs. A later rebinding is the caller's to rule out (the bindings record
    says which bindings come before ``use``)."""
    if isinstance(scope, cst.FunctionDef):
        body = _block(scope.body)
    elif isinstance(scope, cst.Module):
        body = scope.body
    else:
        return False
    path = _path_to(body, statement, [])
    if path is None:
        return False
    block, position, _ = path[-1]
    following = block[position + 1:]
    if not following:
        return False
    first, last, at = span(following[0]), span(following[-1]), span(use)
    if first is None or last is None or at is None:
        return False
    return first[0] <= at[0] and at[1] <= last[1]
