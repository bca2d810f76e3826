"""BP4 loops: queries run once per iteration of a loop over a collection (BP402).

``LoopTracker`` (also used by BP407) follows the ``for`` loops and comprehensions the
walk is inside, their targets, and whether they ``break``.
"""

from __future__ import annotations

import libcst as cst

from bplint.project import orm_triggers
from bplint.project.names import walk
from bplint.project.orm_models import DJANGO, SA
from bplint.project.orm_queries import QueryReader
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules.bp4_fixtures import EXTENSIONS, MODELS_DJANGO, MODELS_SA, MODELS_SA2
from bplint.rules.bp4_queries import _source, _target_names
from bplint.scan.traversal import visit_readonly

# --- BP402 --------------------------------------------------------------------------------

SA_EXECUTING = frozenset({"all", "first", "one", "one_or_none", "get", "scalar", "count", "get_or_404",
                          "first_or_404", "one_or_404", "paginate", "exists", "scalar_one", "scalar_one_or_none"})
SESSION_READS = frozenset({"get", "query", "execute", "scalars", "scalar", "get_one"})
DJANGO_WRITES = frozenset({"create", "bulk_create", "update", "delete", "bulk_update", "update_or_create",
                           "acreate", "aupdate", "adelete", "abulk_create", "get_or_create", "aget_or_create",
                           "aupdate_or_create"})
# the QuerySet methods that run the query; the others (filter, exclude, order_by, annotate...) only
# build it, and the query runs where the chain is iterated, listed, counted or asked for a row
DJANGO_RUNS = frozenset({"get", "first", "last", "latest", "earliest", "count", "exists", "aggregate", "in_bulk",
                         "iterator", "contains", "explain", "aget", "afirst", "alast",
                         "alatest", "aearliest", "acount", "aexists", "aaggregate", "ain_bulk", "aiterator",
                         "acontains"})
# a row locked for the transaction: re-read one by one on purpose, in the order the code locks them
LOCKING = frozenset({"select_for_update", "with_for_update"})
# builtins that evaluate a queryset passed to them
EVALUATING = frozenset({"builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted", "builtins.len",
                        "builtins.bool", "builtins.dict", "builtins.frozenset", "builtins.any", "builtins.all",
                        "builtins.sum", "builtins.max", "builtins.min", "builtins.next"})
SA_WRITES = frozenset({"update", "delete", "insert", "merge"})
WRITE_STATEMENTS = frozenset({"sqlalchemy.insert", "sqlalchemy.update", "sqlalchemy.delete",
                              "sqlalchemy.dialects.postgresql.insert", "sqlalchemy.dialects.sqlite.insert",
                              "sqlalchemy.dialects.mysql.insert", "sqlalchemy.sql.expression.insert",
                              "sqlalchemy.sql.expression.update", "sqlalchemy.sql.expression.delete",
                              "sqlmodel.insert", "sqlmodel.update", "sqlmodel.delete"})


class _Loop:
    def __init__(self, node: cst.CSTNode, variables: set[str], has_break: bool, counted: bool) -> None:
        self.node = node
        self.variables = variables
        self.has_break = has_break
        self.counted = counted  # `for attempt in range(3)`: a retry loop, not a loop over a collection


class _BreakFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


# what a loop's per-item query becomes in one query, by ORM
IN_FILTER_HINTS = {DJANGO: "`__in=` filter", SA: "`in_()` filter"}


class _CallCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.ids: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self.ids.add(id(node))


# a literal collection at most this long is a fixed set of things (tables, settings, names), not data
FIXED_ITEMS = 20
_FIXED_ELEMENTS = (cst.Name, cst.Attribute, cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)


def _fixed_literal(expr: cst.BaseExpression | None) -> bool:
    """A short list / tuple / set written out in the code: `("users", "groups")`, `[User, Group]`."""
    if not isinstance(expr, (cst.List, cst.Tuple, cst.Set)) or len(expr.elements) > FIXED_ITEMS:
        return False
    for element in expr.elements:
        value = element.value
        if isinstance(element, cst.StarredElement):
            return False
        if isinstance(value, cst.Tuple):
            if not all(isinstance(e.value, _FIXED_ELEMENTS) for e in value.elements):
                return False
        elif not isinstance(value, _FIXED_ELEMENTS):
            return False
    return True


def _batching_callee(ctx, func: cst.BaseExpression) -> bool:
    """`chunked(ids, 500)`, `itertools.batched(rows, 100)`, a project's `chunks(...)` helper."""
    spelled = ctx.qualified_name(func) or (func.attr.value if isinstance(func, cst.Attribute) else
                                           func.value if isinstance(func, cst.Name) else "")
    last = spelled.rsplit(".", 1)[-1].lower()
    return any(word in last for word in ("chunk", "batch"))


def _is_literal_range(ctx, iterable: cst.BaseExpression) -> bool:
    """A loop whose iterations are not the rows of a collection: a retry `range(3)`, a fixed literal
    list of things (written in the loop or bound to a name once), or batches (`range(0, n, size)`,
    `chunked(ids, 500)`), each of which is meant to be one query."""
    if isinstance(iterable, cst.Call):
        qualified = ctx.qualified_name(iterable.func)
        if qualified == "builtins.range":
            return all(isinstance(a.value, cst.Integer) for a in iterable.args) or len(iterable.args) == 3
        if _batching_callee(ctx, iterable.func):
            return True
    return _fixed_literal(_literal_value(ctx, iterable))


def _literal_value(ctx, expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The literal a loop walks: written in the loop, bound to a name once, or the keys / values /
    items of a literal dict (`for source, fetch in SOURCES.items()`), as a tuple of its keys."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args and \
            expr.func.attr.value in ("items", "keys", "values"):
        inner = _literal_value(ctx, expr.func.value)
        if not isinstance(inner, cst.Dict) or len(inner.elements) > FIXED_ITEMS or \
                not all(isinstance(e, cst.DictElement) and isinstance(e.key, _FIXED_ELEMENTS) for e in inner.elements):
            return None
        return cst.Tuple([cst.Element(e.key) for e in inner.elements])  # type: ignore[union-attr]
    bindings = ctx.bindings
    if isinstance(expr, cst.Name) and bindings is not None:
        found = bindings.of(expr.value)
        if len(found) == 1 and found[0].kind in ("assign", "annassign"):
            return found[0].value
        return None
    return expr


class LoopTracker(PythonRule):
    """Tracks the `for` loops (and comprehensions) the walk is inside, for per-iteration rules."""

    uses_bindings = True
    track_comprehensions = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.loops: list[_Loop] = []
        self._outside: set[int] = set()  # calls in the iterable of an outermost loop: run once
        self._iterated: set[int] = set()
        self._iterable_depth: dict[int, int] = {}  # a loop's iterable -> how many loops it runs in

    def _enter(self, node: cst.CSTNode, targets: set[str], iterable: cst.BaseExpression, body: cst.CSTNode | None,
               comprehension: bool = False) -> None:
        if not self.loops:
            collector = _CallCollector()
            visit_readonly(iterable, collector)
            self._outside |= collector.ids
        self._iterated.add(id(iterable))
        self._iterable_depth[id(iterable)] = len(self.loops)
        has_break = False
        if body is not None:
            finder = _BreakFinder()
            visit_readonly(body, finder)
            has_break = finder.found
        self.loops.append(_Loop(node, targets, has_break, _is_literal_range(self.ctx, iterable)))

    def visit_For(self, node: cst.For) -> None:
        self._enter(node, _target_names(node.target), node.iter, node.body)

    def leave_For(self, node: cst.For) -> None:
        self.loops.pop()

    def _comprehension(self, node) -> None:
        if not self.track_comprehensions:
            return
        targets: set[str] = set()
        comp = node.for_in
        while comp is not None:
            targets |= _target_names(comp.target)
            comp = comp.inner_for_in
        self._enter(node, targets, node.for_in.iter, None, comprehension=True)

    def _leave_comprehension(self, node) -> None:
        if self.track_comprehensions:
            self.loops.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore
    leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_comprehension  # type: ignore

    def in_loop(self, node: cst.CSTNode) -> _Loop | None:
        if not self.loops or id(node) in self._outside:
            return None
        # a fixed or batched loop repeats nothing per row, but a loop over rows around it still does
        return next((loop for loop in reversed(self.loops) if not loop.counted), None)


class QueryInLoop(LoopTracker):
    code = "BP402"
    name = "query-in-loop"
    category = "database"
    severity = Severity.WARNING
    precision = Precision(13, 76, "2026-12-02", debatable=18, unseen=(9, 39))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Database query run once per iteration of a loop"
    what = ("Reports a query executed inside a `for` loop or comprehension over a collection: Flask-SQLAlchemy "
            "`Model.query.get/filter/filter_by(...).first()` (any executing method), SQLAlchemy "
            "`session.get/query/execute/scalars/scalar` on a session, Django querysets where they run "
            "(`get`, `first`, `count`, `exists`, `aggregate`..., iterating, `list()` / `len()`: a "
            "`filter()` / `exclude()` / `annotate()` line only builds the query, and a chain bound to a name "
            "and run on later lines is one finding), Django's own models (`Group.objects.get(...)`), DB-API "
            "`cursor.execute`, and a call of a project function that runs one of these (`tag_by_id(i)`, defined "
            "in any module). Writes are left alone (`session.add`, `objects.create`, `get_or_create`, "
            "`insert()`/`update()` statements): batching them before one commit is the point. Loops that "
            "`break` (a search that stops at the first hit), rows locked one by one (`select_for_update()`), "
            "retry loops over `range(3)`, loops over a short literal list or dict of things (tables, "
            "settings, names), and batched loops (`range(0, n, size)`, "
            "`chunked(ids, 500)`, `__in=chunk` / `.in_(chunk)`) are fine.")
    why = ("Each iteration is a round trip to the database: 1,000 ids make 1,000 queries where one would do, "
           "and the request time grows with the data.")
    how_to_fix = ("Query once for the whole collection (`filter(Model.id.in_(ids))`, "
                  "`Model.objects.filter(pk__in=ids)`, `in_bulk(ids)`) and look the rows up in a dict inside "
                  "the loop.")
    bad = ('for order_id in order_ids:\n    order = Order.query.filter_by(id=order_id).first()\n'
           '    totals.append(order.total)\n')
    good = ('orders = {o.id: o for o in Order.query.filter(Order.id.in_(order_ids))}\n'
            'for order_id in order_ids:\n    totals.append(orders[order_id].total)\n')
    examples = (
        Flag("""
            from app.models import User


            def names(ids):
                result = []
                for user_id in ids:
                    user = User.query.filter_by(id=user_id).first()
                    result.append(user.name)
                return result
            """, path="app/service.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=7, count=1),
        Flag("""
            from app.extensions import db
            from app.models import Post


            def titles(ids):
                return [db.session.get(Post, i).title for i in ids]
            """, path="app/service.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=6, note="db.session of a Flask-SQLAlchemy object imported from another module"),
        Flag("""
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.models import Book


            def load(session: Session, ids):
                for book_id in ids:
                    yield session.scalars(select(Book).where(Book.id == book_id)).one()
            """, path="app/load.py", files={"app/models.py": MODELS_SA2}, line=9),
        Flag("""
            from django.db import connection

            from library.models import Author


            def sync(rows):
                for row in rows:
                    author = Author.objects.get(pk=row["id"])
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE stats SET n = n + 1 WHERE author_id = %s", [author.pk])
            """, path="library/sync.py", files={"library/models.py": MODELS_DJANGO}, line=8, count=2),
        Quiet("""
            from app.extensions import db
            from app.models import Post, User


            def import_posts(rows, candidates, ids):
                for row in rows:
                    db.session.add(Post(title=row["title"]))
                db.session.commit()
                for name in candidates:
                    user = User.query.filter_by(name=name).first()
                    if user is not None:
                        break
                for attempt in range(3):
                    user = User.query.get(1)
                for chunk in ids:
                    print(User.query.filter(User.id.in_(chunk)).all())
                for user in User.query.all():
                    print(user.name)
            """, path="app/imports.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            note="session.add batched before one commit, a search that breaks, retries, chunks, the loop's own query"),
        Quiet("""
            import requests

            from library.models import Book


            def fetch(urls, session: requests.Session):
                for url in urls:
                    session.get(url)
                for book in Book.objects.all():
                    Book.objects.create(title=book.title + " (copy)")
            """, path="library/fetch.py", files={"library/models.py": MODELS_DJANGO},
            note="an HTTP session's get, a write per row"),
        Flag("""
            from library.models import Book


            def load(ids):
                for book_id in ids:
                    def fetch():
                        return Book.objects.get(pk=book_id)
                    print(fetch())
            """, path="library/load.py", files={"library/models.py": MODELS_DJANGO}, line=7,
            note="a query in a function defined in the loop body"),
        Flag("""
            from django.db import connection


            def counts(tables):
                with connection.cursor() as cursor:
                    return [cursor.execute("SELECT count(*) FROM t WHERE name = %s", [t]) for t in tables]
            """, path="library/counts.py", line=6, note="a cursor bound by `with`, used in a comprehension"),
        Flag("""
            from django.contrib.auth.models import Group


            def sync_groups(user, claims):
                for name in claims.get("groups", []):
                    user.groups.add(Group.objects.get(name=name))
            """, path="accounts/sso.py", line=6, note="Django's own Group model, looked up per claimed name"),
        Flag("""
            from library.models import Author, Book


            def shelf(authors):
                for author in authors:
                    books = Book.objects.filter(author=author).exclude(title="").order_by("title")
                    if books.exists():
                        print(author.name, [b.title for b in books], len(books))
            """, path="library/shelf.py", files={"library/models.py": MODELS_DJANGO}, line=7, count=1,
            note="one query chain, built on one line and run on the next: one finding"),
        Flag("""
            from flask import jsonify

            from app.lookups import tag_by_id


            def tag_names(ids):
                return jsonify([tag_by_id(i).id for i in ids])
            """, path="app/api.py", files={
                "app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS,
                "app/lookups.py": "from app.models import Tag\n\n\ndef tag_by_id(tag_id):\n"
                                  "    return Tag.query.filter_by(id=tag_id).first()\n"},
            line=7, note="a query run per item through a helper of another module, on a model with no relationship"),
        Quiet("""
            from django.db.models import Exists, OuterRef, Q

            from library.models import Author, Book


            def search(terms):
                wanted = Q()
                for term in terms:
                    wanted |= Q(title__icontains=term)
                    matching = Book.objects.filter(author=OuterRef("pk"), title__icontains=term)
                    authors = Author.objects.annotate(has_match=Exists(matching))
                return list(Book.objects.filter(wanted)), authors
            """, path="library/search.py", files={"library/models.py": MODELS_DJANGO},
            note="querysets built in the loop (a subquery, an annotation) and run after it"),
        Quiet("""
            from itertools import batched

            from django.apps import apps

            from library.models import Book

            MODELS = ("library.Author", "library.Book", "library.Publisher")
            SOURCES = {"daily": print, "weekly": print}


            def counts(ids, titles):
                sizes = {label: apps.get_model(label).objects.count() for label in MODELS}
                for table in ("library_author", "library_book"):
                    print(table, Book.objects.filter(title__startswith=table).count())
                for chunk in batched(ids, 500):
                    Book.objects.filter(pk__in=chunk).update(title="")
                for start in range(0, len(titles), 1000):
                    print(Book.objects.order_by("pk")[start:start + 1000].count())
                for title in titles:
                    Book.objects.get_or_create(title=title)
                    locked = Book.objects.select_for_update().get(title=title)
                    locked.save()
                for source, fetch in SOURCES.items():
                    print(Book.objects.filter(title=source).exists(), fetch)
                return sizes
            """, path="library/maintenance.py", files={"library/models.py": MODELS_DJANGO},
            note="fixed literal lists and dicts, batches of ids or offsets, get_or_create per row (a write), "
                 "rows locked one by one"),
        Quiet("""
            from alembic import op
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.models import Book

            revision = "7d0c2b9e41fa"
            down_revision = "1a6f0e3c58bd"


            def upgrade():
                session = Session(bind=op.get_bind())
                for book_id in (4, 8, 15):
                    book = session.scalars(select(Book).where(Book.id == book_id)).one()
                    book.title = book.title.strip()
                session.commit()


            def downgrade():
                pass
            """, path="db/revisions/7d0c2b9e41fa_strip_titles.py", files={"app/models.py": MODELS_SA2},
            note="an Alembic revision outside migrations/: it runs once"),
    )

    # libcst runs only in files with a candidate (bplint.project.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.query_in_loop)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        # a loop that calls a helper of another module may name no query at all: the ast trigger
        # (bplint.project.orm_triggers.query_in_loop) keeps only modules with a candidate
        return "for " in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reader = QueryReader(ctx)
        self._handled: set[int] = set()
        self._evaluated: set[int] = set()  # expressions a builtin evaluates: list(qs), len(qs)
        self._reported: set[tuple[int, str]] = set()  # (loop, name of the queryset) already reported
        self._orm: str | None = None  # the ORM of the query _query_in found

    def visit_Name(self, node: cst.Name) -> None:
        """A Django queryset built earlier and run here, per iteration: `for row in qs`, `list(qs)`."""
        if id(node) in self._iterated:
            depth = self._iterable_depth.get(id(node), 0)  # the loops around the loop it feeds
            loop = self.loops[depth - 1] if depth else None
            if loop is not None and loop.counted:
                loop = None
        elif id(node) in self._evaluated:
            loop = self.in_loop(node)
        else:
            return
        if loop is None or loop.has_break:
            return
        query = self.reader.query(node)
        if query is not None and query.orm == DJANGO and query.shape == "queryset" and not query.chain:
            self._report(node, loop, node.value, DJANGO)

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self._handled:
            return
        loop = self.in_loop(node)
        if loop is None or loop.has_break:
            return
        if self.ctx.qualified_name(node.func) in EVALUATING and node.args and node.args[0].keyword is None:
            self._evaluated.add(id(node.args[0].value))
        chain = self._chain(node)
        for call in chain:
            self._handled.add(id(call))
        self._orm = None
        what = self._query_in(chain)
        if what is None and len(chain) == 1:
            self._helper(node)
            return
        batched = self._batched(chain, loop) if what is not None else None
        if what is None or batched == "chunk":
            return
        root = chain[-1].func
        while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
            root = root.func if isinstance(root, cst.Call) else root.value
        self._report(node, loop, root.value if isinstance(root, cst.Name) else None, self._orm, batched == "set")

    def _helper(self, call: cst.Call) -> None:
        """A call of a project function that runs a query (`tag_named(name)`, defined in this module or
        another), per iteration."""
        func = call.func
        facts = self.ctx.facts
        qualified = self.ctx.qualified_name(func)
        if qualified is None and isinstance(func, cst.Name) and facts is not None:
            if func.value in facts.defined and not self.ctx.bindings.is_local(func.value):
                qualified = f"{facts.module}.{func.value}"
            elif func.value not in facts.imports and not self.ctx.bindings.of(func.value):
                star = self.ctx.index.star_export(facts, func.value)
                qualified = star
        if qualified is None or qualified.startswith("builtins."):
            return
        found = self.reader.orm.helper_query(qualified)
        if found is None:
            return
        helper, model = found
        hint = IN_FILTER_HINTS.get(model.orm or "", "`in_()` / `__in=` filter")
        self.report(call, f"`{_source(self.ctx, call)}` queries `{model.name}` (in `{helper}`) on every iteration "
                          f"of this loop; query the rows for the whole collection once before the loop ({hint}) "
                          f"and look them up in a dict.")

    def _report(self, node: cst.CSTNode, loop: _Loop, name: str | None, orm: str | None,
                reads_set: bool = False) -> None:
        """One finding per query a loop runs: a queryset bound to a name and then counted, listed and
        iterated in the same loop is one query chain."""
        query = self.reader.query(cst.Name(name)) if name is not None else None
        if query is not None:
            key = (id(loop.node), name)
            if key in self._reported:
                return
            self._reported.add(key)
        if reads_set:  # it filters on a set already: suggesting `__in=` again would not fit
            self.report(node, f"`{_source(self.ctx, node)}` runs a query on every iteration of this loop; if it "
                              f"does not change from one iteration to the next, run it once before the loop.")
            return
        hint = IN_FILTER_HINTS.get(orm or "", "`IN (...)` / `in_()` / `__in=`")
        self.report(node, f"`{_source(self.ctx, node)}` runs a query on every iteration of this loop; query once "
                          f"for the whole collection ({hint}) before the loop and look rows up in a dict.")

    @staticmethod
    def _chain(call: cst.Call) -> list[cst.Call]:
        """The calls of a method chain, outermost first: `a.b(...).c(...)` gives [c-call, b-call]."""
        calls = [call]
        current: cst.BaseExpression = call.func
        while isinstance(current, cst.Attribute):
            current = current.value
            if isinstance(current, cst.Call):
                calls.append(current)
                current = current.func
        return calls

    def _query_in(self, chain: list[cst.Call]) -> str | None:
        outer = chain[0]
        method = outer.func.attr.value if isinstance(outer.func, cst.Attribute) else ""
        iterated = id(outer) in self._iterated
        reader = self.reader
        if any(isinstance(call.func, cst.Attribute) and call.func.attr.value in LOCKING for call in chain):
            return None  # each row read again under a lock, one by one on purpose
        for call in reversed(chain):  # innermost first: find the query's root
            func = call.func
            if not isinstance(func, cst.Attribute):
                continue
            name = func.attr.value
            if name in SESSION_READS and reader.is_session(func.value):
                if name == "execute" and call.args and self._writes(call.args[0].value):
                    return None
                if method in SA_WRITES:
                    return None
                self._orm = SA
                return "a query"
            if name in ("execute", "executemany") and self._is_cursor(func.value):
                first = call.args[0].value if call.args else None
                if isinstance(first, cst.Name) and any(first.value in loop.variables for loop in self.loops):
                    return None  # running a list of statements, one each: nothing to batch
                return "a query"
            query = reader.query(func.value)
            if query is None:
                continue
            if query.chain:
                return None  # a relationship of a loop variable: BP401's business
            if query.orm == DJANGO and query.shape in ("manager", "queryset"):
                if method in DJANGO_WRITES:
                    return None
                self._orm = DJANGO
                return "a query" if method in DJANGO_RUNS or iterated or id(outer) in self._evaluated else None
            self._orm = query.orm
            if query.shape == "query":
                return "a query" if method in SA_EXECUTING or iterated else None
            return None
        return None

    def _writes(self, statement: cst.BaseExpression) -> bool:
        while isinstance(statement, cst.Call) and isinstance(statement.func, cst.Attribute):
            statement = statement.func.value
        return isinstance(statement, cst.Call) and self.ctx.qualified_name(statement.func) in WRITE_STATEMENTS

    def _is_cursor(self, expr: cst.BaseExpression) -> bool:
        def made_by_cursor(value: cst.BaseExpression) -> bool:
            return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value == "cursor"

        if made_by_cursor(expr):
            return True
        bindings = self.ctx.bindings
        if isinstance(expr, cst.Name) and bindings is not None:
            binding = bindings.latest(expr.value)
            return binding is not None and binding.value is not None and made_by_cursor(binding.value)
        return False

    def _batched(self, chain: list[cst.Call], loop: _Loop) -> str | None:
        """How the query already reads a set of rows: "chunk" for `filter(id__in=chunk)` /
        `.in_(ids[i:i + 500])` on the loop's values (a query per batch, by design), "set" for an
        `__in=` / `in_()` on something else; None when it reads row by row."""
        class Finder(cst.CSTVisitor):
            found: str | None = None

            def visit_Arg(self, node: cst.Arg) -> None:
                if node.keyword is not None and node.keyword.value.endswith("__in"):
                    self._note(node.value)

            def visit_Call(self, node: cst.Call) -> None:
                if isinstance(node.func, cst.Attribute) and node.func.attr.value == "in_" and node.args:
                    self._note(node.args[0].value)

            def _note(self, value: cst.BaseExpression) -> None:
                used = {n.value for n in walk(value) if isinstance(n, cst.Name)}
                self.found = "chunk" if used & loop.variables or self.found == "chunk" else "set"

        finder = Finder()
        for call in chain:
            for arg in call.args:
                visit_readonly(arg, finder)
        return finder.found
