"""BP505: exception text or a traceback sent to the client."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import names, routes
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import (aliases_any, has_error_handler_decorator, imported_as, last_name, mentions,
                                     own_walk)
from bplint.rules._route_helpers import (UNKNOWN, caught_broadly, error_handler_of, is_broad_handled,
                                         response_status, status_value)


CLIENT_ERROR_CALLS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                                "starlette.exceptions.HTTPException", "flask.abort", "werkzeug.exceptions.abort"})
TRACEBACK_CALLS = frozenset({"traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
                             "traceback.format_stack"})


# Narrow exceptions whose text is written for the client, about the client's own input or request:
# parse and validation errors, "not found". (The project's own exception classes count too: their
# messages are the project's.)
CLIENT_FACING = frozenset({
    "json.JSONDecodeError", "json.decoder.JSONDecodeError", "pydantic.ValidationError",
    "pydantic.error_wrappers.ValidationError", "pydantic_core.ValidationError", "marshmallow.ValidationError",
    "marshmallow.exceptions.ValidationError", "jsonschema.ValidationError", "jsonschema.exceptions.ValidationError",
    "django.core.exceptions.ValidationError", "rest_framework.exceptions.ValidationError",
    "django.core.exceptions.ObjectDoesNotExist", "django.http.Http404", "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.BadRequest", "sqlalchemy.orm.exc.NoResultFound", "sqlalchemy.exc.NoResultFound"})
# An upstream service's error status: its reason phrase and status are not internal detail, its
# response body is (it is the other service's text, sent on to this one's client).
HTTP_CLIENT_ERRORS = frozenset({
    "requests.HTTPError", "requests.exceptions.HTTPError", "httpx.HTTPStatusError", "aiohttp.ClientResponseError",
    "aiohttp.client_exceptions.ClientResponseError", "urllib.error.HTTPError"})
REASON_ATTRS = frozenset({"message", "reason", "status", "status_code", "code"})
BODY_ATTRS = frozenset({"text", "content", "body", "json"})

TRACEBACK_FUNCTIONS = frozenset(q.rsplit(".", 1)[1] for q in TRACEBACK_CALLS)
CLIENT_ERROR_FUNCTIONS = frozenset(q.rsplit(".", 1)[1] for q in CLIENT_ERROR_CALLS)
# Modules a renamed import (`from traceback import format_exc as fe`) could hide a reported callee in.
ALIASED_MODULES = frozenset({"builtins", *(q.rsplit(".", 1)[0] for q in TRACEBACK_CALLS | CLIENT_ERROR_CALLS)})


# --- ast trigger: the shapes ``leaked_text`` reports, looser ------------------------------------


def _is_traceback_call(node: ast.Call, facts) -> bool:
    return last_name(node.func) in TRACEBACK_FUNCTIONS or imported_as(node.func, facts, TRACEBACK_CALLS)


def _ast_leaks(expr: ast.AST, name: str) -> bool:
    """``expr`` holds a shape that carries the exception ``name``'s text (see ``leaked_text``)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            passed = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
            passed += [k.value for k in node.keywords]
            if last_name(node.func) in ("str", "repr", "format") and any(
                    isinstance(a, ast.Name) and a.id == name for a in passed):
                return True
        elif isinstance(node, ast.FormattedValue):
            if mentions(node.value, name):
                return True
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mod) and mentions(node.right, name):
                return True
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == name:
                return True
    return False


def _handler_may_leak(handler: ast.ExceptHandler, facts) -> bool:
    """A return value or an HTTP error call inside the clause carries the bound exception."""
    name = handler.name
    if name is None:
        return False
    for node in own_walk(handler.body):
        if isinstance(node, ast.Return) and node.value is not None:
            if _ast_leaks(node.value, name):
                return True
        elif isinstance(node, ast.Call):
            if (last_name(node.func) in CLIENT_ERROR_FUNCTIONS or imported_as(node.func, facts, CLIENT_ERROR_CALLS)) \
                    and _ast_leaks(node, name):
                return True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if _ast_leaks(node, name):  # a nested route function returning inside the clause
                return True
    return False


def _chain(node: cst.CSTNode) -> list[str] | None:
    """`e.response.text` as ["e", "response", "text"]; None for other shapes."""
    spelled = names.dotted(node)
    return spelled.split(".") if spelled else None


def upstream_body(expr: cst.CSTNode, exc_name: str | None) -> cst.CSTNode | None:
    """`e.response.text` / `.content` / `.json()`: the upstream service's answer, sent on."""
    if not exc_name:
        return None
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        if isinstance(node, cst.Attribute):
            chain = _chain(node)
            if chain and chain[0] == exc_name and "response" in chain[1:-1] and chain[-1] in BODY_ATTRS:
                return node
        stack.extend(reversed(node.children))
    return None


def _reason(node: cst.CSTNode, exc_name: str) -> bool:
    """`e.reason`, `e.status`, `e.response.status_code`: an upstream error's status line."""
    chain = _chain(node)
    return bool(chain) and chain[0] == exc_name and len(chain) >= 2 and chain[-1] in REASON_ATTRS and \
        all(p == "response" for p in chain[1:-1])


def leaked_text(ctx, expr: cst.CSTNode, exc_name: str | None, upstream: bool = False) -> cst.CSTNode | None:
    """The part of ``expr`` that carries an exception's text or a traceback. ``upstream``: the
    exception is an upstream service's error status, whose reason phrase and status may be shown."""
    found = upstream_body(expr, exc_name)
    if found is not None:
        return found
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        if upstream and exc_name and _reason(node, exc_name):
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
            if not (upstream and _reason(node.expression, exc_name)):
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
    precision = Precision(25, 62, "2026-12-02", debatable=19, unseen=(23, 43))
    preview = True
    roles = APPLICATION_ONLY
    cwe = (209,)
    summary = "Exception text or traceback sent to the client"
    what = ("Finds an exception's text (`str(e)`, `repr(e)`, `f\"{e}\"`, `e.args`, `\"%s\" % e`) or a "
            "traceback (`traceback.format_exc()`) in what a route handler returns from an `except` "
            "clause, in what a broad error handler (`@app.errorhandler(Exception)`/500, "
            "`exception_handler(Exception)`) returns, and in `HTTPException(detail=...)` / "
            "`abort(..., ...)`. A narrow exception answered with a 4xx (`except ValueError as e: raise "
            "HTTPException(400, detail=str(e))`) is a validation message and stays quiet, and so is, whatever "
            "the status, the text of an exception written for the client: a JSON parse or validation "
            "error about the client's own input, a \"not found\", the project's own exception classes "
            "(their messages are the project's), and the reason phrase and status of an upstream "
            "service's error (`e.reason`, `e.response.status_code`). An upstream service's response "
            "body sent on to the client (`e.response.text`) is reported.")
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
        Flag("""
            from flask import Flask, abort as fail
            from traceback import format_exception as trace

            app = Flask(__name__)

            @app.get("/a")
            def a():
                try:
                    work()
                except Exception as err:
                    fail(500, "failed: %s" % err)

            @app.get("/b")
            def b():
                try:
                    work()
                except RuntimeError as err:
                    return {"error": err.args}, 500

            @app.get("/c")
            def c():
                return {"trace": trace(None)}, 500
            """, line=11, count=3, note="renamed imports, `%`, `.args`, a traceback outside an except clause"),
        Flag("""
            import requests
            from flask import Blueprint, jsonify

            bp = Blueprint("billing", __name__)

            @bp.post("/invoices/<int:invoice_id>/send")
            def send_invoice(invoice_id):
                try:
                    billing_api.send(invoice_id)
                except requests.HTTPError as e:
                    return jsonify(error=e.response.text), 502
                return jsonify(sent=True)
            """, line=11, note="an upstream service's response body sent on"),
        Quiet("""
            import json
            import aiohttp
            from fastapi import APIRouter, HTTPException, Request
            from app import errors

            QuotaExceeded = errors.QuotaExceeded
            router = APIRouter()

            @router.post("/imports")
            async def start_import(request: Request):
                try:
                    payload = json.loads(await request.body())
                except json.JSONDecodeError as e:
                    return {"error": f"invalid JSON: {e}"}
                try:
                    return await importer.start(payload)
                except QuotaExceeded as e:
                    raise HTTPException(status_code=e.status_code, detail=str(e))
                except aiohttp.ClientResponseError as e:
                    raise HTTPException(status_code=502, detail=f"importer answered {e.status}: {e.message}")
            """, files={"app/errors.py": "class QuotaExceeded(Exception):\n    status_code = 429\n"},
            note="a parse error about the client's input, the project's own error, an upstream status line"),
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

    # Parsed only where a traceback is formatted, an error handler is declared, or an `except ... as e`
    # clause returns or raises an HTTP error with `e` in it.
    ast_trigger_types = (ast.Call, ast.ExceptHandler, ast.FunctionDef, ast.AsyncFunctionDef, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.Call):
            return _is_traceback_call(node, facts)
        if isinstance(node, ast.ExceptHandler):
            return _handler_may_leak(node, facts)
        if isinstance(node, ast.ImportFrom):
            return aliases_any(node, ALIASED_MODULES)
        return has_error_handler_decorator(node)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._functions: list[tuple[cst.FunctionDef, bool, str | None]] = []
        self._handlers: list[tuple[str | None, bool, str | None]] = []
        self._module_aliases: dict[str, cst.BaseExpression] | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        is_route = routes.is_route_handler(self.ctx, node)
        self._functions.append((node, is_route, error_handler_of(self.ctx, node)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = node.name.name.value if node.name is not None and isinstance(node.name.name, cst.Name) else None
        broad = caught_broadly(self.ctx, node)
        self._handlers.append((name, broad, None if broad else self._written_for_client(node)))

    def _aliases(self) -> dict[str, cst.BaseExpression]:
        """Module-level names bound once to a dotted name (`NotFound = logic.NotFound`)."""
        if self._module_aliases is None:
            found: dict[str, cst.BaseExpression] = {}
            seen: set[str] = set()
            for stmt in self.ctx.module.body if self.ctx.module is not None else ():
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                            isinstance(small.targets[0].target, cst.Name):
                        name = small.targets[0].target.value
                        if name in seen:
                            found.pop(name, None)
                        elif isinstance(small.value, (cst.Name, cst.Attribute)):
                            found[name] = small.value
                        seen.add(name)
            self._module_aliases = found
        return self._module_aliases

    def _written_for_client(self, handler: cst.ExceptHandler) -> str | None:
        """"client" when every caught type carries a message written for the client (see
        CLIENT_FACING, or the project's own exception class), "upstream" when they are upstream
        error statuses (or those), else None."""
        if handler.type is None:
            return None
        types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
        kind = "client"
        for node in types:
            qualified = self.ctx.qualified_name(node)
            if qualified is None and isinstance(node, cst.Name) and node.value in self._aliases():
                qualified = self.ctx.qualified_name(self._aliases()[node.value])  # `NotFound = logic.NotFound`
            if qualified is None:
                head = node.value if isinstance(node, cst.Name) else None
                if head is None or self.ctx.facts is None or head not in self.ctx.facts.defined:
                    return None  # not a class of this module
            elif qualified in HTTP_CLIENT_ERRORS:
                kind = "upstream"
            elif qualified not in CLIENT_FACING and (self.ctx.index is None or qualified.startswith("builtins.")
                                                     or self.ctx.index.resolve_definition(qualified) is None):
                return None
        return kind

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if not self._functions or node.value is None:
            return
        function, is_route, handles = self._functions[-1]
        if handles is not None and is_broad_handled(handles):
            params = function.params.params
            exc_name = params[-1].name.value if params else None
            leak = leaked_text(self.ctx, node.value, exc_name)
            if leak is not None:
                self._report(leak)
            return
        if not is_route:
            return
        exc_name, broad, written = self._handlers[-1] if self._handlers else (None, False, None)
        status = response_status(self.ctx, node.value)
        if written == "client":
            leak = leaked_text(self.ctx, node.value, None) or upstream_body(node.value, exc_name)
        elif not self._handlers or not (broad or status is None or status >= 500 or status == UNKNOWN):
            leak = leaked_text(self.ctx, node.value, None)  # a traceback is never for the client
        else:
            leak = leaked_text(self.ctx, node.value, exc_name, upstream=written == "upstream")
        if leak is not None:
            self._report(leak)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._handlers:
            return
        callee = self.ctx.qualified_name(node.func)
        if callee not in CLIENT_ERROR_CALLS:
            return
        exc_name, broad, written = self._handlers[-1]
        status_arg = next((a for a in node.args if a.keyword is not None and a.keyword.value == "status_code"),
                          None) or (node.args[0] if node.args and node.args[0].keyword is None else None)
        status = status_value(status_arg.value) if status_arg is not None else 500
        if not broad and 0 < status < 500:
            return
        for arg in node.args:
            if arg is status_arg:
                continue
            if written == "client":
                leak = upstream_body(arg.value, exc_name)
            else:
                leak = leaked_text(self.ctx, arg.value, exc_name, upstream=written == "upstream")
            if leak is not None:
                self._report(leak)
                return

    def _report(self, node: cst.CSTNode) -> None:
        self.report(node, "Log the exception and return a generic error message: exception text and "
                          "tracebacks tell an attacker about your code and data.")
