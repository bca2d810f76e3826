"""Cheap candidate tests over CPython's ``ast`` for the BP4 rules (their ast triggers).

The index phase parses every file with ``ast``; a rule with an ast trigger has its
libcst visitor run only in files where the trigger found a candidate. A trigger must
hold for everything its rule can report, so each test here keeps every shape the
rule's recognisers (``bplint.project.orm_queries``, ``bplint.rules.bp4_*``) accept, judged
with less knowledge (no model index, no other module) and answering True whenever it
cannot tell.

What the rules need to know about a name (is ``users`` a query? is ``db`` a session?
is ``sql`` built from a non-constant value?) depends on how its scope binds it, and
the index walk is breadth-first without parents, so the tests do not judge nodes one
by one: when the index walk starts at a module, ``analysis(module)`` walks the whole
module once, depth first, and records

* per scope (module, function, class body), the names it binds and how, as
  ``bplint.project.bindings`` records them (assign, annotated and augmented assign, walrus,
  unpacking, ``for`` and comprehension targets, ``with ... as``, imports,
  parameters); code in a lambda is judged against both its scope and the module;
* module-wide, like the import map of ``ModuleFacts``: names imported (``import x``
  apart from ``from x import y``), class names, names bound to a call's result;
* the loops (``for`` statements and comprehension ``for`` clauses) with their target
  names, iterable, and whether their body reads an attribute of a loop variable or
  ``break``s;
* every call, with the loops it runs in (innermost last) the way the rules' loop
  trackers count them: the iterable of an outermost loop runs once, the iterable of
  a nested loop once per iteration of the loop around it, and a function defined in
  a loop body still runs in that loop.

Each rule's test then reads the analysis (computed once per module, whichever rules
ask). Names resolve like ``Bindings.of`` resolves them: in the scope that binds them,
else in the module.
"""

from __future__ import annotations

import ast
from typing import Callable, Iterable

from bplint.project._route_facts import FAMILY as ROUTES
from bplint.project.index import ModuleFacts

# past this depth of an expression a test gives up and says "candidate"
_MAX_DEPTH = 24

# binding kinds whose value the query reader follows (``QueryReader._binding``)
_VALUE_KINDS = frozenset({"assign", "annassign", "walrus"})
# ... and the SQL string reader (``SqlInjection._built_name``)
_STRING_KINDS = frozenset({"assign", "annassign", "augassign", "walrus"})
SESSION_READS = frozenset({"get", "query", "execute", "scalars", "scalar", "get_one"})
SESSION_CLASS_NAMES = frozenset({"Session", "AsyncSession", "scoped_session", "async_scoped_session"})
SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "mogrify"})
SQL_TEXT_NAMES = frozenset({"text", "TextClause", "RawSQL"})
# other drivers' calls that run SQL: asyncpg `fetch` / `fetchrow` / `fetchval` / `cursor`, pg8000 `run`
SQL_DRIVER_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "cursor", "run"})
# methods of SQLAlchemy queries that take SQL text (SQLAlchemy before 2.0 took plain strings)
SQL_ORM_TEXT_METHODS = frozenset({"filter", "where", "having", "order_by", "group_by"})
SQL_OTHER_METHODS = SQL_DRIVER_METHODS | SQL_ORM_TEXT_METHODS
_SQL_CALL_NAMES = SQL_METHODS | SQL_OTHER_METHODS | SQL_TEXT_NAMES | {"raw", "extra"}


class Loop:
    """One ``for`` statement, or one ``for`` clause of a comprehension."""

    __slots__ = ("statement", "targets", "iterable", "touched", "has_break", "scope", "in_lambda")

    def __init__(self, statement: bool, target: ast.AST, iterable: ast.AST, scope: "Scope", in_lambda: bool) -> None:
        self.statement = statement
        self.targets = frozenset(_target_names(target))
        # what the loop variable is an element of, in the shapes the rules type:
        # `for x in it` and `for i, x in enumerate(it)`
        self.iterable: ast.AST | None = None
        if isinstance(target, ast.Name):
            self.iterable = iterable
        elif isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2 and \
                isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
            self.iterable = _first_positional(iterable)
        self.touched = False  # the body reads an attribute of a loop variable
        self.has_break = False
        self.scope = scope
        self.in_lambda = in_lambda


Binding = tuple  # (kind, value or None, annotation or None)


class Scope:
    """What one scope binds, and the calls made in it."""

    __slots__ = ("module", "function", "bindings", "calls")

    def __init__(self, module: "Scope | None", function: bool) -> None:
        self.module = module  # the module's scope; None for the module itself
        self.function = function  # a function, or a class body inside one
        self.bindings: dict[str, list[Binding]] = {}
        # (call, loops it runs in with the innermost last, inside a lambda)
        self.calls: list[tuple[ast.Call, tuple[Loop, ...], bool]] = []

    def bind(self, name: str, kind: str, value: ast.AST | None = None, annotation: ast.AST | None = None) -> None:
        self.bindings.setdefault(name, []).append((kind, value, annotation))


class Analysis:
    """One module, walked once for every BP4 rule's test."""

    def __init__(self, module: ast.Module) -> None:
        self.module = Scope(None, False)
        self.scopes: list[Scope] = [self.module]
        self.loops: list[Loop] = []
        self.imported: dict[str, list[str]] = {}  # local name -> imported dotted names, in any scope
        self.from_imported: set[str] = set()  # names bound by `from x import y`
        self.star_imported = False  # a `from x import *`: any free name may be one of x's
        self.from_sources: dict[str, tuple[int, str]] = {}  # `from x import y` name -> (level, x)
        self.functions: set[str] = set()  # top-level `def` names
        self.classes: set[str] = set()
        self.instances: set[str] = set()  # names bound to the result of a call, in any scope
        # calls with a method, run in a loop; calls that may run SQL: (call, ..., in a lambda, scope)
        self.loop_calls: list[tuple[ast.Call, tuple[Loop, ...], bool, Scope]] = []
        self.sql_calls: list[tuple[ast.Call, bool, Scope]] = []
        # calls of a bare name with arguments, run in a loop: maybe a project helper that queries
        self.loop_helper_calls: list[tuple[ast.Call, tuple[Loop, ...]]] = []
        self.results: dict[str, bool] = {}
        self._walk(module)

    def result(self, code: str, test: Callable[["Analysis"], bool]) -> bool:
        found = self.results.get(code)
        if found is None:
            found = self.results[code] = test(self)
        return found

    # --- the walk -----------------------------------------------------------------------
    def _walk(self, tree: ast.Module) -> None:
        # frames: (nodes, loops they run in, the loop a `break` there ends, in a lambda, scope)
        todo: list[tuple[list, tuple[Loop, ...], Loop | None, bool, Scope]] = [
            (tree.body, (), None, False, self.module)]
        pop, push = todo.pop, todo.append
        fields_of, special = _FIELDS, _SPECIAL
        while todo:
            nodes, loops, owner, in_lambda, scope = pop()
            for item in nodes:
                kind = type(item)
                handler = special.get(kind, 0)
                if handler is None:  # a leaf: names, constants, contexts
                    continue
                if handler and handler(self, item, loops, owner, in_lambda, scope, push):
                    continue
                fields = fields_of.get(kind)
                if fields is None:
                    fields = fields_of[kind] = _child_fields(kind)
                if not fields:
                    continue
                children: list = []
                for name in fields:
                    value = getattr(item, name)
                    if value.__class__ is list:
                        children.extend(value)
                    elif value is not None:
                        children.append(value)
                if children:
                    push((children, loops, owner, in_lambda, scope))

    def _call(self, node, loops, owner, in_lambda, scope, push) -> bool:
        scope.calls.append((node, loops, in_lambda))
        func = node.func
        if func.__class__ is ast.Attribute:
            if loops:
                self.loop_calls.append((node, loops, in_lambda, scope))
            if func.attr in _SQL_CALL_NAMES:
                self.sql_calls.append((node, in_lambda, scope))
        elif func.__class__ is ast.Name and (node.args or node.keywords):
            self.sql_calls.append((node, in_lambda, scope))  # text() / RawSQL() under any import alias
            if loops:
                self.loop_helper_calls.append((node, loops))
        return False

    def _attribute(self, node, loops, owner, in_lambda, scope, push) -> bool:
        value = node.value
        if loops and value.__class__ is ast.Name:
            name = value.id
            for loop in loops:
                if name in loop.targets:
                    loop.touched = True
        return False

    def _for(self, node, loops, owner, in_lambda, scope, push) -> bool:
        loop = Loop(True, node.target, node.iter, scope, in_lambda)
        self.loops.append(loop)
        _bind_target(scope, node.target, node.iter, "for")
        inner = loops + (loop,)
        push(([node.iter], inner if loops else (), owner, in_lambda, scope))
        push(([node.target], inner, None, in_lambda, scope))
        push((node.body, inner, loop, in_lambda, scope))
        push((node.orelse, inner, None, in_lambda, scope))
        return True

    def _comprehension(self, node, loops, owner, in_lambda, scope, push) -> bool:
        generators = node.generators
        clauses = tuple(Loop(False, g.target, g.iter, scope, in_lambda) for g in generators)
        self.loops.extend(clauses)
        inner = loops + clauses
        rest: list = []
        for position, generator in enumerate(generators):
            _bind_target(scope, generator.target, generator.iter, "for")
            if position == 0 and not loops:
                push(([generator.iter], (), None, in_lambda, scope))  # runs once
            else:
                rest.append(generator.iter)
            rest.append(generator.target)
            rest.extend(generator.ifs)
        if node.__class__ is ast.DictComp:
            rest.append(node.key)
            rest.append(node.value)
        else:
            rest.append(node.elt)
        push((rest, inner, None, in_lambda, scope))
        return True

    def _while(self, node, loops, owner, in_lambda, scope, push) -> bool:
        push(([node.test], loops, owner, in_lambda, scope))
        push((node.body + node.orelse, loops, None, in_lambda, scope))  # a `break` there ends the while
        return True

    def _break(self, node, loops, owner, in_lambda, scope, push) -> bool:
        if owner is not None:
            owner.has_break = True
        return True

    def _function(self, node, loops, owner, in_lambda, scope, push) -> bool:
        if scope is self.module:
            self.functions.add(node.name)
        inner = Scope(self.module, True)
        self.scopes.append(inner)
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
                    arguments.kwarg):
            if arg is not None:
                inner.bind(arg.arg, "param", None, arg.annotation)
        # decorators and defaults too: the rules' bindings open the scope before them
        push(([*node.decorator_list, arguments, *([node.returns] if node.returns else []), *node.body],
              loops, None, False, inner))
        return True

    def _class(self, node, loops, owner, in_lambda, scope, push) -> bool:
        self.classes.add(node.name)
        inner = Scope(self.module, scope.function)
        self.scopes.append(inner)
        push(([*node.decorator_list, *node.bases, *node.keywords, *node.body], loops, None, False, inner))
        return True

    def _lambda(self, node, loops, owner, in_lambda, scope, push) -> bool:
        # its parameters are its own; names in it are judged against this scope and the module
        push(([node.args, node.body], loops, None, True, scope))
        return True

    def _assign(self, node, loops, owner, in_lambda, scope, push) -> bool:
        value = node.value
        for target in node.targets:
            _bind_target(scope, target, value, "assign")
            if value.__class__ is ast.Call and target.__class__ is ast.Name:
                self.instances.add(target.id)
        return False

    def _ann_assign(self, node, loops, owner, in_lambda, scope, push) -> bool:
        target = node.target
        if target.__class__ is ast.Name:
            scope.bind(target.id, "annassign", node.value, node.annotation)
            if node.value.__class__ is ast.Call:
                self.instances.add(target.id)
        return False

    def _aug_assign(self, node, loops, owner, in_lambda, scope, push) -> bool:
        if node.target.__class__ is ast.Name:
            scope.bind(node.target.id, "augassign", node.value)
        return False

    def _walrus(self, node, loops, owner, in_lambda, scope, push) -> bool:
        if node.target.__class__ is ast.Name:
            scope.bind(node.target.id, "walrus", node.value)
        return False

    def _with_item(self, node, loops, owner, in_lambda, scope, push) -> bool:
        if node.optional_vars is not None:
            _bind_target(scope, node.optional_vars, node.context_expr, "with")
        return False

    def _import(self, node, loops, owner, in_lambda, scope, push) -> bool:
        base = (node.module or "") if node.__class__ is ast.ImportFrom else None
        for alias in node.names:
            if alias.name == "*":
                self.star_imported = True
                continue
            if base is None:
                local, target = alias.asname or alias.name.split(".", 1)[0], alias.name
            else:
                local, target = alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name
                self.from_imported.add(local)
                self.from_sources[local] = (node.level or 0, base)
            scope.bind(local, "import")
            self.imported.setdefault(local, []).append(target)
        return True


# node type -> handler (True: it pushed what it wants walked), or None for a leaf
_SPECIAL: dict[type, Callable[..., bool] | None] = {
    ast.Name: None, ast.Constant: None, ast.Load: None, ast.Store: None, ast.Del: None, type(None): None,
    ast.Pass: None, ast.Continue: None,
    ast.Call: Analysis._call, ast.Attribute: Analysis._attribute,
    ast.For: Analysis._for, ast.AsyncFor: Analysis._for,
    ast.ListComp: Analysis._comprehension, ast.SetComp: Analysis._comprehension,
    ast.GeneratorExp: Analysis._comprehension, ast.DictComp: Analysis._comprehension,
    ast.While: Analysis._while, ast.Break: Analysis._break,
    ast.FunctionDef: Analysis._function, ast.AsyncFunctionDef: Analysis._function, ast.ClassDef: Analysis._class,
    ast.Lambda: Analysis._lambda,
    ast.Assign: Analysis._assign, ast.AnnAssign: Analysis._ann_assign, ast.AugAssign: Analysis._aug_assign,
    ast.NamedExpr: Analysis._walrus, ast.withitem: Analysis._with_item,
    ast.Import: Analysis._import, ast.ImportFrom: Analysis._import,
}
# fields that never hold a child node worth walking (names, operators, flags)
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "names", "module", "level", "kind",
                          "type_comment", "is_async", "simple", "conversion", "kwd_attrs", "rest", "asname",
                          "type_ignores"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    if not issubclass(kind, ast.AST):
        return ()
    return tuple(f for f in kind._fields if f not in _LEAF_FIELDS)


_current: tuple[ast.AST | None, Analysis | None] = (None, None)


def analysis(module: ast.AST) -> Analysis:
    """The analysis of this module, made on the first test and shared by the others."""
    global _current
    if _current[0] is not module:
        _current = (module, Analysis(module))  # type: ignore[arg-type]
    return _current[1]  # type: ignore[return-value]


def _target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _bind_target(scope: Scope, target: ast.AST, value: ast.AST, kind: str) -> None:
    if isinstance(target, ast.Name):
        scope.bind(target.id, kind, value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for name in _target_names(target):
            scope.bind(name, "for" if kind == "for" else "unpack", value)


def _first_positional(call: ast.Call) -> ast.AST | None:
    for arg in call.args:
        if not isinstance(arg, ast.Starred):
            return arg
    return None


# --- judging expressions ------------------------------------------------------------


class Judge:
    """Loose answers about the expressions of one scope: True unless the value surely is not one."""

    def __init__(self, found: Analysis, scope: Scope, in_lambda: bool = False) -> None:
        self.found = found
        self.scope = scope
        self.in_lambda = in_lambda

    def bindings(self, name: str) -> list[Binding]:
        """The bindings ``Bindings.of(name)`` could answer with here."""
        scope = self.scope
        own = scope.bindings.get(name)
        module = scope.module
        if module is None:  # the module's own code
            return own or []
        if own and not self.in_lambda:
            return own
        found = module.bindings.get(name, [])
        return (own or []) + found if self.in_lambda else found

    def _local_variable(self, name: str) -> bool:
        """True when a function binds ``name`` only as a variable (not an import): no model class."""
        if self.scope.module is None or self.in_lambda:
            return False
        own = self.scope.bindings.get(name)
        return bool(own) and all(kind != "import" for kind, _, _ in own)

    def _object(self, name: str) -> bool:
        """A name the module's facts may know an object for: `from x import name`, `name = call()`, or
        a name no scope binds in a module that star-imports (`from .models import *`)."""
        found = self.found
        return name in found.from_imported or name in found.instances or \
            (found.star_imported and not self.bindings(name) and name not in found.classes)

    # models and queries (QueryReader.model_class / query) ------------------------------
    def model(self, expr: ast.AST) -> bool:
        """A model class: a class, a `from` import or `get_user_model()` result; or
        `module.Model` through an import."""
        kind = type(expr)
        if kind is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            return not self._local_variable(name) and (self._object(name) or name in self.found.classes)
        if kind is not ast.Attribute:
            return False
        root = expr
        while type(root) is ast.Attribute:
            root = root.value  # type: ignore[attr-defined]
        return type(root) is ast.Name and root.id in self.found.imported and \
            not self._local_variable(root.id)  # type: ignore[attr-defined]

    def query(self, expr: ast.AST, depth: int = 0, seen: frozenset[str] = frozenset()) -> bool:
        if depth > _MAX_DEPTH:
            return True
        kind = type(expr)
        if kind is ast.Await:
            return self.query(expr.value, depth + 1, seen)  # type: ignore[attr-defined]
        if kind is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            if name in seen:
                return False  # `qs = qs.filter(...)`: the other bindings decide
            seen = seen | {name}
            return any(k in _VALUE_KINDS and v is not None and self.query(v, depth + 1, seen)
                       for k, v, _ in self.bindings(name))
        if kind is ast.Attribute:
            # `Model.query`, `Model.objects` (any manager), `pagination.items`
            return self.model(expr.value) or \
                (expr.attr == "items" and self.query(expr.value, depth + 1, seen))  # type: ignore[attr-defined]
        if kind is ast.Subscript:
            return self.query(expr.value, depth + 1, seen)  # type: ignore[attr-defined]
        if kind is ast.Call:
            func = expr.func  # type: ignore[attr-defined]
            first = _first_positional(expr)  # type: ignore[arg-type]
            if type(func) is ast.Attribute:
                if first is not None:
                    if func.attr == "query" and self.model(first):
                        return True
                    if func.attr in ("scalars", "execute", "paginate") and self.query(first, depth + 1, seen):
                        return True
                return self.query(func.value, depth + 1, seen)
            if type(func) is ast.Name and first is not None:
                # select(Model), list(q) / sorted(q), get_list_or_404(Model or q)
                return self.model(first) or self.query(first, depth + 1, seen)
            return False
        return False

    # sessions and cursors (QueryReader.is_session, QueryInLoop._is_cursor) ---------------
    def session(self, expr: ast.AST, depth: int = 0, seen: frozenset[str] = frozenset()) -> bool:
        if depth > _MAX_DEPTH:
            return True
        kind = type(expr)
        if kind is ast.Await:
            return self.session(expr.value, depth + 1, seen)  # type: ignore[attr-defined]
        if kind is ast.Attribute:
            return expr.attr == "session"  # type: ignore[attr-defined]  # `db.session`
        if kind is ast.Call:
            func = expr.func  # type: ignore[attr-defined]
            if type(func) is ast.Attribute:
                return func.attr in SESSION_CLASS_NAMES
            return type(func) is ast.Name and self._object(func.id)  # Session(), SessionLocal()
        if kind is not ast.Name:
            return False
        name = expr.id  # type: ignore[attr-defined]
        found = self.bindings(name)
        if not found:
            return self._object(name)
        if name in seen:
            return False
        seen = seen | {name}
        for kind_, value, annotation in found:
            if kind_ == "import":
                if self._object(name):
                    return True
            elif kind_ in ("param", "annassign") and annotation is not None:
                return True
            if kind_ in ("assign", "annassign", "walrus", "with") and value is not None:
                if self.session(value, depth + 1, seen):
                    return True
                if kind_ == "with" and type(value) is ast.Call and type(value.func) is ast.Attribute and \
                        value.func.attr == "begin" and self.session(value.func.value, depth + 1, seen):
                    return True
        return False

    def cursor(self, expr: ast.AST) -> bool:
        if _makes_cursor(expr):
            return True
        return type(expr) is ast.Name and any(
            value is not None and _makes_cursor(value) for _, value, _ in self.bindings(expr.id))  # type: ignore

    # SQL strings (SqlInjection._built) --------------------------------------------------
    def unsafe_string(self, expr: ast.AST, depth: int = 0, seen: frozenset[str] = frozenset()) -> bool:
        """True unless ``expr`` surely is not a string built here from a non-constant value."""
        if depth > _MAX_DEPTH:
            return True
        kind = type(expr)
        if kind is ast.JoinedStr:
            return any(type(part) is ast.FormattedValue and not _constant(part.value)
                       for part in expr.values)  # type: ignore[attr-defined]
        if kind is ast.BinOp:
            op = type(expr.op)  # type: ignore[attr-defined]
            if op is ast.Mod:
                left = expr.left  # type: ignore[attr-defined]
                return self.string(left, depth + 1, seen) and \
                    (self.unsafe_string(left, depth + 1, seen) or not _constant(expr.right))  # type: ignore
            if op is ast.Add:
                parts = _flatten_add(expr)
                if parts is None:
                    return True
                built = [self.string(p, depth + 1, seen) for p in parts]
                return any(built) and any(self.unsafe_string(p, depth + 1, seen) if b else not _constant(p)
                                          for p, b in zip(parts, built))
            return False
        if kind is ast.Call:
            func = expr.func  # type: ignore[attr-defined]
            if type(func) is ast.Attribute and func.attr == "format":
                arguments = (*expr.args, *(k.value for k in expr.keywords))  # type: ignore[attr-defined]
                return self.string(func.value, depth + 1, seen) and \
                    (self.unsafe_string(func.value, depth + 1, seen) or any(not _constant(a) for a in arguments))
            return False
        if kind is ast.IfExp:
            return self.unsafe_string(expr.body, depth + 1, seen) or \
                self.unsafe_string(expr.orelse, depth + 1, seen)  # type: ignore[attr-defined]
        if kind is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            if name in seen:
                return False
            seen = seen | {name}
            return any(k in _STRING_KINDS and v is not None and self.unsafe_string(v, depth + 1, seen)
                       for k, v, _ in self.bindings(name))
        return False

    def string(self, expr: ast.AST, depth: int = 0, seen: frozenset[str] = frozenset()) -> bool:
        """True unless ``expr`` surely is not a string expression the SQL reader follows."""
        if depth > _MAX_DEPTH:
            return True
        kind = type(expr)
        if kind is ast.Constant:
            return isinstance(expr.value, (str, bytes))  # type: ignore[attr-defined]
        if kind is ast.JoinedStr or kind is ast.IfExp:
            return True
        if kind is ast.BinOp:
            return type(expr.op) in (ast.Mod, ast.Add)  # type: ignore[attr-defined]
        if kind is ast.Call:
            return type(expr.func) is ast.Attribute and expr.func.attr == "format"  # type: ignore[attr-defined]
        if kind is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            if name in seen:
                return False
            seen = seen | {name}
            return any(k in _STRING_KINDS and v is not None and self.string(v, depth + 1, seen)
                       for k, v, _ in self.bindings(name))
        return False


def _makes_cursor(expr: ast.AST) -> bool:
    return type(expr) is ast.Call and type(expr.func) is ast.Attribute and \
        expr.func.attr == "cursor"  # type: ignore[attr-defined]


def _constant(expr: ast.AST) -> bool:
    return type(expr) is ast.Constant


def _flatten_add(expr: ast.AST) -> list[ast.AST] | None:
    """The operands of `a + b + c`, without recursion (long concatenations are deep trees)."""
    parts: list[ast.AST] = []
    todo = [expr]
    while todo:
        node = todo.pop()
        if type(node) is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            todo.append(node.right)  # type: ignore[attr-defined]
            todo.append(node.left)  # type: ignore[attr-defined]
        else:
            parts.append(node)
        if len(parts) > 500:
            return None
    return parts


# --- the rules' tests ---------------------------------------------------------------------
# Each takes the module node (the rules' ``ast_trigger_types`` is ``(ast.Module,)``).

TRIGGER_TYPES = (ast.Module,)


def _n_plus_one(found: Analysis) -> bool:
    """BP401: a loop over what may be a query whose body reads an attribute of the loop variable."""
    return any(loop.iterable is not None and loop.touched and
               Judge(found, loop.scope, loop.in_lambda).query(loop.iterable) for loop in found.loops)


def _query_in_loop(found: Analysis) -> bool:
    """BP402: a call run per iteration of a loop (that does not `break`) on a session, cursor or query."""
    for call, loops, in_lambda, scope in found.loop_calls:
        if loops[-1].has_break:
            continue
        judge = Judge(found, scope, in_lambda)
        func = call.func
        method = func.attr  # type: ignore[attr-defined]
        if method in SESSION_READS and judge.session(func.value):  # type: ignore[attr-defined]
            return True
        if method in ("execute", "executemany") and judge.cursor(func.value):  # type: ignore[attr-defined]
            return True
        if judge.query(func.value):  # type: ignore[attr-defined]
            return True
    return False


def _helper_in_loop(found: Analysis, package: str) -> bool:
    """BP402 through a helper: a loop calls a function that may be the project's own (defined in the
    module, imported relatively or from the module's own top-level package, or star-imported)."""
    for call, loops in found.loop_helper_calls:
        if loops[-1].has_break:
            continue
        name = call.func.id  # type: ignore[attr-defined]
        source = found.from_sources.get(name)
        if name in found.functions or (source is not None and (source[0] > 0 or
                                                              source[1].split(".", 1)[0] == package)):
            return True
        if found.star_imported and source is None and name not in found.imported:
            return True
    return False


def _unbounded_query(found: Analysis) -> bool:
    """BP403: a call in a function that may be a query."""
    return any(Judge(found, scope, in_lambda).query(call)
               for scope in found.scopes if scope.function for call, _, in_lambda in scope.calls)


def _sql_injection(found: Analysis) -> bool:
    """BP404: an execute / raw / extra / text / RawSQL call whose SQL may be built from a non-constant value."""
    for call, in_lambda, scope in found.sql_calls:
        func = call.func
        if type(func) is ast.Attribute:
            method = func.attr
            if method in SQL_METHODS or method in SQL_OTHER_METHODS:
                if method in SQL_OTHER_METHODS and not call.args:
                    continue
                keywords: tuple[str, ...] = ("sql", "statement", "operation", "query")
            elif method == "raw":
                keywords = ("raw_query",)
            elif method == "extra":
                judge = Judge(found, scope, in_lambda)
                if any(judge.unsafe_string(part) for part in _extra_parts(call)):
                    return True
                continue
            else:
                keywords = ("text", "sql")
        else:
            # text() / RawSQL() resolve through the module's imports, however aliased
            targets = found.imported.get(func.id, ())  # type: ignore[attr-defined]
            if not any(t.rsplit(".", 1)[-1] in SQL_TEXT_NAMES for t in targets):
                continue
            keywords = ("text", "sql")
        sql = _sql_argument(call, keywords)
        if sql is not None and Judge(found, scope, in_lambda).unsafe_string(sql):
            return True
    return False


def _commit_in_loop(found: Analysis) -> bool:
    """BP407: `commit()` without arguments on what may be a session, in a `for` statement."""
    for call, loops, in_lambda, scope in found.loop_calls:
        func = call.func
        if func.attr == "commit" and not call.args and any(loop.statement for loop in loops) and \
                Judge(found, scope, in_lambda).session(func.value):  # type: ignore[attr-defined]
            return True
    return False


def n_plus_one(node: ast.AST, facts: ModuleFacts) -> bool:
    return analysis(node).result("BP401", _n_plus_one)


def query_in_loop(node: ast.AST, facts: ModuleFacts) -> bool:
    found = analysis(node)
    package = facts.module.split(".", 1)[0]
    return found.result("BP402", _query_in_loop) or found.result(f"BP402 {package}",
                                                                 lambda a: _helper_in_loop(a, package))


def unbounded_query(node: ast.AST, facts: ModuleFacts) -> bool:
    if ROUTES not in facts.extra:  # the route collector found nothing that could be a handler
        return False
    return analysis(node).result("BP403", _unbounded_query)


def sql_injection(node: ast.AST, facts: ModuleFacts) -> bool:
    return analysis(node).result("BP404", _sql_injection)


def commit_in_loop(node: ast.AST, facts: ModuleFacts) -> bool:
    return analysis(node).result("BP407", _commit_in_loop)


def _sql_argument(call: ast.Call, keywords: tuple[str, ...]) -> ast.AST | None:
    first = _first_positional(call)
    if first is not None:
        return first
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    return None


def _extra_parts(call: ast.Call) -> Iterable[ast.AST]:
    for keyword in call.keywords:
        if keyword.arg in ("where", "select", "tables", "order_by"):
            value = keyword.value
            if isinstance(value, (ast.List, ast.Tuple)):
                yield from value.elts
            elif isinstance(value, ast.Dict):
                yield from (v for v in value.values if v is not None)
