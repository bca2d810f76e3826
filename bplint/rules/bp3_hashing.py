"""BP303: a fast or broken hash (md5, sha256, weak passlib schemes) applied to a password.

A hash counts as a password hash when the hashed data is, or is built from,
a value called or keyed like a password, or when it sits in a function
named like `hash_password`; checksums, ETags and cache keys stay quiet.
"""

from __future__ import annotations

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, string_value, walk as _walk
from bplint.project.roles import Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_common import PasswordRule, framework_of, value_label
from bplint.rules._auth_triggers import HASH_TRIGGER_TYPES, WEAK_HASHLIB, calls_hash
from bplint.rules._origins import Origins, is_password_name, last_name, name_parts

# --- BP303 --------------------------------------------------------------------------------

# Words in a function's name that make its hashing about something other than a password.
PASSWORD_FUNCTION_EXCLUDES = frozenset({"token", "reset", "salt", "url", "link", "email", "mail", "key"})
WEAK_WERKZEUG_METHODS = frozenset({"plain", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
WEAK_PASSLIB = frozenset({"md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16", "ldap_md5", "ldap_sha1",
                          "ldap_salted_md5", "ldap_salted_sha1", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512",
                          "plaintext", "ldap_plaintext", "mysql323", "mysql41", "lmhash", "nthash", "apr_md5_crypt",
                          "sun_md5_crypt", "postgres_md5", "oracle10", "msdcc", "htdigest"})


class WeakPasswordHash(PasswordRule):
    code = "BP303"
    name = "weak-password-hash"
    category = "authentication"
    severity = Severity.ERROR
    precision = Precision(1, 10, "2026-12-02", debatable=4, unseen=(1, 2))
    preview = True
    roles = frozenset({Role.APPLICATION, Role.SCRIPT, Role.MIGRATION})
    cwe = (916, 328)
    ast_trigger_types = HASH_TRIGGER_TYPES
    ast_trigger = staticmethod(calls_hash)
    summary = "Password hashed with a fast or broken hash"
    what = ("Reports a fast or broken hash applied to a password: `hashlib.md5/sha1/sha256/...` or "
            "`blake2*` over a value called or coming from a password (or any such hash inside a function "
            "named like `hash_password`/`set_password`), `generate_password_hash(pw, method=\"md5\")` "
            "(`\"sha1\"`, `\"plain\"`), and passlib's weak schemes (`md5_crypt`, `des_crypt`, `ldap_md5`, "
            "`hex_md5`...), also an MD5 or SHA digest handed to a password setter (`user.set_password(md5(x)...)`). "
            "The same hashes over file contents, ETags or cache keys are left alone, and so is a legacy hash "
            "that is only compared with a stored one in a function that then re-hashes the password with a "
            "slow hash (upgrading old accounts at login), and a digest used only as a key into an in-memory "
            "cache of passwords already checked.")
    why = ("Fast hashes are built to be computed billions of times a second: a leaked table of unsalted or "
           "single-round password hashes is cracked in hours.")
    how_to_fix = ("Use a slow, salted password hash: werkzeug's default `generate_password_hash`, Django's "
                  "`make_password`, argon2 or bcrypt through `pwdlib`/passlib.")
    bad = 'import hashlib\n\n\ndef hash_password(password):\n    return hashlib.sha256(password.encode()).hexdigest()\n'
    good = ('from werkzeug.security import generate_password_hash\n\n\ndef hash_password(password):\n'
            '    return generate_password_hash(password)\n')
    examples = (
        Flag("""
            import hashlib

            def hash_password(password, salt):
                return hashlib.sha256((salt + password).encode()).hexdigest()
            """, line=4),
        Flag("""
            from hashlib import md5
            from flask import request

            def register(db):
                pw = request.form["password"]
                digest = md5(pw.encode("utf-8")).hexdigest()
                db.save(digest)
            """, line=6, note="a request password through a local name"),
        Flag("""
            from werkzeug.security import generate_password_hash
            from passlib.hash import md5_crypt

            def store(user, password):
                user.password = generate_password_hash(password, method="sha1")
                user.legacy = md5_crypt.hash(password)
            """, line=5, count=2, note="werkzeug weak method and a passlib weak scheme"),
        Flag("""
            import hashlib

            class User:
                def set_password(self, raw):
                    h = hashlib.sha1()
                    h.update(raw.encode())
                    self.password = h.hexdigest()
            """, line=6, count=1, note="any fast hash inside set_password"),
        Flag("""
            from hashlib import sha256 as digest

            def hash_password(password):
                return digest(password.encode()).hexdigest()
            """, line=4, note="a hash function imported under another name"),
        Flag("""
            import hashlib
            from flask import request

            def account_settings(user):
                secret = request.form["new"]
                user.set_password(hashlib.md5(secret.encode()).hexdigest())
            """, line=6, note="an MD5 of the input handed to a password setter"),
        Flag("""
            import hashlib

            class Account:
                def check_password(self, password):
                    return hashlib.sha1(password.encode()).hexdigest() == self.password_sha1
            """, line=5, note="a legacy hash checked but never replaced"),
        Quiet("""
            import hmac
            from hashlib import sha1

            from passlib.hash import pbkdf2_sha512

            class Account:
                def _store(self, password):
                    self.password = pbkdf2_sha512.hash(password)

                def _check_legacy(self, password):
                    salt, old_hash = self.password[:40], self.password[40:]
                    candidate = sha1((password + salt).encode()).hexdigest()
                    if not hmac.compare_digest(candidate, old_hash):
                        return False
                    self._store(password)
                    return True
            """, path="app/models.py", note="a legacy SHA-1 hash verified once and upgraded to a slow hash"),
        Quiet("""
            import hashlib

            _checked = {}

            def check_password(user, password, verify):
                key = hashlib.sha256(f"{user.id}:{password}".encode()).hexdigest()
                if key in _checked:
                    return _checked[key]
                _checked[key] = verify(user, password)
                return _checked[key]
            """, note="a key into an in-memory cache of checked passwords"),
        Quiet("""
            import hashlib

            def file_checksum(path):
                with open(path, "rb") as f:
                    return hashlib.md5(f.read()).hexdigest()

            def etag(body):
                return '"' + hashlib.sha1(body).hexdigest() + '"'

            def cache_key(user_id, query):
                return hashlib.sha256(f"{user_id}:{query}".encode()).hexdigest()

            def token_digest(password_reset_token):
                return hashlib.sha256(password_reset_token.encode()).hexdigest()
            """, note="checksums, ETags, cache keys and reset-token digests"),
        Quiet("""
            import hashlib
            from werkzeug.security import generate_password_hash

            def hash_password(password):
                return generate_password_hash(password, method="scrypt")

            def gravatar(email):
                return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()
            """, note="a slow method; a hash not used for security"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.functions: list[str] = []
        self.function_nodes: list[cst.FunctionDef] = []
        # calls and assignments being walked that set a password (`user.set_password(...)`)
        self.sinks: list[cst.CSTNode] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)
        self.function_nodes.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.function_nodes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, cst.Attribute) and is_password_name(t.target.attr.value) for t in node.targets):
            self.sinks.append(node)  # user.password = md5(...).hexdigest()

    def leave_Assign(self, node: cst.Assign) -> None:
        if self.sinks and self.sinks[-1] is node:
            self.sinks.pop()

    def leave_Call(self, node: cst.Call) -> None:
        if self.sinks and self.sinks[-1] is node:
            self.sinks.pop()

    def visit_Call(self, node: cst.Call) -> None:
        setter = last_name(node.func)
        if setter is not None and isinstance(node.func, cst.Attribute) and _password_setter(setter):
            self.sinks.append(node)  # user.set_password(md5(...).hexdigest())
        qualified = self.origins.qualified(node.func)
        if not qualified:
            return
        if qualified.startswith("hashlib.") and qualified.endswith("().update") and node.args:
            algorithm = qualified[len("hashlib."):].split("(", 1)[0]
            if algorithm in WEAK_HASHLIB and (self._in_password_function() or
                                              _mentions_password(node.args[0].value, self.origins)) and \
                    not self._verifies_and_upgrades(node):
                self._report(node, f"`hashlib.{algorithm}`")
        elif qualified.startswith("hashlib."):
            self._check_hashlib(node, qualified)
        elif qualified in ("werkzeug.security.generate_password_hash", "werkzeug.generate_password_hash"):
            method = keyword_arg(node, "method") or positional_arg(node, 1)
            value = string_value(method.value) if method is not None else None
            if value is not None and value.split(":", 1)[0].lower() in WEAK_WERKZEUG_METHODS:
                self._report(node, f"`method=\"{value}\"`")
        elif qualified.startswith("passlib.hash.") and qualified.rsplit(".", 1)[-1] in ("hash", "encrypt"):
            scheme = qualified.split(".")[2].removesuffix("()")
            if scheme in WEAK_PASSLIB:
                self._report(node, f"passlib's `{scheme}`")
        elif qualified in ("passlib.context.CryptContext", "passlib.context.CryptContext()"):
            schemes = keyword_arg(node, "schemes")
            if schemes is not None and isinstance(schemes.value, (cst.List, cst.Tuple)) and schemes.value.elements:
                first = string_value(schemes.value.elements[0].value)
                if first in WEAK_PASSLIB:
                    self._report(node, f"the `{first}` scheme")

    def _check_hashlib(self, node: cst.Call, qualified: str) -> None:
        algorithm = qualified[len("hashlib."):]
        data_index = 0
        if algorithm == "new":
            first = positional_arg(node, 0)
            algorithm = (string_value(first.value) or "").lower().replace("-", "") if first else ""
            data_index = 1
        if algorithm not in WEAK_HASHLIB:
            return
        marker = keyword_arg(node, "usedforsecurity")
        if marker is not None and isinstance(marker.value, cst.Name) and marker.value.value == "False":
            return
        data = positional_arg(node, data_index)
        if data is None:
            return  # the data comes through `.update()`, checked there
        if _http_digest(data.value, self.origins):
            return  # HTTP Digest authentication (RFC 7616) prescribes MD5 over user:realm:password
        if self._in_password_function() or self.sinks or _mentions_password(data.value, self.origins):
            if self._verifies_and_upgrades(node):
                return  # a legacy hash checked once, then replaced by a slow one: the way to migrate
            if self._only_a_cache_key(node):
                return  # a key into an in-memory cache of passwords already checked, never stored
            self._report(node, f"`hashlib.{algorithm}`")

    def _verifies_and_upgrades(self, call: cst.Call) -> bool:
        """The function compares the fast digest with a stored one and, in the same function, hashes
        the password again with a slow hash (the upgrade of a legacy hash at login)."""
        if not self.function_nodes:
            return False
        function = self.function_nodes[-1]
        digests = _digest_names(function, call)
        compared = False
        upgraded = False
        for node in _walk(function.body):
            if isinstance(node, cst.Comparison) and any(isinstance(c.operator, (cst.Equal, cst.NotEqual))
                                                        for c in node.comparisons):
                compared = compared or _uses_digest(node, call, digests)
            elif isinstance(node, cst.Call) and node is not call:
                name = last_name(node.func) or ""
                if name in COMPARE_CALLS:
                    compared = compared or any(_uses_digest(arg.value, call, digests) for arg in node.args)
                elif not upgraded:
                    upgraded = self._slow_hash(node)
        return compared and upgraded

    def _only_a_cache_key(self, call: cst.Call) -> bool:
        """The digest is bound to a name that the function uses only as a key: `cache[key]`,
        `key in cache`, `cache.get(key)`/`.set(key, ...)`/`.pop(key)`."""
        if not self.function_nodes:
            return False
        function = self.function_nodes[-1]
        digests = _digest_names(function, call)
        if len(digests) != 1:
            return False
        name = next(iter(digests))
        bound: set[int] = set()
        keys: set[int] = set()
        loads: list[cst.Name] = []
        for node in _walk(function.body):
            if isinstance(node, cst.AssignTarget):
                bound.add(id(node.target))
            keys.update(id(operand) for operand in _key_operands(node))
            if isinstance(node, cst.Name) and node.value == name:
                loads.append(node)
        loads = [n for n in loads if id(n) not in bound]
        return bool(loads) and all(id(n) in keys for n in loads)

    def _slow_hash(self, node: cst.Call) -> bool:
        """A slow password hash, or a method of this class (or a project function) that calls one."""
        qualified = self.origins.qualified(node.func)
        if qualified is None and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name) \
                and node.func.value.value == "self" and self.classes and self.ctx.facts is not None:
            qualified = f"{self.ctx.facts.module}.{self.classes[0][0].name.value}.{node.func.attr.value}"
        if qualified is None or qualified.startswith("hashlib.") and not qualified.startswith(("hashlib.pbkdf2",
                                                                                                  "hashlib.scrypt")):
            return False
        if qualified.startswith("passlib.hash.") and qualified.split(".")[2].removesuffix("()") in WEAK_PASSLIB:
            return False
        return self.origins.project.is_hashing(qualified)

    def _in_password_function(self) -> bool:
        if not self.functions:
            return False
        words = name_parts(self.functions[-1])
        return any(w in ("password", "passwd", "pwd") for w in words) and \
            not any(w in PASSWORD_FUNCTION_EXCLUDES for w in words)

    def _report(self, node: cst.CSTNode, what: str) -> None:
        fix = {"flask": "`generate_password_hash(password)` with its default method",
               "django": "`make_password(password)`",
               "fastapi": "`PasswordHash.recommended().hash(password)` (pwdlib) or passlib with bcrypt",
               None: "argon2, bcrypt, scrypt or PBKDF2 with a salt"}[framework_of(self.origins)]
        self.report(node, f"{what} is too fast for passwords; hash them with {fix}.")


# Calls that compare two digests.
COMPARE_CALLS = frozenset({"compare_digest", "consteq", "safe_str_cmp", "constant_time_compare", "equals"})
# Method names that set a user's password (`user.set_password(...)`, `account.change_password(...)`).
SETTER_VERBS = frozenset({"set", "update", "change", "reset", "save", "store"})


def _password_setter(name: str) -> bool:
    words = name_parts(name)
    return len(words) >= 2 and words[0] in SETTER_VERBS and words[-1] in ("password", "passwd", "pwd")


# Methods whose first argument is a key into a mapping or cache.
KEYED_METHODS = frozenset({"get", "set", "pop", "setdefault", "add", "delete", "discard", "remove", "touch",
                           "__contains__"})


def _key_operands(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """The expressions ``node`` uses as a key: the index of `x[k]`, the left of `k in x`, the first
    argument of `x.get(k)`."""
    if isinstance(node, cst.Subscript):
        return [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
    if isinstance(node, cst.Comparison):
        return [node.left] if any(isinstance(c.operator, (cst.In, cst.NotIn)) for c in node.comparisons) else []
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
            node.func.attr.value in KEYED_METHODS and node.args:
        return [node.args[0].value]
    return []


def _digest_names(function: cst.FunctionDef, call: cst.Call) -> set[str]:
    """Names bound (in ``function``) to an expression that contains ``call``."""
    found: set[str] = set()
    for node in _walk(function.body):
        if isinstance(node, cst.Assign) and any(inner is call for inner in _walk(node.value)):
            found.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
    return found


def _uses_digest(expr: cst.CSTNode, call: cst.Call, digests: set[str]) -> bool:
    return any(inner is call or isinstance(inner, cst.Name) and inner.value in digests for inner in _walk(expr))


def _http_digest(expr: cst.BaseExpression, origins: Origins) -> bool:
    labels: set[str] = set()
    for part in _parts(expr):
        sources = origins.bindings.sources(part, depth=3) if origins.bindings is not None else [part]
        for source in sources:
            for piece in _parts(source):
                labels.add((value_label(piece) or "").lower())
    return bool(labels & {"realm", "nonce", "cnonce"})


def _mentions_password(expr: cst.BaseExpression, origins: Origins, depth: int = 0) -> bool:
    """The hashed data is, or contains, a password (by name or by the request key it came from)."""
    if depth > 4:
        return False
    for part in _parts(expr):
        if origins.bindings is None:
            candidates = [part]
        else:
            candidates = list(origins.bindings.sources(part, depth=5))
        for candidate in candidates:
            label = value_label(candidate)
            if label and is_password_name(label):
                return True
            if candidate is not part and candidate is not expr and depth < 3 and \
                    isinstance(candidate, (cst.BinaryOperation, cst.FormattedString, cst.Call)) and \
                    _mentions_password_inner(candidate, origins, depth):
                return True
    return False


def _mentions_password_inner(candidate: cst.BaseExpression, origins: Origins, depth: int) -> bool:
    parts = list(_parts(candidate))
    if parts == [candidate]:
        return False
    return any(_mentions_password(p, origins, depth + 1) for p in parts)


def _parts(expr: cst.BaseExpression):
    """The values joined into ``expr``: through `+`, `%`, f-strings, `.encode()`, `.format()`,
    `str()`/`bytes()` and `"".join([...])`."""
    if isinstance(expr, cst.BinaryOperation):
        yield from _parts(expr.left)
        yield from _parts(expr.right)
    elif isinstance(expr, cst.FormattedString):
        for piece in expr.parts:
            if isinstance(piece, cst.FormattedStringExpression):
                yield from _parts(piece.expression)
    elif isinstance(expr, cst.Call):
        name = last_name(expr.func)
        if name in ("encode", "lower", "strip", "decode") and isinstance(expr.func, cst.Attribute):
            yield from _parts(expr.func.value)
        elif name in ("str", "bytes", "bytearray") and expr.args:
            yield from _parts(expr.args[0].value)
        elif name == "format" and isinstance(expr.func, cst.Attribute):
            for arg in expr.args:
                yield from _parts(arg.value)
        elif name == "join" and expr.args and isinstance(expr.args[0].value, (cst.List, cst.Tuple)):
            for element in expr.args[0].value.elements:
                yield from _parts(element.value)
        else:
            yield expr
    elif isinstance(expr, (cst.Tuple, cst.List)):
        for element in expr.elements:
            yield from _parts(element.value)
    else:
        yield expr
