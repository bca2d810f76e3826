"""BP305: a JWT issued without an `exp` claim."""

from __future__ import annotations

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_jwt import ENCODE_CALLS, EXP_FIX, JwtRule, dict_literal, jwt_call
from bplint.rules._origins import last_name
from bplint.rules._secret_names import name_words

# Words that make a token a one-time signed value rather than a login (`reset_token`, `confirm_email`).
ONE_TIME_WORDS = frozenset({"reset", "confirm", "confirmation", "verify", "verification", "activate",
                            "activation", "invite", "invitation", "unsubscribe", "magic", "onetime", "otp"})
# Claims that say when a token was made, for a reader that checks its age itself.
ISSUE_TIME_CLAIMS = frozenset({"iat", "issued_at", "created", "created_at", "timestamp", "ts", "time"})
TIME_CALLS = frozenset({"time", "now", "utcnow", "today", "timestamp"})


class JwtNoExpiry(JwtRule):
    code = "BP305"
    name = "jwt-no-expiry"
    category = "authentication"
    severity = Severity.WARNING
    precision = Precision(0, 1, "2026-12-02", debatable=1, unseen=(0, 1))
    preview = True
    roles = APPLICATION_ONLY
    cwe = (613,)
    uses_bindings = True
    summary = "JWT issued without an `exp` claim"
    what = ("Reports `jwt.encode(payload, ...)` (PyJWT or python-jose) where the payload is a dict literal, or "
            "a name bound to one in the same function, without an `\"exp\"` key; keys added afterwards "
            "(`payload[\"exp\"] = ...`, `payload.update(exp=...)`) count. Payloads built elsewhere, unsigned "
            "assertions (`algorithm=\"none\"`: not a credential at all) and one-time values that carry the time "
            "they were made for a reader that checks their age (a password-reset or e-mail-confirmation token "
            "with `iat`) are left alone.")
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
        Quiet("""
            import time

            import jwt
            from flask import current_app

            def password_reset_token(user):
                payload = {"reset_password": user.id, "iat": int(time.time())}
                return jwt.encode(payload, current_app.config["SECRET_KEY"], algorithm="HS256")

            def load_reset_token(token, max_age=3600):
                claims = jwt.decode(token, current_app.config["SECRET_KEY"], algorithms=["HS256"])
                if time.time() - claims["iat"] > max_age:
                    return None
                return claims["reset_password"]
            """, note="a one-time reset token whose age its reader checks"),
        Quiet("""
            import jwt

            class PartnerClient:
                def __init__(self, client_id, merchant_id):
                    self.client_id = client_id
                    self.merchant_id = merchant_id

                def auth_assertion(self):
                    return jwt.encode({"iss": self.client_id, "payer_id": self.merchant_id}, key=None,
                                      algorithm="none")
            """, note="an unsigned assertion header, not a credential"),
        Flag("""
            from datetime import datetime, timezone

            import jwt

            def login_token(user, key):
                payload = {"sub": str(user.id), "iat": datetime.now(timezone.utc)}
                return jwt.encode(payload, key, algorithm="HS256")
            """, line=7, note="a login token with only its issue time"),
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
            keys = dict_literal(first) if first is not None and func.attr.value == "update" else None
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

    def _one_time(self, keys: dict[str, cst.BaseExpression]) -> bool:
        """A one-time value (by its claims or its function's name) that carries its issue time."""
        if not any(key.lower() in ISSUE_TIME_CLAIMS or _time_value(value) for key, value in keys.items()):
            return False
        function = self.ctx.bindings.function if self.ctx.bindings is not None else None
        words = set(name_words(function.name.value)) if isinstance(function, cst.FunctionDef) else set()
        for key, value in keys.items():
            words.update(name_words(key))
            text = string_value(value)
            if text is not None and len(text) < 40:
                words.update(name_words(text))
        return bool(words & ONE_TIME_WORDS)

    def _check_encode(self, node: cst.Call) -> None:
        payload = keyword_arg(node, "payload") or keyword_arg(node, "claims") or positional_arg(node, 0)
        if payload is None:
            return
        expr = payload.value
        keys = dict_literal(expr)
        if keys is None and isinstance(expr, cst.Name) and self.ctx.bindings is not None:
            key = self._key(expr.value)
            binding = self.ctx.bindings.only(expr.value)
            if key in self._unknown or binding is None or binding.kind not in ("assign", "annassign"):
                return
            keys = dict_literal(binding.value)
            if keys is None:
                return
            keys = {**keys, **{k: expr for k in self._added.get(key, ())}}
        if keys is None or "exp" in keys:
            return
        if _unsigned(node) or self._one_time(keys):
            return
        self.report(node, f"This token never expires; add {EXP_FIX} to the payload.")


def _unsigned(call: cst.Call) -> bool:
    """`algorithm="none"`: an unsigned assertion that nothing may trust, so nothing to expire."""
    algorithm = keyword_arg(call, "algorithm") or positional_arg(call, 2)
    return algorithm is not None and (string_value(algorithm.value) or "").lower() == "none"


def _time_value(value: cst.BaseExpression) -> bool:
    """`time.time()`, `datetime.now(...)`, `int(time.time())`, `timezone.now().timestamp()`."""
    while isinstance(value, cst.Call):
        if last_name(value.func) in TIME_CALLS:
            return True
        if isinstance(value.func, cst.Name) and value.func.value in ("int", "round", "str") and value.args:
            value = value.args[0].value
        elif isinstance(value.func, cst.Attribute):
            value = value.func.value
        else:
            return False
    return False
