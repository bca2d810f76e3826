"""Resolving the route facts of every module into routes, applications and error handlers.

Runs once per scan, when a rule first asks (``routes.project_routes``): the
spellings stored in the index phase are followed through imports into the
modules that define them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from bplint.project._route_facts import (ERROR_HANDLER_CALLS, ERROR_HANDLER_DECORATORS, FAMILY, PAGE_METHODS,
                                         PAGE_RESPONSES, RouteFacts, _Call, _Class, _Decorator, _Def, ref_of)
from bplint.project.index import ModuleFacts, ProjectIndex
from bplint.project.routes import AppDef, ErrorHandler, Route

CONVENTIONS = "\0conventions"  # the part of the view that holds the API's conventions (no module's path)
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
FLASK_ROUTE_ATTRS = frozenset({"route", "get", "post", "put", "patch", "delete"})
FASTAPI_ROUTE_ATTRS = frozenset({*HTTP_METHODS, "api_route"})
VIEWSET_ACTIONS = frozenset({"list", "create", "retrieve", "update", "partial_update", "destroy"})
ACTION_METHODS = {"list": "GET", "retrieve": "GET", "create": "POST", "update": "PUT",
                  "partial_update": "PATCH", "destroy": "DELETE"}
DJANGO_PATH_FUNCS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url",
                               "django.urls.conf.path", "django.urls.conf.re_path"})
FRAMEWORK_ROOTS = ("flask", "fastapi", "django", "rest_framework", "apiflask", "flask_smorest", "starlette")

FLASK_APP_CLASSES = frozenset({"flask.Flask", "flask.app.Flask", "apiflask.APIFlask", "quart.Quart"})
FLASK_BLUEPRINT_CLASSES = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint", "apiflask.APIBlueprint",
                                     "flask_smorest.Blueprint", "quart.Blueprint"})
FASTAPI_APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
FASTAPI_ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
FLASK_VIEW_BASES = frozenset({"flask.views.MethodView", "flask.views.View", "flask.MethodView"})
# flask-restful / flask-restx resources: their HTTP-method methods are handlers, and what they
# return is serialized (status 200 unless they return `(data, status)`).
RESOURCE_BASES = frozenset({"flask_restful.Resource", "flask_restful.resource.Resource", "flask_restx.Resource",
                            "flask_restx.resource.Resource", "flask_restplus.Resource",
                            "flask_restplus.resource.Resource"})
# Django's generic views that do not render a template.
DJANGO_PLAIN_VIEWS = frozenset({"View", "RedirectView"})
# Extensions whose `Api(app)` answers errors as JSON for the app: they count as error handlers.
ERROR_HANDLING_EXTENSIONS = frozenset({"flask_restful.Api", "flask_restx.Api", "flask_smorest.Api",
                                       "flask_restplus.Api", "connexion.App", "connexion.FlaskApp"})


def _object_kind(qualified: str | None) -> tuple[str, str] | None:
    """(framework, "app"|"blueprint"|"router") for a class that holds routes."""
    if qualified in FLASK_APP_CLASSES:
        return "flask", "app"
    if qualified in FLASK_BLUEPRINT_CLASSES:
        return "flask", "blueprint"
    if qualified in FASTAPI_APP_CLASSES:
        return "fastapi", "app"
    if qualified in FASTAPI_ROUTER_CLASSES:
        return "fastapi", "router"
    return None


@dataclass
class ProjectRoutes:
    routes: list[Route] = field(default_factory=list)
    apps: list[AppDef] = field(default_factory=list)
    error_handlers: list[ErrorHandler] = field(default_factory=list)
    # (relpath, variable) of objects that received route registrations, blueprints, routers
    objects_with_routes: set[tuple[str, str]] = field(default_factory=set)
    # routes or blueprint registrations whose receiver could not be resolved, per framework
    unattributed: set[str] = field(default_factory=set)
    by_module: dict[str, dict[str, list[Route]]] = field(default_factory=dict)
    # the API's conventions: routes only POST reaches, and how many of them name status 201
    post_routes: int = 0
    created_routes: int = 0

    def attach(self, target: tuple[str, str] | None, framework: str) -> None:
        """Routes or blueprints were attached to ``target``, or to an unresolved object of ``framework``."""
        if target is not None:
            self.objects_with_routes.add(target)
        else:
            self.unattributed.add(framework)

    def routes_in(self, relpath: str) -> dict[str, list[Route]]:
        return self.by_module.get(relpath, {})

    def part(self, key: str) -> object:
        """What ProjectIndex.view(..., part=key) reads: one module's routes, or the conventions."""
        if key == CONVENTIONS:
            return (self.created_routes, self.post_routes)
        return self.routes_in(key)

    def app_has_routes(self, app: AppDef, flask_apps_in_app_code: int = 1) -> bool:
        """Routes (or blueprints/routers) are attached to this application object; when the
        attachment cannot be resolved and it is the only app of its framework, it counts."""
        if (app.relpath, app.name) in self.objects_with_routes:
            return True
        return app.framework in self.unattributed and flask_apps_in_app_code == 1

    def handlers_for_app(self, app: AppDef) -> list[ErrorHandler]:
        """Error handlers that apply to ``app``: those registered on it, app-wide ones on
        blueprints, and those on objects that could not be resolved (a factory's parameter)."""
        found = []
        for handler in self.error_handlers:
            if handler.framework != app.framework:
                continue
            if handler.target is None or handler.target == (app.relpath, app.name):
                found.append(handler)
            elif handler.app_wide and handler.target not in {(a.relpath, a.name) for a in self.apps}:
                found.append(handler)  # blueprint.app_errorhandler: global to every app using it
        return found


class _Resolver:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index

    def object_of(self, facts: ModuleFacts, spelling: str, depth: int = 4) -> tuple[tuple[str, str], str] | None:
        """((relpath, name), qualified class) of the object a spelling refers to, following imports
        into other modules of the project (`from app import app`, `from . import bp`, `api.router`)."""
        if depth <= 0:
            return None
        if "." not in spelling and facts.instances.get(spelling):
            return (facts.relpath, spelling), facts.instances[spelling]  # type: ignore[return-value]
        qualified = self.qualified(facts, spelling)
        if qualified is None:
            return None
        found = self.index.resolve_definition(qualified)
        if found is None or "." in found[1] or (found[0] is facts and found[1] == spelling):
            return None
        return self.object_of(found[0], found[1], depth - 1)

    def foreign(self, facts: ModuleFacts, spelling: str) -> bool:
        """The spelling starts with a name imported from outside the project (`mock.patch`)."""
        head = spelling.split(".", 1)[0]
        if head not in facts.imports:
            return False
        qualified = self.qualified(facts, spelling)
        return qualified is None or self.index.resolve_definition(qualified) is None

    def qualified(self, facts: ModuleFacts, spelling: str) -> str | None:
        head, _, rest = spelling.partition(".")
        base = facts.resolve_name(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    def definition(self, facts: ModuleFacts, spelling: str) -> tuple[ModuleFacts, str] | None:
        """The project module and qualified name inside it that a spelling names."""
        head = spelling.split(".", 1)[0]
        if head in facts.defined and head not in facts.imports:
            return facts, spelling
        qualified = self.qualified(facts, spelling)
        if qualified is None:
            return None
        found = self.index.resolve_definition(qualified)
        if found is None:
            return None
        target, name = found
        # a re-export (`from .views import detail` in a package __init__): one more hop
        if name.split(".", 1)[0] in target.imports and name.split(".", 1)[0] not in target.defined:
            return self.definition(target, name) if target is not facts else None
        return target, name

    def route_definition(self, facts: ModuleFacts, spelling: str) -> tuple[ModuleFacts, str, RouteFacts] | None:
        """Like ``definition``, with the route facts of the module that defines it."""
        found = self.definition(facts, spelling)
        if found is None:
            return None
        target, name = found
        raw = target.extra.get(FAMILY)
        return (target, name, raw) if isinstance(raw, RouteFacts) else None


def _framework_of_module(facts: ModuleFacts) -> str | None:
    flask = facts.imports_any("flask", "apiflask", "quart")
    fastapi = facts.imports_any("fastapi")
    if flask and not fastapi:
        return "flask"
    if fastapi and not flask:
        return "fastapi"
    return None


def _methods(values: object) -> frozenset[str] | None:
    if isinstance(values, tuple) and values and all(isinstance(v, str) for v in values):
        return frozenset(v.upper() for v in values)  # type: ignore[union-attr]
    return None


def _join(*parts: str | None) -> str | None:
    if any(p is None for p in parts):
        return None
    joined = "".join(p.rstrip("/") if i < len(parts) - 1 else p for i, p in enumerate(parts))  # type: ignore
    return joined or "/"


def build(index: ProjectIndex) -> ProjectRoutes:
    out = ProjectRoutes()
    resolver = _Resolver(index)
    found: list[Route] = []
    prefixes: dict[tuple[str, str], str] = {}  # object -> own prefix (Blueprint(url_prefix=), APIRouter(prefix=))
    mounted: dict[tuple[str, str], str] = {}  # object -> prefix given where it is registered
    view_classes: dict[tuple[str, str], str] = {}  # (relpath, class qualname) -> framework
    # (relpath, class qualname) -> [(path, location of the path, module declaring it)]
    class_paths: dict[tuple[str, str], list] = {}

    modules = {rel: f for rel, f in index.modules.items() if FAMILY in f.extra}
    # objects: apps, blueprints, routers
    for rel, facts in modules.items():
        raw: RouteFacts = facts.extra[FAMILY]  # type: ignore[assignment]
        for build in raw.builds:
            qualified = resolver.qualified(facts, build.callee)
            kind = _object_kind(qualified)
            if kind is None:
                if qualified in ERROR_HANDLING_EXTENSIONS:
                    out.error_handlers.append(ErrorHandler("flask", rel, build.name, "Exception", True, None))
                    out.error_handlers.append(ErrorHandler("flask", rel, build.name, "404", True, None))
                continue
            framework, what = kind
            if what == "app":
                out.apps.append(AppDef(framework, rel, build.name, build.scope, build.location))
            prefix = build.kwargs.get("url_prefix") if framework == "flask" else build.kwargs.get("prefix")
            if isinstance(prefix, str):
                prefixes[(rel, build.name)] = prefix
    # registrations and error handlers made by calls
    for rel, facts in modules.items():
        raw = facts.extra[FAMILY]  # type: ignore[assignment]
        module_framework = _framework_of_module(facts)
        for call in raw.calls:
            receiver = resolver.object_of(facts, call.receiver)
            kind = _object_kind(receiver[1]) if receiver else None
            framework = kind[0] if kind else module_framework
            target = receiver[0] if receiver and kind else None
            if call.attr in ("register_blueprint", "include_router"):
                if framework is None:
                    continue
                out.attach(target, framework)
                child = call.args[0] if call.args else None
                child_name = ref_of(child)
                if child_name is not None:
                    child_obj = resolver.object_of(facts, child_name)
                    prefix = call.kwargs.get("url_prefix" if call.attr == "register_blueprint" else "prefix")
                    if child_obj is not None and isinstance(prefix, str):
                        mounted[child_obj[0]] = prefix
            elif call.attr in ERROR_HANDLER_CALLS:
                framework = kind[0] if kind else _handler_framework(call.attr)
                handles = _handled(resolver, facts, call.args[0] if call.args else call.kwargs.get("code_or_exception"))
                if handles is not None:
                    app_wide = not (kind is not None and kind[1] in ("blueprint", "router"))
                    out.error_handlers.append(ErrorHandler(framework, rel, call.receiver, handles, app_wide, target))
            elif call.attr in ("add_url_rule", "add_api_route"):
                if framework is None:
                    continue
                out.attach(target, framework)
                found.extend(_url_rule_routes(resolver, facts, call, framework, view_classes))
            elif call.attr == "add_resource" and call.args:
                # flask-restful / flask-restx api.add_resource(UserResource, "/users", "/users/<int:id>")
                view_name = ref_of(call.args[0])
                if view_name is not None:
                    target_def = resolver.definition(facts, view_name)
                    if target_def is not None:
                        paths = [a for a in call.args[1:] if isinstance(a, str)]
                        class_paths.setdefault((target_def[0].relpath, target_def[1]), []).extend(
                            (p, call.location, rel) for p in paths)
            elif call.attr == "register" and len(call.args) >= 2:
                # DRF router.register(r"users", UserViewSet)
                view_name = ref_of(call.args[1])
                if view_name is not None:
                    target_def = resolver.route_definition(facts, view_name)
                    if target_def is not None and target_def[1] in target_def[2].classes:
                        view_classes.setdefault((target_def[0].relpath, target_def[1]), "drf")
        for call in raw.handler_calls:
            receiver = resolver.object_of(facts, call.receiver)
            kind = _object_kind(receiver[1]) if receiver else None
            framework = kind[0] if kind else _handler_framework(call.attr)
            handles = _handled(resolver, facts, call.args[0] if call.args else None)
            if framework and handles is not None:
                app_wide = call.attr != "errorhandler" or not (kind and kind[1] == "blueprint")
                out.error_handlers.append(ErrorHandler(framework, rel, call.receiver, handles, app_wide,
                                                       receiver[0] if receiver and kind else None))
        # Django url patterns
        for pattern in raw.url_patterns:
            if resolver.qualified(facts, pattern.callee) not in DJANGO_PATH_FUNCS:
                continue
            target_def = resolver.route_definition(facts, pattern.view)
            if target_def is None:
                continue
            target_facts, name, target_raw = target_def
            if name in target_raw.classes:
                view_classes.setdefault((target_facts.relpath, name), "django")
            elif not pattern.as_view and name in target_raw.defs:
                for definition in target_raw.defs[name]:
                    found.append(Route("django", target_facts.relpath, name, frozenset(), pattern.route,
                                       None, None, definition.location, pattern.route_location, rel,
                                       _answers_page(resolver, target_facts, definition)))
    # decorated handlers and view classes
    for rel, facts in modules.items():
        raw = facts.extra[FAMILY]  # type: ignore[assignment]
        module_framework = _framework_of_module(facts)
        for qualname, defs in raw.defs.items():
            for definition in defs:
                found.extend(_decorated_routes(resolver, facts, definition, module_framework, out, prefixes,
                                               mounted))
        for qualname, klass in raw.classes.items():
            framework = _view_class_kind(resolver, facts, klass).framework
            if framework is not None:
                view_classes.setdefault((rel, qualname), framework)
            for dec in klass.decorators:
                # flask-restx `@api.route("/users")` / `@ns.route(...)` on a Resource
                if dec.attr == "route" and dec.receiver and dec.args and isinstance(dec.args[0], str):
                    class_paths.setdefault((rel, qualname), []).append((dec.args[0], dec.path_location, rel))
    for (rel, qualname), framework in view_classes.items():
        facts = index.modules[rel]
        raw = facts.extra.get(FAMILY)  # type: ignore[assignment]
        klass = raw.classes.get(qualname) if isinstance(raw, RouteFacts) else None
        if klass is None:
            continue
        kind = _view_class_kind(resolver, facts, klass)
        if framework == "django":
            framework = kind.framework or "django"
        paths = class_paths.get((rel, qualname)) or [(None, None, None)]
        for method in klass.methods:
            verb = _class_handler_method(framework, method, raw.defs.get(f"{qualname}.{method}", []))
            if verb is None:
                continue
            for definition in raw.defs.get(f"{qualname}.{method}", []):
                page = kind.page or _answers_page(resolver, facts, definition)
                for path, path_location, declared_in in paths:
                    found.append(Route(framework, rel, definition.qualname, verb, path, None, qualname.rsplit(".")[-1],
                                       definition.location, path_location, declared_in, page, kind.resource))
    seen: set[tuple[str, str, str | None]] = set()
    for route in found:
        key = (route.relpath, route.handler, route.path)
        if key in seen:
            continue
        seen.add(key)
        out.routes.append(route)
        out.by_module.setdefault(route.relpath, {}).setdefault(route.handler, []).append(route)
        if route.methods == frozenset({"POST"}):
            raw = modules[route.relpath].extra[FAMILY] if route.relpath in modules else None
            defs = raw.defs.get(route.handler, []) if isinstance(raw, RouteFacts) else []
            out.post_routes += 1
            out.created_routes += any(definition.created for definition in defs)
    return out


def _handler_framework(attr: str) -> str:
    return "fastapi" if attr in ("exception_handler", "add_exception_handler") else "flask"


def _handled(resolver: _Resolver, facts: ModuleFacts, arg: object) -> str | None:
    if isinstance(arg, int):
        return str(arg)
    spelled = ref_of(arg)
    if spelled is not None:
        return resolver.qualified(facts, spelled) or spelled
    return None


def _decorated_routes(resolver: _Resolver, facts: ModuleFacts, definition: _Def, module_framework: str | None,
                      out: ProjectRoutes, prefixes: dict, mounted: dict) -> Iterator[Route]:
    for dec in definition.decorators:
        if dec.attr == "api_view":
            spelled = f"{dec.receiver}.api_view" if dec.receiver else "api_view"
            if resolver.qualified(facts, spelled) == "rest_framework.decorators.api_view":
                methods = _methods(dec.args[0] if dec.args else dec.kwargs.get("http_method_names"))
                yield Route("drf", facts.relpath, definition.qualname, methods or frozenset({"GET"}), None, None,
                            None, definition.location, page=_answers_page(resolver, facts, definition))
            continue
        if dec.receiver is None or dec.receiver.endswith("webhooks"):
            continue  # FastAPI `app.webhooks.post(...)` documents outgoing calls, not routes
        if dec.attr in ERROR_HANDLER_DECORATORS:
            receiver = resolver.object_of(facts, dec.receiver)
            kind = _object_kind(receiver[1]) if receiver else None
            framework = kind[0] if kind else _handler_framework(dec.attr)
            handles = _handled(resolver, facts, dec.args[0] if dec.args else None)
            if framework and handles is not None:
                app_wide = not (dec.attr == "errorhandler" and kind is not None and kind[1] == "blueprint")
                out.error_handlers.append(ErrorHandler(framework, facts.relpath, dec.receiver, handles, app_wide,
                                                       receiver[0] if receiver and kind else None))
            continue
        if dec.attr not in FLASK_ROUTE_ATTRS and dec.attr not in FASTAPI_ROUTE_ATTRS:
            continue
        path = dec.args[0] if dec.args else dec.kwargs.get("rule", dec.kwargs.get("path"))
        if not isinstance(path, str):
            continue
        receiver = resolver.object_of(facts, dec.receiver)
        kind = _object_kind(receiver[1]) if receiver else None
        if kind is not None:
            framework = kind[0]
            out.objects_with_routes.add(receiver[0])  # type: ignore[index]
            own = prefixes.get(receiver[0])  # type: ignore[index]
            outer = mounted.get(receiver[0])  # type: ignore[index]
            if framework == "flask":
                prefix = outer if outer is not None else own  # register_blueprint(url_prefix=) overrides
            else:
                prefix = _join(outer or "", own or "") if (outer or own) else None
            full = _join(prefix, path) if prefix else path
        elif receiver is None and module_framework is not None and not resolver.foreign(facts, dec.receiver):
            framework = module_framework
            out.unattributed.add(framework)
            full = None
        else:
            continue  # a receiver of another known kind (a cache, a client): not a route
        if framework == "flask" and dec.attr not in FLASK_ROUTE_ATTRS:
            continue
        if framework == "fastapi" and dec.attr not in FASTAPI_ROUTE_ATTRS:
            continue
        yield _route(framework, facts, definition, dec, dec.receiver, full, _answers_page(resolver, facts, definition))


def _route(framework: str, facts: ModuleFacts, definition: _Def, dec: _Decorator, owner: str | None,
           full: str | None, page: bool) -> Route:
    path = dec.args[0] if dec.args and isinstance(dec.args[0], str) else None
    if dec.attr in ("route", "api_route"):
        methods = _methods(dec.kwargs.get("methods")) or frozenset({"GET"})
    else:
        methods = frozenset({dec.attr.upper()})
    return Route(framework, facts.relpath, definition.qualname, methods, path, full, owner, definition.location,
                 dec.path_location, facts.relpath, page)


def _url_rule_routes(resolver: _Resolver, facts: ModuleFacts, call: _Call, framework: str,
                     view_classes: dict) -> Iterator[Route]:
    path = call.args[0] if call.args and isinstance(call.args[0], str) else call.kwargs.get("rule",
                                                                                           call.kwargs.get("path"))
    view = call.kwargs.get("view_func", call.kwargs.get("endpoint" if framework == "fastapi" else "view_func"))
    if view is None:
        positional = 2 if call.attr == "add_url_rule" else 1
        view = call.args[positional] if len(call.args) > positional else None
    as_view = ref_of(view, "as_view")
    spelled = ref_of(view) or as_view
    if spelled is None:
        return
    target = resolver.route_definition(facts, spelled)
    if target is None:
        return
    target_facts, name, raw = target
    if as_view is not None or name in raw.classes:
        view_classes.setdefault((target_facts.relpath, name), framework)
        return
    methods = _methods(call.kwargs.get("methods")) or frozenset({"GET"})
    for definition in raw.defs.get(name, []):
        yield Route(framework, target_facts.relpath, name, methods, path if isinstance(path, str) else None, None,
                    call.receiver, definition.location, page=_answers_page(resolver, target_facts, definition))


@dataclass
class _ClassKind:
    framework: str | None = None  # flask, drf, django; None: not a view class
    page: bool = False  # renders a template: a Django generic template view, `template_name = ...`
    resource: bool = False  # a flask-restful / flask-restx Resource


def _view_class_kind(resolver: _Resolver, facts: ModuleFacts, klass: _Class, depth: int = 0,
                     kind: _ClassKind | None = None) -> _ClassKind:
    """What a class's bases make of it, followed through imports and the project's own subclasses."""
    kind = kind if kind is not None else _ClassKind()
    kind.page = kind.page or klass.template
    if depth > 6:
        return kind
    for base in klass.bases:
        qualified = resolver.qualified(facts, base)
        if qualified is None:
            # a class of the same module
            local = facts.extra.get(FAMILY)
            if isinstance(local, RouteFacts) and base in local.classes and local.classes[base] is not klass:
                _view_class_kind(resolver, facts, local.classes[base], depth + 1, kind)
            continue
        parts = qualified.split(".")
        if qualified in FLASK_VIEW_BASES:
            kind.framework = kind.framework or "flask"
        elif qualified in RESOURCE_BASES:
            kind.framework = kind.framework or "flask"
            kind.resource = True
        elif parts[0] == "rest_framework" and len(parts) > 2 and parts[1] in ("views", "generics", "viewsets"):
            kind.framework = kind.framework or "drf"
        elif parts[:2] == ["django", "views"] and parts[-1][:1].isupper():
            if "Mixin" not in parts[-1]:
                kind.framework = kind.framework or "django"
            if parts[2:3] == ["generic"] and parts[-1] not in DJANGO_PLAIN_VIEWS:
                kind.page = True  # TemplateView, FormView, ListView, TemplateResponseMixin...
        else:
            definition = resolver.route_definition(facts, base)
            if definition is not None:
                target_facts, name, raw = definition
                if name in raw.classes and raw.classes[name] is not klass:
                    _view_class_kind(resolver, target_facts, raw.classes[name], depth + 1, kind)
    return kind


def _answers_page(resolver: _Resolver, facts: ModuleFacts, definition: _Def) -> bool:
    """The handler renders a template or redirects somewhere in its own code."""
    for spelled in definition.pages:
        if spelled.rsplit(".", 1)[-1] in PAGE_METHODS or resolver.qualified(facts, spelled) in PAGE_RESPONSES:
            return True
    return False


def _class_handler_method(framework: str, method: str, defs: list[_Def]) -> frozenset[str] | None:
    if method in HTTP_METHODS:
        return frozenset({method.upper()})
    if framework == "flask" and method == "dispatch_request":
        return frozenset()
    if framework == "drf":
        if method in VIEWSET_ACTIONS:
            return frozenset({ACTION_METHODS[method]})
        for definition in defs:
            for dec in definition.decorators:
                if dec.attr in ("action", "detail_route", "list_route"):
                    return _methods(dec.kwargs.get("methods")) or frozenset({"GET"})
    return None
