"""BP304: a JWT decoded without checking its signature, or with `none` among the algorithms."""

from __future__ import annotations

import libcst as cst

from bplint.findings import Severity
from bplint.names import keyword_arg, positional_arg, string_value
from bplint.roles import APPLICATION_ONLY
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_jwt import DECODE_CALLS, JwtRule, is_false, jwt_call, unverified_signature


class JwtUnverified(JwtRule):
    code = "BP304"
    name = "jwt-unverified"
    category = "authentication"
    severity = Severity.ERROR
    precision = Precision(0, 2, "2026-12-01")
    preview = True
    roles = APPLICATION_ONLY
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
        Flag("""
            from jwt import decode as jwt_decode

            def read(token, key):
                return jwt_decode(token, key)
            """, line=4, note="decode imported under another name"),
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
        if verify is not None and is_false(verify.value):
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
