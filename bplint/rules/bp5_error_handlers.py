"""BP503: an application that registers no error handlers."""

from __future__ import annotations

import ast

from bplint.discover.files import split_lines
from bplint.project import routes
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Applicability, Edit, Fix, Severity, Span
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
    precision = Precision(0, 10, "2026-12-02", debatable=1, unseen=(0, 7))
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
    fix_applicability = "unsafe"
    fix_note = ("When the project has one Flask application, built by `app = Flask(...)` on lines of its own at "
                "module level or directly in a factory function, the missing handlers are added right after that "
                "line: `@app.errorhandler(HTTPException)` answering `{\"error\": error.description}` with the "
                "error's status, and `@app.errorhandler(Exception)` logging the error with `app.logger.exception` "
                "and answering a JSON 500; `from werkzeug.exceptions import HTTPException` is added after the "
                "module's imports. Unsafe: pages that rendered HTML error pages then answer JSON. No fix with "
                "several Flask applications, for FastAPI, or when the names the handlers use are taken.")
    examples = (
        Flag("""
            from flask import Flask

            app = Flask(__name__)

            @app.get("/health")
            def health():
                return {"ok": True}
            """, line=3, count=1, fixed="""
            from flask import Flask
            from werkzeug.exceptions import HTTPException

            app = Flask(__name__)


            @app.errorhandler(HTTPException)
            def handle_http_error(error):
                return {"error": error.description}, error.code


            @app.errorhandler(Exception)
            def handle_unexpected_error(error):
                app.logger.exception("Unhandled error")
                return {"error": "internal server error"}, 500


            @app.get("/health")
            def health():
                return {"ok": True}
            """),
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
            line=4, note="a factory with blueprints and a 404 handler only", fixed="""
            from flask import Flask

            def create_app():
                app = Flask(__name__)

                @app.errorhandler(Exception)
                def handle_unexpected_error(error):
                    app.logger.exception("Unhandled error")
                    return {"error": "internal server error"}, 500

                from app.api import bp
                app.register_blueprint(bp)

                @app.errorhandler(404)
                def not_found(e):
                    return {"error": "not found"}, 404

                return app
            """),
        Flag("""
            from flask import Flask

            public = Flask(__name__)
            admin = Flask("admin")

            @public.get("/")
            def home():
                return "home"

            @admin.get("/")
            def dashboard():
                return "dashboard"
            """, line=3, count=2, fixed="""
            from flask import Flask

            public = Flask(__name__)
            admin = Flask("admin")

            @public.get("/")
            def home():
                return "home"

            @admin.get("/")
            def dashboard():
                return "dashboard"
            """, note="no fix: which of two applications answers which error is not for a fix to decide"),
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
        # FastAPI answers HTTP and validation errors as JSON itself, and its server-error middleware
        # logs an unexpected error's traceback and answers a bare 500: only Flask apps are checked
        apps = [a for a in project.apps if index.role_of(a.relpath) in self.roles and a.framework == "flask"]
        for app in apps:
            if not project.app_has_routes(app, len(apps)):
                continue
            handled = {_last(h.handles) for h in project.handlers_for_app(app)}
            span = Span(app.location.line, app.location.column, app.location.end_line, app.location.end_column)
            missing = []
            if not handled & NOT_FOUND_NAMES:
                missing.append("`HTTPException`/404")
            if not handled & SERVER_ERROR_NAMES:
                missing.append("`Exception`/500")
            if missing:
                fix = _handlers_fix(self.project, app, missing) if len(apps) == 1 else None
                self.report(app.relpath, span,
                            f"Register error handlers for {' and '.join(missing)} on this app "
                            f"(`@{app.name}.errorhandler(...)`) so clients get JSON errors instead of HTML pages.",
                            fix=fix)


_HTTP_HANDLER = '''
{indent}@{app}.errorhandler(HTTPException)
{indent}def handle_http_error(error):
{indent}    return {{"error": error.description}}, error.code
'''
_SERVER_HANDLER = '''
{indent}@{app}.errorhandler(Exception)
{indent}def handle_unexpected_error(error):
{indent}    {app}.logger.exception("Unhandled error")
{indent}    return {{"error": "internal server error"}}, 500
'''
_HTTP_EXCEPTION = "werkzeug.exceptions.HTTPException"


def _handlers_fix(project, app, missing: list[str]) -> Fix | None:
    """JSON handlers for what is missing, right after the statement that builds the app: the one
    Flask application of the project, bound by `name = Flask(...)` at module level or in the body
    of a factory function. None when that statement is not plainly on lines of its own, the names
    the handlers use are taken, or the module has no import to put `HTTPException`'s after."""
    file = next((f for f in project.files if f.relpath == app.relpath), None)
    facts = project.index.modules.get(app.relpath)
    if file is None or facts is None:
        return None
    try:
        text = file.text(keep=False)
        module = ast.parse(text)
    except Exception:  # undecodable or unparsable: no fix
        return None
    lines = split_lines(text)
    statement, body = _binding_statement(module, app)
    if statement is None or body is None:
        return None
    end = statement.end_lineno or statement.lineno
    head = lines[statement.lineno - 1]
    indent = head[:len(head) - len(head.lstrip())]
    if not (0 < end <= len(lines)) or indent.strip() or (statement.col_offset != len(indent.encode("utf-8"))):
        return None
    following = body[body.index(statement) + 1:]
    if following and following[0].lineno == end:
        return None  # `app = Flask(__name__); other()`: not on lines of its own
    taken = {name for name in ("handle_http_error", "handle_unexpected_error")
             if name in facts.defined or name in facts.imports}
    if taken:
        return None
    edits = []
    handlers = ""
    blank = "\n" if indent else "\n\n"  # the blank lines around a definition, as PEP 8 has them
    if "`HTTPException`/404" in missing:
        spelled = next((name for name, qualified in facts.imports.items() if qualified == _HTTP_EXCEPTION), None)
        if spelled is None:
            if "HTTPException" in facts.imports or "HTTPException" in facts.defined:
                return None
            last_import = [s for s in module.body if isinstance(s, (ast.Import, ast.ImportFrom))
                           and s.lineno < statement.lineno]
            if not last_import:
                return None
            line = last_import[-1].end_lineno or last_import[-1].lineno
            after = module.body[module.body.index(last_import[-1]) + 1:]
            if after and after[0].lineno == line:
                return None
            edits.append(Edit(line, len(lines[line - 1]) + 1, line, len(lines[line - 1]) + 1,
                              "\nfrom werkzeug.exceptions import HTTPException"))
        elif spelled != "HTTPException":
            return None
        handlers += "\n" + blank + _HTTP_HANDLER.strip("\n").format(indent=indent, app=app.name)
    if "`Exception`/500" in missing:
        handlers += "\n" + blank + _SERVER_HANDLER.strip("\n").format(indent=indent, app=app.name)
    following_blank = 0
    while end + following_blank < len(lines) and not lines[end + following_blank].strip():
        following_blank += 1
    if end + following_blank < len(lines):
        handlers += "\n" * max(0, len(blank) - following_blank)  # blank lines before what follows
    column = len(lines[end - 1]) + 1
    edits.append(Edit(end, column, end, column, handlers))
    return Fix(Applicability.UNSAFE, "Register handlers that answer errors with JSON (unsafe: pages that "
                                     "rendered HTML errors then get JSON).", tuple(edits))


def _binding_statement(module: ast.Module, app) -> tuple[ast.stmt | None, list[ast.stmt] | None]:
    """The statement `name = Flask(...)` that builds ``app``, and the body it is in: the module's,
    or that of the top-level function (or method) named by the app's scope."""
    body: list[ast.stmt] = module.body
    if app.scope:
        functions = [function for statement in module.body
                     for owner, function in ([(statement.name + ".", f) for f in statement.body]
                                             if isinstance(statement, ast.ClassDef) else [("", statement)])
                     if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and owner + function.name == app.scope]
        if len(functions) != 1:
            return None, None
        body = functions[0].body
    found = [s for s in body if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.lineno == app.location.line
             and isinstance(s.value, ast.Call)
             and [t.id for t in (s.targets if isinstance(s, ast.Assign) else [s.target]) if isinstance(t, ast.Name)]
             == [app.name]]
    return (found[0], body) if len(found) == 1 else (None, None)

