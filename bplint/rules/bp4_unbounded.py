"""BP4 unbounded: route handlers that load every row of a table (BP403).

Route handlers come from the route index (``bplint.routes``).
"""

from __future__ import annotations

import libcst as cst

from bplint import routes
from bplint import orm_triggers
from bplint.findings import Severity
from bplint.orm_models import Model, orm_index
from bplint.orm_queries import BOUNDING as BOUNDING_METHODS
from bplint.orm_queries import QueryReader
from bplint.roles import APPLICATION_ONLY
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules.bp4_loops import QueryInLoop
from bplint.rules.bp4_fixtures import EXTENSIONS, MODELS_DJANGO, MODELS_SA, MODELS_SA2
from bplint.rules.bp4_queries import _source

# --- BP403 --------------------------------------------------------------------------------

LIST_SHAPES = frozenset({"list", "scalars", "queryset"})


class UnboundedQuery(PythonRule):
    code = "BP403"
    name = "unbounded-query"
    category = "database"
    severity = Severity.WARNING
    precision = Precision(0, 12, "2026-12-02", debatable=1)
    preview = True
    roles = APPLICATION_ONLY
    uses_bindings = True
    summary = "Route handler loads every row of a table"
    what = ("In a route handler (a Flask / FastAPI / Django / DRF view, from the route index), reports a query "
            "that returns every row of a model: `Model.query.all()`, `session.scalars(select(Model)).all()`, "
            "`session.execute(select(Model)).scalars()`, `Model.objects.all()` / `order_by(...)`, with no "
            "`limit`, slice, `paginate`, `first` / `get`, and no filter (`filter`, `filter_by`, `where`, "
            "keyword lookups). A queryset that the handler then slices, filters or hands to a paginator "
            "(`Paginator(qs, 25)`, `self.paginate_queryset(qs)`) is fine.")
    why = ("An endpoint that returns the whole table is fast with test data and takes the service down when "
           "the table grows: memory, serialization time and response size all grow with it.")
    how_to_fix = ("Paginate (`Model.query.paginate(page=..., per_page=...)`, `db.paginate(select(Model))`, "
                  "Django `Paginator`, DRF pagination) or add `.limit(...)` with a maximum page size.")
    bad = ('@app.get("/users")\ndef list_users():\n    return jsonify([u.to_dict() for u in User.query.all()])\n')
    good = ('@app.get("/users")\ndef list_users():\n    page = User.query.paginate(page=request.args.get("page", 1, '
            'type=int), per_page=50)\n    return jsonify([u.to_dict() for u in page.items])\n')
    examples = (
        Flag("""
            from flask import Blueprint, jsonify

            from app.models import Tag

            bp = Blueprint("api", __name__)


            @bp.get("/tags")
            def tags():
                rows = Tag.query.order_by(Tag.id).all()
                return jsonify([t.id for t in rows])
            """, path="app/views.py", files={"app/models.py": MODELS_SA, "app/extensions.py": EXTENSIONS},
            line=10),
        Flag("""
            from fastapi import APIRouter, Depends
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import Author

            router = APIRouter()


            @router.get("/authors")
            def authors(db: Session = Depends(get_db)):
                return db.scalars(select(Author)).all()
            """, path="app/api.py", files={"app/models.py": MODELS_SA2}, line=13),
        Flag("""
            from django.http import JsonResponse
            from django.urls import path

            from library.models import Publisher


            def publishers(request):
                return JsonResponse({"names": [p.name for p in Publisher.objects.all()]})


            urlpatterns = [path("publishers/", publishers)]
            """, path="library/views.py", files={"library/models.py": MODELS_DJANGO}, line=8),
        Quiet("""
            from django.core.paginator import Paginator
            from django.shortcuts import render
            from django.urls import path

            from library.models import Book, Publisher


            def books(request):
                page = Paginator(Book.objects.all(), 25).get_page(request.GET.get("page"))
                latest = Publisher.objects.order_by("-id")[:10]
                mine = Book.objects.filter(created_by=request.user)
                every = Publisher.objects.all()
                first = every.first()
                return render(request, "books.html", {"page": page, "latest": latest, "mine": mine, "first": first})


            def report():
                return list(Book.objects.all())


            urlpatterns = [path("books/", books)]
            """, path="library/views.py", files={"library/models.py": MODELS_DJANGO},
            note="paginated, sliced, filtered, narrowed later; a function that is not a route handler"),
    )

    # libcst runs only in files with a candidate (bplint.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.unbounded_query)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return any(w in ctx.text for w in ("all(", "objects", "scalars", "order_by")) and \
            orm_index(ctx.index, note=False).any_models and routes.module_has_routes(ctx)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reader = QueryReader(ctx)
        # per function being walked: (is a route handler, candidate calls, names bound to them, narrowed names)
        self._functions: list[tuple[bool, list[tuple[cst.Call, Model]], dict[int, str], set[str]]] = []
        self._handled: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append((routes.is_route_handler(self.ctx, node), [], {}, set()))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        handler, candidates, bound, narrowed = self._functions.pop()
        if not handler:
            return
        for call, model in candidates:
            if bound.get(id(call)) in narrowed:
                continue
            self.report(call, f"`{_source(self.ctx, call)}` loads every `{model.name}` row in a route handler; "
                              f"paginate it or add `.limit(...)` with a maximum page size.")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._functions and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._functions[-1][2][id(node.value)] = node.targets[0].target.value

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self._functions and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            self._handled.add(id(node.value))
            if isinstance(node.value, cst.Name):
                self._functions[-1][3].add(node.value.value)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions or not self._functions[-1][0]:
            return
        narrowed = self._functions[-1][3]
        func = node.func
        callee = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) \
            else ""
        if "paginat" in callee.lower():
            for arg in node.args:
                self._handled.add(id(arg.value))
                if isinstance(arg.value, cst.Name):
                    narrowed.add(arg.value.value)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.attr.value in BOUNDING_METHODS:
            narrowed.add(func.value.value)
        if id(node) in self._handled:
            return
        for call in QueryInLoop._chain(node):
            self._handled.add(id(call))
        query = self.reader.query(node)
        if query is not None and query.shape in LIST_SHAPES and not query.bounded and not query.chain:
            self._functions[-1][1].append((node, query.model))
