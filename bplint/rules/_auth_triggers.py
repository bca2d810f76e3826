"""Cheap tests over CPython's ast that decide in which files the BP3 visitors run.

Each test answers "could this node be (part of) a finding?" and must say yes
for every node a rule could report; it may say yes far more often. They run
on every node of their types in the index phase, so they look at names and
literal keys only, never at what a value came from.
"""

from __future__ import annotations

import ast
import re

from bplint.project.index import ModuleFacts
from bplint.rules._origins import (
    FLASK_REQUEST_ATTRS, FLASK_REQUEST_METHODS, FLASK_REQUESTS, REQUEST_NAMES, VIEW_REQUEST_ATTRS,
    VIEW_REQUEST_METHODS, password_word,
)

# Every password word (password, passwd, pwd, pw, pass, passphrase) contains one of these.
_PASSWORD_HINT = re.compile(r"pass|pw", re.IGNORECASE).search
_password_names: dict[str, bool] = {}


def password_like(name: str) -> bool:
    """A name or key with a password word: looser than both `is_password_name` and `is_hash_name`."""
    found = _password_names.get(name)
    if found is None:
        found = _password_names[name] = _PASSWORD_HINT(name) is not None and password_word(name)
    return found


def _named(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _string_key(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _imports_alias(node: ast.Import | ast.ImportFrom, names: frozenset[str]) -> bool:
    """An import that renames one of ``names`` (`from hashlib import md5 as digest`)."""
    return any(alias.asname and alias.name.rsplit(".", 1)[-1] in names for alias in node.names)


# --- BP301: a password stored ---------------------------------------------------------------


def _assign_stores(node: ast.Assign) -> bool:
    """`x.password = ...`, `password = ...`, `users[name]["password"] = ...`."""
    return any(password_like(name) for name in map(_label, node.targets) if name)


def _ann_assign_stores(node: ast.AnnAssign) -> bool:
    name = _named(node.target)
    return name is not None and password_like(name)


def _keyword_stores(node: ast.keyword) -> bool:
    return node.arg is not None and password_like(node.arg)


def _dict_stores(node: ast.Dict) -> bool:
    return any(password_like(key) for key in map(_string_key, node.keys) if key)


def _sql_stores(node: ast.Call) -> bool:
    """`cursor.execute("INSERT ...", (name, password))`; a dict of parameters is tested as a Dict;
    a query built with `.format(...)` here (one built with `%` or an f-string is tested as such)."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "format":
        return isinstance(func.value, ast.Constant) and isinstance(func.value.value, str) and \
            any(password_like(label) for label in map(_label, (*node.args, *(k.value for k in node.keywords)))
                if label)
    if func.attr not in ("execute", "executemany"):
        return False
    positional = [a for a in node.args if not isinstance(a, ast.Starred)]
    if len(positional) < 2 or not isinstance(positional[1], (ast.Tuple, ast.List)):
        return False
    return any(password_like(label) for label in map(_label, positional[1].elts) if label)


def _formatted_stores(node: ast.BinOp | ast.JoinedStr) -> bool:
    """A string built with `%` or an f-string from a password-like value (an SQL write, perhaps)."""
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    else:
        if not isinstance(node.op, ast.Mod) or not (isinstance(node.left, ast.Constant) and
                                                    isinstance(node.left.value, str)):
            return False
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
    return any(password_like(label) for label in map(_label, values) if label)


_STORE_TESTS = {ast.Assign: _assign_stores, ast.AnnAssign: _ann_assign_stores, ast.keyword: _keyword_stores,
                ast.Dict: _dict_stores, ast.Call: _sql_stores, ast.BinOp: _formatted_stores,
                ast.JoinedStr: _formatted_stores}


def stores_password(node: ast.AST, facts: ModuleFacts) -> bool:
    """A password-like assignment target, keyword or dict key; an SQL write with a password value."""
    return _STORE_TESTS[type(node)](node)  # type: ignore[operator]


def _label(node: ast.AST) -> str | None:
    """The ast twin of `value_label`: `password`, `form.password.data`, `data["password"]`."""
    if isinstance(node, ast.Subscript):
        return _string_key(node.slice)
    if isinstance(node, ast.Call) and _named(node.func) == "get" and node.args:
        return _string_key(node.args[0])
    if isinstance(node, ast.Attribute) and node.attr == "data":
        return _named(node.value)
    return _named(node)


STORE_TRIGGER_TYPES = tuple(_STORE_TESTS)


# --- BP302: a stored password compared ------------------------------------------------------


def _stored_password_shape(node: ast.AST) -> bool:
    """`x.password`, `x.password_hash`, `row["password"]`."""
    if isinstance(node, ast.Attribute):
        return password_like(node.attr)
    if isinstance(node, ast.Subscript):
        key = _string_key(node.slice)
        return key is not None and password_like(key)
    return False


def compares_password(node: ast.AST, facts: ModuleFacts) -> bool:
    if isinstance(node, ast.Compare):
        return any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops) and \
            (_stored_password_shape(node.left) or any(map(_stored_password_shape, node.comparators)))
    if isinstance(node, ast.Call):
        return _named(node.func) == "compare_digest" and any(map(_stored_password_shape, node.args))
    return False


COMPARE_TRIGGER_TYPES = (ast.Compare, ast.Call)


# --- BP303: a fast hash ----------------------------------------------------------------------

# hashlib's fast hashes, shared with BP303 itself
WEAK_HASHLIB = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s",
                          "sha3_224", "sha3_256", "sha3_384", "sha3_512"})
WEAK_HASH_CALLS = WEAK_HASHLIB | {"new", "generate_password_hash", "CryptContext"}
# Called on an object: passlib's `md5_crypt.hash(...)`; builtin `hash(x)` is a plain name.
WEAK_HASH_METHODS = frozenset({"hash", "encrypt"})


def calls_hash(node: ast.AST, facts: ModuleFacts) -> bool:
    """A call that may be hashlib, werkzeug's generate_password_hash or passlib; `.update()` on an
    imported object (a hashlib object built in another module); an import renaming one of them.
    `.update()` on a local hash object needs the constructor call, which is in the file."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in WEAK_HASH_CALLS
        if isinstance(func, ast.Attribute):
            attr = func.attr
            if attr in WEAK_HASH_CALLS or attr in WEAK_HASH_METHODS:
                return True
            return attr == "update" and isinstance(func.value, ast.Name) and func.value.id in facts.imports
        return False
    return _imports_alias(node, WEAK_HASH_CALLS | WEAK_HASH_METHODS)  # type: ignore[arg-type]


HASH_TRIGGER_TYPES = (ast.Call, ast.Import, ast.ImportFrom)


# --- BP304-BP306: JSON Web Tokens ---------------------------------------------------------------


def imports_jwt(node: ast.AST, facts: ModuleFacts) -> bool:
    """An import of PyJWT or python-jose: their calls resolve only through one."""
    if isinstance(node, ast.ImportFrom):
        if node.module and node.module.split(".", 1)[0] in ("jwt", "jose"):
            return True
        return any(alias.name in ("jwt", "jose") for alias in node.names)
    return any(alias.name.split(".", 1)[0] in ("jwt", "jose") for alias in node.names)  # type: ignore[attr-defined]


JWT_TRIGGER_TYPES = (ast.Import, ast.ImportFrom)


# --- BP307: raw request data ---------------------------------------------------------------------

REQUEST_DATA_ATTRS = (FLASK_REQUEST_ATTRS | FLASK_REQUEST_METHODS | VIEW_REQUEST_ATTRS | VIEW_REQUEST_METHODS)


def reads_request(node: ast.AST, facts: ModuleFacts) -> bool:
    """Raw request data is read here: `request.json`, `req.POST`, `self.request.data`, a renamed
    Flask `request`; or a parameter of a FastAPI module that may be a raw body (`payload: dict`).
    Mass assignment needs raw request data, so a file with none of these has no finding."""
    if isinstance(node, ast.Attribute):
        if node.attr not in REQUEST_DATA_ATTRS:
            return False
        base = node.value
        if isinstance(base, ast.Name):
            return base.id in REQUEST_NAMES or facts.imports.get(base.id) in FLASK_REQUESTS
        return isinstance(base, ast.Attribute) and base.attr == "request"
    if isinstance(node, ast.arg):
        return node.annotation is not None and facts.imports_any("fastapi")
    if isinstance(node, ast.ImportFrom):
        return any(alias.name == "request" and alias.asname for alias in node.names)
    return False


REQUEST_TRIGGER_TYPES = (ast.Attribute, ast.arg, ast.ImportFrom)
