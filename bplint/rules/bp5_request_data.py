"""BP502: request JSON indexed without validation in a Flask route handler."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import flow, routes
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._route_helpers import RouteHandlerRule, own_nodes


def _is_request_json(ctx, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Attribute) and node.attr.value == "json":
        return ctx.qualified_name(node.value) == "flask.request"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get_json":
        return ctx.qualified_name(node.func.value) == "flask.request"
    return False


class UncheckedRequestData(RouteHandlerRule):
    code = "BP502"
    name = "unchecked-request-data"
    category = "routes"
    severity = Severity.WARNING
    precision = Precision(1, 12, "2026-12-02", debatable=8, unseen=(0, 6))
    preview = True
    roles = APPLICATION_ONLY
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

    # Parsed only where something reads `.json` / `.get_json`.
    ast_trigger_types = (ast.Attribute,)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        return node.attr == "json" or node.attr == "get_json"

    def visit_route(self, node: cst.FunctionDef, route: routes.Route) -> None:
        if route.framework != "flask":
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
