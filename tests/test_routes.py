"""The route index: handlers, methods, paths, applications and error handlers, across modules."""

import libcst as cst

from bplint.config import build_config
from bplint.discover.discovery import discover
from bplint.discover.workset import Workset
from bplint.project import routes
from bplint.report.findings import Severity
from bplint.rule import PythonRule
from bplint.scan.engine import build_index, scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project

FLASK = {
    "app/__init__.py": """\
from flask import Flask as F
from .errors import register_errors


def create_app():
    app = F(__name__)
    from .api import bp as api_bp
    app.register_blueprint(api_bp, url_prefix="/api")
    register_errors(app)

    @app.route("/ping", methods=["GET", "POST"])
    def ping():
        return "ok"
    return app
""",
    "app/errors.py": """\
from werkzeug.exceptions import HTTPException


def register_errors(app):
    app.register_error_handler(HTTPException, lambda e: e)

    @app.errorhandler(500)
    def err(e):
        return "x", 500
""",
    "app/api/__init__.py": """\
from flask import Blueprint
bp = Blueprint("api", __name__, url_prefix="/v1")
from . import users
""",
    "app/api/users.py": """\
from unittest import mock
from flask.views import MethodView
from . import bp


@bp.get("/users/<int:id>")
def get_user(id):
    return {}


class UserAPI(MethodView):
    def get(self, id): ...
    def post(self): ...
    def helper(self): ...


bp.add_url_rule("/u", view_func=UserAPI.as_view("users"))


@mock.patch("x.y")
def patched(): ...


def plain(): ...
""",
}

FASTAPI = {
    "api/main.py": """\
from fastapi import FastAPI
from api.routers import items

app = FastAPI()
app.include_router(items.router, prefix="/v2")


@app.exception_handler(Exception)
async def on_error(request, exc): ...
""",
    "api/routers/items.py": """\
from fastapi import APIRouter

router = APIRouter(prefix="/items")


@router.get("/{item_id}")
async def read(item_id: int): ...


@router.api_route("/", methods=["POST", "PUT"])
def write(): ...
""",
}

DJANGO = {
    "shop/views.py": """\
from django.views.generic import View
from rest_framework import viewsets
from rest_framework.decorators import action, api_view


def detail(request, pk): ...


def not_routed(request): ...


class Thing(View):
    def get(self, request): ...
    def helper(self): ...


class ThingViewSet(viewsets.ModelViewSet):
    def list(self, request): ...

    @action(detail=True, methods=["post"])
    def publish(self, request, pk): ...

    def get_queryset(self): ...


@api_view(["GET", "POST"])
def api(request): ...
""",
    "shop/urls.py": """\
from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views
from .views import Thing

router = DefaultRouter()
router.register(r"things", views.ThingViewSet)
urlpatterns = [
    path("d/<int:pk>/", views.detail, name="detail"),
    re_path(r"^t/$", Thing.as_view()),
]
""",
}


def _project(tmp_path, files):
    write_project(tmp_path, files)
    config = build_config({}, all_rules(), root=tmp_path)
    found = discover([tmp_path], tmp_path, config.exclude, tmp_path)
    return routes.project_routes(build_index(Workset.of(found.files), config, tmp_path))


def _table(project):
    return {(r.relpath, r.handler): (r.framework, tuple(sorted(r.methods)), r.path, r.full_path)
            for r in project.routes}


def test_flask_app_blueprints_method_views_across_modules(tmp_path):
    project = _project(tmp_path, FLASK)
    assert _table(project) == {
        ("app/__init__.py", "create_app.ping"): ("flask", ("GET", "POST"), "/ping", "/ping"),
        ("app/api/users.py", "get_user"): ("flask", ("GET",), "/users/<int:id>", "/api/users/<int:id>"),
        ("app/api/users.py", "UserAPI.get"): ("flask", ("GET",), None, None),
        ("app/api/users.py", "UserAPI.post"): ("flask", ("POST",), None, None),
    }
    [app] = project.apps
    assert (app.framework, app.relpath, app.name, app.scope, app.location.line) == \
        ("flask", "app/__init__.py", "app", "create_app", 6)
    assert project.app_has_routes(app)
    handled = {h.handles for h in project.handlers_for_app(app)}
    assert handled == {"werkzeug.exceptions.HTTPException", "500"}


def test_fastapi_routers_and_prefixes_across_modules(tmp_path):
    project = _project(tmp_path, FASTAPI)
    assert _table(project) == {
        ("api/routers/items.py", "read"): ("fastapi", ("GET",), "/{item_id}", "/v2/items/{item_id}"),
        ("api/routers/items.py", "write"): ("fastapi", ("POST", "PUT"), "/", "/v2/items/"),
    }
    [app] = project.apps
    assert app.framework == "fastapi" and project.app_has_routes(app)
    assert [h.handles for h in project.handlers_for_app(app)] == ["builtins.Exception"]


def test_django_paths_class_views_and_drf(tmp_path):
    project = _project(tmp_path, DJANGO)
    assert _table(project) == {
        ("shop/views.py", "detail"): ("django", (), "d/<int:pk>/", None),
        ("shop/views.py", "Thing.get"): ("django", ("GET",), None, None),
        ("shop/views.py", "ThingViewSet.list"): ("drf", ("GET",), None, None),
        ("shop/views.py", "ThingViewSet.publish"): ("drf", ("POST",), None, None),
        ("shop/views.py", "api"): ("drf", ("GET", "POST"), None, None),
    }
    assert project.apps == []


RESOURCES = {
    "backend/service/__init__.py": "",
    "backend/service/app.py": """
from flask import Flask
from flask_restful import Api
from service.resources import Users, Export

app = Flask(__name__)
api = Api(app)
api.add_resource(Users, "/users", "/users/<int:user_id>")
""",
    "backend/service/base.py": "from flask_restful import Resource\n\nclass BaseResource(Resource):\n    pass\n",
    "backend/service/resources.py": """
from flask import redirect
from flask_restx import Namespace, Resource as RestxResource
from .base import BaseResource

ns = Namespace("export")

class Users(BaseResource):
    def get(self, user_id=None): ...
    def post(self): ...
    def helper(self): ...

@ns.route("/export")
class Export(RestxResource):
    def get(self):
        return redirect("/files/export.csv")
""",
    "backend/service/pages.py": """
from django.views.generic import TemplateView, View

class Editor(TemplateView):
    def post(self, request): ...

class Ping(View):
    def get(self, request): ...
""",
    "backend/service/urls.py": """
from django.urls import path
from service import pages

urlpatterns = [path("editor/", pages.Editor.as_view()), path("ping/", pages.Ping.as_view())]
""",
}


def test_resources_and_pages(tmp_path):
    """flask-restful / flask-restx Resources are handlers, found through the project's own base
    class and through a package that runs from a plain folder (`backend/`); each route knows
    whether it answers a browser."""
    project = _project(tmp_path, RESOURCES)
    table = {(r.relpath, r.handler, r.path): (r.framework, tuple(sorted(r.methods)), r.page, r.resource)
             for r in project.routes}
    assert table == {
        ("backend/service/resources.py", "Users.get", "/users"): ("flask", ("GET",), False, True),
        ("backend/service/resources.py", "Users.get", "/users/<int:user_id>"): ("flask", ("GET",), False, True),
        ("backend/service/resources.py", "Users.post", "/users"): ("flask", ("POST",), False, True),
        ("backend/service/resources.py", "Users.post", "/users/<int:user_id>"): ("flask", ("POST",), False, True),
        ("backend/service/resources.py", "Export.get", "/export"): ("flask", ("GET",), True, True),
        ("backend/service/pages.py", "Editor.post", None): ("django", ("POST",), True, False),
        ("backend/service/pages.py", "Ping.get", None): ("django", ("GET",), False, False),
    }
    declared = {r.handler: r.declared_in for r in project.routes if r.path == "/users"}
    assert declared == {"Users.get": "backend/service/app.py", "Users.post": "backend/service/app.py"}


def test_names_not_spelling_decide(tmp_path):
    project = _project(tmp_path, {
        "a.py": "import requests\nfrom flask import Flask\n\n@requests.get('/x')\ndef a(): ...\n",
        "b.py": "class Cache:\n    def get(self, k): ...\ncache = Cache()\n\n@cache.get('/x')\ndef b(): ...\n",
        "c.py": "def route(p):\n    return lambda f: f\n\n@route('/x')\ndef c(): ...\n",
    })
    assert project.routes == []


class _Handlers(PythonRule):
    code, name, category, severity = "BP985", "test-route-handlers", "test", Severity.INFO
    summary = what = why = how_to_fix = bad = good = "x"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        route = routes.route_for(self.ctx, node)
        if route is not None:
            self.report(node, f"{route.framework} {','.join(sorted(route.methods))} {route.path}")


def test_route_for_a_visited_node(tmp_path):
    files = {**FLASK, **FASTAPI}
    write_project(tmp_path, files)
    config = build_config({"select": ["BP985"]}, (*all_rules(), _Handlers), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert sorted((f.path, f.line, f.message) for f in result.findings) == [
        ("api/routers/items.py", 7, "fastapi GET /{item_id}"),
        ("api/routers/items.py", 11, "fastapi POST,PUT /"),
        ("app/__init__.py", 12, "flask GET,POST /ping"),
        ("app/api/users.py", 7, "flask GET /users/<int:id>"),
        ("app/api/users.py", 12, "flask GET None"),
        ("app/api/users.py", 13, "flask POST None"),
    ]


def test_fastapi_answers_its_errors_itself_and_flask_is_warned(tmp_path):
    from bplint.config import build_config
    from bplint.report.findings import Severity
    from bplint.scan.engine import scan
    from bplint.scan.registry import all_rules
    from bplint.testing import write_project

    write_project(tmp_path, {
        "api.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items')\ndef items():\n    return []\n",
        "web.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/pages')\ndef pages():\n    return ''\n",
    })
    config = build_config({"select": ["BP503"]}, all_rules(), root=tmp_path)
    found = {f.path: f.severity for f in scan([tmp_path], config, cwd=tmp_path).findings}
    assert found == {"web.py": Severity.WARNING}


def test_literal_lists_are_not_taken_for_names(tmp_path):
    """`registry.register(Status, ["name"])` passes a list of field names, not a view called `name`; a
    list `["name", "title"]` is no reference to `title`, and `methods=ALLOWED` names no method `NAME`."""
    project = _project(tmp_path, {
        "shop/__init__.py": "",
        "shop/models.py": "import vinaigrette\n\n\nclass Status:\n    pass\n\n\n"
                          "vinaigrette.register(Status, ['name'])\nvinaigrette.register(Status, ['name', 'title'])\n",
        "shop/app.py": "from flask import Flask\n\napp = Flask(__name__)\nALLOWED = ['GET']\n\n\n"
                       "def title():\n    return 'x'\n\n\n"
                       "app.add_url_rule('/t', view_func=title, methods=ALLOWED)\n"
                       "app.add_url_rule('/u', 'u', ['name', 'title'])\n",
    })
    assert _table(project) == {("shop/app.py", "title"): ("flask", ("GET",), "/t", None)}


def test_a_registered_value_from_a_module_without_routes_is_no_view(tmp_path):
    """`Registry.register("pkg", __version__)` has the shape of DRF's `router.register(prefix,
    ViewSet)`; the value comes from a module that defines no route facts, and the route table is
    still built (it raised KeyError, and every route rule of the file crashed)."""
    project = _project(tmp_path, {
        "pkg/__init__.py": "from pkg.version import __version__\nfrom libs import Registry\n\n"
                           "Registry.register('pkg', __version__)\n",
        "pkg/version.py": "__version__ = '1.0'\n",
        "pkg/app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
                      "@app.get('/ping')\ndef ping():\n    return 'pong'\n",
    })
    assert _table(project) == {("pkg/app.py", "ping"): ("flask", ("GET",), "/ping", "/ping")}
