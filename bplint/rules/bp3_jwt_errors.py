"""BP306: a JWT decoded where an expired or forged token raises out of the request (a server error)."""

from __future__ import annotations

import libcst as cst

from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_index import auth_facts
from bplint.rules._auth_jwt import BROAD_ERRORS, DECODE_CALLS, JWT_ERRORS, JwtRule, jwt_call, option_off, unverified_signature
from bplint.rules._auth_project import auth_project
from bplint.rules._origins import last_name


# the errors of a token that is malformed or wrongly signed (PyJWT's DecodeError and its subclass)
DECODE_ERRORS = frozenset({"DecodeError", "InvalidSignatureError"})


class JwtErrorsUnhandled(JwtRule):
    code = "BP306"
    name = "jwt-errors-unhandled"
    category = "authentication"
    severity = Severity.WARNING
    precision = Precision(3, 4, "2026-12-02", unseen=(2, 4))
    preview = True
    roles = APPLICATION_ONLY
    cwe = (755,)
    uses_bindings = True
    summary = "`jwt.decode` without a handler for expired or invalid tokens"
    what = ("Reports `jwt.decode(...)` (PyJWT or python-jose) that is not inside a `try` whose handlers catch "
            "`ExpiredSignatureError`, `InvalidTokenError`, `PyJWTError` or `JWTError` (or a base class such as "
            "`Exception`). A helper whose callers wrap it in such a `try` (or, in its own module, whose every "
            "caller is called so, one or two levels up), and projects that register an error handler or a "
            "middleware for these exceptions, are left alone. A decode that turns expiry checks off "
            "(`options={\"verify_exp\": False}`, also set on the options dict before the call) needs only "
            "a handler for `DecodeError` (a malformed or wrongly signed token).")
    why = ("Every expired or tampered token then becomes a 500 error with a stack trace instead of a 401, and "
           "clients cannot tell a server fault from a stale login.")
    how_to_fix = ("Wrap the decode in `try: ... except jwt.ExpiredSignatureError: ... except "
                  "jwt.InvalidTokenError: ...` and answer 401.")
    bad = ('import jwt\n\n\ndef current_user_id(token, key):\n'
           '    return jwt.decode(token, key, algorithms=["HS256"])["sub"]\n')
    good = ('import jwt\n\n\ndef current_user_id(token, key):\n    try:\n'
            '        return jwt.decode(token, key, algorithms=["HS256"])["sub"]\n'
            '    except jwt.ExpiredSignatureError:\n        raise Unauthorized("token expired")\n'
            '    except jwt.InvalidTokenError:\n        raise Unauthorized("invalid token")\n')
    examples = (
        Flag("""
            import jwt
            from flask import request

            def me():
                token = request.headers["Authorization"].removeprefix("Bearer ")
                try:
                    claims = jwt.decode(token, "k", algorithms=["HS256"])
                except KeyError:
                    return {"error": "bad header"}, 400
                return {"id": claims["sub"]}
            """, line=7, note="a try whose handler does not catch token errors"),
        Flag("""
            from jose import jwt, JWTError

            def read(token, key):
                try:
                    pass
                except JWTError:
                    return None
                finally:
                    return jwt.decode(token, key, algorithms=["HS256"])
            """, line=9, note="in `finally`, not in the guarded body"),
        Quiet("""
            import jwt
            from jwt.exceptions import ExpiredSignatureError
            from jose import jwt as jose_jwt, JWTError

            def a(token, key):
                try:
                    return jwt.decode(token, key, algorithms=["HS256"])
                except (ExpiredSignatureError, KeyError):
                    return None

            def b(token, key):
                try:
                    return jose_jwt.decode(token, key, algorithms=["HS256"])
                except JWTError:
                    return None

            def c(token, key):
                try:
                    return jwt.decode(token, key, algorithms=["HS256"])
                except Exception:
                    return None
            """),
        Quiet("""
            import jwt

            class TokenReader:
                def __init__(self, public_keys):
                    self.public_keys = public_keys

                def read(self, token):
                    options = {}
                    options["verify_exp"] = False  # expiry is checked against the token store
                    for key in self.public_keys:
                        try:
                            return jwt.decode(token, key, algorithms=["ES256"], options=options)
                        except (jwt.InvalidSignatureError, jwt.DecodeError):
                            continue
                    raise LookupError(token)
            """, note="expiry is not verified here, and the decode errors are caught"),
        Flag("""
            import jwt

            def read(token, key):
                try:
                    return jwt.decode(token, key, algorithms=["ES256"])
                except jwt.DecodeError:
                    return None
            """, line=5, note="an expired token still raises"),
        Quiet("""
            import jwt

            from .tokens import decode_token

            def me(token):
                try:
                    return decode_token(token)
                except jwt.PyJWTError:
                    return None
            """, path="app/views.py",
            files={"app/__init__.py": "",
                   "app/tokens.py": "import jwt\n\n\ndef decode_token(token):\n"
                                    "    return jwt.decode(token, 'k', algorithms=['HS256'])\n"},
            note="the helper's callers handle the errors"),
        Quiet("""
            import logging

            import jwt

            log = logging.getLogger(__name__)

            class Connection:
                def __init__(self, key):
                    self.key = key

                def check_proof(self, message):
                    return jwt.decode(message["proof"], self.key, algorithms=["EdDSA"], audience="ws")

                async def handshake(self, message):
                    claims = self.check_proof(message)
                    return claims["sub"]

                async def run(self, message):
                    try:
                        return await self.handshake(message)
                    except Exception:
                        log.exception("handshake failed")
                        return None
            """, path="app/connection.py", files={"app/__init__.py": ""},
            note="the caller's caller catches the errors"),
        Quiet("""
            import jwt
            from starlette.middleware.base import BaseHTTPMiddleware
            from starlette.responses import JSONResponse

            class TokenErrors(BaseHTTPMiddleware):
                async def dispatch(self, request, call_next):
                    try:
                        return await call_next(request)
                    except jwt.InvalidTokenError:
                        return JSONResponse({"detail": "invalid token"}, status_code=401)

            def current_claims(request, key):
                token = request.headers["Authorization"].removeprefix("Bearer ")
                return jwt.decode(token, key, algorithms=["HS256"])
            """, path="app/auth.py", files={"app/__init__.py": ""},
            note="a middleware answers token errors for every request"),
        Flag("""
            import jwt

            class Connection:
                def check_proof(self, message):
                    return jwt.decode(message["proof"], "k", algorithms=["HS256"])

                async def handshake(self, message):
                    return self.check_proof(message)["sub"]

                async def resume(self, message):
                    return await self.handshake(message)

                async def first(self, message):
                    return await self.handshake(message)

                async def run(self, message):
                    try:
                        return await self.resume(message)
                    except Exception:
                        return None
            """, path="app/connection.py", files={"app/__init__.py": ""}, line=5,
            note="one of the callers' callers lets the error out"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._tries: list[cst.Try | cst.TryStar] = []
        self._functions: list[str] = []
        self._scopes: list[str] = []  # names of the classes and functions being walked, outermost first
        self._withs: list[cst.With] = []

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append(node)

    def leave_Try(self, node: cst.Try) -> None:
        self._tries.pop()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._tries.append(node)

    def leave_TryStar(self, node: cst.TryStar) -> None:
        self._tries.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        self._scopes.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_With(self, node: cst.With) -> None:
        self._withs.append(node)

    def leave_With(self, node: cst.With) -> None:
        self._withs.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if DECODE_CALLS.get(jwt_call(self, node) or "") is None:
            return
        if unverified_signature(self, node):
            return  # nothing expires or fails to verify; BP304 reports the call
        if any(self._handling_context(item.item) for w in self._withs for item in w.items):
            return
        # with `options={"verify_exp": False}` nothing expires here: catching the decode errors (a forged,
        # malformed or wrongly signed token) handles what can be raised
        no_expiry = option_off(self, node, "verify_exp")
        for try_node in self._tries:
            if self._catches(try_node, no_expiry) and _contains(try_node.body, node):
                return
        if self._guarded_elsewhere():
            return
        self.report(node, "An expired or forged token raises here and becomes a server error; catch "
                          "`jwt.ExpiredSignatureError` and `jwt.InvalidTokenError` and answer 401.")

    def _handling_context(self, item: cst.BaseExpression) -> bool:
        """`with suppress(jwt.PyJWTError)`, `with TokenError.handle_errors(...)`."""
        if not isinstance(item, cst.Call):
            return False
        name = (last_name(item.func) or "").lower()
        if any(word in name for word in ("suppress", "error", "handle", "catch", "raises")):
            return True
        return any(self._handles(arg.value) and last_name(arg.value) in JWT_ERRORS for arg in item.args)

    def _catches(self, node: cst.Try | cst.TryStar, no_expiry: bool = False) -> bool:
        return any(self._handles(handler.type, no_expiry) for handler in node.handlers)

    def _handles(self, kind: cst.BaseExpression | None, no_expiry: bool = False) -> bool:
        if kind is None:
            return True
        if isinstance(kind, cst.Tuple):
            return any(self._handles(e.value, no_expiry) for e in kind.elements)
        qualified = self.ctx.qualified_name(kind)
        name = last_name(kind) or ""
        if name in JWT_ERRORS or qualified in BROAD_ERRORS or (no_expiry and name in DECODE_ERRORS):
            return True
        if qualified is not None and (qualified.startswith(("jwt.", "jose.", "builtins."))):
            return False  # another JWT error (DecodeError) or an unrelated builtin (KeyError)
        # a project exception or a tuple built elsewhere: it may include them (prefer quiet)
        return True

    def _guarded_elsewhere(self) -> bool:
        """A JWT error handler or middleware is registered, or this function is called inside a `try`
        that catches JWT errors somewhere in the project, or every function of this module that calls
        it is (one or two levels up). Depends on every module: asked last."""
        view = auth_project(self.ctx.index)
        if view.jwt_handler:
            return True
        if not self._functions:
            return False
        if self._functions[-1] in view.jwt_guarded:
            return True
        # the top-level function or method around the call, as the index names it
        auth = auth_facts(self.ctx.facts)
        calls = auth.calls if auth is not None else {}
        local = ".".join(self._scopes[:2])
        if local not in calls:
            local = self._scopes[0]
        return _called_guarded(local, calls, view.jwt_guarded, 2)


def _called_guarded(function: str, calls: dict[str, set[str]], guarded: set[str], levels: int) -> bool:
    """``function`` ("f" or "Class.method") is called inside a `try` that catches JWT errors, or it
    has callers in its module and, up to ``levels`` levels up, every one of them is."""
    name = function.rsplit(".", 1)[-1]
    if name in guarded:
        return True
    if levels <= 0:
        return False
    callers = [caller for caller, called in calls.items() if name in called and caller != function]
    return bool(callers) and all(_called_guarded(caller, calls, guarded, levels - 1) for caller in callers)


def _contains(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    stack = [body]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False
