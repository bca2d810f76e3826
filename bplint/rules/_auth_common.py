"""What the BP3 rules share: per-framework fixes and "is this a stored user object?"."""

from __future__ import annotations

import libcst as cst

from bplint.origins import DB, MODEL, REQUEST, VALIDATED, Origins, last_name, name_parts

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
    if by_name and isinstance(node, cst.Name):
        words = name_parts(node.value)
        return bool(words) and words[-1] in USER_WORDS
    return False
