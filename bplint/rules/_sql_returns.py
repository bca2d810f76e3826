"""What the SQL rule records about each module in the index phase (``facts.extra["sql"]``).

Per module: the top-level functions and methods whose every ``return`` gives a value that
cannot carry SQL of its caller's making, whatever their arguments are:

* quoted: the body quotes its result, by doubling the quote character
  (``'"' + name.replace('"', '""') + '"'``) or by a quoting function
  (``quote_ident(...)``, ``dialect.identifier_preparer.quote(...)``, psycopg ``sql.Identifier``);
* a number: ``int(...)``, ``len(...)``, numeric literals and arithmetic on them
  (``(key << 16) | space``).

BP404 reads it across modules, so `identifier(table)` from a helper module of the project is
known to be quoted where it is used.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bplint.project.index import ModuleFacts, collects
from bplint.rules._route_ast import last_name

QUOTED = "quoted"
NUMBER = "number"
CONSTANT = "constant"

# calls whose result is a number (or that raise)
NUMBER_CALLS = frozenset({"int", "float", "len", "abs", "round", "ord", "hash", "bool", "count"})
# calls that quote an identifier or a literal for SQL, by their last name
QUOTING_CALLS = frozenset({"quote_ident", "quote_identifier", "quote_name", "quote_literal", "quote_nullable",
                           "escape_identifier", "escape_literal", "Identifier", "Literal"})
# objects whose `.quote(...)` quotes an SQL identifier: a dialect's identifier preparer
QUOTING_OBJECTS = frozenset({"identifier_preparer", "preparer"})
QUOTE_CHARACTERS = frozenset({'"', "'", "`"})
# arithmetic that gives a number when one side is a number (`+` of a string and a number raises)
NUMERIC_OPERATORS = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Pow, ast.LShift, ast.RShift, ast.BitOr,
                     ast.BitAnd, ast.BitXor)
MAX_DEPTH = 8


@dataclass
class SqlFacts:
    """Functions ("name" or "Class.method") of one module whose result is safe in SQL text: the kind."""

    safe_returns: dict[str, str] = field(default_factory=dict)


def sql_facts(facts: ModuleFacts | None) -> SqlFacts | None:
    if facts is None:
        return None
    found = facts.extra.get("sql")
    return found if isinstance(found, SqlFacts) else None


@collects(ast.Module)
def _module_functions(node: ast.Module, facts: ModuleFacts, _: object) -> None:
    found: dict[str, str] = {}
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = returns_kind(statement)
            if kind is not None:
                found[statement.name] = kind
        elif isinstance(statement, ast.ClassDef):
            for inner in statement.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    kind = returns_kind(inner)
                    if kind is not None:
                        found[f"{statement.name}.{inner.name}"] = kind
    if found:
        facts.extra["sql"] = SqlFacts(found)


def returns_kind(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """QUOTED or NUMBER when every return of ``function`` gives such a value, else None."""
    returns: list[ast.expr | None] = []
    assigned: dict[str, list[ast.expr]] = {}
    _statements(function.body, returns, assigned)
    if not returns or any(value is None for value in returns):
        return None
    kinds = {_kind(value, assigned, 0) for value in returns if value is not None}
    if None in kinds:
        return None
    if QUOTED in kinds:
        return QUOTED
    return NUMBER if NUMBER in kinds else None  # a function returning only constant text is not a quoter


def _statements(body: list[ast.stmt], returns: list[ast.expr | None], assigned: dict[str, list[ast.expr]]) -> None:
    """Statement by statement (no expressions walked): the returned values and local assignments."""
    for statement in body:
        if isinstance(statement, ast.Return):
            returns.append(statement.value)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(statement.value)
                else:  # an unpacking: the names' values are unclear
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            assigned.setdefault(name.id, []).append(ast.Name("?", ast.Load()))
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
            if isinstance(statement.target, ast.Name) and statement.value is not None:
                value = statement.value if isinstance(statement, ast.AnnAssign) else \
                    ast.BinOp(statement.target, statement.op, statement.value)
                assigned.setdefault(statement.target.id, []).append(value)
        elif isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            if isinstance(statement, (ast.For, ast.AsyncFor)):
                for name in ast.walk(statement.target):
                    if isinstance(name, ast.Name):
                        assigned.setdefault(name.id, []).append(ast.Name("?", ast.Load()))
            _statements(statement.body, returns, assigned)
            _statements(getattr(statement, "orelse", []), returns, assigned)
        elif isinstance(statement, ast.Try) or type(statement).__name__ == "TryStar":
            _statements(statement.body, returns, assigned)  # type: ignore[attr-defined]
            for handler in statement.handlers:  # type: ignore[attr-defined]
                _statements(handler.body, returns, assigned)
            _statements(statement.orelse, returns, assigned)  # type: ignore[attr-defined]
            _statements(statement.finalbody, returns, assigned)  # type: ignore[attr-defined]


def quoting_replace(call: ast.Call) -> bool:
    """`text.replace('"', '""')`, `text.replace("'", "''")`: the quote character doubled (or escaped)."""
    if len(call.args) != 2 or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args):
        return False
    old, new = call.args[0].value, call.args[1].value  # type: ignore[attr-defined]
    return old in QUOTE_CHARACTERS and new in (old * 2, "\\" + old)


def _kind(expr: ast.expr, assigned: dict[str, list[ast.expr]], depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return None
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, bool) or expr.value is None:
            return CONSTANT
        if isinstance(expr.value, (int, float)):
            return NUMBER
        return CONSTANT if isinstance(expr.value, str) else None
    if isinstance(expr, ast.Call):
        func = expr.func
        name = last_name(func)
        if name in NUMBER_CALLS:
            return NUMBER
        if name in QUOTING_CALLS:
            return QUOTED
        if isinstance(func, ast.Attribute):
            if name == "quote" and last_name(func.value) in QUOTING_OBJECTS:
                return QUOTED
            if name == "replace":
                if quoting_replace(expr):
                    return QUOTED
                return _kind(func.value, assigned, depth + 1)  # `.replace("\0", "")` keeps what it had
            if name == "format" and isinstance(func.value, ast.Constant):
                kinds = {_kind(a, assigned, depth + 1) for a in expr.args}
                kinds |= {_kind(k.value, assigned, depth + 1) for k in expr.keywords}
                return _combine(kinds)
        return None
    if isinstance(expr, ast.BinOp):
        left, right = _kind(expr.left, assigned, depth + 1), _kind(expr.right, assigned, depth + 1)
        if isinstance(expr.op, ast.Add) and CONSTANT in (left, right):  # text around a quoted value
            return _combine({left, right})
        if isinstance(expr.op, NUMERIC_OPERATORS) and NUMBER in (left, right):
            return NUMBER
        if isinstance(expr.op, (ast.Mult, ast.Mod)) and left == NUMBER and right == NUMBER:
            return NUMBER
        return None
    if isinstance(expr, ast.JoinedStr):
        kinds = {_kind(v.value, assigned, depth + 1) for v in expr.values if isinstance(v, ast.FormattedValue)}
        return _combine(kinds | {CONSTANT})
    if isinstance(expr, ast.IfExp):
        return _combine({_kind(expr.body, assigned, depth + 1), _kind(expr.orelse, assigned, depth + 1)})
    if isinstance(expr, ast.Name):
        values = assigned.get(expr.id)
        if not values or expr.id == "?":
            return None
        return _combine({_kind(v, assigned, depth + 1) for v in values})
    return None


def _combine(kinds: set[str | None]) -> str | None:
    """Several parts: unknown if any is; quoted if any is quoted; a number only if all are."""
    if None in kinds or not kinds:
        return None
    if kinds == {NUMBER}:
        return NUMBER
    if kinds == {CONSTANT}:
        return CONSTANT
    return QUOTED if QUOTED in kinds or NUMBER in kinds else CONSTANT
