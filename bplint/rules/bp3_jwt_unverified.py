"""BP304: a JWT decoded without checking its signature, or with `none` among the algorithms."""

from __future__ import annotations

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_index import DEFAULT_JWT_ALGORITHM
from bplint.rules._auth_jwt import DECODE_CALLS, JwtRule, is_false, jwt_call, unverified_signature
from bplint.rules._auth_project import auth_project

# Calls that read a token's header without checking it.
UNVERIFIED_HEADER_CALLS = frozenset({"jwt.get_unverified_header", "jwt.api_jws.get_unverified_header",
                                     "jwt.PyJWS().get_unverified_header", "jose.jwt.get_unverified_header",
                                     "jose.jwt.get_unverified_headers", "jose.jws.get_unverified_header",
                                     "jose.jws.get_unverified_headers"})
# Claims that only say when a token expires: reading them unverified decides nothing but timing.
TIME_CLAIMS = frozenset({"exp", "iat", "nbf"})


class JwtUnverified(JwtRule):
    code = "BP304"
    name = "jwt-unverified"
    category = "authentication"
    severity = Severity.ERROR
    precision = Precision(3, 8, "2026-12-02", unseen=(1, 5))
    preview = True
    roles = APPLICATION_ONLY
    cwe = (347,)
    uses_bindings = True
    summary = "JWT decoded without verifying its signature or algorithm"
    what = ("Reports `jwt.decode(...)` (PyJWT or python-jose) with `options={\"verify_signature\": False}`, "
            "the legacy `verify=False`, an `algorithms` list that allows `\"none\"`, an `algorithms` value "
            "taken from the token's own unverified header (`jwt.get_unverified_header(token)[\"alg\"]`), or no "
            "`algorithms=` at all. An unverified read kept in a name that says so (`unverified_claims`), or "
            "whose only use is a time claim (`exp`, `iat`, `nbf`) for refresh timing, is left alone.")
    why = ("A token whose signature is not checked can be forged by anyone: change `sub` to the admin's id and "
           "you are the admin. Without a fixed algorithm list an attacker picks the algorithm (`none`, or "
           "HS256 signed with the public RSA key).")
    how_to_fix = 'Decode with the key and a fixed algorithm list: `jwt.decode(token, key, algorithms=["HS256"])`.'
    bad = 'import jwt\n\n\ndef current_user_id(token):\n    return jwt.decode(token, options={"verify_signature": False})["sub"]\n'
    good = ('import jwt\n\n\ndef current_user_id(token, key):\n'
            '    return jwt.decode(token, key, algorithms=["HS256"])["sub"]\n')
    fix_applicability = "unsafe"
    fix_note = ("A `jwt.decode(...)` without `algorithms=` gets `algorithms=[\"<alg>\"]` when every `jwt.encode` "
                "of the project (outside tests) signs with that one algorithm (`HS256` when the call names none, "
                "as PyJWT and python-jose do). Unsafe: a token the project did not sign itself (another service, "
                "an older key type) is then rejected. No fix when the project encodes with several algorithms or "
                "one that is not a string literal, nor for the other cases (an unverified read, `\"none\"`).")
    examples = (
        Flag("""
            import jwt

            def read(token):
                return jwt.decode(token, options={"verify_signature": False})
            """, line=4),
        Flag("""
            import jwt

            from app.config import SECRET_KEY

            def current_user_id(token):
                claims = jwt.decode(
                    token,
                    SECRET_KEY,  # the signing key
                )
                return claims["sub"]
            """, path="app/auth.py",
             files={"app/__init__.py": "", "app/config.py": "SECRET_KEY = 'x'\n",
                    "app/tokens.py": "import jwt\n\nfrom app.config import SECRET_KEY\n\n\n"
                                     "def issue(user_id):\n"
                                     "    return jwt.encode({'sub': user_id}, SECRET_KEY, algorithm='HS512')\n"},
             line=6, fixed="""
            import jwt

            from app.config import SECRET_KEY

            def current_user_id(token):
                claims = jwt.decode(
                    token,
                    SECRET_KEY, algorithms=["HS512"],  # the signing key
                )
                return claims["sub"]
            """, note="the algorithm of the project's jwt.encode"),
        Flag("""
            from jose import jwt

            def issue(claims, key):
                return jwt.encode(claims, key)

            def read(token, key):
                return jwt.decode(token, key)
            """, line=7, fixed="""
            from jose import jwt

            def issue(claims, key):
                return jwt.encode(claims, key)

            def read(token, key):
                return jwt.decode(token, key, algorithms=["HS256"])
            """, note="python-jose; encode signs with HS256 when it names no algorithm"),
        Flag("""
            import jwt

            def read(token, key):
                return jwt.decode(token, key)
            """, path="app/auth.py",
             files={"app/__init__.py": "",
                    "app/tokens.py": "import jwt\n\n\ndef issue(claims, key, private_key):\n"
                                     "    return jwt.encode(claims, key), jwt.encode(claims, private_key, algorithm='RS256')\n"},
             fixed="""
            import jwt

            def read(token, key):
                return jwt.decode(token, key)
            """, note="no fix: the project signs with two algorithms"),
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
        Flag("""
            import jwt

            def verify(token, public_key):
                header = jwt.get_unverified_header(token)
                return jwt.decode(token, public_key, algorithms=[header["alg"]], audience="api")
            """, line=5, note="the algorithm the token itself names"),
        Flag("""
            from jose import jwt

            def verify(token, keys):
                alg = jwt.get_unverified_header(token).get("alg", "RS256")
                return jwt.decode(token, keys[alg], algorithms=alg)
            """, line=5, note="python-jose, through a local name"),
        Quiet("""
            import time
            import jwt

            def needs_refresh(session):
                expires = jwt.decode(session["id_token"], options={"verify_signature": False}).get("exp")
                return expires is not None and expires - time.time() < 300

            def seconds_left(token):
                claims = jwt.decode(token, options={"verify_signature": False})
                return claims["exp"] - time.time()

            def choose_key(token, keys):
                unverified_claims = jwt.decode(token, options={"verify_signature": False})
                return keys[unverified_claims["iss"]]
            """, note="only the expiry read for refresh timing; an unverified read named so"),
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
        # id of a decode call -> the claim read straight from its result (`jwt.decode(...)["exp"]`)
        self._claims: dict[int, str | None] = {}
        self._functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value.value if isinstance(node.value, cst.Subscript) else node.value
        self._targets[id(value)] = [t.target.value for t in node.targets if isinstance(t.target, cst.Name)]
        if isinstance(node.value, (cst.Subscript, cst.Call)):
            read = _claim_read(node.value)
            if read is not None:
                self._claims[id(read[0])] = read[1]

    def visit_Subscript(self, node: cst.Subscript) -> None:
        read = _claim_read(node)
        if read is not None:
            self._claims.setdefault(id(read[0]), read[1])

    def visit_Call(self, node: cst.Call) -> None:
        read = _claim_read(node)
        if read is not None:
            self._claims.setdefault(id(read[0]), read[1])
        qualified = jwt_call(self, node)
        if qualified not in DECODE_CALLS:
            return
        if unverified_signature(self, node):
            targets = self._targets.get(id(node), ())
            if any("unverified" in name.lower() for name in targets):
                return  # read on purpose before a verified decode (to pick the key)
            if self._reads_only_time_claims(node, targets):
                return  # only when the token expires, to refresh it in time: nothing is authorised from it
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
            known = self._encoded_with()
            algorithm = known or DEFAULT_JWT_ALGORITHM
            self.report(node, f"Pin the accepted algorithms (`algorithms=[\"{algorithm}\"]`) so the token cannot "
                              f"choose its own.", fix=self._algorithms_fix(node, known))
            return
        values = algorithms.value
        if self._from_unverified_header(values):
            self.report(node, "The token picks its own algorithm here (read from its unverified header); "
                              "pass the fixed list the issuer uses, such as `algorithms=[\"RS256\"]`.")
            return
        elements = [values] if isinstance(values, cst.SimpleString) else \
            [e.value for e in values.elements] if isinstance(values, (cst.List, cst.Tuple, cst.Set)) else []
        if any((string_value(e) or "").lower() == "none" for e in elements):
            self.report(node, "Remove `\"none\"` from `algorithms`: it accepts unsigned tokens; use "
                              "`algorithms=[\"HS256\"]`.")

    def _encoded_with(self) -> str | None:
        """The one algorithm every `jwt.encode` of the project (outside tests) signs with, else None."""
        algorithms = auth_project(self.ctx.index).jwt_encode_algorithms
        if len(algorithms) != 1:
            return None
        algorithm = next(iter(algorithms))
        return algorithm if algorithm and algorithm.lower() != "none" and '"' not in algorithm else None

    def _algorithms_fix(self, node: cst.Call, algorithm: str | None):
        if algorithm is None or not node.args:
            return None
        return self.fix(f"Accept only `{algorithm}`, the algorithm the project's `jwt.encode` signs with (unsafe: "
                        f"tokens signed otherwise, by another issuer, are then rejected).",
                        self.insert_after(node.args[-1].value, f', algorithms=["{algorithm}"]'), safe=False)

    def _from_unverified_header(self, values: cst.BaseExpression) -> bool:
        """The `algorithms` value comes from `jwt.get_unverified_header(token)`."""
        parts = [e.value for e in values.elements] if isinstance(values, (cst.List, cst.Tuple, cst.Set)) \
            else [values]
        bindings = self.ctx.bindings
        for part in parts:
            sources = bindings.sources(part) if bindings is not None else iter([part])
            for source in sources:
                if isinstance(source, cst.Call) and jwt_call(self, source) in UNVERIFIED_HEADER_CALLS:
                    return True
        return False

    def _reads_only_time_claims(self, node: cst.Call, targets) -> bool:
        """The decoded claims are used for their expiry only: `jwt.decode(...).get("exp")`, or a name
        bound to the result whose every use in the function reads `exp`, `iat` or `nbf`."""
        if id(node) in self._claims:
            return self._claims[id(node)] in TIME_CLAIMS
        if len(targets) != 1 or not self._functions:
            return False
        uses = list(_uses(self._functions[-1], targets[0]))
        return bool(uses) and all(use in TIME_CLAIMS for use in uses)


def _claim_read(node: cst.BaseExpression) -> tuple[cst.BaseExpression, str | None] | None:
    """(the container, the claim) of `claims["exp"]` or `claims.get("exp")`."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.value, string_value(node.slice[0].slice.value)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
            and node.args:
        return node.func.value, string_value(node.args[0].value)
    return None


def _uses(function: cst.FunctionDef, name: str):
    """For each load of ``name`` in ``function`` after its binding: the claim it reads, else None."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        current = stack.pop()
        read = _claim_read(current) if isinstance(current, (cst.Subscript, cst.Call)) else None
        if read is not None and isinstance(read[0], cst.Name) and read[0].value == name:
            yield read[1]
            if isinstance(current, cst.Call):
                stack.extend(arg.value for arg in current.args)
            continue
        if isinstance(current, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == name
                                                   for t in current.targets):
            stack.append(current.value)
            continue
        if isinstance(current, cst.Name) and current.value == name:
            yield None
            continue
        stack.extend(current.children)
