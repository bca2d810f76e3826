"""BP1 configuration: debug mode, cookie flags and connection URLs in production config.

BP103-BP105 share ``ConfigScope`` (``_config_context``): it knows whether a
setting sits in a settings module or config class, whether that config is
marked development/testing, whether an ``if`` around it switches on the
environment, and whether production overrides it later.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import libcst as cst

from bplint.findings import Severity
from bplint.names import keyword_arg, positional_arg, qualified_name, string_value
from bplint.rule import Flag, PythonRule, Quiet
from bplint.rules._config_context import (
    ConfigScope, is_config_object, literal_false, literal_none, literal_true, project_config, subscript_key,
    words,
)

APP_METHODS_CONFIG = ("update", "from_mapping")


def _app_kind(rule: PythonRule, node: cst.CSTNode) -> str | None:
    """"Flask"/"FastAPI"/... when `node` names an application object."""
    ctx = rule.ctx
    if qualified_name(node, ctx.facts) in ("flask.current_app", "quart.current_app"):
        return "Flask"
    if isinstance(node, cst.Name) and ctx.facts is not None:
        return project_config(ctx.index).app_kind_of_name(ctx.facts, node.value)
    return None


def _config_owner(node: cst.CSTNode) -> cst.CSTNode | None:
    """For `app.config`, the `app`."""
    if isinstance(node, cst.Attribute) and node.attr.value == "config":
        return node.value
    return None


def _assignment_parts(node: cst.Assign | cst.AnnAssign) -> tuple[list[cst.BaseExpression], cst.BaseExpression | None]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets], node.value
    return [node.target], node.value


# --- BP103 -------------------------------------------------------------------------------


class DebugEnabled(ConfigScope, PythonRule):
    code = "BP103"
    name = "debug-enabled"
    category = "configuration"
    severity = Severity.ERROR
    cwe = (489,)
    quiet_in_tests = True
    summary = "Debug mode switched on in code that production runs"
    what = ("Reports debug mode turned on with a literal `True` where production picks it up: "
            "`app.run(debug=True)` on a Flask app, `FastAPI(debug=True)`, `app.debug = True`, "
            "`app.config[\"DEBUG\"] = True`, and `DEBUG = True` in a Django settings module or in a "
            "config class or module that is not marked development or testing (a class, file or "
            "folder name with dev, development, local, test or testing in it). A base config class "
            "or base settings module is not reported when every production subclass, or every "
            "production settings module that star-imports it, sets `DEBUG` again. Settings inside "
            "an `if` that reads the environment or tests a dev/test/debug switch are left alone, "
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
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        # `.run(` for app.run(host, port, True) with debug passed by position
        return "DEBUG" in text or "debug" in text or (".run(" in text and "True" in text)

    def _skip(self) -> bool:
        return self.outside_production()

    def _flag(self, node: cst.CSTNode, message: str) -> None:
        if not self._skip():
            self.report(node, message)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "run":
            debug = keyword_arg(node, "debug") or positional_arg(node, 2)
            if debug is not None and literal_true(debug.value) and _app_kind(self, func.value) in ("Flask", "Quart"):
                self._flag(debug.value, "Do not start the app with `debug=True`: read it from the environment "
                                        "or use `flask run --debug` in development.")
            return
        if isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG:
            owner = _config_owner(func.value)
            debug = keyword_arg(node, "DEBUG")
            if owner is not None and debug is not None and literal_true(debug.value) and _app_kind(self, owner):
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
        targets, value = _assignment_parts(node)
        if not literal_true(value):
            return
        assert value is not None
        for target in targets:
            if isinstance(target, cst.Attribute) and target.attr.value == "debug":
                if _app_kind(self, target.value):
                    self._flag(value, "Do not set `app.debug = True` in application code: read it from the "
                                      "environment.")
            elif isinstance(target, cst.Subscript) and subscript_key(target) == "DEBUG":
                owner = _config_owner(target.value)
                if owner is not None and _app_kind(self, owner):
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


# --- BP104 -------------------------------------------------------------------------------

# setting -> (insecure literal, what to set instead, what it protects)
COOKIE_SETTINGS = {
    "SESSION_COOKIE_SECURE": ("False", "True", "the session cookie is only sent over HTTPS"),
    "SESSION_COOKIE_HTTPONLY": ("False", "True", "JavaScript cannot read the session cookie"),
    "SESSION_COOKIE_SAMESITE": ("None", '"Lax"', "browsers do not send the session cookie with cross-site requests"),
    "REMEMBER_COOKIE_SECURE": ("False", "True", "the remember-me cookie is only sent over HTTPS"),
    "REMEMBER_COOKIE_HTTPONLY": ("False", "True", "JavaScript cannot read the remember-me cookie"),
    "CSRF_COOKIE_SECURE": ("False", "True", "the CSRF cookie is only sent over HTTPS"),
    "JWT_COOKIE_SECURE": ("False", "True", "the JWT cookies are only sent over HTTPS"),
}
SENSITIVE_COOKIE_WORDS = frozenset({
    "session", "sessionid", "sess", "sid", "auth", "authorization", "authentication", "authn", "token",
    "jwt", "remember", "rememberme", "refresh", "credentials",
})
# positions of `secure` and `httponly` in Werkzeug's, Django's and Starlette's set_cookie
SET_COOKIE_POSITIONS = {"secure": 6, "httponly": 7}


def _is_config_update(node: cst.Call) -> bool:
    func = node.func
    return (isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG
            and is_config_object(func.value))


def _is_insecure(value: cst.CSTNode | None, literal: str) -> bool:
    return literal_false(value) if literal == "False" else literal_none(value)


# a cookie that says something about the session or token, not the credential itself
STATE_COOKIE_WORDS = frozenset({"expired", "expiry", "expires", "exp", "type", "name", "hint", "present",
                                "exists", "state", "status", "mode"})


def sensitive_cookie_name(name: str, constant: bool = False) -> bool:
    """Whether a cookie name (or, with `constant`, a setting such as SESSION_COOKIE_NAME) means a credential."""
    parts = words(name)
    if constant:
        parts = [p for p in parts if p not in ("name", "cookie", "key")]
    if any("csrf" in p or "xsrf" in p for p in parts):
        return False  # read by JavaScript on purpose (double-submit)
    if parts and (parts[0] in ("is", "has", "show", "use") or any(p in STATE_COOKIE_WORDS for p in parts)):
        return False  # `is_access_token_expired`, `token_type`: flags the front end reads
    return any(p in SENSITIVE_COOKIE_WORDS or p.endswith(("token", "session", "sessionid")) for p in parts)


class InsecureCookie(ConfigScope, PythonRule):
    code = "BP104"
    name = "insecure-cookie"
    category = "configuration"
    severity = Severity.WARNING
    cwe = (614, 1004)
    summary = "Session or auth cookie without Secure/HttpOnly/SameSite protection"
    what = ("Reports cookie settings that weaken the session or login cookie outside development and "
            "test config: `SESSION_COOKIE_SECURE = False`, `SESSION_COOKIE_HTTPONLY = False`, "
            "`SESSION_COOKIE_SAMESITE = None`, `REMEMBER_COOKIE_SECURE/HTTPONLY = False`, "
            "`CSRF_COOKIE_SECURE = False`, `JWT_COOKIE_SECURE = False`, as module or class settings, "
            "`app.config[...]` assignments, `config.update(...)` keywords or dict keys. Also reports "
            "`response.set_cookie(...)` for a cookie whose name says it holds a session, auth or token "
            "(`session`, `sessionid`, `auth_token`, `jwt`, `remember_me`, ...) when `secure` or "
            "`httponly` is `False` or missing (both default to off). CSRF cookies, other cookies "
            "(`theme`, `lang`) and cookie deletions are left alone.")
    why = ("Without Secure the cookie travels in clear text over any HTTP request and can be sniffed; "
           "without HttpOnly any XSS can read and steal it; without SameSite the browser sends it with "
           "cross-site requests. Any of these turns a small bug into account takeover.")
    how_to_fix = ("Set the flags to their safe values in production config (`SESSION_COOKIE_SECURE = True`, "
                  "`SESSION_COOKIE_SAMESITE = \"Lax\"`), keep the relaxed values in development config "
                  "only, and pass `secure=True, httponly=True, samesite=\"Lax\"` to `set_cookie` for "
                  "session and token cookies.")
    bad = ('SESSION_COOKIE_SECURE = False\n\n'
           '@app.post("/login")\ndef login():\n    resp = make_response(redirect("/"))\n'
           '    resp.set_cookie("auth_token", token)\n    return resp\n')
    good = ('SESSION_COOKIE_SECURE = True\n\n'
            '@app.post("/login")\ndef login():\n    resp = make_response(redirect("/"))\n'
            '    resp.set_cookie("auth_token", token, secure=True, httponly=True, samesite="Lax")\n'
            '    return resp\n')
    examples = (
        Flag("""
            SESSION_COOKIE_SECURE = False
            SESSION_COOKIE_HTTPONLY = False
            SESSION_COOKIE_SAMESITE = None
            CSRF_COOKIE_SECURE = False
            """, path="mysite/settings.py", line=1, count=4),
        Flag("""
            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                REMEMBER_COOKIE_SECURE = False

            class ProductionConfig(Config):
                SQLALCHEMY_ECHO = False
            """, path="app/config.py", line=3),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.config["SESSION_COOKIE_SECURE"] = False
                app.config.update(SESSION_COOKIE_HTTPONLY=False, SESSION_COOKIE_SAMESITE=None)
                app.config.from_mapping({"REMEMBER_COOKIE_SECURE": False})
                return app
            """, line=5, count=4),
        Flag("""
            from flask import make_response, redirect

            def login_response(token):
                resp = make_response(redirect("/"))
                resp.set_cookie("access_token", token, max_age=3600)
                return resp
            """, line=5, note="session/token cookie without secure and httponly"),
        Flag("""
            from fastapi import FastAPI, Response

            app = FastAPI()

            @app.post("/login")
            def login(response: Response):
                response.set_cookie(key="session", value=make_token(), httponly=True, secure=False)
                return {"ok": True}
            """, line=7),
        Flag("""
            from django.conf import settings
            from django.http import HttpResponseRedirect

            def sso_callback(request):
                response = HttpResponseRedirect("/")
                response.set_cookie(settings.SESSION_COOKIE_NAME, request.session.session_key, secure=True)
                return response
            """, line=6, note="cookie named by a session setting, httponly missing"),
        Quiet("""
            from flask import make_response

            def set_theme(theme):
                resp = make_response("ok")
                resp.set_cookie("theme", theme)
                resp.set_cookie("lang", "en", max_age=86400)
                return resp
            """, note="non-sensitive cookies"),
        Quiet("""
            class App:
                default_config = {
                    "SESSION_COOKIE_SECURE": False,
                    "SESSION_COOKIE_SAMESITE": None,
                }

            def expired(response):
                response.set_cookie("is_access_token_expired", "true")
            """, note="a table of framework defaults; a cookie the front end reads as a flag"),
        Quiet("""
            def login_response(resp, token):
                resp.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")
                resp.set_cookie("csrftoken", make_csrf(), secure=True)
                resp.set_cookie("session", "", expires=0)
                return resp
            """, note="flags set, a CSRF cookie, a deletion"),
        Quiet("""
            from .base import *

            SESSION_COOKIE_SECURE = False
            CSRF_COOKIE_SECURE = False
            """, path="mysite/settings/dev.py", files={"mysite/settings/base.py": "DEBUG = False\n"}),
        Quiet("""
            class Config:
                SESSION_COOKIE_SECURE = True

            class DevelopmentConfig(Config):
                SESSION_COOKIE_SECURE = False

            class TestingConfig(Config):
                SESSION_COOKIE_SECURE = False
            """, path="app/config.py", note="development and testing config"),
        Quiet("""
            import os

            SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "true") == "true"
            if DEBUG:
                CSRF_COOKIE_SECURE = False
            """, path="mysite/settings.py", note="from the environment, or only when debugging"),
        Quiet("""
            from django.test import TestCase, override_settings

            @override_settings(SESSION_COOKIE_SECURE=False)
            class LoginTests(TestCase):
                pass
            """, path="shop/tests/test_login.py", note="test code"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return "COOKIE" in text or "set_cookie" in text

    def _skip(self) -> bool:
        return self.outside_production()

    def _message(self, key: str) -> str:
        _, safe, purpose = COOKIE_SETTINGS[key]
        return f"Set `{key}` to {safe} in production config so {purpose}."

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node)

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        targets, value = _assignment_parts(node)
        if value is None:
            return
        for target in targets:
            if isinstance(target, cst.Name) and target.value in COOKIE_SETTINGS:
                key = target.value
                if not _is_insecure(value, COOKIE_SETTINGS[key][0]) or self._skip():
                    continue
                owner = self.current_class
                if owner is not None and not owner.dev_or_test and not owner.env_driven:
                    self.report_setting(key, value, self._message(key))
                elif self.at_module_level:
                    self.report_setting(key, value, self._message(key))
            elif isinstance(target, cst.Subscript):
                key = subscript_key(target)
                if key in COOKIE_SETTINGS and _is_insecure(value, COOKIE_SETTINGS[key][0]) and not self._skip():
                    self.report(value, self._message(key))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "set_cookie":
            self._set_cookie(node)
            return
        # app.config.update(SESSION_COOKIE_SECURE=False) / app.config.from_mapping({...}); a dict
        # elsewhere (a framework's table of defaults, a local-development preset) is not config in force
        if not _is_config_update(node) or self._skip():
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in COOKIE_SETTINGS:
                key = arg.keyword.value
                if _is_insecure(arg.value, COOKIE_SETTINGS[key][0]):
                    self.report(arg.value, self._message(key))
            elif arg.keyword is None and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement):
                        key = string_value(element.key)
                        if key in COOKIE_SETTINGS and _is_insecure(element.value, COOKIE_SETTINGS[key][0]):
                            self.report(element.value, self._message(key))

    def _set_cookie(self, node: cst.Call) -> None:
        if any(arg.star for arg in node.args) or self.outside_production():
            return
        name_arg = keyword_arg(node, "key") or positional_arg(node, 0)
        if name_arg is None:
            return
        cookie = string_value(name_arg.value)
        if cookie is None:
            spelled = name_arg.value
            if isinstance(spelled, cst.Attribute):
                spelled = spelled.attr
            if not isinstance(spelled, cst.Name) or not spelled.value.isupper():
                return  # only constants such as SESSION_COOKIE_NAME say what they hold
            cookie = spelled.value
        if not sensitive_cookie_name(cookie, constant=cookie.isupper()) or self._is_deletion(node):
            return
        weak: list[str] = []
        at: cst.CSTNode = node
        for flag, position in SET_COOKIE_POSITIONS.items():
            arg = keyword_arg(node, flag) or positional_arg(node, position)
            if arg is None:
                weak.append(flag)
            elif literal_false(arg.value):
                weak.append(flag)
                at = arg.value if at is node else at
        if weak:
            wanted = " and ".join(f"`{flag}=True`" for flag in weak)
            self.report(at, f"Pass {wanted} to `set_cookie` for the `{cookie}` cookie so it is only sent over "
                            f"HTTPS and hidden from JavaScript.")

    @staticmethod
    def _is_deletion(node: cst.Call) -> bool:
        for flag in ("expires", "max_age"):
            arg = keyword_arg(node, flag)
            if arg is not None and isinstance(arg.value, cst.Integer) and arg.value.value == "0":
                return True
        value = keyword_arg(node, "value") or positional_arg(node, 1)
        return value is not None and string_value(value.value) == "" and keyword_arg(node, "expires") is not None


# --- BP105 -------------------------------------------------------------------------------

SERVICE_URL = re.compile(
    r"^(?P<scheme>(?P<kind>postgres(?:ql)?|mysql|mariadb|oracle|mssql|cockroachdb|redshift|redis|rediss|valkey"
    r"|memcache|memcached|amqp|amqps|pyamqp|librabbitmq|mongodb|mongodb\+srv|kafka|nats)(?:\+[\w-]+)?)://",
    re.IGNORECASE)
SERVICE_SCHEME_IN_TEXT = re.compile(
    r"(?:postgres|mysql|mariadb|oracle|mssql|cockroachdb|redshift|redis|valkey|memcache|amqp|rabbitmq"
    r"|mongodb|kafka|nats)[\w+-]*://", re.IGNORECASE)
SERVICE_KINDS = {
    "redis": "cache/broker", "rediss": "cache/broker", "valkey": "cache/broker", "memcache": "cache",
    "memcached": "cache", "amqp": "broker", "amqps": "broker", "pyamqp": "broker", "librabbitmq": "broker",
    "kafka": "broker", "nats": "broker",
}
LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


PLACEHOLDER_HOSTS = {"host", "hostname", "server", "your-host", "yourhost", "dbhost", "db-host", "example.com"}


def service_url(value: str) -> str | None:
    """The scheme of a database/cache/broker connection URL, else None (also for templates)."""
    value = value.strip()
    match = SERVICE_URL.match(value)
    if not match or any(mark in value for mark in ("{", "${", "<", "%(", "*")):
        return None  # templates are filled in from elsewhere
    try:
        parts = urlsplit(value)
        parts.port  # a port such as `:port` marks a documentation example
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host in PLACEHOLDER_HOSTS or host.endswith((".example.com", ".example.org")):
        return None
    return match.group("scheme").lower()


def _has_password(url: str) -> bool:
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    return "@" in rest and ":" in rest.rsplit("@", 1)[0]


class HardcodedConfig(ConfigScope, PythonRule):
    code = "BP105"
    name = "hardcoded-config"
    category = "configuration"
    severity = Severity.WARNING
    summary = "Database, cache or broker address hardcoded in production config"
    what = ("Reports a literal connection URL for a database, cache or message broker "
            "(`postgresql://`, `mysql://`, `redis://`, `amqp://`, `mongodb://`, ...) in a settings "
            "module or config class that is not marked development or testing, including dict values "
            "(`SQLALCHEMY_BINDS`, Django `CACHES`), `app.config[...]` assignments and `config.update(...)` "
            "keywords; and in Django `DATABASES` a literal `HOST` that is a network address (it has a "
            "dot and is not a loopback address; single names such as `db` are compose service names "
            "and are left alone). Values read from the environment, with or without a default, are "
            "quiet, and so are `sqlite:` URLs (a local file, not an address that differs between "
            "environments).")
    why = ("An address fixed in code follows the code everywhere: a staging deploy writes to the "
           "production database, a developer's laptop connects to production, and moving a server "
           "needs a code change and a release. Configuration that differs between deploys belongs "
           "in the environment.")
    how_to_fix = ("Read the URL from the environment (`SQLALCHEMY_DATABASE_URI = os.environ[\"DATABASE_URL\"]`), "
                  "keep local defaults in development config or `.env`, and document the variable in "
                  "`.env.example`.")
    bad = ('class ProductionConfig(Config):\n    SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/shop"\n'
           '    CELERY_BROKER_URL = "redis://cache.internal:6379/0"\n')
    good = ('class ProductionConfig(Config):\n    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]\n'
            '    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]\n')
    examples = (
        Flag("""
            import os

            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]

            class ProductionConfig(Config):
                SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/shop"
                REDIS_URL = "redis://cache.internal:6379/0"
                SQLALCHEMY_BINDS = {"reports": "mysql+pymysql://reports.internal/reports"}
            """, path="shop/config.py", line=7, count=3),
        Flag("""
            from .base import *

            CELERY_BROKER_URL = "amqp://rabbit.internal:5672//"
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://cache.internal:6379/1",
                }
            }
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "shop",
                    "HOST": "db.prod.internal",
                }
            }
            """, path="shop/settings/production.py", files={"shop/settings/base.py": "DEBUG = False\n"},
            line=3, count=3),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://localhost/shop"
                app.config.update(CELERY_RESULT_BACKEND="redis://localhost:6379/1")
                return app
            """, path="shop/__init__.py", line=5, count=2, note="literal localhost in application code"),
        Quiet("""
            import os

            class Config:
                SQLALCHEMY_DATABASE_URI = os.getenv("DATABASE_URL", "postgresql://localhost/shop")
                REDIS_URL = os.environ["REDIS_URL"]
                CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "redis://localhost:6379/0"
            """, path="shop/config.py", note="from the environment, with or without a localhost default"),
        Quiet("""
            class Config:
                SQLALCHEMY_TRACK_MODIFICATIONS = False

            class TestingConfig(Config):
                TESTING = True
                SQLALCHEMY_DATABASE_URI = "sqlite:///:memory:"

            class DevelopmentConfig(Config):
                SQLALCHEMY_DATABASE_URI = "postgresql://localhost/shop_dev"
            """, path="shop/config.py", note="testing and development config"),
        Quiet("""
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "shop",
                    "HOST": "localhost",
                }
            }
            CACHES = {"default": {"LOCATION": "redis://127.0.0.1:6379/1"}}
            """, path="shop/settings/local.py"),
        Quiet("""
            import environ

            env = environ.Env()
            DATABASES = {"default": env.db("DATABASE_URL", default="postgres://localhost/shop")}
            DATABASES["default"]["HOST"] = env("DB_HOST", default="db")
            """, path="shop/settings/base.py"),
        Quiet("""
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                database_url: str = "postgresql://localhost/shop"
                redis_url: str = "redis://localhost:6379/0"
            """, path="shop/config.py", note="pydantic settings read the environment"),
        Quiet("""
            DOCS_URL = "https://docs.example.com/postgres"
            EXAMPLE = "postgresql://user:password@host:port/dbname"
            SQLALCHEMY_DATABASE_URI = "sqlite:///shop.db"
            TEMPLATE = "postgresql://{user}@{host}/{name}"
            """, path="shop/config.py", note="not a service URL, a sqlite file, a template"),
        Quiet("""
            def connect():
                url = "postgresql://db.internal/shop"
                return create_engine(url)
            """, path="shop/db.py", note="not configuration"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return "DATABASES" in text or ("://" in text and SERVICE_SCHEME_IN_TEXT.search(text) is not None)

    def _skip(self) -> bool:
        return self.outside_production()

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node)

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        targets, value = _assignment_parts(node)
        if value is None or not isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Dict, cst.List,
                                                   cst.Tuple)):
            return
        for target in targets:
            if isinstance(target, cst.Name):
                if self._in_config():
                    for literal, scheme in self._literals(value, target.value == "DATABASES"):
                        self.report_setting(target.value, literal, self._message(scheme),
                                            secret=_has_password(string_value(literal) or ""))
            elif isinstance(target, cst.Subscript) and is_config_object(target.value):
                if not self._skip():
                    for literal, scheme in self._literals(value, False):
                        self.report(literal, self._message(scheme), secret=_has_password(string_value(literal) or ""))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG
                and is_config_object(func.value)) or self._skip():
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value.isupper():
                for literal, scheme in self._literals(arg.value, False):
                    self.report(literal, self._message(scheme), secret=_has_password(string_value(literal) or ""))

    def _in_config(self) -> bool:
        if self._skip():
            return False
        owner = self.current_class
        if owner is not None:
            return owner.config and not owner.dev_or_test and not owner.env_driven
        return self.at_module_level and self.file_is_config()

    def _literals(self, value: cst.CSTNode, databases: bool, depth: int = 0) -> list[tuple[cst.CSTNode, str]]:
        """Service URL literals in a value (through dict/list literals), with their scheme."""
        if depth > 4:
            return []
        text = string_value(value) if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) else None
        if text is not None:
            scheme = service_url(text)
            return [(value, scheme)] if scheme else []
        found: list[tuple[cst.CSTNode, str]] = []
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                if databases and string_value(element.key) == "HOST":
                    host = string_value(element.value)
                    if host is not None and "." in host and host.strip().lower() not in LOOPBACK_HOSTS:
                        found.append((element.value, "database host"))
                    continue
                found.extend(self._literals(element.value, databases, depth + 1))
        elif isinstance(value, (cst.List, cst.Tuple)):
            for element in value.elements:
                found.extend(self._literals(element.value, databases, depth + 1))
        return found

    @staticmethod
    def _message(scheme: str) -> str:
        if scheme == "database host":
            return ("Read the database host from the environment (`os.environ[\"DB_HOST\"]`) instead of "
                    "hardcoding it in production settings.")
        base = scheme.split("+", 1)[0]
        kind = SERVICE_KINDS.get(base, "database")
        return (f"Read the {kind} URL from the environment (`os.environ[...]`) instead of hardcoding a "
                f"`{base}://` address in production config.")
