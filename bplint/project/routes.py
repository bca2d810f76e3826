"""The route index: which functions are HTTP route handlers, and which applications exist.

Asking about one function, from a ``PythonRule``::

    from bplint.project import routes

    def visit_FunctionDef(self, node):
        route = routes.route_for(self.ctx, node)   # None when not a route handler
        if route is not None:
            route.framework   # "flask", "fastapi", "django" or "drf"
            route.methods     # frozenset of upper-case HTTP methods ({"GET"}, {"POST", "PUT"});
                              # empty when any method reaches it (a Django function view)
            route.path        # the path as written where it is declared ("/users/<int:id>"), or None
            route.full_path   # with blueprint / router / include prefixes when known, else None
            route.owner       # the app / blueprint / router / view class it belongs to, as spelled
            route.page        # answers a browser: renders a template or redirects, or a method of
                              # a template view (REST conventions are for JSON APIs)
            route.resource    # a flask-restful / flask-restx Resource method (returned objects are
                              # serialized with 200 unless it returns `(data, status)`)

    routes.is_route_handler(self.ctx, node)      # the same question as a bool
    routes.api_conventions(self.ctx)             # (POST-only routes naming 201, POST-only routes)
    routes.route_for(self.ctx, "UserView.get")   # by qualified name inside the module

``node`` is the libcst ``FunctionDef`` being visited (nested ones included:
a view declared inside ``create_app`` is ``create_app.index``; a method is
``Class.method``). From a ``ProjectRule``, ``project_routes(index)`` gives the
whole picture: ``.routes`` (every ``Route``), ``.apps`` (``AppDef``: each
``Flask(...)`` / ``FastAPI(...)`` object), ``.error_handlers``
(``ErrorHandler`` registrations) and ``app_has_routes`` /
``handlers_for_app`` to connect them.

What counts as a route handler:

* Flask: ``@app.route``/``@bp.route`` and the ``get/post/put/patch/delete``
  shortcuts on a ``Flask``/``Blueprint`` object (also one imported from
  another module of the project), ``add_url_rule(..., view_func=...)``, the
  HTTP methods of a ``MethodView`` (``dispatch_request`` of a ``View``).
* FastAPI: ``@app.get/post/...``/``api_route`` on ``FastAPI``/``APIRouter``,
  ``add_api_route``; prefixes from ``APIRouter(prefix=)`` and
  ``include_router(prefix=)``.
* Django: functions and view classes that ``path()``/``re_path()``/``url()``
  point at; HTTP-method methods of classes based on Django's ``View`` or DRF's
  ``APIView``/``ViewSet`` (plus ``list``/``create``/``retrieve``/``update``/
  ``partial_update``/``destroy`` and ``@action`` methods of view sets), and
  DRF ``@api_view`` functions.

Receivers are resolved through imports and the objects each module builds;
an unresolved receiver (a factory's parameter) counts when the module imports
exactly one of Flask and FastAPI.

The facts are gathered in the project-index phase (one statement-level walk
per module, ``bplint.project._route_facts``) and stored in ``facts.extra["routes"]``;
names are resolved lazily, once per scan, when a rule first asks
(``bplint.project._route_resolve``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from bplint.project._route_facts import FAMILY, RouteFacts  # noqa: F401  (registers the collector; re-exported)
from bplint.project.index import Location, ProjectIndex, project_view

if TYPE_CHECKING:
    from bplint.project._route_resolve import ProjectRoutes

__all__ = ["FAMILY", "RouteFacts", "Route", "AppDef", "ErrorHandler", "project_routes", "routes_of", "route_for",
           "is_route_handler", "methods_of", "module_has_routes", "qualname_of", "api_conventions"]

# --- what rules get ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    framework: str  # flask, fastapi, django, drf
    relpath: str  # the module that defines the handler
    handler: str  # qualified name inside the module: "index", "create_app.index", "UserView.get"
    methods: frozenset[str]  # upper-case; empty: any method
    path: str | None  # as declared next to the handler (or in path()), when a literal
    full_path: str | None  # with known prefixes
    owner: str | None  # app / blueprint / router spelling, or the view class name
    location: Location | None  # of the def
    path_location: Location | None = None  # of the path literal
    declared_in: str | None = None  # the module holding the path literal (urls.py for Django), if known
    page: bool = False  # answers a browser: renders a template or redirects (or its view class renders one)
    resource: bool = False  # a flask-restful / flask-restx ``Resource`` method: a returned object is
    # serialized to JSON with status 200 unless the method returns ``(data, status)``


@dataclass(frozen=True)
class AppDef:
    """An application object: ``app = Flask(__name__)`` (module level or in a factory)."""

    framework: str  # flask or fastapi
    relpath: str
    name: str  # the variable it is bound to
    scope: str  # qualified name of the enclosing function ("" at module level)
    location: Location  # of the call that builds it


@dataclass(frozen=True)
class ErrorHandler:
    framework: str
    relpath: str
    receiver: str  # spelling: app, bp, errors.bp
    handles: str  # "404", "500", or the exception's qualified name ("werkzeug.exceptions.HTTPException")
    app_wide: bool  # False for a blueprint's own errorhandler
    target: tuple[str, str] | None  # (relpath, name) of the object it is registered on, when known


VIEW = "routes"


@project_view(VIEW)
def _build(index: ProjectIndex) -> "ProjectRoutes":
    from bplint.project._route_resolve import build

    return build(index)


def project_routes(index: ProjectIndex) -> "ProjectRoutes":
    """Every route, application object and error handler of the project (computed once per scan)."""
    return index.view(VIEW)


def _routes_in(ctx) -> dict[str, list[Route]]:
    # only this module's routes: a cached result stays valid while they are unchanged
    return ctx.index.view(VIEW, part=ctx.relpath)


# --- per-file queries ---------------------------------------------------------------------------

_NODE_MAPS: "weakref.WeakKeyDictionary[object, dict[int, str]]" = weakref.WeakKeyDictionary()


def _qualnames(module: cst.Module) -> dict[int, str]:
    found: dict[int, str] = {}

    def walk(body, scope: str) -> None:
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                qualname = f"{scope}.{stmt.name.value}" if scope else stmt.name.value
                if isinstance(stmt, cst.FunctionDef):
                    found[id(stmt)] = qualname
                walk(_block(stmt.body), qualname)
            elif isinstance(stmt, (cst.If, cst.Try, cst.With, cst.For, cst.While)) or \
                    type(stmt).__name__ == "TryStar":
                walk(_block(stmt.body), scope)
                orelse = getattr(stmt, "orelse", None)
                while orelse is not None:
                    walk(_block(orelse.body), scope)
                    orelse = getattr(orelse, "orelse", None) if isinstance(orelse, cst.If) else None
                for handler in getattr(stmt, "handlers", ()) or ():
                    walk(_block(handler.body), scope)
                final = getattr(stmt, "finalbody", None)
                if final is not None:
                    walk(_block(final.body), scope)

    walk(module.body, "")
    return found


def _block(body) -> list:
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def qualname_of(ctx, func: cst.FunctionDef) -> str | None:
    """The qualified name of a def inside its module (``create_app.index``, ``UserView.get``)."""
    if ctx.module is None:
        return None
    names = _NODE_MAPS.get(ctx)
    if names is None:
        names = _qualnames(ctx.module)
        _NODE_MAPS[ctx] = names
    return names.get(id(func))


def routes_of(ctx, func: cst.FunctionDef | str) -> list[Route]:
    """Every route a function handles (one per decorator / url pattern); [] when none."""
    if ctx.facts is None or FAMILY not in ctx.facts.extra:
        return []
    qualname = func if isinstance(func, str) else qualname_of(ctx, func)
    if qualname is None:
        return []
    return _routes_in(ctx).get(qualname, [])


def route_for(ctx, func: cst.FunctionDef | str) -> Route | None:
    """The route a function handles (the first, when several), else None."""
    found = routes_of(ctx, func)
    return found[0] if found else None


def is_route_handler(ctx, func: cst.FunctionDef | str) -> bool:
    return bool(routes_of(ctx, func))


def methods_of(ctx, func: cst.FunctionDef | str) -> frozenset[str]:
    """All HTTP methods that reach the function (empty: not a handler, or any method)."""
    methods: set[str] = set()
    for route in routes_of(ctx, func):
        methods |= route.methods
    return frozenset(methods)


def api_conventions(ctx) -> tuple[int, int]:
    """(how many routes only POST reaches name status 201 Created, how many routes only POST reaches)."""
    from bplint.project._route_resolve import CONVENTIONS

    if ctx.index is None:
        return 0, 0
    return ctx.index.view(VIEW, part=CONVENTIONS)


def module_has_routes(ctx) -> bool:
    """Cheap: does this module hold any route handler?"""
    if ctx.facts is None or FAMILY not in ctx.facts.extra:
        return False
    return bool(_routes_in(ctx))


def __getattr__(name: str):
    # ProjectRoutes lives with the resolver; imported lazily to keep the modules acyclic.
    if name == "ProjectRoutes":
        from bplint.project._route_resolve import ProjectRoutes

        return ProjectRoutes
    raise AttributeError(name)
