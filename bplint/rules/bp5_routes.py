"""BP5 routes: missing objects, unchecked request data, error handlers, route naming."""

from __future__ import annotations

import re

import libcst as cst

from bplint import flow, names, routes
from bplint.findings import Severity, Span
from bplint.rule import Flag, ProjectRule, PythonRule, Quiet
from bplint.rules._route_helpers import own_nodes

# --- BP501 -------------------------------------------------------------------------------------

# Chain methods that make `.first()` a database query rather than a list helper.
QUERY_CHAIN_WORDS = frozenset({"query", "filter", "filter_by", "objects", "where", "scalars", "execute",
                               "order_by", "join", "outerjoin", "options", "exclude", "select_related",
                               "prefetch_related", "limit", "offset"})
SESSION_WORDS = ("session", "db")


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


class UnhandledMissingObject(PythonRule):
    code = "BP501"
    name = "unhandled-missing-object"
    category = "routes"
    severity = Severity.WARNING
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

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test and routes.module_has_routes(ctx)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = routes.route_for(self.ctx, node)
        if route is None:
            return
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


# --- BP502 -------------------------------------------------------------------------------------


def _is_request_json(ctx, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Attribute) and node.attr.value == "json":
        return ctx.qualified_name(node.value) == "flask.request"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get_json":
        return ctx.qualified_name(node.func.value) == "flask.request"
    return False


class UncheckedRequestData(PythonRule):
    code = "BP502"
    name = "unchecked-request-data"
    category = "routes"
    severity = Severity.WARNING
    summary = "Request JSON is indexed without validation"
    what = ("In a Flask route handler, finds `request.get_json()` / `request.json` data read with a "
            "subscript (`data[\"email\"]`) before any validation: a schema `load`/`validate`, a pydantic "
            "model, an `in` check, `.get()`, `if not data`, or handing the data to any function first.")
    why = ("A client that leaves out a field, or sends no JSON at all, makes the handler raise "
           "`KeyError`/`TypeError`: a 500 instead of a 400 that says what is missing.")
    how_to_fix = ("Validate the body first (a marshmallow schema's `load()`, a pydantic model, "
                  "or explicit checks that answer 400), or read optional fields with `.get()`.")
    bad = ('@bp.post("/users")\ndef create_user():\n    data = request.get_json()\n'
           '    user = User(email=data["email"])\n')
    good = ('@bp.post("/users")\ndef create_user():\n    data = UserSchema().load(request.get_json())\n'
            '    user = User(email=data["email"])\n')
    examples = (
        Flag("""
            from flask import Blueprint, request

            bp = Blueprint("users", __name__)

            @bp.post("/users")
            def create_user():
                data = request.get_json()
                email = data["email"]
                return {"email": email}, 201
            """, line=8, count=1),
        Flag("""
            from flask import Flask, request

            app = Flask(__name__)

            @app.route("/login", methods=["POST"])
            def login():
                return {"user": request.json["username"]}
            """, line=7),
        Quiet("""
            from flask import Blueprint, abort, request
            from app.schemas import UserSchema

            bp = Blueprint("users", __name__)

            @bp.post("/a")
            def a():
                data = UserSchema().load(request.get_json())
                return {"email": data["email"]}, 201

            @bp.post("/b")
            def b():
                data = request.get_json()
                if not data or "email" not in data:
                    abort(400)
                return {"email": data["email"]}, 201

            @bp.post("/c")
            def c():
                data = request.get_json()
                email = data.get("email")
                return {"email": email, "name": data["name"]}, 201

            @bp.post("/d")
            def d():
                data = request.get_json()
                validate(data)
                return {"email": data["email"]}, 201
            """, note="schema load, `in` check, .get(), a validating call"),
        Quiet("""
            from flask import request

            def parse():
                data = request.get_json()
                return data["email"]
            """, note="not a route handler"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test and "request" in ctx.text and routes.module_has_routes(ctx)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = routes.route_for(self.ctx, node)
        if route is None or route.framework != "flask":
            return
        direct_checked = False
        for child in own_nodes(node):
            if isinstance(child, (cst.If, cst.Comparison, cst.Assert)) and any(
                    _is_request_json(self.ctx, n) for n in _expr_nodes(child)):
                direct_checked = True
            if isinstance(child, cst.Subscript) and _is_request_json(self.ctx, child.value):
                if not direct_checked:
                    self.report(child, "Validate the request body before reading fields from it "
                                       "(a schema `load()`, a pydantic model, or `.get()` with a 400 when missing).")
                return
            if isinstance(child, cst.Assign) and len(child.targets) == 1 and \
                    isinstance(child.targets[0].target, cst.Name) and _is_request_json(self.ctx, child.value):
                name = child.targets[0].target.value
                use = flow.first_unchecked_use(node, child, name, kinds=frozenset({"subscript"}))
                if use is not None:
                    self.report(use, f"Validate `{name}` before reading fields from it (a schema `load()`, a "
                                     f"pydantic model, or `.get()` with a 400 when missing).")
                return


def _expr_nodes(node: cst.CSTNode):
    test = node.test if isinstance(node, (cst.If, cst.Assert)) else node
    stack = [test]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


# --- BP503 -------------------------------------------------------------------------------------

SERVER_ERROR_NAMES = frozenset({"500", "Exception", "BaseException", "InternalServerError"})
NOT_FOUND_NAMES = frozenset({"404", "HTTPException", "NotFound"})


DOCS_DIRS = ("docs/", "doc/", "docs_src/")


def in_docs(relpath: str) -> bool:
    """Code snippets of the documentation: examples of one feature, not applications."""
    return any(relpath.startswith(d) or f"/{d}" in relpath for d in DOCS_DIRS)


def _last(handles: str) -> str:
    return handles.rsplit(".", 1)[-1]


class MissingErrorHandler(ProjectRule):
    code = "BP503"
    name = "missing-error-handler"
    category = "routes"
    severity = Severity.WARNING
    summary = "Application registers no error handlers"
    what = ("For every Flask application object that has routes (its own, or through blueprints), "
            "checks that the project registers a handler for `Exception`/500 and one for "
            "`HTTPException`/404: `@app.errorhandler(...)`, `app.register_error_handler(...)` (also in "
            "another module, on the app passed to a helper), or a blueprint's `app_errorhandler`. "
            "Extensions that answer errors themselves (Flask-RESTX, Flask-RESTful, flask-smorest `Api`) "
            "count. A FastAPI application without an `exception_handler` for `Exception` is reported "
            "with severity info. Test code and documentation snippets (`docs/`, `docs_src/`) are not checked.")
    why = ("Without handlers an API answers a missing route or a crash with Werkzeug's HTML error page: "
           "clients expecting JSON break, and nothing logs the unexpected error in one place.")
    how_to_fix = ("Register JSON error handlers on the application: `@app.errorhandler(HTTPException)` "
                  "returning `jsonify(error=e.description), e.code`, and `@app.errorhandler(Exception)` "
                  "that logs with `logger.exception(...)` and returns a generic 500.")
    bad = 'app = Flask(__name__)\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n'
    good = ('app = Flask(__name__)\n\n@app.errorhandler(HTTPException)\ndef http_error(e):\n'
            '    return jsonify(error=e.description), e.code\n\n@app.errorhandler(Exception)\n'
            'def server_error(e):\n    app.logger.exception("unhandled error")\n'
            '    return jsonify(error="internal server error"), 500\n')
    examples = (
        Flag("""
            from flask import Flask

            app = Flask(__name__)

            @app.get("/health")
            def health():
                return {"ok": True}
            """, line=3, count=1),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                from app.api import bp
                app.register_blueprint(bp)

                @app.errorhandler(404)
                def not_found(e):
                    return {"error": "not found"}, 404

                return app
            """, path="app/__init__.py",
            files={"app/api.py": "from flask import Blueprint\nbp = Blueprint('api', __name__)\n\n"
                                 "@bp.get('/x')\ndef x():\n    return {}\n"},
            line=4, note="a factory with blueprints and a 404 handler only"),
        Flag("""
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/health")
            def health():
                return {"ok": True}
            """, line=3, note="FastAPI: info"),
        Quiet("""
            from flask import Flask
            from app.errors import register_error_handlers

            def create_app():
                app = Flask(__name__)
                from app.api import bp
                app.register_blueprint(bp)
                register_error_handlers(app)
                return app
            """, path="app/__init__.py",
            files={"app/api.py": "from flask import Blueprint\nbp = Blueprint('api', __name__)\n\n"
                                 "@bp.get('/x')\ndef x():\n    return {}\n",
                   "app/errors.py": "from werkzeug.exceptions import HTTPException\n\n"
                                    "def register_error_handlers(app):\n"
                                    "    app.register_error_handler(HTTPException, lambda e: (e.description, e.code))\n"
                                    "    app.register_error_handler(Exception, lambda e: ('error', 500))\n"},
            note="handlers registered in another module on the app passed in"),
        Quiet("""
            from flask import Blueprint

            errors = Blueprint("errors", __name__)

            @errors.app_errorhandler(404)
            def not_found(e):
                return {"error": "not found"}, 404

            @errors.app_errorhandler(500)
            def server_error(e):
                return {"error": "internal"}, 500
            """, path="app/errors.py",
            files={"app/__init__.py": "from flask import Flask\nfrom app.errors import errors\n\n"
                                      "app = Flask(__name__)\napp.register_blueprint(errors)\n\n"
                                      "@app.get('/')\ndef index():\n    return 'hi'\n"},
            note="blueprint app_errorhandler"),
        Quiet("""
            from flask import Flask

            app = Flask(__name__)
            """, note="no routes"),
        Quiet("""
            from flask import Flask

            app = Flask(__name__)

            @app.get("/x")
            def x():
                return "x"
            """, path="tests/test_app.py", note="test code"),
    )

    def check(self) -> None:
        index = self.project.index
        project = routes.project_routes(index)
        apps = [a for a in project.apps if a.relpath not in index.test_files and not in_docs(a.relpath)]
        for app in apps:
            same_framework = sum(1 for a in apps if a.framework == app.framework)
            if not project.app_has_routes(app, same_framework):
                continue
            handled = {_last(h.handles) for h in project.handlers_for_app(app)}
            span = Span(app.location.line, app.location.column, app.location.end_line, app.location.end_column)
            if app.framework == "fastapi":
                if not handled & {"Exception", "BaseException", "500"}:
                    self.report(app.relpath, span,
                                f"Register `@{app.name}.exception_handler(Exception)` so unexpected errors are "
                                f"logged once and answered with a JSON 500.")
                    self.project.findings[-1] = _as_info(self.project.findings[-1])
                continue
            missing = []
            if not handled & NOT_FOUND_NAMES:
                missing.append("`HTTPException`/404")
            if not handled & SERVER_ERROR_NAMES:
                missing.append("`Exception`/500")
            if missing:
                self.report(app.relpath, span,
                            f"Register error handlers for {' and '.join(missing)} on this app "
                            f"(`@{app.name}.errorhandler(...)`) so clients get JSON errors instead of HTML pages.")


def _as_info(finding):
    import dataclasses

    return dataclasses.replace(finding, severity=Severity.INFO)


# --- BP506 -------------------------------------------------------------------------------------

CRUD_VERBS = frozenset({"get", "fetch", "create", "add", "new", "update", "edit", "modify", "delete", "remove",
                        "insert", "set"})
# HTML-form convention: `/posts/new`, `/posts/<id>/edit` serve the form page for GET.
FORM_PAGE_SEGMENTS = frozenset({"new", "edit"})
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def verb_segment(path: str) -> str | None:
    """The first path segment that starts with a CRUD verb (`getUsers`, `create_user`, `delete`)."""
    for segment in re.split(r"[/^$]+", path):
        if not segment or segment.startswith(("<", "{", "(", "?", ":")):
            continue
        words = [w.lower() for w in _WORD.findall(segment)]
        if words and words[0] in CRUD_VERBS:
            return segment
    return None


class VerbInRoute(ProjectRule):
    code = "BP506"
    name = "verb-in-route"
    category = "routes"
    severity = Severity.INFO
    summary = "Route path names an action instead of a resource"
    what = ("Finds route paths with a segment that starts with a CRUD verb: get, fetch, create, add, new, "
            "update, edit, modify, delete, remove, insert, set (`/getUsers`, `/create_user`, "
            "`/users/delete/<id>`, `/updateProfile`). Paths such as `/login`, `/logout`, `/register`, "
            "`/search`, `/reset-password` and `/verify` are actions by nature and stay quiet, as do "
            "`/new` and `/edit` form pages reached with GET. Test code and documentation snippets are not checked.")
    why = ("The HTTP method already says what happens; a verb in the path duplicates it, invites "
           "`GET /deleteUser` (which crawlers and prefetchers will follow), and makes the API "
           "inconsistent to use.")
    how_to_fix = ("Name the resource and let the method carry the action: `DELETE /users/<id>` instead of "
                  "`/users/delete/<id>`, `POST /users` instead of `/create_user`.")
    bad = '@bp.route("/users/delete/<int:user_id>", methods=["POST"])\ndef delete_user(user_id): ...\n'
    good = '@bp.delete("/users/<int:user_id>")\ndef delete_user(user_id): ...\n'
    examples = (
        Flag("""
            from flask import Blueprint

            bp = Blueprint("users", __name__)

            @bp.get("/getUsers")
            def users():
                return []

            @bp.post("/create_user")
            def create():
                return {}, 201

            @bp.route("/users/delete/<int:user_id>", methods=["POST"])
            def delete(user_id):
                return "", 204

            @bp.put("/updateProfile")
            def profile():
                return {}
            """, line=5, count=4),
        Flag("""
            from django.urls import path
            from . import views

            urlpatterns = [path("orders/remove/<int:pk>/", views.remove_order)]
            """, path="shop/urls.py", files={"shop/views.py": "def remove_order(request, pk):\n    pass\n"},
            line=4),
        Quiet("""
            from fastapi import APIRouter

            router = APIRouter()

            @router.post("/login")
            def login(): ...

            @router.post("/logout")
            def logout(): ...

            @router.post("/register")
            def register(): ...

            @router.get("/search")
            def search(): ...

            @router.post("/reset-password")
            def reset_password(): ...

            @router.get("/verify")
            def verify(): ...

            @router.get("/settings")
            def settings(): ...

            @router.get("/users/{user_id}/addresses")
            def addresses(user_id: int): ...
            """),
        Quiet("""
            from flask import Blueprint

            bp = Blueprint("posts", __name__)

            @bp.route("/posts/new", methods=["GET", "POST"])
            def new_post(): ...

            @bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
            def edit_post(post_id): ...
            """, note="HTML form pages"),
    )

    def check(self) -> None:
        index = self.project.index
        seen: set[tuple[str, int, int]] = set()
        for route in routes.project_routes(index).routes:
            where = route.declared_in
            if route.path is None or route.path_location is None or where is None or where in index.test_files \
                    or in_docs(where):
                continue
            segment = verb_segment(route.path)
            if segment is None:
                continue
            if segment.lower() in FORM_PAGE_SEGMENTS and (not route.methods or "GET" in route.methods):
                continue
            location = route.path_location
            key = (where, location.line, location.column)
            if key in seen:
                continue
            seen.add(key)
            self.report(where, Span(location.line, location.column, location.end_line, location.end_column),
                        f"Name the resource in the path and let the HTTP method carry the action "
                        f"(`{segment}` is a verb): e.g. `DELETE /users/<id>` instead of `/users/delete/<id>`.")
