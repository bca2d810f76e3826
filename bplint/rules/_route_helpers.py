"""Shared by the route rules: walking a handler's own code, reading response status codes."""

from __future__ import annotations

import re
from typing import Iterator

import libcst as cst

from bplint.project import names, routes
from bplint.rule import PythonRule
from bplint.scan.traversal import child_nodes

# Response builders and where they take a status code: (keyword, positional index).
RESPONSE_STATUS = {
    "flask.make_response": (None, 1),
    "flask.Response": ("status", 1),
    "werkzeug.wrappers.Response": ("status", 1),
    "fastapi.responses.JSONResponse": ("status_code", 1),
    "starlette.responses.JSONResponse": ("status_code", 1),
    "fastapi.responses.Response": ("status_code", 1),
    "fastapi.responses.HTMLResponse": ("status_code", 1),
    "fastapi.responses.ORJSONResponse": ("status_code", 1),
    "fastapi.responses.UJSONResponse": ("status_code", 1),
    "fastapi.JSONResponse": ("status_code", 1),
    "fastapi.Response": ("status_code", 1),
    "starlette.responses.Response": ("status_code", 1),
    "django.http.JsonResponse": ("status", None),
    "django.http.HttpResponse": ("status", None),
    "django.http.response.JsonResponse": ("status", None),
    "rest_framework.response.Response": ("status", 1),
}
# Builders whose status is fixed and not 200 OK for the purposes of these rules.
REDIRECTS = frozenset({"flask.redirect", "django.shortcuts.redirect", "django.http.HttpResponseRedirect",
                       "fastapi.responses.RedirectResponse", "starlette.responses.RedirectResponse",
                       "werkzeug.utils.redirect", "flask.render_template", "django.shortcuts.render",
                       "flask.render_template_string", "flask.send_file", "flask.send_from_directory"})
_STATUS_DIGITS = re.compile(r"(?<!\d)([1-5]\d\d)(?!\d)")
_HTTP_STATUS_NAMES = {"OK": 200, "CREATED": 201, "ACCEPTED": 202, "NO_CONTENT": 204, "BAD_REQUEST": 400,
                      "UNAUTHORIZED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409,
                      "UNPROCESSABLE_ENTITY": 422, "INTERNAL_SERVER_ERROR": 500}

UNKNOWN = -1  # a status that cannot be read (a variable)


def own_nodes(function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    """Every node of the function's body (whitespace and comments aside), not descending into nested
    functions, lambdas or classes."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(reversed(child_nodes(node)))


def own_returns(function: cst.FunctionDef) -> list[cst.Return]:
    return [n for n in own_nodes(function) if isinstance(n, cst.Return)]


def status_value(node: cst.CSTNode) -> int:
    """An HTTP status from a literal (`404`), a constant (`status.HTTP_201_CREATED`,
    `HTTPStatus.CREATED`) or `UNKNOWN`."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value)
        except ValueError:
            return UNKNOWN
    spelled = names.dotted(node) or ""
    last = spelled.rsplit(".", 1)[-1]
    match = _STATUS_DIGITS.search(last)
    if match and last.upper().startswith("HTTP_"):
        return int(match.group(1))
    if last in _HTTP_STATUS_NAMES:
        return _HTTP_STATUS_NAMES[last]
    value = names.string_value(node)
    if value is not None:
        match = _STATUS_DIGITS.match(value.strip())
        if match:
            return int(match.group(1))
    return UNKNOWN


def response_status(ctx, value: cst.BaseExpression | None) -> int | None:
    """The status a returned value sets: an int, None when it sets none (200 by default),
    or UNKNOWN (a variable, a redirect, a template, something unread)."""
    if value is None:
        return None
    if isinstance(value, cst.Tuple):
        elements = [e.value for e in value.elements]
        if len(elements) >= 2:
            return status_value(elements[1])
        return None
    if isinstance(value, (cst.Dict, cst.List, cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return None
    if isinstance(value, cst.Call):
        callee = ctx.qualified_name(value.func)
        if callee in REDIRECTS:
            return UNKNOWN
        if callee == "flask.jsonify" or callee == "flask.json.jsonify":
            return None
        if callee in RESPONSE_STATUS:
            keyword, position = RESPONSE_STATUS[callee]
            arg = names.keyword_arg(value, keyword) if keyword else None
            if arg is None and position is not None:
                arg = names.positional_arg(value, position)
            return status_value(arg.value) if arg is not None else None
        return UNKNOWN
    return UNKNOWN


# Decorators that serialize what the handler returns and answer it with their own status:
# 200 unless they are given one (`status_code=` of apiflask's `output`, the first argument of
# flask-smorest's `response`) or the handler returns `(data, status)`.
SERIALIZING_DECORATORS = frozenset({"marshal_with", "marshal_list_with", "marshal", "output", "response"})


def decorator_status(ctx, function: cst.FunctionDef, documented_only: bool = False) -> int | None:
    """The status a decorator answers with, when it sets one: `status_code=` of a FastAPI route
    or an apiflask `output`, the first argument of a flask-smorest `@blp.response(201, Schema)`.
    ``documented_only``: the `response(...)` decorators are documentation (flask-restx's
    `@ns.response(201, "Created")` on a Resource): they set nothing."""
    for decorator in function.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call):
            arg = names.keyword_arg(call, "status_code")
            if arg is not None:
                return status_value(arg.value)
            if not documented_only and isinstance(call.func, cst.Attribute) and call.func.attr.value == "response" \
                    and call.args and call.args[0].keyword is None:
                status = status_value(call.args[0].value)
                if status != UNKNOWN:
                    return status
    return None


def serializing_decorator(function: cst.FunctionDef) -> str | None:
    """The name of a decorator that serializes the returned object (`marshal_with`, `output`...)."""
    for decorator in function.decorators:
        target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        spelled = names.dotted(target) or ""
        last = spelled.rsplit(".", 1)[-1]
        if last in SERIALIZING_DECORATORS and (last != "marshal" or "." not in spelled):
            return last
    return None


def sets_status_code(function: cst.FunctionDef) -> bool:
    """`response.status_code = 400` (FastAPI's Response parameter, a built response) somewhere."""
    for node in own_nodes(function):
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Attribute) and \
                node.target.attr.value in ("status_code", "status"):
            return True
    return False


# --- exception handlers and error-handler functions ---------------------------------------------

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


def is_broad_handled(handles: str) -> bool:
    return handles in ("500", "builtins.Exception", "builtins.BaseException") or handles.startswith("5")


class RouteHandlerRule(PythonRule):
    """The base of rules that look at route handlers only (outside test files): each handler
    function is passed to ``visit_route`` with its route."""

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return not ctx.is_test and routes.module_has_routes(ctx)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = routes.route_for(self.ctx, node)
        if route is not None:
            self.visit_route(node, route)

    def visit_route(self, node: cst.FunctionDef, route: routes.Route) -> None:
        raise NotImplementedError
