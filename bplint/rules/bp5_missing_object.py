"""BP501: a looked-up object used in a route handler without checking that it was found."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import flow, names, routes
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._route_helpers import RouteHandlerRule, own_nodes


# Chain methods that make `.first()` a database query rather than a list helper.
QUERY_CHAIN_WORDS = frozenset({"query", "filter", "filter_by", "objects", "where", "scalars", "execute",
                               "order_by", "join", "outerjoin", "options", "exclude", "select_related",
                               "prefetch_related", "limit", "offset"})
SESSION_WORDS = ("session", "db")
# The methods ``nullable_lookup`` looks at (the ast trigger's test).
NULLABLE_METHODS = frozenset({"one_or_none", "scalar_one_or_none", "first", "get"})


def _chain_words(node: cst.CSTNode) -> set[str]:
    words: set[str] = set()
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            words.add(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Await):
            node = node.expression
        else:
            if isinstance(node, cst.Name):
                words.add(node.value)
            return words


def _strip(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Await):
        node = node.expression
    return node


def nullable_lookup(value: cst.BaseExpression) -> str | None:
    """A short description of a lookup that returns None when nothing matches, else None."""
    value = _strip(value)
    if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
        return None
    method = value.func.attr.value
    receiver = _strip(value.func.value)
    if method in ("one_or_none", "scalar_one_or_none"):
        return f".{method}()"
    if method == "first" and not value.args:
        if _chain_words(receiver) & QUERY_CHAIN_WORDS:
            return ".first()"
        return None
    if method == "get":
        # Model.query.get(id), session.query(Model).get(id)
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "query":
            return ".query.get()"
        if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute) and \
                receiver.func.attr.value == "query":
            return ".query(...).get()"
        # session.get(Model, id), db.session.get(Model, id)
        spelled = names.dotted(receiver) or ""
        last = spelled.rsplit(".", 1)[-1].lower()
        positional = [a for a in value.args if a.keyword is None]
        if len(positional) >= 2 and (last.endswith("session") or last in SESSION_WORDS) and \
                isinstance(positional[0].value, (cst.Name, cst.Attribute)):
            model = names.dotted(positional[0].value) or ""
            if model.rsplit(".", 1)[-1][:1].isupper():
                return "session.get()"
    return None


def _missing_object_advice(framework: str, name: str) -> str:
    if framework == "flask":
        return (f"`{name}` is None when no row matches: use `get_or_404()`/`first_or_404()` (Flask-SQLAlchemy) "
                f"or `abort(404)` when it is None before using it.")
    if framework == "fastapi":
        return (f"`{name}` is None when no row matches: add `if {name} is None: "
                f"raise HTTPException(status_code=404)` before using it.")
    return (f"`{name}` is None when no row matches: use `get_object_or_404()` or raise `Http404` when it is "
            f"None before using it.")


class UnhandledMissingObject(RouteHandlerRule):
    code = "BP501"
    name = "unhandled-missing-object"
    category = "routes"
    severity = Severity.WARNING
    precision = Precision(4, 8, "2026-12-02", debatable=1, unseen=(2, 2))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Route handler uses a looked-up object without checking that it was found"
    what = ("In a route handler, finds a lookup that returns None when nothing matches "
            "(`Model.query.get(id)`, `.filter_by(...).first()`, `session.get(Model, id)`, "
            "`.scalar_one_or_none()`, Django `.filter(...).first()`) whose result is then used "
            "(an attribute, a method call, a subscript, or a serializer argument) on a path with no "
            "check in between. Any test of the name (`if not x`, `if x is None`, `assert x`), an "
            "early return, or handing it to a checking helper counts as handled; when the flow is "
            "unclear the rule stays quiet.")
    why = ("A missing row then raises `AttributeError: 'NoneType' object has no attribute ...`: the "
           "client gets a 500 with a stack trace in the logs instead of a 404.")
    how_to_fix = ("Use the framework's lookup-or-404: `get_or_404()`/`first_or_404()` in Flask-SQLAlchemy, "
                  "`get_object_or_404()` in Django, or check for None and answer 404 "
                  "(`abort(404)`, `raise HTTPException(status_code=404)`).")
    bad = ('@bp.get("/users/<int:user_id>")\ndef get_user(user_id):\n    user = User.query.get(user_id)\n'
           '    return jsonify(name=user.name)\n')
    good = ('@bp.get("/users/<int:user_id>")\ndef get_user(user_id):\n    user = User.query.get_or_404(user_id)\n'
            '    return jsonify(name=user.name)\n')
    uses_bindings = False
    examples = (
        Flag("""
            from flask import Blueprint, jsonify
            from app.models import User

            bp = Blueprint("users", __name__)

            @bp.get("/users/<int:user_id>")
            def get_user(user_id):
                user = User.query.get(user_id)
                return jsonify(name=user.name)
            """, line=9, count=1),
        Flag("""
            from flask import Flask, request
            from app.models import db, Post

            app = Flask(__name__)

            @app.route("/posts/<slug>", methods=["PUT"])
            def update_post(slug):
                post = Post.query.filter_by(slug=slug).first()
                if request.is_json:
                    post.title = request.json.get("title")
                db.session.commit()
                return {"ok": True}
            """, line=10, note="a use inside a branch that does not test the object"),
        Flag("""
            from fastapi import APIRouter, Depends
            from sqlalchemy.orm import Session
            from app.db import get_db
            from app.models import Item

            router = APIRouter()

            @router.get("/items/{item_id}")
            def read_item(item_id: int, db: Session = Depends(get_db)):
                item = db.get(Item, item_id)
                return {"id": item.id, "name": item.name}
            """, path="app/routers/items.py", line=11),
        Flag("""
            from django.http import JsonResponse
            from shop.models import Order

            def order_detail(request, pk):
                order = Order.objects.filter(pk=pk, user=request.user).first()
                return JsonResponse({"total": order.total})
            """, path="shop/views.py",
            files={"shop/urls.py": "from django.urls import path\nfrom . import views\n\n"
                                   "urlpatterns = [path('orders/<int:pk>/', views.order_detail)]\n"},
            line=6, note="a Django view reached through path()"),
        Quiet("""
            from flask import Blueprint, abort, jsonify
            from app.models import User

            bp = Blueprint("users", __name__)

            @bp.get("/a/<int:i>")
            def a(i):
                return jsonify(name=User.query.get_or_404(i).name)

            @bp.get("/b/<int:i>")
            def b(i):
                user = User.query.filter_by(id=i).first_or_404()
                return jsonify(name=user.name)

            @bp.get("/c/<int:i>")
            def c(i):
                user = User.query.get(i)
                if user is None:
                    abort(404)
                return jsonify(name=user.name)

            @bp.get("/d/<int:i>")
            def d(i):
                user = User.query.get(i)
                if not user:
                    return jsonify(error="not found"), 404
                return jsonify(name=user.name)

            @bp.get("/e/<int:i>")
            def e(i):
                if (user := User.query.get(i)) is None:
                    abort(404)
                return jsonify(name=user.name)

            @bp.get("/f/<int:i>")
            def f(i):
                user = User.query.get(i) or abort(404)
                return jsonify(name=user.name)

            @bp.get("/g/<int:i>")
            def g(i):
                user = User.query.get(i)
                return jsonify(name=user.name if user else None)
            """, note="or_404 helpers, checks, early return, walrus, `or abort(404)`, guarded expression"),
        Quiet("""
            from fastapi import APIRouter, HTTPException
            from app.models import Item

            router = APIRouter()

            @router.get("/items/{item_id}")
            async def read_item(item_id: int, session):
                item = await session.get(Item, item_id)
                if item is None:
                    raise HTTPException(status_code=404, detail="Item not found")
                return {"name": item.name}
            """),
        Quiet("""
            from django.shortcuts import get_object_or_404
            from django.http import JsonResponse
            from shop.models import Order

            def order_detail(request, pk):
                order = get_object_or_404(Order, pk=pk)
                return JsonResponse({"total": order.total})
            """, path="shop/views.py",
            files={"shop/urls.py": "from django.urls import path\nfrom . import views\n\n"
                                   "urlpatterns = [path('orders/<int:pk>/', views.order_detail)]\n"}),
        Quiet("""
            from app.models import User

            def rename(user_id, name):
                user = User.query.get(user_id)
                user.name = name
            """, note="not a route handler"),
    )

    # Parsed only where a name is bound to a lookup that may return None.
    ast_trigger_types = (ast.Assign, ast.AnnAssign)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        value = node.value
        while isinstance(value, ast.Await):
            value = value.value
        return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            value.func.attr in NULLABLE_METHODS

    def visit_route(self, node: cst.FunctionDef, route: routes.Route) -> None:
        for child in own_nodes(node):
            if not isinstance(child, (cst.Assign, cst.AnnAssign)) or child.value is None:
                continue
            targets = [t.target for t in child.targets] if isinstance(child, cst.Assign) else [child.target]
            if len(targets) != 1 or not isinstance(targets[0], cst.Name):
                continue
            if nullable_lookup(child.value) is None:
                continue
            name = targets[0].value
            use = flow.first_unchecked_use(node, child, name)
            if use is not None:
                self.report(use, _missing_object_advice(route.framework, name))
