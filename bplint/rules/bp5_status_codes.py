"""BP507 and BP508: error responses sent as 200, created resources not answered with 201."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import routes
from bplint.project.names import dotted
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_helpers import (UNKNOWN, RouteHandlerRule, decorator_status, error_handler_of, own_nodes,
                                         response_status, serializing_decorator, sets_status_code)


ERROR_KEYS = frozenset({"error", "errors"})
JSON_BUILDERS = frozenset({"flask.jsonify", "flask.json.jsonify", "fastapi.responses.JSONResponse",
                           "starlette.responses.JSONResponse", "fastapi.JSONResponse", "django.http.JsonResponse",
                           "django.http.response.JsonResponse", "rest_framework.response.Response",
                           "flask.make_response", "fastapi.responses.ORJSONResponse"})


def _ast_error_body(value: ast.AST) -> bool:
    """Looser twin of ``error_body``: an `"error"` key or an `error=` keyword anywhere in the value."""
    for node in ast.walk(value):
        if isinstance(node, ast.Dict):
            if any(isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.strip("\"'").lower()
                   in ERROR_KEYS for k in node.keys):
                return True
        elif isinstance(node, ast.keyword):
            if node.arg in ERROR_KEYS:
                return True
    return False


def _error_dict(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Dict):
        return False
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = element.key
            if isinstance(key, cst.SimpleString) and key.value.strip("\"'").lower() in ERROR_KEYS:
                value = element.value
                if isinstance(value, cst.Name) and value.value in ("None", "False"):
                    continue
                if isinstance(value, cst.SimpleString) and value.value in ('""', "''"):
                    continue
                return True
    return False


def error_body(ctx, value: cst.CSTNode) -> bool:
    """`{"error": ...}`, `jsonify(error=...)`, `jsonify({"error": ...})`, `JSONResponse({"error": ...})`."""
    if isinstance(value, cst.Tuple) and value.elements:
        return error_body(ctx, value.elements[0].value)
    if _error_dict(value):
        return True
    if isinstance(value, cst.Call) and ctx.qualified_name(value.func) in JSON_BUILDERS:
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value in ERROR_KEYS:
                return True
            if arg.keyword is None and (_error_dict(arg.value) or error_body(ctx, arg.value)):
                return True
    return False


class ErrorStatus200(PythonRule):
    code = "BP507"
    name = "error-status-200"
    category = "routes"
    severity = Severity.WARNING
    precision = Precision(3, 9, "2026-12-02", unseen=(0, 3))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Error response sent with status 200"
    what = ("In a route handler or an error handler, finds a `return` of an error body "
            "(`{\"error\": ...}`, `jsonify(error=...)`, `JSONResponse({\"error\": ...})`) with no status "
            "code, or with a 2xx one. A status set elsewhere (`response.status_code = 400`, a returned "
            "variable) is left alone. Only JSON APIs are checked: a handler of a server-rendered page (one "
            "that renders a template or redirects, the methods of a Django template view) answers its own "
            "page's script, which reads the body.")
    why = ("Clients, proxies, monitoring and retries read the status code, not the body: an error sent "
           "as 200 is cached, counted as a success, and never retried or alerted on.")
    how_to_fix = ("Return the matching 4xx/5xx status with the body: `return jsonify(error=\"not found\"), 404`, "
                  "`JSONResponse({...}, status_code=400)`, or raise the framework's HTTP exception.")
    bad = '@bp.get("/users/<int:i>")\ndef get_user(i):\n    ...\n    return jsonify(error="not found")\n'
    good = '@bp.get("/users/<int:i>")\ndef get_user(i):\n    ...\n    return jsonify(error="not found"), 404\n'
    examples = (
        Flag("""
            from flask import Blueprint, jsonify
            from app.models import User

            bp = Blueprint("users", __name__)

            @bp.get("/users/<int:i>")
            def get_user(i):
                user = User.query.get(i)
                if user is None:
                    return jsonify(error="not found")
                return jsonify(name=user.name)
            """, line=10, count=1),
        Flag("""
            from flask import Flask

            app = Flask(__name__)

            @app.errorhandler(404)
            def not_found(e):
                return {"error": "not found"}
            """, line=7, note="an error handler that forgets its status"),
        Quiet("""
            from flask import Blueprint, jsonify, make_response
            from fastapi.responses import JSONResponse

            bp = Blueprint("users", __name__)

            @bp.get("/a")
            def a():
                return jsonify(error="not found"), 404

            @bp.get("/b")
            def b():
                return make_response(jsonify(error="bad"), 400)

            @bp.get("/c")
            def c():
                response = jsonify(error="bad")
                response.status_code = 400
                return response

            @bp.get("/d")
            def d():
                return {"error": None, "items": []}
            """, note="status given, set on the response, or no error"),
        Quiet("""
            from django.http import JsonResponse
            from django.views.generic import TemplateView

            class LabelEditor(TemplateView):
                template_name = "labels/editor.html"

                def post(self, request, *args, **kwargs):
                    if "width" not in request.POST:
                        return JsonResponse({"status": "error", "error": "Width missing."})
                    return JsonResponse({"status": "ok"})
            """, path="labels/views.py", files={"labels/urls.py": (
                "from django.urls import path\nfrom . import views\n\n"
                "urlpatterns = [path('editor/', views.LabelEditor.as_view())]\n")},
            note="a server-rendered page's own script reads the body"),
    )

    # Parsed only where some function returns an error body.
    ast_trigger_types = (ast.Return,)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        return node.value is not None and _ast_error_body(node.value)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        handles = error_handler_of(self.ctx, node)
        if handles is None and not any(not route.page for route in routes.routes_of(self.ctx, node)):
            return  # not a handler, or one of a server-rendered page: its script reads the body
        if sets_status_code(node):
            return
        declared = decorator_status(self.ctx, node)
        if declared is not None and declared >= 400:
            return
        for child in own_nodes(node):
            if isinstance(child, cst.Return) and child.value is not None and error_body(self.ctx, child.value):
                status = response_status(self.ctx, child.value)
                if status is None or 200 <= status < 300:
                    self.report(child, "Return the error with a 4xx/5xx status (`return jsonify(error=...), 404`): "
                                       "clients and monitoring read the status, not the body.")


# An API with this many POST routes or more, fewer than one in ten of them naming status 201, has
# chosen 200 for creation (a protocol of its own, such as SCIM's, may still answer 201). A small app
# (a register and a login route) has no convention yet.
CONVENTION = 10
CREATING_METHODS = frozenset({"add", "add_all", "create", "bulk_create", "save"})


def _creates(ctx, function: cst.FunctionDef) -> int | None:
    """The position (in `own_nodes` order) of the first call that creates a resource, else None."""
    constructed: set[str] = set()
    added = committed = None
    for position, node in enumerate(own_nodes(function)):
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            value = node.value
            if isinstance(value, cst.Call):
                func = value.func
                last = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
                if isinstance(last, str) and last[:1].isupper():
                    constructed.add(node.targets[0].target.value)
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            continue
        method = node.func.attr.value
        receiver = node.func.value
        spelled = (dotted(receiver) or "").lower()
        if method in ("add", "add_all") and (spelled.endswith("session") or spelled.split(".")[-1] == "db"):
            added = position if added is None else added
        elif method == "commit":
            committed = position
        elif method in ("create", "bulk_create") and spelled.endswith("objects"):
            return position
        elif method == "save" and isinstance(receiver, cst.Name) and (
                receiver.value in constructed or "serializer" in receiver.value.lower()):
            return position
    if added is not None and committed is not None:
        return added
    return None


def _plain_value(function: cst.FunctionDef, value: cst.CSTNode) -> bool:
    """A returned model or dict rather than a Response object (for FastAPI)."""
    if isinstance(value, cst.Call):
        return not (dotted(value.func) or "").endswith("Response")
    if isinstance(value, cst.Name):
        for node in own_nodes(function):
            if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == value.value
                                                    for t in node.targets):
                if isinstance(node.value, cst.Call) and (dotted(node.value.func) or "").endswith("Response"):
                    return False
        return True
    return isinstance(value, (cst.Attribute, cst.Dict, cst.List))


class CreateNot201(RouteHandlerRule):
    code = "BP508"
    fix_applicability = "unsafe"
    fix_note = ("In a Flask view or a flask-restful / flask-restx Resource, the returned value gets status "
                "201 (`return data` becomes `return data, 201`, `data, 200` becomes `data, 201`). Unsafe: a "
                "client that checks for exactly 200 then sees a failure. Other frameworks get no fix: the "
                "status belongs on the route decorator or the response object, and it applies to every "
                "answer of the handler.")
    name = "create-not-201"
    category = "routes"
    severity = Severity.INFO
    precision = Precision(0, 8, "2026-12-02", debatable=1, unseen=(0, 3))
    preview = True
    roles = APPLICATION_ONLY
    summary = "POST handler that creates a resource does not answer 201"
    what = ("In a route handler reached only by POST (or a DRF `create`), that creates a resource "
            "(`session.add(...)` and `commit()`, `Model.objects.create(...)`, `.save()` on an object it "
            "built or on a serializer), finds the first `return` after the creation that sends no "
            "status or 200. A returned object that the framework serializes gets its default status, "
            "200: in FastAPI, in a flask-restful / flask-restx `Resource` and under a serializing decorator "
            "(`@marshal_with`, apiflask's `@output`); flask-restx's `@ns.response(201, ...)` and "
            "`marshal_with(..., code=201)` only document the status. Handlers of server-rendered pages and form posts (a redirect, "
            "a rendered template, a Django template view), error responses, a status set where the "
            "framework takes it from (`status_code=201` on the route or `@output`, flask-smorest's "
            "`@blp.response(201, ...)`, `(data, 201)`, a status set on the response) stay quiet. An API "
            "that answers 200 to its creations by its own convention (ten or more POST routes, fewer "
            "than one in ten of them answering 201) is left alone: its clients rely on it, and one 201 would make "
            "it inconsistent.")
    why = ("201 Created tells clients, SDK generators and caches that a new resource exists (and where, "
           "with a `Location` header); 200 says nothing was created.")
    how_to_fix = ("Return status 201: `return jsonify(user.to_dict()), 201`, "
                  "`@router.post(\"/users\", status_code=201)`, "
                  "`Response(serializer.data, status=status.HTTP_201_CREATED)`.")
    bad = ('@bp.post("/users")\ndef create_user():\n    user = User(email=request.json["email"])\n'
           '    db.session.add(user)\n    db.session.commit()\n    return jsonify(id=user.id)\n')
    good = ('@bp.post("/users")\ndef create_user():\n    user = User(email=request.json["email"])\n'
            '    db.session.add(user)\n    db.session.commit()\n    return jsonify(id=user.id), 201\n')
    examples = (
        Flag("""
            from flask import Blueprint, jsonify, request
            from app.models import User, db

            bp = Blueprint("users", __name__)

            @bp.post("/users")
            def create_user():
                user = User(email=request.json.get("email"))
                db.session.add(user)
                db.session.commit()
                return jsonify(id=user.id)
            """, line=11, count=1, fixed="""
            from flask import Blueprint, jsonify, request
            from app.models import User, db

            bp = Blueprint("users", __name__)

            @bp.post("/users")
            def create_user():
                user = User(email=request.json.get("email"))
                db.session.add(user)
                db.session.commit()
                return jsonify(id=user.id), 201
            """),
        Flag("""
            from fastapi import APIRouter
            from app.models import Item

            router = APIRouter()

            @router.post("/items")
            async def create_item(payload: dict, session):
                item = Item(**payload)
                session.add(item)
                await session.commit()
                return item
            """, line=11),
        Quiet("""
            from fastapi import APIRouter, status
            from flask import Blueprint, redirect, url_for
            from app.models import Item, db

            router = APIRouter()
            bp = Blueprint("items", __name__)

            @router.post("/items", status_code=status.HTTP_201_CREATED)
            async def create_item(payload: dict, session):
                item = Item(**payload)
                session.add(item)
                await session.commit()
                return item

            @bp.route("/items/new", methods=["POST"])
            def new_item():
                item = Item(name="x")
                db.session.add(item)
                db.session.commit()
                return redirect(url_for("items.show", item_id=item.id))

            @bp.post("/items")
            def add_item():
                item = Item(name="x")
                db.session.add(item)
                db.session.commit()
                return {"id": item.id}, 201
            """, note="status_code=201, a redirect, an explicit 201"),
        Flag("""
            from flask import request
            from flask_restx import Namespace, Resource, fields
            from app.models import Project, db

            ns = Namespace("projects")
            project_model = ns.model("Project", {"id": fields.Integer, "name": fields.String})

            @ns.route("/projects")
            class ProjectList(Resource):
                @ns.response(201, "Project created")
                @ns.marshal_with(project_model, code=201)
                def post(self):
                    project = Project(name=request.json.get("name"))
                    db.session.add(project)
                    db.session.commit()
                    return project
            """, line=16, note="flask-restx only documents the 201; the answer is 200", fixed="""
            from flask import request
            from flask_restx import Namespace, Resource, fields
            from app.models import Project, db

            ns = Namespace("projects")
            project_model = ns.model("Project", {"id": fields.Integer, "name": fields.String})

            @ns.route("/projects")
            class ProjectList(Resource):
                @ns.response(201, "Project created")
                @ns.marshal_with(project_model, code=201)
                def post(self):
                    project = Project(name=request.json.get("name"))
                    db.session.add(project)
                    db.session.commit()
                    return project, 201
            """),
        Quiet("""
            from flask.views import MethodView
            from flask_restful import Resource
            from flask_smorest import Blueprint
            from app.models import Tag, db
            from app.schemas import TagSchema

            blp = Blueprint("tags", __name__)

            @blp.route("/tags")
            class Tags(MethodView):
                @blp.arguments(TagSchema)
                @blp.response(201, TagSchema)
                def post(self, data):
                    tag = Tag(**data)
                    db.session.add(tag)
                    db.session.commit()
                    return tag

            class Labels(Resource):
                def post(self):
                    label = Tag(name="x")
                    db.session.add(label)
                    db.session.commit()
                    return {"id": label.id}, 201
            """, note="flask-smorest answers with the status its decorator names; a (data, 201) tuple"),
        Quiet("""
            from fastapi import APIRouter, Depends
            from app.db import get_session
            from app.models import Note

            router = APIRouter(prefix="/notes")

            @router.post("/create")
            async def create_note(form: dict, session=Depends(get_session)):
                note = Note(**form)
                session.add(note)
                await session.commit()
                return note

            @router.post("/{note_id}/update")
            async def update_note(note_id: str, form: dict): ...

            @router.post("/{note_id}/delete")
            async def delete_note(note_id: str): ...

            @router.post("/{note_id}/pin")
            async def pin_note(note_id: str): ...

            @router.post("/{note_id}/share")
            async def share_note(note_id: str, form: dict): ...

            @router.post("/{note_id}/archive")
            async def archive_note(note_id: str): ...

            @router.post("/{note_id}/restore")
            async def restore_note(note_id: str): ...

            @router.post("/{note_id}/tags/add")
            async def tag_note(note_id: str, form: dict): ...

            @router.post("/import")
            async def import_notes(form: dict): ...

            @router.post("/export")
            async def export_notes(form: dict): ...
            """, note="an API that answers 200 to its POSTs by its own convention"),
    )

    # Parsed only where something may create a resource (see ``_creates``).
    ast_trigger_types = (ast.Call,)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        return isinstance(node.func, ast.Attribute) and node.func.attr in CREATING_METHODS

    def visit_route(self, node: cst.FunctionDef, route: routes.Route) -> None:
        if route.page:
            return  # a form post of a server-rendered site, or its page's script
        creating = route.methods == frozenset({"POST"}) or (route.framework == "drf" and node.name.value == "create")
        if not creating or sets_status_code(node):
            return
        declared = decorator_status(self.ctx, node, documented_only=route.resource)
        if declared is not None:
            return
        created_at = _creates(self.ctx, node)
        if created_at is None:
            return
        created_routes, post_routes = routes.api_conventions(self.ctx)
        if post_routes >= CONVENTION and created_routes * 10 < post_routes:
            return  # the API answers 200 to its POSTs by its own convention: its clients rely on it
        decorator = serializing_decorator(node)
        # FastAPI, a flask-restful Resource and a serializing decorator answer a returned object
        # with their own status: 200 unless told otherwise.
        serialized = route.framework == "fastapi" or route.resource or decorator is not None
        for position, child in enumerate(own_nodes(node)):
            if position <= created_at or not isinstance(child, cst.Return) or child.value is None:
                continue
            if error_body(self.ctx, child.value):
                continue
            status = response_status(self.ctx, child.value)
            if status == UNKNOWN and serialized and _plain_value(node, child.value):
                status = None
            if status is None or status == 200:
                self.report(child, _advice(route, decorator), fix=self._fix(route, child.value))
            return

    def _fix(self, route: routes.Route, value: cst.BaseExpression):
        """`return data` becomes `return data, 201` (and `data, 200` becomes `data, 201`) where
        the framework reads a status from a returned tuple: Flask views and Resources."""
        if route.framework != "flask":
            return None
        created = cst.Integer("201")
        if isinstance(value, cst.Tuple):
            if len(value.elements) < 2 or not isinstance(value.elements[1].value, cst.Integer):
                return None
            edit = self.replace(value.elements[1].value, created)
        elif isinstance(value, (cst.Yield, cst.Lambda, cst.StarredElement, cst.NamedExpr)):
            return None
        elif route.resource and isinstance(value, cst.Call) and self.ctx.qualified_name(value.func) in JSON_BUILDERS:
            return None  # a Resource passes a response object on as it is: a tuple around it would break
        else:
            edit = self.replace(value, cst.Tuple([cst.Element(value), cst.Element(created)], lpar=[], rpar=[]))
        return self.fix("Answer 201 Created with the same body.", edit, safe=False)


def _advice(route: routes.Route, decorator: str | None) -> str:
    if route.framework == "fastapi":
        return ("Answer a created resource with status 201: FastAPI answers 200 unless the route says otherwise "
                "(`@router.post(..., status_code=201)`).")
    if decorator is not None:
        return (f"Answer a created resource with status 201: `@{decorator}` answers 200 unless the handler "
                f"returns `(data, 201)` or the decorator is given the status.")
    if route.resource:
        return ("Answer a created resource with status 201: a Resource answers what it returns with 200 unless "
                "it returns `(data, 201)`.")
    return ("Answer a created resource with status 201 (`return ..., 201`, `status_code=201`, "
            "`status.HTTP_201_CREATED`).")
