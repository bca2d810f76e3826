"""BP5 responses: swallowed exceptions, leaked error details, wrong status codes."""

from __future__ import annotations

import libcst as cst

from bplint import routes
from bplint.findings import Severity
from bplint.rule import Flag, PythonRule, Quiet
from bplint.rules._route_helpers import (UNKNOWN, decorator_status, own_nodes, response_status,
                                         sets_status_code, status_value)

BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
ERROR_HANDLER_DECORATORS = frozenset({"errorhandler", "app_errorhandler", "exception_handler"})


def caught_broadly(ctx, handler: cst.ExceptHandler) -> bool:
    """`except:`, `except Exception:`, `except BaseException:` or a tuple holding one of them."""
    if handler.type is None:
        return True
    types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return any(ctx.qualified_name(t) in BROAD for t in types)


def error_handler_of(ctx, function: cst.FunctionDef) -> str | None:
    """For an `@app.errorhandler(X)` / `@app.exception_handler(X)` function: what it handles
    ("500", "builtins.Exception", "werkzeug.exceptions.HTTPException"...)."""
    for decorator in function.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
                call.func.attr.value in ERROR_HANDLER_DECORATORS and call.args:
            value = call.args[0].value
            if isinstance(value, cst.Integer):
                return value.value
            return ctx.qualified_name(value) or (getattr(value, "value", None) if isinstance(value, cst.Name) else "?")
    return None


def _is_broad_handled(handles: str) -> bool:
    return handles in ("500", "builtins.Exception", "builtins.BaseException") or handles.startswith("5")


# --- BP504 -------------------------------------------------------------------------------------


def _does_nothing(stmt: cst.CSTNode) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Pass, cst.Continue, cst.Break)):
            continue
        if isinstance(small, cst.Return) and (small.value is None or
                                              isinstance(small.value, cst.Name) and small.value.value == "None"):
            continue
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
            continue
        return False
    return True


def _has_comment(handler: cst.ExceptHandler) -> bool:
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        if body.header.comment is not None or any(line.comment for line in body.footer):
            return True
        for stmt in body.body:
            if any(line.comment for line in stmt.leading_lines):
                return True
            trailing = getattr(stmt, "trailing_whitespace", None)
            if trailing is not None and trailing.comment is not None:
                return True
    elif isinstance(body, cst.SimpleStatementSuite):
        return body.trailing_whitespace.comment is not None
    return False


# Releasing resources: an error while closing is conventionally ignored.
CLEANUP_FUNCTIONS = frozenset({"close", "aclose", "__del__", "__exit__", "__aexit__", "cleanup", "teardown",
                               "shutdown", "dispose", "release", "stop", "terminate"})


class SwallowedException(PythonRule):
    code = "BP504"
    name = "swallowed-exception"
    category = "routes"
    severity = Severity.WARNING
    summary = "A broad `except` silently discards the error"
    what = ("Finds `except:`, `except Exception:` and `except BaseException:` clauses (alone or in a "
            "tuple) whose body does nothing with the error: only `pass`, `...`, `continue`, `break`, "
            "`return` or `return None`. A body that re-raises, logs, returns a value or an error "
            "response, or does any other work is handled. A comment in the clause (`# best effort: the "
            "cache may be down`) marks the silence as deliberate and keeps it quiet, as do clean-up methods (`close`, `__exit__`, "
            "`__del__`, `shutdown`...), test code and migrations.")
    why = ("Every failure in the `try` block, including bugs such as a `NameError`, disappears: the "
           "request succeeds with wrong data and nothing in the logs says why.")
    how_to_fix = ("Catch the specific exception you expect, and log the rest with `logger.exception(...)` "
                  "or let it propagate to the application's error handler.")
    bad = "try:\n    send_welcome_email(user)\nexcept Exception:\n    pass\n"
    good = ('try:\n    send_welcome_email(user)\nexcept SMTPException:\n'
            '    logger.exception("welcome email to %s failed", user.id)\n')
    examples = (
        Flag("""
            def notify(user):
                try:
                    send_email(user)
                except Exception:
                    pass
            """, line=4, count=1),
        Flag("""
            def load(rows):
                for row in rows:
                    try:
                        parse(row)
                    except:
                        continue
                try:
                    return rows[0]
                except (KeyError, BaseException):
                    return None
            """, line=5, count=2),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def a():
                try:
                    work()
                except Exception:
                    logger.exception("work failed")

            def b():
                try:
                    work()
                except Exception:
                    raise

            def c():
                try:
                    return work()
                except Exception:
                    return {"error": "unavailable"}, 503

            def d():
                try:
                    work()
                except ValueError:
                    pass

            def e():
                try:
                    cache.delete("k")
                except Exception:  # the cache is optional: a miss is harmless
                    pass
            """, note="logs, re-raises, returns an error response, a narrow exception, a comment"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        rootpath = ctx.file.rootpath or ctx.relpath
        return not ctx.is_test and "except" in ctx.text and not any(
            rootpath.startswith(d) or f"/{d}" in rootpath for d in ("migrations/", "alembic/"))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if not caught_broadly(self.ctx, node):
            return
        if self._functions and self._functions[-1] in CLEANUP_FUNCTIONS:
            return
        body = node.body
        statements = body.body if isinstance(body, cst.IndentedBlock) else [cst.SimpleStatementLine(body.body)]
        if all(_does_nothing(s) for s in statements) and not _has_comment(node):
            self.report(node, "Handle the error instead of discarding it: catch the specific exception, "
                              "log it with `logger.exception(...)`, or let it propagate.")


# --- BP505 -------------------------------------------------------------------------------------

CLIENT_ERROR_CALLS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                                "starlette.exceptions.HTTPException", "flask.abort", "werkzeug.exceptions.abort"})
TRACEBACK_CALLS = frozenset({"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                             "traceback.format_stack"})


def leaked_text(ctx, expr: cst.CSTNode, exc_name: str | None) -> cst.CSTNode | None:
    """The part of ``expr`` that carries an exception's text or a traceback."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        if isinstance(node, cst.Call):
            callee = ctx.qualified_name(node.func)
            if callee in TRACEBACK_CALLS:
                return node
            if exc_name and callee in ("builtins.str", "builtins.repr") and node.args and \
                    _is(node.args[0].value, exc_name):
                return node
            if exc_name and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format" and \
                    any(_is(a.value, exc_name) for a in node.args):
                return node
        if exc_name and isinstance(node, cst.FormattedStringExpression) and _mentions(node.expression, exc_name):
            return node.expression
        if exc_name and isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo) and \
                _mentions(node.right, exc_name):
            return node
        if exc_name and isinstance(node, cst.Attribute) and _is(node.value, exc_name) and \
                node.attr.value in ("args", "message", "orig", "msg"):
            return node
        stack.extend(reversed(node.children))
    return None


def _is(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _mentions(node: cst.CSTNode, name: str) -> bool:
    if _is(node, name):
        return True
    if isinstance(node, cst.Attribute):
        return _mentions(node.value, name)
    return any(_mentions(c, name) for c in node.children)


class ErrorDetailsLeaked(PythonRule):
    code = "BP505"
    name = "error-details-leaked"
    category = "routes"
    severity = Severity.WARNING
    cwe = (209,)
    summary = "Exception text or traceback sent to the client"
    what = ("Finds an exception's text (`str(e)`, `repr(e)`, `f\"{e}\"`, `e.args`, `\"%s\" % e`) or a "
            "traceback (`traceback.format_exc()`) in what a route handler returns from an `except` "
            "clause, in what a broad error handler (`@app.errorhandler(Exception)`/500, "
            "`exception_handler(Exception)`) returns, and in `HTTPException(detail=...)` / "
            "`abort(..., ...)`. A narrow exception answered with a 4xx (`except ValueError as e: raise "
            "HTTPException(400, detail=str(e))`) is a validation message and stays quiet.")
    why = ("Exception messages carry SQL, file paths, hostnames and library versions: free "
           "reconnaissance for an attacker, and confusing for legitimate clients.")
    how_to_fix = ("Log the exception with `logger.exception(...)` and return a generic message "
                  "(`{\"error\": \"internal server error\"}`, 500), or a message you wrote for the client.")
    bad = ('@app.post("/orders")\ndef create_order():\n    try:\n        order = place_order(request.json)\n'
           '    except Exception as e:\n        return jsonify(error=str(e)), 500\n')
    good = ('@app.post("/orders")\ndef create_order():\n    try:\n        order = place_order(request.json)\n'
            '    except Exception:\n        logger.exception("placing an order failed")\n'
            '        return jsonify(error="internal server error"), 500\n')
    examples = (
        Flag("""
            from flask import Flask, jsonify, request

            app = Flask(__name__)

            @app.post("/orders")
            def create_order():
                try:
                    order = place(request.json)
                except Exception as e:
                    return jsonify({"error": str(e)}), 500
                return jsonify(id=order.id), 201
            """, line=10, count=1),
        Flag("""
            import traceback
            from flask import Flask

            app = Flask(__name__)

            @app.errorhandler(Exception)
            def on_error(e):
                return {"error": "internal", "trace": traceback.format_exc()}, 500
            """, line=8),
        Flag("""
            from fastapi import APIRouter, HTTPException

            router = APIRouter()

            def charge(order):
                try:
                    gateway.charge(order)
                except Exception as exc:
                    raise HTTPException(status_code=502, detail=f"payment failed: {exc}")
            """, line=9),
        Quiet("""
            import logging
            from fastapi import APIRouter, HTTPException

            logger = logging.getLogger(__name__)
            router = APIRouter()

            @router.post("/a")
            def a(payload: dict):
                try:
                    value = parse(payload)
                except ValueError as e:
                    raise HTTPException(status_code=400, detail=str(e))
                return value

            @router.post("/b")
            def b():
                try:
                    work()
                except Exception:
                    logger.exception("work failed")
                    raise HTTPException(status_code=500, detail="internal server error")
            """, note="validation message with 400; generic 500"),
        Quiet("""
            def describe(error):
                try:
                    return render(error)
                except Exception as e:
                    return str(e)
            """, note="not a response"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._functions: list[tuple[cst.FunctionDef, bool, str | None]] = []
        self._handlers: list[tuple[str | None, bool]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        is_route = routes.is_route_handler(self.ctx, node)
        self._functions.append((node, is_route, error_handler_of(self.ctx, node)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = node.name.name.value if node.name is not None and isinstance(node.name.name, cst.Name) else None
        self._handlers.append((name, caught_broadly(self.ctx, node)))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if not self._functions or node.value is None:
            return
        function, is_route, handles = self._functions[-1]
        if handles is not None and _is_broad_handled(handles):
            params = function.params.params
            exc_name = params[-1].name.value if params else None
            leak = leaked_text(self.ctx, node.value, exc_name)
            if leak is not None:
                self._report(leak)
            return
        if not is_route:
            return
        exc_name, broad = self._handlers[-1] if self._handlers else (None, False)
        status = response_status(self.ctx, node.value)
        if not self._handlers or not (broad or status is None or status >= 500 or status == UNKNOWN):
            leak = leaked_text(self.ctx, node.value, None)  # a traceback is never for the client
        else:
            leak = leaked_text(self.ctx, node.value, exc_name)
        if leak is not None:
            self._report(leak)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._handlers:
            return
        callee = self.ctx.qualified_name(node.func)
        if callee not in CLIENT_ERROR_CALLS:
            return
        exc_name, broad = self._handlers[-1]
        status_arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == "status_code"),
                          None) or (node.args[0] if node.args and node.args[0].keyword is None else None)
        status = status_value(status_arg.value) if status_arg is not None else 500
        if not broad and 0 < status < 500:
            return
        for arg in node.args:
            if arg is status_arg:
                continue
            leak = leaked_text(self.ctx, arg.value, exc_name)
            if leak is not None:
                self._report(leak)
                return

    def _report(self, node: cst.CSTNode) -> None:
        self.report(node, "Log the exception and return a generic error message: exception text and "
                          "tracebacks tell an attacker about your code and data.")


# --- BP507 / BP508 -----------------------------------------------------------------------------

ERROR_KEYS = frozenset({"error", "errors"})
JSON_BUILDERS = frozenset({"flask.jsonify", "flask.json.jsonify", "fastapi.responses.JSONResponse",
                           "starlette.responses.JSONResponse", "fastapi.JSONResponse", "django.http.JsonResponse",
                           "django.http.response.JsonResponse", "rest_framework.response.Response",
                           "flask.make_response", "fastapi.responses.ORJSONResponse"})


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
    summary = "Error response sent with status 200"
    what = ("In a route handler or an error handler, finds a `return` of an error body "
            "(`{\"error\": ...}`, `jsonify(error=...)`, `JSONResponse({\"error\": ...})`) with no status "
            "code, or with a 2xx one. A status set elsewhere (`response.status_code = 400`, a returned "
            "variable) is left alone.")
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
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test and "error" in ctx.text

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        handles = error_handler_of(self.ctx, node)
        if handles is None and not routes.is_route_handler(self.ctx, node):
            return
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
        spelled = (_dotted(receiver) or "").lower()
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
        return not (_dotted(value.func) or "").endswith("Response")
    if isinstance(value, cst.Name):
        for node in own_nodes(function):
            if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == value.value
                                                    for t in node.targets):
                if isinstance(node.value, cst.Call) and (_dotted(node.value.func) or "").endswith("Response"):
                    return False
        return True
    return isinstance(value, (cst.Attribute, cst.Dict, cst.List))


def _dotted(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


class CreateNot201(PythonRule):
    code = "BP508"
    name = "create-not-201"
    category = "routes"
    severity = Severity.INFO
    summary = "POST handler that creates a resource does not answer 201"
    what = ("In a route handler reached only by POST (or a DRF `create`), that creates a resource "
            "(`session.add(...)` and `commit()`, `Model.objects.create(...)`, `.save()` on an object it "
            "built or on a serializer), finds the first `return` after the creation that sends no "
            "status or 200. Redirects and rendered pages (the form-post pattern), error responses, "
            "`status_code=201` on a FastAPI decorator and statuses set on the response stay quiet.")
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
            """, line=11, count=1),
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
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test and routes.module_has_routes(ctx)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = routes.route_for(self.ctx, node)
        if route is None:
            return
        creating = route.methods == frozenset({"POST"}) or (route.framework == "drf" and node.name.value == "create")
        if not creating or sets_status_code(node):
            return
        if decorator_status(self.ctx, node) is not None:
            return
        created_at = _creates(self.ctx, node)
        if created_at is None:
            return
        for position, child in enumerate(own_nodes(node)):
            if position <= created_at or not isinstance(child, cst.Return) or child.value is None:
                continue
            if error_body(self.ctx, child.value):
                continue
            status = response_status(self.ctx, child.value)
            if status == UNKNOWN and route.framework == "fastapi" and _plain_value(node, child.value):
                status = None  # FastAPI serializes the returned object with the route's status (200)
            if status is None or status == 200:
                self.report(child, "Answer a created resource with status 201 (`return ..., 201`, "
                                   "`status_code=201`, `status.HTTP_201_CREATED`).")
            return
