"""BP103 debug-enabled: debug mode switched on in code that production runs.

Where a setting counts as production configuration is decided by
``ConfigScope`` (``_config_context``); app objects and config calls by
``_config_app``.
"""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, qualified_name
from bplint.project.roles import RUNNING_CODE
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._config_app import (
    APP_METHODS_CONFIG, app_kind, assignment_parts, ast_is, ast_key, ast_positional, ast_targets, config_owner,
)
from bplint.rules._config_context import ConfigScope, literal_true, project_config, subscript_key


class DebugEnabled(ConfigScope, PythonRule):
    code = "BP103"
    name = "debug-enabled"
    category = "configuration"
    severity = Severity.ERROR
    precision = Precision(1, 4, "2026-12-02", unseen=(1, 4))
    preview = True
    roles = RUNNING_CODE
    uses_bindings = True  # an `if` on a name bound to an environment read is a switch
    cwe = (489,)
    summary = "Debug mode switched on in code that production runs"
    what = ("Reports debug mode turned on with a literal `True` where production picks it up: "
            "`app.run(debug=True)` on a Flask app, `FastAPI(debug=True)`, `app.debug = True`, "
            "`app.config[\"DEBUG\"] = True`, and `DEBUG = True` in a Django settings module or in a "
            "config class or module that is not marked development or testing (a class, file or "
            "folder name with dev, development, local, test or testing in it). A base config class "
            "or base settings module is not reported when every production subclass, or every "
            "production settings module that star-imports it, sets `DEBUG` again. Settings inside "
            "an `if` (or a `match` case) that reads the environment, directly or through a name "
            "bound to an environment read, or tests a dev/test/debug switch are left alone, "
            "as are fields of pydantic `BaseSettings` classes (the environment overrides them).")
    why = ("Debug mode shows stack traces, local variables and settings to anyone who triggers an "
           "error; Flask's debugger even runs arbitrary Python from the browser. Switched on in code, "
           "it ships to production with the next deploy.")
    how_to_fix = ("Read the switch from the environment (`DEBUG = os.environ.get(\"DEBUG\") == \"1\"`), "
                  "or set it only in development config (`DevelopmentConfig`, `settings/dev.py`), or "
                  "start the development server with `flask run --debug`.")
    bad = ('from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n'
           '    app.run(debug=True)\n')
    good = ('import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n'
            '    app.run(debug=os.environ.get("FLASK_DEBUG") == "1")\n')
    examples = (
        Flag("""
            from flask import Flask

            app = Flask(__name__)

            @app.route("/")
            def index():
                return "hello"

            if __name__ == "__main__":
                app.run(host="0.0.0.0", debug=True)
            """, line=10, note="run under __main__ with a literal True is still flagged"),
        Flag("""
            from flask import Flask as F

            app = F(__name__)
            app.run("0.0.0.0", 5000, True)
            """, line=4, note="aliased import, positional debug"),
        Flag("""
            from fastapi import FastAPI

            app = FastAPI(title="Orders", debug=True)
            """, line=3),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.debug = True
                app.config["DEBUG"] = True
                return app
            """, line=5, count=2, note="attribute and config subscript in an app factory"),
        Flag("""
            from flask import current_app

            def enable_debug():
                current_app.config.update(DEBUG=True)
            """, line=4),
        Flag("""
            from myshop import create_app

            app = create_app()

            if __name__ == "__main__":
                app.run(debug=True)
            """, path="run.py",
            files={"myshop/__init__.py": "from flask import Flask\n\n\ndef create_app():\n"
                                         "    app = Flask(__name__)\n    return app\n"},
            line=6, note="the result of a project app factory"),
        Flag("""
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent
            SECRET_KEY = os.environ["SECRET_KEY"]
            DEBUG = True
            ALLOWED_HOSTS = ["shop.example.com"]
            """, path="mysite/settings.py", line=5),
        Flag("""
            from .base import *

            DEBUG = True
            ALLOWED_HOSTS = ["shop.example.com"]
            """, path="mysite/settings/production.py",
            files={"mysite/settings/base.py": "DEBUG = False\n"}, line=3),
        Flag("""
            DEBUG = True
            SQLALCHEMY_TRACK_MODIFICATIONS = False
            """, path="config.py", line=1, note="a Flask config module"),
        Flag("""
            DEBUG = True
            """, path="mysite/conf.py",
            files={"manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.conf")\n'},
            line=1, note="the module DJANGO_SETTINGS_MODULE names"),
        Flag("""
            class Config:
                SECRET_KEY = os.environ.get("SECRET_KEY")
                DEBUG = True

            class ProductionConfig(Config):
                SQLALCHEMY_ECHO = False

            class DevelopmentConfig(Config):
                DEBUG = True
            """, path="app/config.py", line=3, count=1,
            note="the production subclass inherits DEBUG = True"),
        Quiet("""
            import os

            DEBUG = os.environ.get("DJANGO_DEBUG", "false").lower() == "true"
            """, path="mysite/settings.py", note="computed from the environment"),
        Quiet("""
            import environ

            env = environ.Env()
            DEBUG = env.bool("DEBUG", default=False)
            """, path="config/settings/base.py"),
        Quiet("""
            class Config:
                DEBUG = False
                TESTING = False

            class ProductionConfig(Config):
                pass

            class DevelopmentConfig(Config):
                DEBUG = True

            class TestingConfig(Config):
                TESTING = True
                DEBUG = True
            """, path="app/config.py", note="DevelopmentConfig / TestingConfig"),
        Quiet("""
            class Config:
                DEBUG = True

            class ProductionConfig(Config):
                DEBUG = False

            class DevelopmentConfig(Config):
                pass
            """, path="app/config.py", note="every production subclass sets DEBUG again"),
        Quiet("""
            from .base import *

            DEBUG = True
            INTERNAL_IPS = ["127.0.0.1"]
            """, path="mysite/settings/dev.py", files={"mysite/settings/base.py": "DEBUG = False\n"}),
        Quiet("""
            DEBUG = True
            """, path="mysite/settings/local.py"),
        Quiet("""
            DEBUG = True
            SECRET_KEY = "x"
            """, path="mysite/settings/base.py",
            files={"mysite/settings/production.py": "from .base import *\n\nDEBUG = False\n",
                   "mysite/settings/dev.py": "from .base import *\n"},
            note="the production module that star-imports base sets DEBUG again"),
        Quiet("""
            import os

            from flask import Flask

            app = Flask(__name__)

            if __name__ == "__main__":
                app.run(debug=os.environ.get("FLASK_DEBUG") == "1")
            """, note="under __main__, debug read from the environment"),
        Quiet("""
            def run(debug=False):
                print("running", debug)

            run(debug=True)
            """, note="a local function named run"),
        Quiet("""
            import subprocess

            class Runner:
                def run(self, debug=False):
                    return subprocess.run(["make"], check=True)

            runner = Runner()
            runner.run(debug=True)
            """, note="run() on something that is not a web app"),
        Quiet("""
            import os

            if os.environ.get("DJANGO_ENV") == "development":
                DEBUG = True
            else:
                DEBUG = False
            """, path="mysite/settings.py", note="switched on the environment"),
        Quiet("""
            import os

            APP_ENV = os.getenv("APP_ENV", "production")

            DEBUG = False
            if APP_ENV == "qa":
                DEBUG = True

            match APP_ENV:
                case "local" | "development":
                    DEBUG = True
                    INSTALLED_APPS = ["django.contrib.admin", "debug_toolbar"]
            """, path="mysite/settings.py",
            note="switched on a name bound to an environment read, and in the cases of a match"),
        Quiet("""
            import os

            if os.environ.get("DJANGO_ENV") == "development":
                from .development import *
            else:
                from .production import *
            """, path="mysite/settings/__init__.py",
            files={"mysite/settings/base.py": "DEBUG = False\n",
                   "mysite/settings/production.py": "from .base import *\n",
                   "mysite/settings/development.py": 'from .base import *\n\nDEBUG = True\n'
                                                     'INSTALLED_APPS = ["debug_toolbar"]\n'
                                                     'DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": lambda r: True}\n'},
            note="development settings the environment selects, with their debug toolbar"),
        Quiet("""
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                DEBUG: bool = True
                database_url: str
            """, path="app/config.py", note="BaseSettings fields come from the environment"),
        Quiet("""
            from fastapi import FastAPI

            from .settings import settings

            app = FastAPI(debug=settings.debug)
            """, path="app/main.py"),
        Quiet("""
            from flask import Flask

            app = Flask(__name__)
            app.run(debug=True)
            """, path="tests/test_app.py", note="test code"),
        Quiet("""
            class Handler:
                DEBUG = True
            """, path="app/handlers.py", note="a class that is not configuration"),
        Flag("""
            class Config:
                DEBUG: bool = True
            """, path="app/config.py", line=2, note="an annotated setting in a config class"),
    )

    # Only modules that set debug to a literal True somewhere are parsed.
    ast_trigger_types = (ast.Call, ast.Assign, ast.AnnAssign)

    @staticmethod
    def ast_trigger(node: ast.AST, facts) -> bool:
        if isinstance(node, ast.Call):
            if any(k.arg in ("debug", "DEBUG") and ast_is(k.value, True) for k in node.keywords):
                return True
            positional = ast_positional(node)  # app.run(host, port, True)
            return (isinstance(node.func, ast.Attribute) and node.func.attr == "run"
                    and len(positional) > 2 and ast_is(positional[2], True))
        if not ast_is(node.value, True):
            return False
        return any((isinstance(t, ast.Attribute) and t.attr == "debug") or ast_key(t) == "DEBUG"
                   or (isinstance(t, ast.Name) and t.id == "DEBUG") for t in ast_targets(node))


    def _skip(self) -> bool:
        return self.outside_production()

    def _flag(self, node: cst.CSTNode, message: str) -> None:
        if not self._skip():
            self.report(node, message)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "run":
            debug = keyword_arg(node, "debug") or positional_arg(node, 2)
            if debug is not None and literal_true(debug.value) and app_kind(self, func.value) in ("Flask", "Quart"):
                self._flag(debug.value, "Do not start the app with `debug=True`: read it from the environment "
                                        "or use `flask run --debug` in development.")
            return
        if isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG:
            owner = config_owner(func.value)
            debug = keyword_arg(node, "DEBUG")
            if owner is not None and debug is not None and literal_true(debug.value) and app_kind(self, owner):
                self._flag(debug.value, "Do not set `DEBUG=True` in application code: read it from the environment.")
            return
        debug = keyword_arg(node, "debug")
        if debug is not None and literal_true(debug.value):
            kind = project_config(self.ctx.index).app_kind_of_callee(qualified_name(func, self.ctx.facts))
            if kind in ("FastAPI", "Starlette"):
                self._flag(debug.value, f"Do not create the {kind} app with `debug=True`: pass a value read from "
                                        f"the environment (`debug=settings.debug`).")

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node)

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        targets, value = assignment_parts(node)
        if not literal_true(value):
            return
        assert value is not None
        for target in targets:
            if isinstance(target, cst.Attribute) and target.attr.value == "debug":
                if app_kind(self, target.value):
                    self._flag(value, "Do not set `app.debug = True` in application code: read it from the "
                                      "environment.")
            elif isinstance(target, cst.Subscript) and subscript_key(target) == "DEBUG":
                owner = config_owner(target.value)
                if owner is not None and app_kind(self, owner):
                    self._flag(value, "Do not set `app.config[\"DEBUG\"] = True` in application code: read it "
                                      "from the environment.")
            elif isinstance(target, cst.Name) and target.value == "DEBUG":
                self._setting(value)

    def _setting(self, value: cst.CSTNode) -> None:
        if self._skip():
            return
        owner = self.current_class
        if owner is not None:
            if owner.config and not owner.dev_or_test and not owner.env_driven:
                self.report_setting("DEBUG", value, f"Do not set `DEBUG = True` in `{owner.name}`: read it from the "
                                                    f"environment or set it in a development config class only.")
        elif self.at_module_level and self.file_is_config():
            self.report_setting("DEBUG", value, "Do not set `DEBUG = True` in production settings: read it from the "
                                                "environment or set it in a development settings module only.")
