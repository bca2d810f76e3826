"""BP503: an application that registers no error handlers."""

from __future__ import annotations


from bplint import routes
from bplint.findings import Severity, Span
from bplint.roles import APPLICATION_ONLY
from bplint.rule import Flag, Precision, ProjectRule, Quiet


SERVER_ERROR_NAMES = frozenset({"500", "Exception", "BaseException", "InternalServerError"})
NOT_FOUND_NAMES = frozenset({"404", "HTTPException", "NotFound"})


def _last(handles: str) -> str:
    return handles.rsplit(".", 1)[-1]


class MissingErrorHandler(ProjectRule):
    code = "BP503"
    name = "missing-error-handler"
    category = "routes"
    severity = Severity.WARNING
    precision = Precision(0, 1, "2026-12-02")
    preview = True
    roles = APPLICATION_ONLY
    summary = "Application registers no error handlers"
    what = ("For every Flask application object that has routes (its own, or through blueprints), "
            "checks that the project registers a handler for `Exception`/500 and one for "
            "`HTTPException`/404: `@app.errorhandler(...)`, `app.register_error_handler(...)` (also in "
            "another module, on the app passed to a helper), or a blueprint's `app_errorhandler`. "
            "Extensions that answer errors themselves (Flask-RESTX, Flask-RESTful, flask-smorest `Api`) "
            "count. FastAPI applications are not checked: FastAPI answers HTTP and validation errors as "
            "JSON itself, and an unexpected error is logged with its traceback and answered with a bare 500. Test code and documentation snippets (`docs/`, `docs_src/`) are not checked.")
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
        Quiet("""
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/health")
            def health():
                return {"ok": True}
            """, note="FastAPI answers its errors itself"),
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
        apps = [a for a in project.apps if index.role_of(a.relpath) in self.roles]
        for app in apps:
            same_framework = sum(1 for a in apps if a.framework == app.framework)
            if not project.app_has_routes(app, same_framework):
                continue
            handled = {_last(h.handles) for h in project.handlers_for_app(app)}
            span = Span(app.location.line, app.location.column, app.location.end_line, app.location.end_column)
            if app.framework == "fastapi":
                # FastAPI answers HTTP and validation errors as JSON itself, and its server-error
                # middleware logs an unexpected error's traceback and answers a bare 500.
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

