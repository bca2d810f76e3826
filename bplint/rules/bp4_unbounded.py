"""BP4 unbounded: route handlers that load every row of a table (BP403).

Route handlers come from the route index (``bplint.project.routes``).
"""

from __future__ import annotations

import libcst as cst

from bplint.project import routes
from bplint.project import orm_triggers
from bplint.project.orm_models import Model, orm_index
from bplint.project.orm_queries import BOUNDING as BOUNDING_METHODS
from bplint.project.orm_queries import QueryReader
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules.bp4_fixtures import EXTENSIONS
from bplint.rules.bp4_loops import QueryInLoop
from bplint.rules.bp4_queries import _source

# --- BP403 --------------------------------------------------------------------------------

SHOP_MODELS_SA = '''\
from datetime import datetime, timezone

from shop.extensions import db


def utcnow():
    return datetime.now(timezone.utc)


class Category(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    position = db.Column(db.Integer, default=1, nullable=False)
    updated_at = db.Column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Currency(db.Model):
    code = db.Column(db.String(3), primary_key=True)
    name = db.Column(db.String(40), nullable=False)


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    total = db.Column(db.Numeric(10, 2), nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), default=utcnow, nullable=False)

    def to_dict(self):
        return {"id": self.id, "total": str(self.total)}
'''

EVENT_MODELS_SA2 = '''\
from datetime import datetime

from sqlalchemy import String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Timestamped:
    created: Mapped[datetime] = mapped_column(server_default=func.now())


class AuditEvent(Timestamped, Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(50))
'''

TICKET_MODELS_DJANGO = '''\
from django.conf import settings
from django.db import models


class Ticket(models.Model):
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, default="open")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    opened_at = models.DateTimeField(auto_now_add=True)


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    written_at = models.DateTimeField(auto_now_add=True)
'''

LIST_SHAPES = frozenset({"list", "scalars", "queryset"})
PREFETCH = frozenset({"django.db.models.Prefetch", "django.db.models.query.Prefetch"})


class UnboundedQuery(PythonRule):
    code = "BP403"
    name = "unbounded-query"
    category = "database"
    severity = Severity.WARNING
    precision = Precision(4, 34, "2026-12-02", debatable=2, unseen=(4, 21))
    preview = True
    roles = APPLICATION_ONLY
    uses_bindings = True
    summary = "Route handler loads every row of a table"
    what = ("In a route handler (a Flask / FastAPI / Django / DRF view, from the route index), reports a query "
            "that returns every row of a model: `Model.query.all()`, `session.scalars(select(Model)).all()`, "
            "`session.execute(select(Model)).scalars()`, `Model.objects.all()` / `order_by(...)`, with no "
            "`limit`, slice, `paginate`, `first` / `get`, and no filter (`filter`, `filter_by`, `where`, "
            "keyword lookups). A queryset that the handler then slices, filters or hands to a paginator "
            "(`Paginator(qs, 25)`, `self.paginate_queryset(qs)`) is fine, and so is the inner queryset of a "
            "`Prefetch(...)`, which Django narrows to the rows of the outer query. Only tables that grow with "
            "use count: a model with a column stamped with the time its row is written "
            "(`default=datetime.utcnow`, `server_default=func.now()`, `auto_now_add=True`), itself or through "
            "a base class. A short list kept by hand (no such column, or a `position` / `sort_order` column "
            "that someone arranges: categories, groups, settings, plugins) is meant to be loaded whole.")
    why = ("An endpoint that returns the whole table is fast with test data and takes the service down when "
           "the table grows: memory, serialization time and response size all grow with it.")
    how_to_fix = ("Paginate (`Model.query.paginate(page=..., per_page=...)`, `db.paginate(select(Model))`, "
                  "Django `Paginator`, DRF pagination) or add `.limit(...)` with a maximum page size.")
    bad = ('@app.get("/orders")\ndef list_orders():\n    return jsonify([o.to_dict() for o in Order.query.all()])\n')
    good = ('@app.get("/orders")\ndef list_orders():\n    page = Order.query.paginate(page=request.args.get("page", 1, '
            'type=int), per_page=50)\n    return jsonify([o.to_dict() for o in page.items])\n')
    examples = (
        Flag("""
            from flask import Blueprint, jsonify

            from shop.models import Order

            bp = Blueprint("orders", __name__)


            @bp.get("/orders")
            def orders():
                rows = Order.query.order_by(Order.created_at.desc()).all()
                return jsonify([o.to_dict() for o in rows])
            """, path="shop/views.py", files={"shop/models.py": SHOP_MODELS_SA, "shop/extensions.py": EXTENSIONS},
            line=10, note="a table of orders: each row stamped when it is written"),
        Flag("""
            from fastapi import APIRouter, Depends
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import AuditEvent

            router = APIRouter()


            @router.get("/audit")
            def audit(db: Session = Depends(get_db)):
                return db.scalars(select(AuditEvent)).all()
            """, path="app/api.py", files={"app/models.py": EVENT_MODELS_SA2}, line=13,
            note="the timestamp comes from a mixin"),
        Flag("""
            from django.http import JsonResponse
            from django.urls import path

            from tickets.models import Ticket


            def tickets(request):
                return JsonResponse({"ids": [t.pk for t in Ticket.objects.all()]})


            urlpatterns = [path("tickets/", tickets)]
            """, path="tickets/views.py", files={"tickets/models.py": TICKET_MODELS_DJANGO}, line=8),
        Flag("""
            from django.contrib.auth.models import Group, User
            from django.shortcuts import render
            from django.urls import path


            def members(request):
                return render(request, "members.html", {"users": User.objects.order_by("username"),
                                                        "groups": Group.objects.all()})


            urlpatterns = [path("members/", members)]
            """, path="accounts/views.py", files={"tickets/models.py": TICKET_MODELS_DJANGO}, line=7, count=1,
            note="Django's own user table grows with sign-ups; its groups are a short list"),
        Quiet("""
            from django.core.paginator import Paginator
            from django.db.models import Prefetch
            from django.shortcuts import render
            from django.urls import path

            from tickets.models import Comment, Ticket


            def tickets(request):
                page = Paginator(Ticket.objects.all(), 25).get_page(request.GET.get("page"))
                latest = Ticket.objects.order_by("-opened_at")[:10]
                mine = Ticket.objects.filter(opened_by=request.user)
                every = Ticket.objects.all()
                first = every.first()
                threads = Ticket.objects.filter(status="open").prefetch_related(
                    Prefetch("comments", queryset=Comment.objects.order_by("written_at")))
                return render(request, "tickets.html", {"page": page, "latest": latest, "mine": mine,
                                                        "first": first, "threads": threads})


            def report():
                return list(Ticket.objects.all())


            urlpatterns = [path("tickets/", tickets)]
            """, path="tickets/views.py", files={"tickets/models.py": TICKET_MODELS_DJANGO},
            note="paginated, sliced, filtered, narrowed later, a Prefetch queryset; not a route handler"),
        Quiet("""
            from flask import Blueprint, render_template

            from shop.models import Category, Currency

            bp = Blueprint("admin", __name__)


            @bp.get("/admin/categories")
            def categories():
                return render_template("categories.html",
                                       categories=Category.query.order_by(Category.position).all(),
                                       currencies=Currency.query.all())
            """, path="shop/admin.py", files={"shop/models.py": SHOP_MODELS_SA, "shop/extensions.py": EXTENSIONS},
            note="lookup tables: categories ordered by hand, currencies with no timestamp"),
    )

    # libcst runs only in files with a candidate (bplint.project.orm_triggers)
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
        if self.ctx.qualified_name(func) in PREFETCH:
            # Prefetch("events", queryset=Event.objects...): Django narrows the inner queryset to the
            # rows related to the outer query's rows; it loads nothing of its own
            for arg in node.args:
                self._inner_calls(arg.value)
        if id(node) in self._handled:
            return
        for call in QueryInLoop._chain(node):
            self._handled.add(id(call))
        query = self.reader.query(node)
        if query is not None and query.shape in LIST_SHAPES and not query.bounded and not query.chain \
                and query.model.grows_with_use:
            self._functions[-1][1].append((node, query.model))

    def _inner_calls(self, expr: cst.BaseExpression) -> None:
        while True:
            if isinstance(expr, cst.Call):
                self._handled.add(id(expr))
                expr = expr.func
            elif isinstance(expr, (cst.Attribute, cst.Subscript)):
                expr = expr.value
            else:
                return
