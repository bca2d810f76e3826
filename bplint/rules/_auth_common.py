"""What the BP3 rules share: per-framework fixes, "is this a stored user object?", the base
of the password rules (BP301-BP303) and the name a value goes by."""

from __future__ import annotations

import re

import libcst as cst

from bplint.project.names import string_value
from bplint.rule import PythonRule
from bplint.rules._origins import DB, MODEL, REQUEST, VALIDATED, Origins, last_name, name_parts, project_names

# How to hash a password, by framework.
HASH_FIX = {
    "flask": "store `generate_password_hash(password)` from `werkzeug.security` instead",
    "django": "use `user.set_password(raw_password)` (or `make_password(raw_password)`) instead",
    "fastapi": "store `PasswordHash.recommended().hash(password)` (pwdlib) or passlib's "
               "`CryptContext(schemes=[\"bcrypt\"]).hash(password)` instead",
    None: "store a salted hash (bcrypt, argon2 or PBKDF2) instead",
}
# How to check a password, by framework.
VERIFY_FIX = {
    "flask": "check it with `check_password_hash(stored_hash, candidate)` from `werkzeug.security`",
    "django": "check it with `user.check_password(candidate)`",
    "fastapi": "check it with `password_hash.verify(candidate, user.hashed_password)` (pwdlib or passlib)",
    None: "store a salted hash and check it with the hashing library's verify function",
}

# Names of variables that hold a user record when nothing else is known.
USER_WORDS = frozenset({"user", "account", "member", "customer", "admin", "owner", "profile", "row", "record",
                        "existing", "found", "db", "stored", "u"})


def is_self(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("self", "cls")


def callee_class_kind(origins: Origins, call: cst.Call) -> str | None:
    qualified = origins.qualified(call.func)
    return origins.project.class_kind(qualified) if qualified else None


def is_stored_object(origins: Origins, node: cst.BaseExpression, class_kind: str | None,
                     by_name: bool = False) -> bool:
    """``node`` holds a stored user (an ORM object or database row).

    ``class_kind`` is the kind of the class being walked (for ``self``);
    ``by_name`` also accepts a plain name such as ``user`` or ``row`` whose
    origin is unknown (but never request data or an input schema).
    """
    if is_self(node):
        return class_kind == MODEL
    if in_memory_table(origins, node):
        return True
    if isinstance(node, cst.Attribute) and node.attr.value == "user" and last_name(node.value) == "request":
        return True  # Django's request.user
    kinds = origins.kinds(node)
    if REQUEST in kinds or VALIDATED in kinds:
        return False
    if DB in kinds:
        return True
    bindings = origins.bindings
    if isinstance(node, cst.Name) and bindings is not None:
        binding = bindings.latest(node.value)
        if binding is not None and isinstance(binding.value, cst.Call):
            call = binding.value
            kind = callee_class_kind(origins, call)
            if kind is not None:
                return kind == MODEL
            method = last_name(call.func)
            if method in ("create", "get_or_create", "update_or_create", "create_user") and \
                    isinstance(call.func, cst.Attribute) and last_name(call.func.value) == "objects":
                return True
        if binding is not None and binding.kind == "param" and binding.annotation is not None:
            return False  # annotated with something that is neither a model nor a schema
        if binding is not None and binding.value is not None and _reads_configuration(binding.value):
            return False  # `admin = current_app.config.get("ADMIN_USER")`: a deployment setting, no stored user
    if by_name and isinstance(node, cst.Name):
        words = name_parts(node.value)
        return bool(words) and words[-1] in USER_WORDS
    return False


def _reads_configuration(value: cst.BaseExpression) -> bool:
    """`app.config.get("ADMIN")`, `current_app.config["ADMIN"]`: a value of the application's
    configuration."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get":
        return last_name(value.func.value) == "config"
    return isinstance(value, cst.Subscript) and last_name(value.value) == "config"


def in_memory_table(origins: Origins, node: cst.BaseExpression) -> bool:
    """`users[name]` (or deeper, `users[name]["password"]`) where `users` is bound once, at module
    level, to a dict display or `dict()`/`defaultdict(...)`: a user table kept in memory."""
    if not isinstance(node, cst.Subscript):
        return False
    while isinstance(node, cst.Subscript):
        node = node.value
    bindings = origins.bindings
    if not isinstance(node, cst.Name) or bindings is None or bindings.is_local(node.value):
        return False
    binding = bindings.only(node.value)
    value = binding.value if binding is not None and binding.kind == "assign" else None
    if isinstance(value, cst.Dict):
        return True
    return isinstance(value, cst.Call) and last_name(value.func) in ("dict", "defaultdict", "OrderedDict")


def framework_of(origins: Origins) -> str | None:
    return origins.framework()


# "password", "passwd" or "pwd" anywhere, in any case, without copying the text.
_PASSWORD_TEXT = re.compile("pass(?:word|wd)|pwd", re.IGNORECASE).search


class PasswordRule(PythonRule):
    """The base of BP301-BP303: origins of values, and the kind of the class being walked."""

    uses_bindings = True

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return _PASSWORD_TEXT(ctx.text) is not None

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.origins = Origins(ctx)
        # (class node, its kind) for the classes being walked
        self.classes: list[tuple[cst.ClassDef, str | None]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        kind = None
        if not self.classes and self.ctx.facts is not None:
            kind = project_names(self.ctx.index).class_kind(f"{self.ctx.facts.module}.{node.name.value}")
        self.classes.append((node, kind))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()

    @property
    def class_kind(self) -> str | None:
        return self.classes[-1][1] if self.classes else None



def empty_value(value: cst.BaseExpression) -> bool:
    """`None`, `""` or a blank string."""
    if isinstance(value, cst.Name) and value.value == "None":
        return True
    text = string_value(value)
    return text is not None and not text.strip()


def value_label(expr: cst.BaseExpression) -> str | None:
    """The name a value goes by: `password`, `form.password`, `data["password"]`."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        return string_value(expr.slice[0].slice.value)
    if isinstance(expr, cst.Call) and last_name(expr.func) == "get" and expr.args:
        return string_value(expr.args[0].value)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "data":
        return last_name(expr.value)
    return last_name(expr)

