"""BP3 JSON Web Tokens: unverified decoding, tokens without expiry, decode errors not handled.

PyJWT (`import jwt`) and python-jose (`from jose import jwt`) are told apart
by the qualified name of the call, so a project function called `decode`
or a project module named `jwt` is never mistaken for them.
"""

from __future__ import annotations

import libcst as cst

from bplint.findings import Severity
from bplint.names import keyword_arg, positional_arg, string_value
from bplint.origins import auth_facts, last_name
from bplint.rule import Flag, PythonRule, Quiet

DECODE_CALLS = {"jwt.decode": "pyjwt", "jwt.api_jwt.decode": "pyjwt", "jwt.PyJWT().decode": "pyjwt",
                "jwt.api_jwt.PyJWT().decode": "pyjwt", "jose.jwt.decode": "jose"}
ENCODE_CALLS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.PyJWT().encode", "jwt.api_jwt.PyJWT().encode",
                          "jose.jwt.encode"})
# Exception classes that catch an expired or invalid token (or a base class of them).
JWT_ERRORS = frozenset({"ExpiredSignatureError", "InvalidTokenError", "PyJWTError", "JWTError", "JOSEError",
                        "JWTClaimsError"})
BROAD_ERRORS = frozenset({"builtins.Exception", "builtins.BaseException"})
EXP_FIX = '`"exp": datetime.now(timezone.utc) + timedelta(minutes=15)`'


class _JwtRule(PythonRule):
    uses_bindings = True

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "jwt" in ctx.text and ctx.imports_any("jwt", "jose")


def jwt_call(rule: PythonRule, call: cst.Call) -> str | None:
    """The qualified name of a PyJWT/python-jose call (None when `jwt` is a project module)."""
    qualified = _qualified(rule, call.func)
    if qualified is None or not qualified.startswith(("jwt.", "jose.")):
        return None
    if rule.ctx.index.module_by_name(qualified.split(".", 1)[0]) is not None:
        return None  # the project's own `jwt` module
    return qualified


def _qualified(rule: PythonRule, func: cst.BaseExpression) -> str | None:
    qualified = rule.ctx.qualified_name(func)
    if qualified is None and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        inner = rule.ctx.qualified_name(func.value.func)  # jwt.PyJWT().decode
        if inner:
            qualified = f"{inner}().{func.attr.value}"
    return qualified


def _dict_literal(expr: cst.BaseExpression | None) -> dict[str, cst.BaseExpression] | None:
    """String keys and values of a dict display or `dict(...)` call; None when keys are not all known."""
    if isinstance(expr, cst.Dict):
        found: dict[str, cst.BaseExpression] = {}
        for element in expr.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key = string_value(element.key)
            if key is None:
                return None
            found[key] = element.value
        return found
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict":
        if any(arg.keyword is None for arg in expr.args):
            return None
        return {arg.keyword.value: arg.value for arg in expr.args if arg.keyword is not None}
    return None


def _bound(rule: PythonRule, expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, cst.Name) and rule.ctx.bindings is not None:
        binding = rule.ctx.bindings.only(expr.value)
        if binding is not None and binding.value is not None and binding.kind == "assign":
            return binding.value
    return expr


def unverified_signature(rule: PythonRule, call: cst.Call) -> bool:
    """`options={"verify_signature": False}` on a decode call."""
    options = keyword_arg(call, "options") or positional_arg(call, 3)
    option_values = _dict_literal(_bound(rule, options.value)) if options is not None else None
    return option_values is not None and _is_false(option_values.get("verify_signature"))


def _is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


# --- BP304 --------------------------------------------------------------------------------


class JwtUnverified(_JwtRule):
    code = "BP304"
    name = "jwt-unverified"
    category = "authentication"
    severity = Severity.ERROR
    cwe = (347,)
    uses_bindings = True
    summary = "JWT decoded without verifying its signature or algorithm"
    what = ("Reports `jwt.decode(...)` (PyJWT or python-jose) with `options={\"verify_signature\": False}`, "
            "the legacy `verify=False`, an `algorithms` list that allows `\"none\"`, or no `algorithms=` at all.")
    why = ("A token whose signature is not checked can be forged by anyone: change `sub` to the admin's id and "
           "you are the admin. Without a fixed algorithm list an attacker picks the algorithm (`none`, or "
           "HS256 signed with the public RSA key).")
    how_to_fix = 'Decode with the key and a fixed algorithm list: `jwt.decode(token, key, algorithms=["HS256"])`.'
    bad = 'import jwt\n\n\ndef current_user_id(token):\n    return jwt.decode(token, options={"verify_signature": False})["sub"]\n'
    good = ('import jwt\n\n\ndef current_user_id(token, key):\n'
            '    return jwt.decode(token, key, algorithms=["HS256"])["sub"]\n')
    examples = (
        Flag("""
            import jwt

            def read(token):
                return jwt.decode(token, options={"verify_signature": False})
            """, line=4),
        Flag("""
            import jwt

            SECRET = "x"

            def read(token):
                return jwt.decode(token, SECRET, verify=False)

            def read2(token):
                return jwt.decode(token, SECRET)

            def read3(token):
                return jwt.decode(token, SECRET, algorithms=["HS256", "none"])
            """, line=6, count=3, note="verify=False, no algorithms, alg none"),
        Flag("""
            from jose import jwt

            def claims(token, key):
                opts = {"verify_signature": False, "verify_aud": False}
                return jwt.decode(token, key, algorithms=["RS256"], options=opts)
            """, line=5, note="python-jose, options through a local name"),
        Quiet("""
            import jwt
            from jose import jwt as jose_jwt

            def read(token, key):
                return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp"]})

            def read_jose(token, key):
                return jose_jwt.decode(token, key, algorithms=["RS256"])

            def read_all(token, key, **kwargs):
                return jwt.decode(token, key, **kwargs)
            """),
        Quiet("""
            from .tokens import decode

            def read(token):
                return decode(token)
            """, path="app/views.py",
            files={"app/__init__.py": "", "app/tokens.py": "def decode(token):\n    return token\n"},
            note="a project function called decode"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._targets: dict[int, list[str]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value.value if isinstance(node.value, cst.Subscript) else node.value
        self._targets[id(value)] = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = jwt_call(self, node)
        if qualified not in DECODE_CALLS:
            return
        if unverified_signature(self, node):
            if any("unverified" in name.lower() for name in self._targets.get(id(node), ())):
                return  # read on purpose before a verified decode (to pick the key)
            self.report(node, "This decodes the token without checking its signature; pass the key and "
                              "`algorithms=[\"HS256\"]` and drop `verify_signature: False`.")
            return
        verify = keyword_arg(node, "verify")
        if verify is not None and _is_false(verify.value):
            self.report(node, "`verify=False` skips the signature check; pass the key and "
                              "`algorithms=[\"HS256\"]` instead.")
            return
        algorithms = keyword_arg(node, "algorithms") or positional_arg(node, 2)
        if algorithms is None:
            if any(arg.star == "**" for arg in node.args):
                return
            self.report(node, "Pin the accepted algorithms (`algorithms=[\"HS256\"]`) so the token cannot "
                              "choose its own.")
            return
        values = algorithms.value
        elements = [values] if isinstance(values, cst.SimpleString) else \
            [e.value for e in values.elements] if isinstance(values, (cst.List, cst.Tuple, cst.Set)) else []
        if any((string_value(e) or "").lower() == "none" for e in elements):
            self.report(node, "Remove `\"none\"` from `algorithms`: it accepts unsigned tokens; use "
                              "`algorithms=[\"HS256\"]`.")



# --- BP305 --------------------------------------------------------------------------------


class JwtNoExpiry(_JwtRule):
    code = "BP305"
    name = "jwt-no-expiry"
    category = "authentication"
    severity = Severity.WARNING
    cwe = (613,)
    uses_bindings = True
    summary = "JWT issued without an `exp` claim"
    what = ("Reports `jwt.encode(payload, ...)` (PyJWT or python-jose) where the payload is a dict literal, or "
            "a name bound to one in the same function, without an `\"exp\"` key; keys added afterwards "
            "(`payload[\"exp\"] = ...`, `payload.update(exp=...)`) count. Payloads built elsewhere are left alone.")
    why = "A token without expiry stays valid forever: a leaked token is a permanent login."
    how_to_fix = f"Add an expiry claim: {EXP_FIX}."
    bad = 'import jwt\n\n\ndef issue(user_id, key):\n    return jwt.encode({"sub": str(user_id)}, key, algorithm="HS256")\n'
    good = ('from datetime import datetime, timedelta, timezone\n\nimport jwt\n\n\ndef issue(user_id, key):\n'
            '    payload = {"sub": str(user_id), "exp": datetime.now(timezone.utc) + timedelta(minutes=15)}\n'
            '    return jwt.encode(payload, key, algorithm="HS256")\n')
    examples = (
        Flag("""
            import jwt

            def issue(user, key):
                return jwt.encode({"sub": user.id, "role": user.role}, key, algorithm="HS256")
            """, line=4),
        Flag("""
            from jose import jwt

            def issue(user, key):
                payload = {"sub": str(user.id)}
                payload["scope"] = "read"
                token = jwt.encode(payload, key, algorithm="HS256")
                return token
            """, line=6, note="a local dict, a later key that is not exp"),
        Quiet("""
            from datetime import datetime, timedelta, timezone
            import jwt

            def issue(user, key):
                payload = {"sub": str(user.id)}
                payload["exp"] = datetime.now(timezone.utc) + timedelta(hours=1)
                return jwt.encode(payload, key, algorithm="HS256")

            def issue2(data: dict, key):
                to_encode = data.copy()
                to_encode.update({"exp": datetime.now(timezone.utc) + timedelta(minutes=15)})
                return jwt.encode(to_encode, key, algorithm="HS256")

            def issue3(claims, key):
                return jwt.encode(claims, key, algorithm="HS256")

            def issue4(user, key):
                return jwt.encode(dict(sub=user.id, exp=datetime.now(timezone.utc)), key, algorithm="HS256")
            """, note="exp added later, a payload from elsewhere, dict()"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # per function: names whose keys are no longer known, and keys added by name
        self._added: dict[tuple[int, str], set[str]] = {}
        self._unknown: set[tuple[int, str]] = set()

    def _key(self, name: str) -> tuple[int, str]:
        return (id(self.ctx.bindings.function) if self.ctx.bindings else 0, name)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            sub = target.target
            if isinstance(sub, cst.Subscript) and isinstance(sub.value, cst.Name):
                key = None
                if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
                    key = string_value(sub.slice[0].slice.value)
                if key is None:
                    self._unknown.add(self._key(sub.value.value))
                else:
                    self._added.setdefault(self._key(sub.value.value), set()).add(key)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._unknown.add(self._key(node.target.value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                func.attr.value in ("update", "setdefault", "__setitem__"):
            key = self._key(func.value.value)
            first = node.args[0].value if node.args and node.args[0].keyword is None else None
            keys = _dict_literal(first) if first is not None and func.attr.value == "update" else None
            if func.attr.value == "setdefault" and first is not None and string_value(first):
                keys = {string_value(first): first}
            if first is not None and keys is None:
                self._unknown.add(key)
            else:
                added = self._added.setdefault(key, set())
                added.update(keys or {})
                added.update(arg.keyword.value for arg in node.args if arg.keyword is not None)
            return
        qualified = jwt_call(self, node)
        if qualified in ENCODE_CALLS:
            self._check_encode(node)
            return
        for arg in node.args:  # the payload handed to other code may get its exp there
            if isinstance(arg.value, cst.Name):
                self._unknown.add(self._key(arg.value.value))

    def _check_encode(self, node: cst.Call) -> None:
        payload = keyword_arg(node, "payload") or keyword_arg(node, "claims") or positional_arg(node, 0)
        if payload is None:
            return
        expr = payload.value
        keys = _dict_literal(expr)
        if keys is None and isinstance(expr, cst.Name) and self.ctx.bindings is not None:
            key = self._key(expr.value)
            binding = self.ctx.bindings.only(expr.value)
            if key in self._unknown or binding is None or binding.kind not in ("assign", "annassign"):
                return
            keys = _dict_literal(binding.value)
            if keys is None:
                return
            keys = {**keys, **{k: expr for k in self._added.get(key, ())}}
        if keys is None or "exp" in keys:
            return
        self.report(node, f"This token never expires; add {EXP_FIX} to the payload.")


# --- BP306 --------------------------------------------------------------------------------


class JwtErrorsUnhandled(_JwtRule):
    code = "BP306"
    name = "jwt-errors-unhandled"
    category = "authentication"
    severity = Severity.WARNING
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
        name = self._functions[-1] if self._functions else None
        for facts in self.ctx.index.modules.values():
            auth = auth_facts(facts)
            if auth is None:
                continue
            if auth.jwt_handler or (name is not None and name in auth.jwt_guarded):
                return True
        return False


def _contains(body: cst.CSTNode, target: cst.CSTNode) -> bool:
    stack = [body]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        stack.extend(node.children)
    return False
