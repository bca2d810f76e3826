"""BP306: a JWT decoded where an expired or forged token raises out of the request (a server error)."""

from __future__ import annotations

import libcst as cst

from bplint.findings import Severity
from bplint.rules._origins import last_name
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_jwt import BROAD_ERRORS, DECODE_CALLS, JWT_ERRORS, JwtRule, jwt_call, unverified_signature
from bplint.rules._auth_project import auth_project
from bplint.roles import APPLICATION_ONLY


class JwtErrorsUnhandled(JwtRule):
    code = "BP306"
    name = "jwt-errors-unhandled"
    category = "authentication"
    severity = Severity.WARNING
    precision = Precision(1, 2, "2026-12-01")
    preview = True
    roles = APPLICATION_ONLY
    cwe = (755,)
    uses_bindings = True
    summary = "`jwt.decode` without a handler for expired or invalid tokens"
    what = ("Reports `jwt.decode(...)` (PyJWT or python-jose) that is not inside a `try` whose handlers catch "
            "`ExpiredSignatureError`, `InvalidTokenError`, `PyJWTError` or `JWTError` (or a base class such as "
            "`Exception`). A helper whose callers wrap it in such a `try`, and projects that register an error "
            "handler for these exceptions, are left alone.")
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
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._tries: list[cst.Try | cst.TryStar] = []
        self._functions: list[str] = []
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

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

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
        for try_node in self._tries:
            if self._catches(try_node) and _contains(try_node.body, node):
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

    def _catches(self, node: cst.Try | cst.TryStar) -> bool:
        return any(self._handles(handler.type) for handler in node.handlers)

    def _handles(self, kind: cst.BaseExpression | None) -> bool:
        if kind is None:
            return True
        if isinstance(kind, cst.Tuple):
            return any(self._handles(e.value) for e in kind.elements)
        qualified = self.ctx.qualified_name(kind)
        name = last_name(kind) or ""
        if name in JWT_ERRORS or qualified in BROAD_ERRORS:
            return True
        if qualified is not None and (qualified.startswith(("jwt.", "jose.", "builtins."))):
            return False  # another JWT error (DecodeError) or an unrelated builtin (KeyError)
        # a project exception or a tuple built elsewhere: it may include them (prefer quiet)
        return True

    def _guarded_elsewhere(self) -> bool:
        """A JWT error handler is registered, or this function is called inside a `try` that catches
        JWT errors, somewhere in the project (depends on every module: asked last)."""
        name = self._functions[-1] if self._functions else None
        view = auth_project(self.ctx.index)
        return view.jwt_handler or (name is not None and name in view.jwt_guarded)


def _contains(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    stack = [body]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False
