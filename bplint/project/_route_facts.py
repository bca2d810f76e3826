"""Route facts gathered in the project-index phase: one statement-level walk per module.

Names are stored as spelled (`bp`, `api.router`, `views.detail`); they are
resolved once per scan, when a rule first asks (``bplint.project._route_resolve``).
Everything here is picklable: the facts are cached with the module's other facts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bplint.project.index import Location, ModuleFacts, ast_dotted, collects

FAMILY = "routes"

ERROR_HANDLER_DECORATORS = frozenset({"errorhandler", "app_errorhandler", "exception_handler"})
ERROR_HANDLER_CALLS = frozenset({"register_error_handler", "add_exception_handler"})
INTERESTING_CALLS = frozenset({"add_url_rule", "add_api_route", "register_blueprint", "include_router",
                               "register", "add_resource", *ERROR_HANDLER_CALLS})
# Calls that answer a browser with a page or a redirect (qualified names): a handler that makes one serves a browser, not a JSON
# client.
PAGE_RESPONSES = frozenset({"flask.render_template", "flask.render_template_string", "flask.redirect",
                            "flask.templating.render_template", "werkzeug.utils.redirect", "quart.render_template",
                            "quart.redirect", "django.shortcuts.render", "django.shortcuts.redirect",
                            "django.shortcuts.render_to_response", "django.template.response.TemplateResponse",
                            "django.http.HttpResponseRedirect", "django.http.HttpResponsePermanentRedirect",
                            "django.http.response.HttpResponseRedirect",
                            "django.http.response.HttpResponsePermanentRedirect",
                            "fastapi.responses.RedirectResponse", "starlette.responses.RedirectResponse"})
# Spellings that answer a page whatever they resolve to: a template object's method
# (`templates.TemplateResponse(...)`), a Django view's own `self.render_to_response(...)`.
PAGE_METHODS = frozenset({"TemplateResponse", "render_to_response"})
# Their last names, which the index records as spelled (the resolver checks the qualified name).
PAGE_CALLS = frozenset({*(name.rsplit(".", 1)[-1] for name in PAGE_RESPONSES), *PAGE_METHODS})

# --- raw facts gathered in the index phase ----------------------------------------------------


@dataclass(frozen=True)
class _Decorator:
    receiver: str | None  # dotted spelling of the object (`bp`, `api.router`), None for a bare name
    attr: str  # route, get, errorhandler, api_view, action...
    args: tuple[object, ...]  # positional: str/int literal, a tuple of literals, ["name", spelling] (ref_of), or None
    kwargs: dict
    path_location: Location | None


@dataclass
class _Def:
    qualname: str
    location: Location
    decorators: list[_Decorator]
    cls: str | None  # qualified name of the enclosing class, for methods
    pages: tuple[str, ...] = ()  # spellings of the page-answering calls it makes (see PAGE_CALLS)
    created: bool = False  # names status 201 (`201`, `HTTP_201_CREATED`, `HTTPStatus.CREATED`), decorators included


@dataclass
class _Class:
    qualname: str
    bases: list[str]  # spellings
    methods: list[str]
    decorators: list[_Decorator] = field(default_factory=list)  # `@api.route("/users")` on a Resource
    template: bool = False  # declares `template_name = ...`: a view that renders a page


@dataclass(frozen=True)
class _Call:
    receiver: str
    attr: str
    args: tuple[object, ...]
    kwargs: dict
    scope: str
    location: Location


@dataclass(frozen=True)
class _Build:
    name: str  # target variable
    callee: str  # spelling of the called class
    kwargs: dict
    scope: str
    location: Location


@dataclass(frozen=True)
class _UrlPattern:
    callee: str
    route: str | None
    route_location: Location | None
    view: str  # spelling of the view (function or class)
    as_view: bool
    location: Location


@dataclass
class RouteFacts:
    defs: dict[str, list[_Def]] = field(default_factory=dict)
    classes: dict[str, _Class] = field(default_factory=dict)
    calls: list[_Call] = field(default_factory=list)
    builds: list[_Build] = field(default_factory=list)
    url_patterns: list[_UrlPattern] = field(default_factory=list)
    # `@bp.errorhandler(404)(func)`-style and `app.errorhandler(404)(func)` call forms
    handler_calls: list[_Call] = field(default_factory=list)


def ref_of(value: object, kind: str = "name") -> str | None:
    """The spelling a recorded argument names: `["name", "UserViewSet"]` for a name, `["as_view",
    "UserView"]` for `UserView.as_view()`. References are lists and literal sequences tuples, so a
    literal `["name", "title"]` is never taken for a reference to `title`."""
    if type(value) is list and len(value) == 2 and value[0] == kind and isinstance(value[1], str):
        return value[1]
    return None


def _literal(node: ast.AST) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(e) for e in node.elts]
        return tuple(items)
    spelled = ast_dotted(node)
    if spelled is not None:
        return ["name", spelled]
    if isinstance(node, ast.Call):
        inner = ast_dotted(node.func)
        if inner is not None and inner.endswith(".as_view"):
            return ["as_view", inner[: -len(".as_view")]]
    return None


def _call_parts(call: ast.Call) -> tuple[tuple[object, ...], dict]:
    args = tuple(_literal(a) for a in call.args if not isinstance(a, ast.Starred))
    kwargs = {k.arg: _literal(k.value) for k in call.keywords if k.arg}
    return args, kwargs


@collects(ast.Module)
def _collect_routes(node: ast.Module, facts: ModuleFacts, lines) -> None:
    # Runs first for the module (before the import collectors see its
    # statements), so names are stored as spelled and resolved on demand.
    found = RouteFacts()
    # a function's body facts can only be found where their names are written: a module that
    # writes none of them is not walked a second time, function by function
    text = lines.text
    bodies = any(token in text for token in _BODY_TOKENS)
    _walk_body(node.body, "", None, found, lines, bodies)
    if found.defs or found.calls or found.builds or found.url_patterns or found.classes or found.handler_calls:
        facts.extra[FAMILY] = found


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_BLOCKS = tuple(t for t in (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While,
                            getattr(ast, "TryStar", None)) if t is not None)
# Statements that can hold a fact, directly or in their blocks; the rest (return, raise, pass,
# imports...) are skipped with one set look-up, as most statements of a module are.
_WANTED = frozenset({*_DEFS, ast.ClassDef, *_ASSIGNS, ast.Expr, *_BLOCKS})


def _walk_body(body: list[ast.stmt], scope: str, cls: str | None, found: RouteFacts, lines,
               bodies: bool) -> None:
    wanted = _WANTED
    for stmt in body:
        kind = type(stmt)
        if kind not in wanted:
            continue
        if kind is ast.Expr:
            call = stmt.value  # type: ignore[attr-defined]
            if type(call) is ast.Call:
                _record_call(call, scope, found, lines)
                if isinstance(call.func, ast.Attribute) and call.func.attr in ("extend", "append"):
                    _collect_patterns(call, found, lines)
            continue
        if kind in _DEFS:
            qualname = f"{scope}.{stmt.name}" if scope else stmt.name
            decorators = _decorators(stmt, lines)
            found.defs.setdefault(qualname, []).append(_Def(qualname, lines.location(stmt), decorators, cls,
                                                            *(_body_facts(stmt) if bodies else ((), False))))
            if cls is not None and scope == cls:
                klass = found.classes.get(cls)
                if klass is not None:
                    klass.methods.append(stmt.name)
            _walk_body(stmt.body, qualname, None, found, lines, bodies)
        elif kind is ast.ClassDef:
            qualname = f"{scope}.{stmt.name}" if scope else stmt.name
            bases = [s for s in (ast_dotted(b) for b in stmt.bases) if s]
            template = any(isinstance(t, ast.Name) and t.id == "template_name"
                           for s in stmt.body if isinstance(s, (ast.Assign, ast.AnnAssign))
                           for t in (s.targets if isinstance(s, ast.Assign) else [s.target]))
            found.classes[qualname] = _Class(qualname, bases, [], _decorators(stmt, lines), template)
            _walk_body(stmt.body, qualname, qualname, found, lines, bodies)
        elif kind in _ASSIGNS:
            value = stmt.value
            if value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if isinstance(value, ast.Call):
                callee = ast_dotted(value.func)
                if callee is not None:
                    _, kwargs = _call_parts(value)
                    for target in targets:
                        if isinstance(target, ast.Name):
                            found.builds.append(_Build(target.id, callee, kwargs, scope, lines.location(value)))
                    _record_call(value, scope, found, lines)
            if isinstance(value, (ast.List, ast.Tuple, ast.BinOp)):
                _collect_patterns(value, found, lines)
        else:  # a block: if, try, with, for, while
            for part in ("body", "orelse", "finalbody"):
                _walk_body(getattr(stmt, part, []) or [], scope, cls, found, lines, bodies)
            for handler in getattr(stmt, "handlers", []) or []:
                _walk_body(handler.body, scope, cls, found, lines, bodies)


def _decorators(stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines) -> list[_Decorator]:
    decorators = []
    for dec in stmt.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        spelled = ast_dotted(target)
        if spelled is None:
            continue
        receiver, _, attr = spelled.rpartition(".")
        args, kwargs = _call_parts(dec) if isinstance(dec, ast.Call) else ((), {})
        path_loc = None
        if isinstance(dec, ast.Call) and dec.args and isinstance(dec.args[0], ast.Constant) \
                and isinstance(dec.args[0].value, str):
            path_loc = lines.location(dec.args[0])
        decorators.append(_Decorator(receiver or None, attr, args, kwargs, path_loc))
    return decorators


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# what a module's text holds when one of its functions has body facts: a page-answering call
# (every name of PAGE_CALLS holds one of these), the number 201, a CREATED or HTTP_201 name
_BODY_TOKENS = ("render", "edirect", "TemplateResponse", "201", "CREATED")
assert all(any(token in name for token in _BODY_TOKENS) for name in PAGE_CALLS)


def _body_facts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[str, ...], bool]:
    """The spellings of the page-answering calls in the function's own code (not nested
    functions), and whether it or its decorators name status 201."""
    found: list[str] = []
    created = False
    stack: list[ast.AST] = [*function.decorator_list, *function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED):
            continue
        kind = type(node)
        if kind is ast.Call:
            func = node.func  # type: ignore[attr-defined]
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if last in PAGE_CALLS:
                spelled = ast_dotted(func)
                if spelled is not None and spelled not in found:
                    found.append(spelled)
        elif kind is ast.Constant:
            created = created or node.value == 201 and type(node.value) is int  # type: ignore[attr-defined]
        elif kind is ast.Attribute or kind is ast.Name:
            name = node.attr if kind is ast.Attribute else node.id  # type: ignore[attr-defined]
            created = created or name == "CREATED" or name.startswith("HTTP_201")
        stack.extend(ast.iter_child_nodes(node))
    return tuple(found), created


def _record_call(call: ast.Call, scope: str, found: RouteFacts, lines) -> None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in INTERESTING_CALLS:
        receiver = ast_dotted(func.value)
        if receiver is not None:
            args, kwargs = _call_parts(call)
            found.calls.append(_Call(receiver, func.attr, args, kwargs, scope, lines.location(call)))
    elif isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) \
            and func.func.attr in ERROR_HANDLER_DECORATORS:
        # app.errorhandler(404)(handle_404)
        receiver = ast_dotted(func.func.value)
        if receiver is not None:
            args, kwargs = _call_parts(func)
            found.handler_calls.append(_Call(receiver, func.func.attr, args, kwargs, scope, lines.location(call)))


def _collect_patterns(value: ast.AST, found: RouteFacts, lines) -> None:
    for node in ast.walk(value):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        callee = ast_dotted(node.func)
        if callee is None or callee.rsplit(".", 1)[-1] not in ("path", "re_path", "url"):
            continue
        literal = isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
        route = node.args[0].value if literal else None
        route_location = lines.location(node.args[0]) if literal else None
        view = node.args[1]
        as_view = False
        if isinstance(view, ast.Call):
            inner = ast_dotted(view.func)
            if inner is None or not inner.endswith(".as_view"):
                continue
            view_spelling, as_view = inner[: -len(".as_view")], True
        else:
            view_spelling = ast_dotted(view)
        if view_spelling:
            found.url_patterns.append(_UrlPattern(callee, route, route_location, view_spelling, as_view,
                                                  lines.location(node)))
