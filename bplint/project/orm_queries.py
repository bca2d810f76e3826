"""Query recognition: which expressions produce ORM query results, of which model, loading what.

``QueryReader(ctx)`` reads libcst expressions of one file, with the project's model index
(``bplint.project.orm_models``) and the file's local bindings (``bplint.project.bindings``; rules that use
it set ``uses_bindings = True``). ``reader.query(expr)`` answers with a ``Query``: the
model, a *shape* that says what the value is, and the relationships the query loads with
its rows (``Eager``). Recognised:

* Flask-SQLAlchemy ``Model.query...``, ``.paginate(...)`` and its ``.items``,
  ``db.paginate(select(Model))``;
* SQLAlchemy ``session.query(Model)...``, ``select(Model)...`` (also SQLModel's),
  ``session.scalars(select(...))``, ``session.execute(select(...)).scalars()``, with
  ``.unique()``, ``.all()``, ``.first()``...;
* Django ``Model.objects`` (and the model's other managers), querysets built from them,
  ``get_list_or_404``;
* relationship collections of a loop variable (``user.posts``, ``author.book_set.all()``);
* ``list()``/``sorted()``/slices of any of these, ``await``, and a name bound to any of
  these earlier in the function (``users = User.query.all()`` ... ``for u in users``;
  ``qs = qs.filter(...)`` is followed back to the binding before).

Eager loading: ``options(joinedload/selectinload/subqueryload/contains_eager/immediateload/
raiseload/noload/lazyload(...))`` with chained and nested paths (``selectinload(User.posts)
.joinedload(Post.author)``, ``Load(User)...``, ``"*"`` wildcards), Django
``select_related("a__b")`` (no argument: every forward foreign key), ``prefetch_related``
with ``__`` paths and ``Prefetch(lookup, queryset=..., to_attr=...)``.

Loop variables: a rule registers what a loop variable holds with ``push_loop`` /
``pop_loop``; ``element_of(expr)`` then types ``post`` and ``post.author`` (a scalar
relationship followed from a typed value) as an ``Element``.

``is_session(expr)`` tells SQLAlchemy sessions (``db.session`` of a Flask-SQLAlchemy
object, ``Session(...)``, ``sessionmaker()`` products, ``scoped_session``, parameters
annotated ``Session`` / ``AsyncSession``) from other objects with ``get``/``execute``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import libcst as cst

from bplint.project.bindings import Binding
from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.orm_models import (DJANGO, EAGER_STRATEGIES, FLASK_SQLALCHEMY, SA, Model, OrmIndex, Relation,
                                       orm_index)

if TYPE_CHECKING:
    from bplint.scan.context import FileContext

# loader option -> the strategy it sets (None: keeps the declared one, only extends the path)
LOADERS = {
    "joinedload": "joined", "selectinload": "selectin", "subqueryload": "subquery", "contains_eager": "joined",
    "immediateload": "immediate", "raiseload": "raise", "noload": "noload", "lazyload": "select",
    "defaultload": None,
}
SELECT_FUNCTIONS = frozenset({"sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select",
                              "sqlalchemy.sql.expression.select", "sqlmodel.select", "sqlmodel.sql.expression.select"})
SA_QUERY_CHAIN = frozenset({
    "filter", "filter_by", "order_by", "limit", "offset", "join", "outerjoin", "distinct", "group_by", "having",
    "where", "select_from", "execution_options", "yield_per", "enable_eagerloads", "params", "populate_existing",
    "autoflush", "correlate", "with_for_update", "union", "union_all", "reset_joinpoint", "prefix_with",
    "suffix_with", "join_from", "fetch", "with_parent", "slice", "enable_assertions", "with_hint", "execution_options",
})
SA_ONE = frozenset({"first", "one", "one_or_none", "get", "get_or_404", "first_or_404", "one_or_404", "scalar",
                    "scalar_one", "scalar_one_or_none"})
DJANGO_QS_CHAIN = frozenset({
    "all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "annotate", "alias", "distinct",
    "reverse", "using", "defer", "only", "select_for_update", "none", "extra", "union", "intersection",
    "difference", "iterator", "complex_filter", "filter_by",
})
DJANGO_ONE = frozenset({"get", "first", "last", "latest", "earliest", "get_or_create", "aget", "afirst", "alast"})
# methods that keep a query from returning every row of its table
BOUNDING = frozenset({"limit", "offset", "paginate", "slice", "fetch", "filter", "filter_by", "where", "with_parent",
                      "get", "first", "one", "one_or_none", "get_or_404", "first_or_404", "one_or_404", "in_bulk",
                      "none", "having"})
# shapes one can iterate over, giving model instances
ITERABLE = frozenset({"query", "scalars", "list", "queryset"})
SESSION_CLASSES = frozenset({
    "sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.AsyncSession", "sqlmodel.Session", "sqlmodel.ext.asyncio.session.AsyncSession",
    "sqlalchemy.orm.scoped_session", "sqlalchemy.orm.scoping.scoped_session", "sqlalchemy.ext.asyncio.async_scoped_session",
    "flask_sqlalchemy.session.Session",
})
SESSION_FACTORIES = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker",
                               "sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.session.async_sessionmaker"})


@dataclass(frozen=True)
class Eager:
    """Relationship paths a query loads with its rows, each with its loading strategy.

    A path is a tuple of attribute names from the queried model: ``("posts",)``,
    ``("posts", "comments")``. ``"*"`` stands for every relationship at its level;
    ``("*fk",)`` is Django's ``select_related()`` without arguments (every forward key).
    """

    paths: tuple[tuple[tuple[str, ...], str | None], ...] = ()

    def strategy(self, path: tuple[str, ...], relation: Relation | None = None) -> str | None:
        found = dict(self.paths)
        if path in found and found[path] is not None:
            return found[path]
        wildcard = found.get(path[:-1] + ("*",))
        if wildcard is not None:
            return wildcard
        if ("*fk",) in found and relation is not None and relation.orm == DJANGO and relation.forward:
            return "joined"
        return None

    def plus(self, entries: list[tuple[tuple[str, ...], str | None]]) -> "Eager":
        return Eager(self.paths + tuple(entries)) if entries else self


@dataclass(frozen=True)
class Query:
    """What an expression holds.

    ``shape``: ``query`` (SQLAlchemy Query, iterable), ``select`` (a Select statement),
    ``result`` (rows of ``execute``), ``scalars`` (iterable of models), ``list`` (iterable),
    ``one`` (a single instance or None), ``manager`` (a Django manager), ``queryset``
    (Django, iterable), ``pagination``. ``chain`` is set when the value is a relationship
    collection reached from a loop variable (``user.posts``): the relationships walked from
    the queried model, whose ``eager`` applies.
    """

    model: Model
    shape: str
    eager: Eager = field(default_factory=Eager)
    chain: tuple[Relation, ...] = ()
    root: Model | None = None  # with a chain: the queried model the chain starts from
    bounded: bool = False  # limited, sliced, paginated or filtered: not every row of the table

    @property
    def orm(self) -> str | None:
        return self.model.orm

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.chain)


@dataclass(frozen=True)
class Element:
    """One row a loop walks: a model instance reached by ``chain`` from the queried model."""

    model: Model
    eager: Eager
    chain: tuple[Relation, ...] = ()
    query: Query | None = None
    root: Model | None = None  # the queried model (``model`` itself when the chain is empty)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.chain)

    def loads(self, relation: Relation) -> bool:
        """True when reading ``relation`` on this row runs no query of its own (eager or refused)."""
        strategy = self.eager.strategy(self.path + (relation.name,), relation)
        if strategy is None:
            strategy = relation.lazy
        return strategy in EAGER_STRATEGIES or strategy == "unknown"


class QueryReader:
    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.orm: OrmIndex = orm_index(ctx.index)
        self._loops: list[dict[str, Element]] = []

    # --- loop variables ---------------------------------------------------------------
    def push_loop(self, variables: dict[str, Element]) -> None:
        self._loops.append(variables)

    def pop_loop(self) -> None:
        if self._loops:
            self._loops.pop()

    @property
    def in_typed_loop(self) -> bool:
        return any(self._loops)

    def element_of(self, expr: cst.BaseExpression) -> Element | None:
        if isinstance(expr, cst.Name):
            for frame in reversed(self._loops):
                if expr.value in frame:
                    return frame[expr.value]
            return None
        if isinstance(expr, cst.Attribute):
            owner = self.element_of(expr.value)
            if owner is None:
                return None
            relation = self.orm.relation(owner.model, expr.attr.value)
            if relation is not None and relation.collection is False and relation.target is not None:
                return Element(relation.target, owner.eager, owner.chain + (relation,), owner.query, owner.root)
        return None

    def element(self, iterable: cst.BaseExpression) -> Element | None:
        """What iterating over ``iterable`` yields, when it is a query result."""
        query = self.query(iterable)
        if query is None or query.shape not in ITERABLE:
            return None
        return Element(query.model, query.eager, query.chain, query, query.root or query.model)

    # --- models ---------------------------------------------------------------------
    def model_class(self, expr: cst.BaseExpression) -> Model | None:
        facts = self.ctx.facts
        if facts is None:
            return None
        if isinstance(expr, cst.Name):
            if self._local_variable(expr.value):
                return None  # a local variable of the same name
            return self.orm.model_of_name(facts, expr.value)
        if isinstance(expr, cst.Attribute):
            root: cst.BaseExpression = expr
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and self._local_variable(root.value):
                return None  # `models.Book` where `models` is a local variable, not the imported module
            return self.orm.model_named(self.ctx.qualified_name(expr))
        return None

    def _local_variable(self, name: str) -> bool:
        bindings = self.ctx.bindings
        if bindings is None or not bindings.is_local(name):
            return False
        latest = bindings.latest(name)
        return latest is not None and latest.kind != "import"

    # --- queries --------------------------------------------------------------------
    def query(self, expr: cst.BaseExpression, depth: int = 0,
              resolving: dict[str, Binding] | None = None) -> Query | None:
        if depth > 16:
            return None
        resolving = resolving or {}
        if isinstance(expr, cst.Await):
            return self.query(expr.expression, depth + 1, resolving)
        if isinstance(expr, cst.Name):
            binding = self._binding(expr.value, resolving)
            if binding is None or binding.value is None or binding.kind not in ("assign", "annassign", "walrus"):
                return None
            return self.query(binding.value, depth + 1, {**resolving, expr.value: binding})
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, depth, resolving)
        if isinstance(expr, cst.Subscript):
            if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice):
                inner = self.query(expr.value, depth + 1, resolving)
                if inner is not None and inner.shape in ITERABLE:
                    return replace(inner, bounded=True)
            return None
        if isinstance(expr, cst.Call):
            return self._call(expr, depth, resolving)
        return None

    def _binding(self, name: str, resolving: dict[str, Binding]) -> Binding | None:
        bindings = self.ctx.bindings
        if bindings is None:
            return None
        found = bindings.of(name)
        if name in resolving:  # `qs = qs.filter(...)`: the binding before this one
            current = resolving[name]
            earlier = [b for b in found[: next((i for i, b in enumerate(found) if b is current), 0)]]
            return earlier[-1] if earlier else None
        return found[-1] if found else None

    def _attribute(self, expr: cst.Attribute, depth: int, resolving: dict[str, Binding]) -> Query | None:
        attr = expr.attr.value
        if attr == "items":
            inner = self.query(expr.value, depth + 1, resolving)
            if inner is not None and inner.shape == "pagination":
                return replace(inner, shape="list")
            return None
        owner = self.element_of(expr.value)
        if owner is not None:
            relation = self.orm.relation(owner.model, attr)
            if relation is None or not relation.collection or relation.target is None:
                return None
            if relation.orm == DJANGO:
                shape = "manager"
            else:
                shape = "query" if relation.lazy in ("dynamic",) else "list"
            return Query(relation.target, shape, owner.eager, owner.chain + (relation,), owner.root)
        if attr == "query":
            model = self.model_class(expr.value)
            if model is not None and model.orm == SA:
                return Query(model, "query")
            return None
        model = self.model_class(expr.value)
        if model is not None and model.orm == DJANGO and attr in self.orm.managers(model):
            return Query(model, "manager")
        return None

    def _call(self, call: cst.Call, depth: int, resolving: dict[str, Binding]) -> Query | None:
        func = call.func
        first = positional_arg(call, 0)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "query" and first is not None:
                positional = [a for a in call.args if a.keyword is None]
                model = self.model_class(first.value) if len(positional) == 1 else None
                return Query(model, "query") if model is not None and model.orm == SA else None
            if method in ("scalars", "execute", "paginate") and first is not None:
                statement = self.query(first.value, depth + 1, resolving)
                if statement is not None and statement.shape == "select":
                    shape = {"scalars": "scalars", "execute": "result", "paginate": "pagination"}[method]
                    return replace(statement, shape=shape)
            inner = self.query(func.value, depth + 1, resolving)
            if inner is None:
                return None
            found = self._method(inner, method, call)
            if found is not None and method in BOUNDING and not found.bounded:
                found = replace(found, bounded=True)
            return found
        qualified = self.ctx.qualified_name(func)
        if qualified is None:
            return None
        if qualified in SELECT_FUNCTIONS:
            positional = [a for a in call.args if a.keyword is None]
            model = self.model_class(positional[0].value) if len(positional) == 1 else None
            return Query(model, "select") if model is not None and model.orm == SA else None
        if qualified in ("builtins.list", "builtins.sorted", "builtins.reversed", "builtins.tuple") and first:
            inner = self.query(first.value, depth + 1, resolving)
            return replace(inner, shape="list") if inner is not None and inner.shape in ITERABLE else None
        if qualified.endswith("get_list_or_404") and first is not None:
            model = self.model_class(first.value)
            if model is not None and model.orm == DJANGO:
                return Query(model, "list", bounded=any(a.keyword is not None for a in call.args))
            inner = self.query(first.value, depth + 1, resolving)
            return replace(inner, shape="list") if inner is not None else None
        return None

    def _method(self, query: Query, method: str, call: cst.Call) -> Query | None:
        shape = query.shape
        if shape in ("query", "select"):
            if method == "options":
                return replace(query, eager=query.eager.plus(self._sa_options(call, query.path)))
            if method in SA_QUERY_CHAIN:
                if query.chain and shape == "query":  # a dynamic relationship filtered: a new query
                    return Query(query.model, "query")
                return query
            if shape == "query":
                if method == "all":
                    return replace(query, shape="list")
                if method in SA_ONE:
                    return replace(query, shape="one")
                if method == "paginate":
                    return replace(query, shape="pagination")
            return None
        if shape == "result":
            if method == "scalars":
                return replace(query, shape="scalars")
            if method == "unique":
                return query
            return None
        if shape == "scalars":
            if method in ("unique", "partitions", "yield_per"):
                return query
            if method in ("all", "fetchall"):
                return replace(query, shape="list")
            if method in ("first", "one", "one_or_none"):
                return replace(query, shape="one")
            return None
        if shape in ("manager", "queryset"):
            if method in DJANGO_QS_CHAIN:
                base = query
                if query.chain and method != "all":  # `author.books.filter(...)`: a new query, no prefetch
                    base = Query(query.model, "queryset")
                if method == "select_related":
                    return replace(base, shape="queryset", eager=base.eager.plus(self._select_related(call, base.path)))
                if method == "prefetch_related":
                    return replace(base, shape="queryset",
                                   eager=base.eager.plus(self._prefetch_related(call, base.path)))
                return replace(base, shape="queryset")
            if method in DJANGO_ONE:
                return replace(query, shape="one")
            return None
        return None

    # --- eager loading ----------------------------------------------------------------
    def _sa_options(self, call: cst.Call, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], str | None]]:
        entries: list[tuple[tuple[str, ...], str | None]] = []
        for arg in call.args:
            if arg.keyword is None and not arg.star:
                self._loader(arg.value, prefix, entries)
        return entries

    def _loader(self, expr: cst.BaseExpression, prefix: tuple[str, ...],
                entries: list[tuple[tuple[str, ...], str | None]]) -> tuple[str, ...] | None:
        """Record the paths of one loader option; return the path its chain ends at."""
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        chained_from: tuple[str, ...] | None = None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            # `joinedload(A.b).selectinload(B.c)`, `Load(A).joinedload(...)`, `...options(...)`
            chained_from = self._loader(func.value, prefix, entries)
            if chained_from is None:
                chained_from = prefix if self._is_load_object(func.value) else None
            if chained_from is None:
                return None
            if name == "options":
                for arg in expr.args:
                    self._loader(arg.value, chained_from, entries)
                return chained_from
        elif not self._is_loader_function(func, name):
            return None
        if name not in LOADERS:
            return None
        base = chained_from if chained_from is not None else prefix
        path = base
        for arg in expr.args:
            if arg.keyword is not None or arg.star:
                continue
            path = path + self._attribute_path(arg.value)
        if path == base:
            return None
        # every step of a legacy multi-argument path gets the strategy too
        entries.append((path, LOADERS[name]))
        return path

    def _is_loader_function(self, func: cst.BaseExpression, name: str) -> bool:
        if name not in LOADERS:
            return False
        qualified = self.ctx.qualified_name(func) or ""
        if qualified.startswith(("sqlalchemy.", "flask_sqlalchemy.", "sqlmodel.")):
            return True
        return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)  # db.joinedload, orm.joinedload

    def _is_load_object(self, call: cst.Call) -> bool:
        qualified = self.ctx.qualified_name(call.func) or ""
        return qualified.endswith(".Load") and qualified.startswith("sqlalchemy")

    @staticmethod
    def _attribute_path(expr: cst.BaseExpression) -> tuple[str, ...]:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "of_type":
            expr = expr.func.value
        if isinstance(expr, cst.Attribute):
            return (expr.attr.value,)
        text = string_value(expr)
        if text:
            return tuple(part for part in text.split(".") if part)
        return ()

    def _select_related(self, call: cst.Call, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], str | None]]:
        entries: list[tuple[tuple[str, ...], str | None]] = []
        if not call.args:
            entries.append((prefix + ("*fk",), "joined"))
        for arg in call.args:
            text = string_value(arg.value)
            if text:
                parts = tuple(text.split("__"))
                entries.extend((prefix + parts[:i], "joined") for i in range(1, len(parts) + 1))
        return entries

    def _prefetch_related(self, call: cst.Call, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], str | None]]:
        entries: list[tuple[tuple[str, ...], str | None]] = []
        for arg in call.args:
            value = arg.value
            text = string_value(value)
            nested: Query | None = None
            if text is None and isinstance(value, cst.Call) and (self.ctx.qualified_name(value.func) or "").endswith(
                    "Prefetch"):
                lookup = positional_arg(value, 0) or keyword_arg(value, "lookup")
                text = string_value(lookup.value) if lookup else None
                to_attr = keyword_arg(value, "to_attr")
                queryset = positional_arg(value, 1) or keyword_arg(value, "queryset")
                if queryset is not None:
                    nested = self.query(queryset.value)
                if text and to_attr is not None and string_value(to_attr.value):
                    text = "__".join(text.split("__")[:-1] + [string_value(to_attr.value) or ""])
            if not text:
                continue
            parts = tuple(text.split("__"))
            entries.extend((prefix + parts[:i], "selectin") for i in range(1, len(parts) + 1))
            if nested is not None:
                entries.extend((prefix + parts + path, strategy) for path, strategy in nested.eager.paths)
        return entries

    # --- sessions -----------------------------------------------------------------------
    def is_session(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > 6:
            return False
        if isinstance(expr, cst.Await):
            return self.is_session(expr.expression, depth + 1)
        if isinstance(expr, cst.Attribute) and expr.attr.value == "session":
            return self._is_flask_sqlalchemy(expr.value)
        if isinstance(expr, cst.Call):
            return self._makes_session(expr.func)
        if not isinstance(expr, cst.Name):
            return False
        bindings = self.ctx.bindings
        binding = bindings.latest(expr.value) if bindings is not None else None
        if binding is not None:
            if binding.kind == "param":
                return self._session_annotation(binding.annotation)
            if binding.kind == "annassign" and self._session_annotation(binding.annotation):
                return True
            if binding.kind in ("assign", "annassign", "walrus", "with") and binding.value is not None:
                value = binding.value
                if binding.kind == "with" and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                        and value.func.attr.value in ("begin",) and self.is_session(value.func.value, depth + 1):
                    return True
                return self.is_session(value, depth + 1)
            if binding.kind != "import":
                return False
        facts = self.ctx.facts
        if facts is None:
            return False
        callee = facts.instances.get(expr.value)
        if callee is None and expr.value in facts.imports:
            callee = self._instance_callee(facts.imports[expr.value])
        return self._is_session_callee(callee)

    def _session_annotation(self, annotation: cst.Annotation | None) -> bool:
        if annotation is None:
            return False
        node = annotation.annotation
        if isinstance(node, cst.Subscript):  # Annotated[Session, Depends(...)]
            node = node.slice[0].slice.value if isinstance(node.slice[0].slice, cst.Index) else node
        return (self.ctx.qualified_name(node) or "") in SESSION_CLASSES

    def _makes_session(self, func: cst.BaseExpression) -> bool:
        qualified = self.ctx.qualified_name(func)
        if qualified in SESSION_CLASSES:
            return True
        facts = self.ctx.facts
        if isinstance(func, cst.Name) and facts is not None:
            callee = facts.instances.get(func.value)
            if callee is None and qualified:
                callee = self._instance_callee(qualified)
            return callee in SESSION_FACTORIES or self._is_session_callee(callee)
        return False

    def _is_session_callee(self, callee: str | None) -> bool:
        if callee is None:
            return False
        if callee in SESSION_CLASSES:
            return True
        # `db_session = SessionLocal()` where SessionLocal = sessionmaker(...) elsewhere
        return self._instance_callee(callee) in SESSION_FACTORIES

    def _instance_callee(self, qualified: str) -> str | None:
        return self.orm._instance_callee(qualified)

    def _is_flask_sqlalchemy(self, expr: cst.BaseExpression) -> bool:
        facts = self.ctx.facts
        if facts is None:
            return False
        if isinstance(expr, cst.Name):
            callee = facts.instances.get(expr.value)
            if callee is None and expr.value in facts.imports:
                callee = self._instance_callee(facts.imports[expr.value])
            return callee in FLASK_SQLALCHEMY or (callee or "").endswith(".SQLAlchemy")
        qualified = self.ctx.qualified_name(expr)
        if qualified is None:
            return False
        callee = self._instance_callee(qualified)
        return callee in FLASK_SQLALCHEMY or (callee or "").endswith(".SQLAlchemy")
