"""The project-names view: what project definitions are, across modules.

Whether a callee hashes passwords (a known hashing API, or a project function
or method whose body calls one), whether a class is an ORM model or an input
schema (following its bases through the project), and project-wide answers
(some class hashes through a property setter, the project hashes passwords
at all, a JWT error handler is registered somewhere, its framework).

Per-file rules read other modules only through the index, so cached results
know their inputs: a look-up by name depends on that module alone, and only
the project-wide answers depend on every module; rules ask those last, just
before they would report. Answers are remembered per scan through
``ProjectIndex.derived``, which also replays what an answer read into every
file that asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, TypeVar

import libcst as cst

from bplint.project.index import ModuleFacts, ProjectIndex
from bplint.project.names import dotted
from bplint.rules._auth_index import HASH_METHOD_NAMES, auth_facts

T = TypeVar("T")

# --- hashing APIs -----------------------------------------------------------------

HASH_FUNCTIONS = frozenset({
    "werkzeug.security.generate_password_hash", "werkzeug.generate_password_hash",
    "bcrypt.hashpw", "django.contrib.auth.hashers.make_password",
    "hashlib.pbkdf2_hmac", "hashlib.scrypt",
    "flask_security.hash_password", "flask_security.utils.hash_password",
    "argon2.PasswordHasher().hash", "argon2.low_level.hash_secret", "argon2.low_level.hash_secret_raw",
    "passlib.context.CryptContext().hash", "passlib.context.CryptContext().encrypt",
    "pwdlib.PasswordHash().hash", "pwdlib.PasswordHash.recommended().hash",
    "flask_bcrypt.Bcrypt().generate_password_hash", "flask_bcrypt.generate_password_hash",
    "flask_argon2.Argon2().generate_password_hash",
})

# --- class kinds ------------------------------------------------------------------

MODEL = "model"
SCHEMA = "schema"
MODEL_BASE_PREFIXES = ("sqlalchemy.", "django.db.models.Model", "django.contrib.auth.models.",
                       "django.contrib.auth.base_user.", "fastapi_users_db_sqlalchemy.", "flask_security.",
                       "mongoengine.", "peewee.Model", "tortoise.models.", "ormar.", "pony.orm.")
SCHEMA_BASE_PREFIXES = ("pydantic.", "marshmallow.", "rest_framework.serializers.", "flask_wtf.", "wtforms.",
                        "django.forms.", "ninja.", "msgspec.", "attr.", "attrs.", "dataclasses.")

# An import root that tells the framework (flask_sqlalchemy, django_filters... by prefix).
FRAMEWORK_ROOTS = (("django", ("django", "rest_framework")), ("fastapi", ("fastapi", "starlette", "sqlmodel")),
                   ("flask", ("flask", "werkzeug", "quart")))


# --- names ------------------------------------------------------------------------


def spelling(node: cst.CSTNode) -> str | None:
    """The libcst twin of ``ast_spelling``: `a.b.c`, with `()` for a call on the way."""
    return dotted(node, calls=True)


def last_name(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def resolve_spelled(spelled: str, facts: ModuleFacts | None) -> str:
    """`pwd_context.hash` -> `passlib.context.CryptContext().hash` through the module's imports,
    its module-level objects and its own definitions (`hash_password` -> `app.security.hash_password`)."""
    if facts is None:
        return spelled
    head, dot, rest = spelled.partition(".")
    call = head.endswith("()")
    name = head[:-2] if call else head
    tail = ("()" if call else "") + dot + rest
    if name in facts.imports:
        return facts.imports[name] + tail
    instance = facts.instances.get(name)
    if instance and not call:
        return f"{instance}(){tail}"
    if name in facts.defined:
        return f"{facts.module}.{name}{tail}" if facts.module else spelled
    if name in ("str", "bytes", "int", "len", "dict", "print", "getattr", "setattr", "isinstance"):
        return f"builtins.{name}{tail}"
    return spelled


def module_framework(facts: ModuleFacts) -> str | None:
    """"django", "fastapi" or "flask": the first framework whose modules this module imports."""
    roots = facts.imported_roots
    for framework, markers in FRAMEWORK_ROOTS:
        if any(root in markers or root.startswith(f"{markers[0]}_") for root in roots):
            return framework
    return None


# --- the project-wide view ----------------------------------------------------------


@dataclass
class AuthProject:
    """Facts gathered from every module once per scan; reading it depends on every module."""

    # attribute -> (module facts, class name) of classes defining it through a setter or synonym
    setters: dict[str, list[tuple[ModuleFacts, str]]] = field(default_factory=dict)
    # (module facts, spelled callee) of hash-like calls outside test code
    hash_calls: list[tuple[ModuleFacts, str]] = field(default_factory=list)
    jwt_handler: bool = False
    jwt_guarded: set[str] = field(default_factory=set)
    framework: str | None = None
    # callee simple name -> (position or keyword, looks hashed) of arguments, outside test code
    password_calls: dict[str, list[tuple[int | str, bool]]] = field(default_factory=dict)
    # the algorithms `jwt.encode` calls sign with, outside test code ("" for one not known)
    jwt_encode_algorithms: set[str] = field(default_factory=set)


def _build_project(index: ProjectIndex) -> AuthProject:
    view = AuthProject()
    tests = index.test_files
    for relpath, facts in index.modules.items():
        if view.framework is None:
            view.framework = module_framework(facts)
        auth = auth_facts(facts)
        if auth is None:
            continue
        for class_name, attributes in auth.setters.items():
            for attribute in attributes:
                view.setters.setdefault(attribute, []).append((facts, class_name))
        if relpath not in tests:
            view.hash_calls.extend((facts, spelled) for _, spelled in auth.hash_calls)
            for callee, slots in auth.password_calls.items():
                view.password_calls.setdefault(callee, []).extend(slots)
            view.jwt_encode_algorithms.update(auth.jwt_encode_algorithms)
        view.jwt_handler = view.jwt_handler or auth.jwt_handler
        view.jwt_guarded.update(auth.jwt_guarded)
    return view


def auth_project(index: ProjectIndex) -> AuthProject:
    """The project-wide view (a file that reads it depends on every module)."""
    return index.derived("auth:project", _build_project)


class ProjectNames:
    """Answers about project definitions across modules, one instance per index."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._busy: set[str] = set()  # questions being answered (a recursion guard)

    def _remember(self, key: str, compute: Callable[[], T], busy: T) -> T:
        """``compute()`` once per scan; ``busy`` while it is being computed (a cycle)."""
        if key in self._busy:
            return busy
        self._busy.add(key)
        try:
            return self.index.derived(key, lambda _index: compute())
        finally:
            self._busy.discard(key)

    def follow_instance(self, qualified: str, depth: int = 0) -> str:
        """`app.extensions.db.Model` -> `flask_sqlalchemy.SQLAlchemy().Model` when `db` is an object
        that project module builds; re-exports (`from .extensions import db`) are followed."""
        prefix, call, after = qualified.partition("()")
        found = self.index.resolve_definition(prefix)
        if found is None:
            return qualified
        facts, local = found
        head, dot, rest = local.partition(".")
        if head in facts.defined:
            return qualified
        instance = facts.instances.get(head)
        if instance:
            return f"{instance}(){dot}{rest}{call}{after}"
        if head in facts.imports and depth < 4:
            target = f"{facts.imports[head]}{dot}{rest}{call}{after}"
            if target != qualified:
                return self.follow_instance(target, depth + 1)
        return qualified

    # --- hashing ------------------------------------------------------------------
    def is_hashing(self, qualified: str, depth: int = 0) -> bool:
        """A known hashing API, or a project function whose body calls one."""
        qualified = self.follow_instance(qualified)
        if qualified in HASH_FUNCTIONS:
            return True
        last = qualified.rsplit(".", 1)[-1]
        if last in HASH_METHOD_NAMES:
            return True
        if qualified.startswith("passlib.") and last in ("hash", "encrypt"):
            return True
        if depth > 3:
            return False
        return self._remember(f"auth:hashing:{qualified}",
                              lambda: self._project_function_hashes(qualified, depth), False)

    def _project_function_hashes(self, qualified: str, depth: int) -> bool:
        found = self.index.resolve_definition(qualified)
        if found is None:
            return False
        facts, local = found
        auth = auth_facts(facts)
        if auth is None or local not in auth.functions:
            return False
        first, last = auth.functions[local]
        for line, spelled in auth.hash_calls:
            if first <= line <= last and self.is_hashing(resolve_spelled(spelled, facts), depth + 1):
                return True
        return False

    def class_hashes(self, facts: ModuleFacts, class_name: str) -> bool:
        """Some method of the class calls a hashing API (or a project hashing function)."""
        auth = auth_facts(facts)
        if auth is None:
            return False
        ranges = [span for name, span in auth.functions.items() if name.startswith(class_name + ".")]
        for line, spelled in auth.hash_calls:
            if any(a <= line <= b for a, b in ranges) and self.is_hashing(resolve_spelled(spelled, facts)):
                return True
        return False

    def hashing_setter(self, attribute: str) -> bool:
        """Some project class defines ``attribute`` through a property or synonym and hashes in
        its methods: assigning that attribute may well hash (`user.password = raw`). Depends on every
        module: ask it last."""
        def compute() -> bool:
            return any(self.class_hashes(facts, class_name)
                       for facts, class_name in auth_project(self.index).setters.get(attribute, ()))

        return self._remember(f"auth:setter:{attribute}", compute, False)

    def hashes_on_construction(self, facts: ModuleFacts, class_name: str, keyword: str) -> bool:
        """`Model(password=raw)` hashes: the class has a hashing setter or synonym for ``keyword``,
        or its `__init__` hashes."""
        auth = auth_facts(facts)
        if auth is None:
            return False
        if keyword in auth.setters.get(class_name, set()) and self.class_hashes(facts, class_name):
            return True
        return f"{class_name}.__init__" in auth.functions and \
            self.is_hashing(f"{facts.module}.{class_name}.__init__")

    def callers_pass_hashes(self, function: str, position: int, keyword: str) -> bool:
        """Every call of the project function ``function`` (outside test code) passes a hashed value
        as its parameter ``keyword`` at ``position`` (self left out), and there is at least one: the
        parameter holds a hash whatever it is called. Depends on every module: ask it last."""
        def compute() -> bool:
            slots = [hashed for slot, hashed in auth_project(self.index).password_calls.get(function, ())
                     if slot == position or slot == keyword]
            return bool(slots) and all(slots)

        return self._remember(f"auth:callers-hash:{function}:{position}:{keyword}", compute, False)

    def project_hashes_passwords(self) -> bool:
        """Anywhere in the project a hashing API is called (outside test code); depends on every module."""
        def compute() -> bool:
            return any(self.is_hashing(resolve_spelled(spelled, facts))
                       for facts, spelled in auth_project(self.index).hash_calls)

        return self._remember("auth:project-hashes", compute, False)

    # --- classes ----------------------------------------------------------------------
    def class_kind(self, qualified: str | None, depth: int = 0) -> str | None:
        """MODEL for ORM models, SCHEMA for input schemas and forms, else None."""
        if not qualified or depth > 5:
            return None
        qualified = self.follow_instance(qualified)
        return self._remember(f"auth:class:{qualified}", lambda: self._class_kind(qualified, depth), None)

    def _class_kind(self, qualified: str, depth: int) -> str | None:
        kind = self._base_kind(qualified)
        if kind is None:
            found = self.index.resolve_definition(qualified)
            auth = auth_facts(found[0]) if found else None
            if found and auth and found[1] in auth.classes:
                facts, local = found
                kinds = [self.class_kind(resolve_spelled(b, facts), depth + 1) for b in auth.classes[local]]
                if MODEL in kinds:
                    kind = MODEL
                    # SQLModel classes are tables only with `table=True`
                    if any(resolve_spelled(b, facts).startswith("sqlmodel.") for b in auth.classes[local]) and \
                            "table" not in auth.class_keywords.get(local, set()):
                        kind = SCHEMA
                elif SCHEMA in kinds:
                    kind = SCHEMA
        return kind

    @staticmethod
    def _base_kind(qualified: str) -> str | None:
        if qualified.startswith("sqlmodel."):
            return MODEL if qualified.endswith("SQLModel") else None
        if ".SQLAlchemy()." in qualified or qualified.endswith("declarative_base()") or \
                qualified.startswith(MODEL_BASE_PREFIXES):
            return MODEL
        if qualified.startswith(SCHEMA_BASE_PREFIXES):
            return SCHEMA
        return None


def project_names(index: ProjectIndex) -> ProjectNames:
    """One ``ProjectNames`` per index."""
    return index.derived("auth:names", ProjectNames)
