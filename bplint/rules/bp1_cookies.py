"""BP104 insecure-cookie: session or auth cookies without Secure/HttpOnly/SameSite.

Where a setting counts as production configuration is decided by
``ConfigScope`` (``_config_context``); config calls by ``_config_app``.
"""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._config_app import (
    APP_METHODS_CONFIG, assignment_parts, ast_is, ast_key, ast_keyword, ast_positional, ast_targets, ast_text,
    is_config_update,
)
from bplint.rules._config_context import ConfigScope, literal_false, literal_none, subscript_key, words

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


def _ast_insecure(key: str | None, value: ast.AST | None) -> bool:
    """The ast form of `_is_insecure` for a setting name: `SESSION_COOKIE_SECURE = False`."""
    if key not in COOKIE_SETTINGS:
        return False
    return ast_is(value, False if COOKIE_SETTINGS[key][0] == "False" else None)


def _ast_weak_set_cookie(call: ast.Call) -> bool:
    """`set_cookie` for a credential cookie without `secure`/`httponly` (what the rule reports,
    cookie deletions and development config included)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return False
    positional = ast_positional(call)
    name_arg = ast_keyword(call, "key") or (positional[0] if positional else None)
    cookie = ast_text(name_arg)
    if cookie is None:
        spelled = name_arg.attr if isinstance(name_arg, ast.Attribute) else (
            name_arg.id if isinstance(name_arg, ast.Name) else None)
        if spelled is None or not spelled.isupper():
            return False
        cookie = spelled
    if not sensitive_cookie_name(cookie, constant=cookie.isupper()):
        return False
    for flag, position in SET_COOKIE_POSITIONS.items():
        arg = ast_keyword(call, flag) or (positional[position] if position < len(positional) else None)
        if arg is None or ast_is(arg, False):
            return True
    return False


class InsecureCookie(ConfigScope, PythonRule):
    code = "BP104"
    name = "insecure-cookie"
    category = "configuration"
    severity = Severity.WARNING
    precision = Precision(1, 6, "2026-12-02", debatable=1, unseen=(0, 5))
    preview = True
    roles = APPLICATION_ONLY
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
    fix_applicability = "unsafe"
    fix_note = ("A weakening setting written as a literal gets its safe value (`True`, `SameSite` `\"Lax\"`) where "
                "it is written: a module or class setting, an `app.config[...]` assignment, a `config.update(...)` "
                "keyword or dict key. A `set_cookie(...)` call gets `secure=True` and `httponly=True` (a `False` "
                "flag becomes `True`, a missing one is added as a keyword). Unsafe: the cookie is then no longer "
                "sent over plain HTTP, so a development or internal deployment without HTTPS loses its session "
                "unless its own configuration relaxes the setting again.")
    examples = (
        Flag("""
            SESSION_COOKIE_SECURE = False
            SESSION_COOKIE_HTTPONLY = False
            SESSION_COOKIE_SAMESITE = None
            CSRF_COOKIE_SECURE = False
            """, path="mysite/settings.py", line=1, count=4, fixed="""
            SESSION_COOKIE_SECURE = True
            SESSION_COOKIE_HTTPONLY = True
            SESSION_COOKIE_SAMESITE = "Lax"
            CSRF_COOKIE_SECURE = True
            """),
        Flag("""
            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                REMEMBER_COOKIE_SECURE = False

            class ProductionConfig(Config):
                SQLALCHEMY_ECHO = False
            """, path="app/config.py", line=3, fixed="""
            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                REMEMBER_COOKIE_SECURE = True

            class ProductionConfig(Config):
                SQLALCHEMY_ECHO = False
            """),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.config["SESSION_COOKIE_SECURE"] = False
                app.config.update(SESSION_COOKIE_HTTPONLY=False, SESSION_COOKIE_SAMESITE=None)
                app.config.from_mapping({"REMEMBER_COOKIE_SECURE": False})
                return app
            """, line=5, count=4, fixed="""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.config["SESSION_COOKIE_SECURE"] = True
                app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
                app.config.from_mapping({"REMEMBER_COOKIE_SECURE": True})
                return app
            """),
        Flag("""
            from flask import make_response, redirect

            def login_response(token):
                resp = make_response(redirect("/"))
                resp.set_cookie("access_token", token, max_age=3600)
                return resp
            """, line=5, note="session/token cookie without secure and httponly", fixed="""
            from flask import make_response, redirect

            def login_response(token):
                resp = make_response(redirect("/"))
                resp.set_cookie("access_token", token, max_age=3600, secure=True, httponly=True)
                return resp
            """),
        Flag("""
            from fastapi import FastAPI, Response

            app = FastAPI()

            @app.post("/login")
            def login(response: Response):
                response.set_cookie(key="session", value=make_token(), httponly=True, secure=False)
                return {"ok": True}
            """, line=7, fixed="""
            from fastapi import FastAPI, Response

            app = FastAPI()

            @app.post("/login")
            def login(response: Response):
                response.set_cookie(key="session", value=make_token(), httponly=True, secure=True)
                return {"ok": True}
            """),
        Flag("""
            from django.conf import settings
            from django.http import HttpResponseRedirect

            def sso_callback(request):
                response = HttpResponseRedirect("/")
                response.set_cookie(settings.SESSION_COOKIE_NAME, request.session.session_key, secure=True)
                return response
            """, line=6, note="cookie named by a session setting, httponly missing"),
        Flag("""
            from flask import Flask

            class Config:
                SESSION_COOKIE_SECURE: bool = False

            def create_app(resp, token):
                app = Flask(__name__)
                app.config.update(**{"REMEMBER_COOKIE_HTTPONLY": False})
                resp.set_cookie("session", token, 3600, None, "/", None, False, True)
                return app
            """, line=4, count=3, note="annotated setting, an unpacked dict, flags passed by position", fixed="""
            from flask import Flask

            class Config:
                SESSION_COOKIE_SECURE: bool = True

            def create_app(resp, token):
                app = Flask(__name__)
                app.config.update(**{"REMEMBER_COOKIE_HTTPONLY": True})
                resp.set_cookie("session", token, 3600, None, "/", None, True, True)
                return app
            """),
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

    # Only modules with a weakened cookie setting or a set_cookie call for a
    # credential cookie are parsed.
    ast_trigger_types = (ast.Assign, ast.AnnAssign, ast.Call)

    @staticmethod
    def ast_trigger(node: ast.AST, facts) -> bool:
        if not isinstance(node, ast.Call):
            return any(_ast_insecure(t.id if isinstance(t, ast.Name) else ast_key(t), node.value)
                       for t in ast_targets(node))
        func = node.func
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr == "set_cookie":
            return _ast_weak_set_cookie(node)
        if func.attr not in APP_METHODS_CONFIG:
            return False
        if any(_ast_insecure(k.arg, k.value) for k in node.keywords):
            return True
        mappings = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
        mappings += [k.value for k in node.keywords if k.arg is None]  # update(**{...})
        return any(_ast_insecure(ast_text(key), value) for mapping in mappings if isinstance(mapping, ast.Dict)
                   for key, value in zip(mapping.keys, mapping.values))


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
        targets, value = assignment_parts(node)
        if value is None:
            return
        for target in targets:
            if isinstance(target, cst.Name) and target.value in COOKIE_SETTINGS:
                key = target.value
                if not _is_insecure(value, COOKIE_SETTINGS[key][0]) or self._skip():
                    continue
                owner = self.current_class
                if (owner is not None and not owner.dev_or_test and not owner.env_driven) or self.at_module_level:
                    self.report_setting(key, value, self._message(key), fix=self._setting_fix(key, value))
            elif isinstance(target, cst.Subscript):
                key = subscript_key(target)
                if key in COOKIE_SETTINGS and _is_insecure(value, COOKIE_SETTINGS[key][0]) and not self._skip():
                    self.report(value, self._message(key), fix=self._setting_fix(key, value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "set_cookie":
            self._set_cookie(node)
            return
        # app.config.update(SESSION_COOKIE_SECURE=False) / app.config.from_mapping({...}); a dict
        # elsewhere (a framework's table of defaults, a local-development preset) is not config in force
        if not is_config_update(node) or self._skip():
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in COOKIE_SETTINGS:
                key = arg.keyword.value
                if _is_insecure(arg.value, COOKIE_SETTINGS[key][0]):
                    self.report(arg.value, self._message(key), fix=self._setting_fix(key, arg.value))
            elif arg.keyword is None and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement):
                        key = string_value(element.key)
                        if key in COOKIE_SETTINGS and _is_insecure(element.value, COOKIE_SETTINGS[key][0]):
                            self.report(element.value, self._message(key),
                                        fix=self._setting_fix(key, element.value))

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
        edits = []
        missing = []
        for flag, position in SET_COOKIE_POSITIONS.items():
            arg = keyword_arg(node, flag) or positional_arg(node, position)
            if arg is None:
                weak.append(flag)
                missing.append(flag)
            elif literal_false(arg.value):
                weak.append(flag)
                at = arg.value if at is node else at
                edits.append(self.replace(arg.value, "True"))
        if weak:
            wanted = " and ".join(f"`{flag}=True`" for flag in weak)
            if missing:
                added = "".join(f", {flag}=True" for flag in missing)
                edits.append(self.insert_after(node.args[-1].value, added))
            fix = self.fix(f"Pass {wanted} (unsafe: the cookie is then not sent over plain HTTP nor readable "
                           f"from JavaScript; check nothing relies on that).", *edits, safe=False)
            self.report(at, f"Pass {wanted} to `set_cookie` for the `{cookie}` cookie so it is only sent over "
                            f"HTTPS and hidden from JavaScript.", fix=fix)

    def _setting_fix(self, key: str, value: cst.BaseExpression):
        _, safe, purpose = COOKIE_SETTINGS[key]
        return self.fix(f"Set `{key}` to {safe} (unsafe: then {purpose}; a development server on plain HTTP "
                        f"needs its own setting).", self.replace(value, safe), safe=False)

    @staticmethod
    def _is_deletion(node: cst.Call) -> bool:
        for flag in ("expires", "max_age"):
            arg = keyword_arg(node, flag)
            if arg is not None and isinstance(arg.value, cst.Integer) and arg.value.value == "0":
                return True
        value = keyword_arg(node, "value") or positional_arg(node, 1)
        return value is not None and string_value(value.value) == "" and keyword_arg(node, "expires") is not None
