"""Where a value came from: request data, a password hash, a database row, a literal.

Built on the binding record (``bplint.bindings``): at a use, ``Origins``
follows a name back through local assignments, unpacking, subscripts,
``.get()`` and attribute reads to the expressions it came from, and says
what kind of source each one is. Rules of any family can ask "is this
request data?" or "was this hashed?".

Hashing calls are known by qualified name (werkzeug, bcrypt, argon2,
passlib, pwdlib, Django, ``hashlib.pbkdf2_hmac``/``scrypt``) and, across
modules, by project functions whose body calls one: the index collector
below records, per module, the hash-like calls inside each top-level
function and method, and which classes derive from which bases. Those
facts live in ``facts.extra["auth"]``.

The classification is conservative: a value that passed through any call
it does not know is "unknown", and rules stay quiet on unknown values.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from bplint.index import ModuleFacts, ProjectIndex, collects

if TYPE_CHECKING:
    from bplint.context import FileContext

# --- kinds of origin ---------------------------------------------------------------

REQUEST = "request"              # raw request data: a dict, form or body as the client sent it
VALIDATED = "validated"          # request data through a schema or form (typed, whitelisted fields)
HASH = "hash"                    # the result of a password hashing call
DB = "db"                        # a row or object read from the database
LITERAL = "literal"              # a string, bytes or number literal
PASSWORD_PARAM = "password-param"  # a function parameter named like a password

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
# Method names that hash a password whatever object they are called on.
HASH_METHOD_NAMES = frozenset({"generate_password_hash", "make_password", "set_password", "hashpw"})
# Words in a callee's name that make it hashing for quiet-side decisions.
HASH_WORDS = ("hash", "crypt", "digest", "pbkdf2", "scrypt", "argon")

# --- request data -----------------------------------------------------------------

FLASK_REQUESTS = frozenset({"flask.request", "quart.request", "flask.globals.request"})
FLASK_REQUEST_ATTRS = frozenset({"json", "form", "args", "values", "data"})
FLASK_REQUEST_METHODS = frozenset({"get_json", "get_data"})
# `request` parameters of Django, DRF and Starlette views
VIEW_REQUEST_ATTRS = frozenset({"POST", "GET", "data", "query_params", "body", "json"})
VIEW_REQUEST_METHODS = frozenset({"json", "form", "body"})
REQUEST_NAMES = frozenset({"request", "req"})
VALIDATED_ATTRS = frozenset({"cleaned_data", "validated_data"})
FASTAPI_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route", "route", "options"})
FASTAPI_INPUT_DEFAULTS = frozenset({"Body", "Form", "Query", "Path", "Header", "Cookie", "File"})
FASTAPI_NON_INPUT = frozenset({"Request", "Response", "BackgroundTasks", "WebSocket", "Session", "AsyncSession",
                               "HTTPConnection", "SecurityScopes"})
RAW_ANNOTATIONS = frozenset({"dict", "Dict", "Any", "Mapping", "MutableMapping"})
PASSWORD_FORMS = frozenset({"fastapi.security.OAuth2PasswordRequestForm",
                            "fastapi.security.OAuth2PasswordRequestFormStrict",
                            "fastapi.security.oauth2.OAuth2PasswordRequestForm"})

# An import root that tells the framework (flask_sqlalchemy, django_filters... by prefix).
FRAMEWORK_ROOTS = (("django", ("django", "rest_framework")), ("fastapi", ("fastapi", "starlette", "sqlmodel")),
                   ("flask", ("flask", "werkzeug", "quart")))

# --- database reads -----------------------------------------------------------------

DB_METHODS = frozenset({"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none",
                        "fetchone", "first_or_404", "get_or_404", "one_or_404", "find_one", "get_object_or_404",
                        "earliest", "latest"})
DB_FUNCTIONS = frozenset({"django.shortcuts.get_object_or_404", "flask_login.current_user",
                          "flask_login.utils.current_user"})

# --- class kinds ------------------------------------------------------------------

MODEL = "model"
SCHEMA = "schema"
MODEL_BASE_PREFIXES = ("sqlalchemy.", "django.db.models.Model", "django.contrib.auth.models.",
                       "django.contrib.auth.base_user.", "fastapi_users_db_sqlalchemy.", "flask_security.",
                       "mongoengine.", "peewee.Model", "tortoise.models.", "ormar.", "pony.orm.")
SCHEMA_BASE_PREFIXES = ("pydantic.", "marshmallow.", "rest_framework.serializers.", "flask_wtf.", "wtforms.",
                        "django.forms.", "ninja.", "msgspec.", "attr.", "attrs.", "dataclasses.")


# --- index facts ------------------------------------------------------------------


@dataclass
class AuthFacts:
    """What the auth family records about one module in the index phase."""

    # top-level function or "Class.method" -> (first line, last line)
    functions: dict[str, tuple[int, int]] = field(default_factory=dict)
    # class name -> spelled bases ("db.Model", "Base")
    classes: dict[str, list[str]] = field(default_factory=dict)
    class_keywords: dict[str, set[str]] = field(default_factory=dict)
    # (line, spelled callee) of calls whose name looks like hashing or a password
    hash_calls: list[tuple[int, str]] = field(default_factory=list)
    # simple names of functions called inside a `try` that catches JWT errors
    jwt_guarded: set[str] = field(default_factory=set)
    # an error handler for JWT errors is registered (`@app.errorhandler(jwt.InvalidTokenError)`)
    jwt_handler: bool = False
    # class name -> attributes it defines through a property, setter or synonym (`@password.setter`)
    setters: dict[str, set[str]] = field(default_factory=dict)


def auth_facts(facts: ModuleFacts | None) -> AuthFacts | None:
    if facts is None:
        return None
    found = facts.extra.get("auth")
    return found if isinstance(found, AuthFacts) else None


def _own_facts(facts: ModuleFacts) -> AuthFacts:
    found = facts.extra.get("auth")
    if not isinstance(found, AuthFacts):
        found = AuthFacts()
        facts.extra["auth"] = found
    return found


def ast_spelling(node: ast.AST) -> str | None:
    """`a.b.c`, with `()` for a call on the way: `PasswordHasher().hash`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = ast_spelling(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call):
        base = ast_spelling(node.func)
        return f"{base}()" if base else None
    return None


SETTER_DECORATORS = frozenset({"hybrid_property", "property", "cached_property"})


def _hash_like(name: str) -> bool:
    lower = name.lower()
    return any(word in lower for word in HASH_WORDS) or "password" in lower or lower in HASH_METHOD_NAMES


JWT_ERROR_NAMES = frozenset({"ExpiredSignatureError", "InvalidTokenError", "PyJWTError", "JWTError", "JOSEError",
                             "Exception", "BaseException"})


def _catches_jwt_errors(handler_type: ast.AST | None) -> bool:
    if handler_type is None:
        return True
    if isinstance(handler_type, ast.Tuple):
        return any(_catches_jwt_errors(e) for e in handler_type.elts)
    spelled = ast_spelling(handler_type) or ""
    return spelled.rsplit(".", 1)[-1] in JWT_ERROR_NAMES


@collects(ast.Module)
def _module_layout(node: ast.Module, facts: ModuleFacts, _: object) -> None:
    auth = None
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            auth = auth or _own_facts(facts)
            auth.functions[statement.name] = (statement.lineno, statement.end_lineno or statement.lineno)
        elif isinstance(statement, ast.ClassDef):
            auth = auth or _own_facts(facts)
            auth.classes[statement.name] = [s for s in map(ast_spelling, statement.bases) if s]
            auth.class_keywords[statement.name] = {
                k.arg for k in statement.keywords
                if k.arg and not (isinstance(k.value, ast.Constant) and k.value.value in (False, None))}
            for member in statement.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    auth.functions[f"{statement.name}.{member.name}"] = (member.lineno,
                                                                        member.end_lineno or member.lineno)
                    for decorator in member.decorator_list:
                        spelled = ast_spelling(decorator) or ""
                        if spelled.endswith(".setter") or spelled.rsplit(".", 1)[-1] in SETTER_DECORATORS:
                            auth.setters.setdefault(statement.name, set()).add(member.name)
                elif isinstance(member, ast.Assign) and isinstance(member.value, ast.Call):
                    callee = (ast_spelling(member.value.func) or "").rsplit(".", 1)[-1]
                    if callee in ("synonym", "property", "hybrid_property", "column_property"):
                        names = {t.id for t in member.targets if isinstance(t, ast.Name)}
                        auth.setters.setdefault(statement.name, set()).update(names)


@collects(ast.Call)
def _hash_like_call(node: ast.Call, facts: ModuleFacts, _: object) -> None:
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if last is None:
        return
    if _hash_like(last):
        spelled = ast_spelling(func)
        if spelled:
            _own_facts(facts).hash_calls.append((node.lineno, spelled))
    if last in ("errorhandler", "exception_handler", "register_error_handler", "add_exception_handler"):
        if any(_catches_jwt_errors(a) for a in node.args[:1]) and node.args:
            _own_facts(facts).jwt_handler = True


@collects(ast.Try, getattr(ast, "TryStar", ast.Try))
def _jwt_guarded_calls(node: ast.Try, facts: ModuleFacts, _: object) -> None:
    if not any(_catches_jwt_errors(h.type) and h.type is not None for h in node.handlers):
        return
    guarded = _own_facts(facts).jwt_guarded
    for statement in node.body:
        for inner in ast.walk(statement):
            if isinstance(inner, ast.Call):
                spelled = ast_spelling(inner.func)
                if spelled:
                    guarded.add(spelled.rsplit(".", 1)[-1])


# --- names ------------------------------------------------------------------------


def spelling(node: cst.CSTNode) -> str | None:
    """The libcst twin of ``ast_spelling``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = spelling(node.value)
        return f"{base}.{node.attr.value}" if base else None
    if isinstance(node, cst.Call):
        base = spelling(node.func)
        return f"{base}()" if base else None
    return None


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


class ProjectNames:
    """Answers about project definitions across modules, memoised per index."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._hashing: dict[str, bool] = {}
        self._class_kind: dict[str, str | None] = {}

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
        if qualified in self._hashing:
            return self._hashing[qualified]
        self._hashing[qualified] = False  # recursion guard
        result = self._project_function_hashes(qualified, depth)
        self._hashing[qualified] = result
        return result

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
        its methods: assigning that attribute may well hash (`user.password = raw`)."""
        key = f"<setter>{attribute}"
        if key not in self._hashing:
            self._hashing[key] = any(
                attribute in names and self.class_hashes(facts, class_name)
                for facts in self.index.modules.values() if auth_facts(facts)
                for class_name, names in auth_facts(facts).setters.items())
        return self._hashing[key]

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

    def project_hashes_passwords(self) -> bool:
        """Anywhere in the project a hashing API is called (outside test code)."""
        key = "<project>"
        if key not in self._hashing:
            self._hashing[key] = any(
                self.is_hashing(resolve_spelled(spelled, facts))
                for relpath, facts in self.index.modules.items() if relpath not in self.index.test_files
                for _, spelled in (auth_facts(facts).hash_calls if auth_facts(facts) else ()))
        return self._hashing[key]

    # --- classes ----------------------------------------------------------------------
    def class_kind(self, qualified: str | None, depth: int = 0) -> str | None:
        """MODEL for ORM models, SCHEMA for input schemas and forms, else None."""
        if not qualified or depth > 5:
            return None
        qualified = self.follow_instance(qualified)
        if qualified in self._class_kind:
            return self._class_kind[qualified]
        self._class_kind[qualified] = None
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
        self._class_kind[qualified] = kind
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


_PROJECT_NAMES: dict[int, ProjectNames] = {}


def project_names(index: ProjectIndex) -> ProjectNames:
    """One ``ProjectNames`` per index (kept for the latest few scans only)."""
    key = id(index)
    found = _PROJECT_NAMES.get(key)
    if found is None or found.index is not index:
        if len(_PROJECT_NAMES) > 8:
            _PROJECT_NAMES.clear()
        found = _PROJECT_NAMES[key] = ProjectNames(index)
    return found


# --- origins in one file ----------------------------------------------------------------


class Origins:
    """Origin questions about expressions in the file ``ctx`` is walking (needs ``ctx.bindings``)."""

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.project = project_names(ctx.index)

    @property
    def bindings(self):
        return self.ctx.bindings

    # --- names ------------------------------------------------------------------
    def qualified(self, node: cst.CSTNode) -> str | None:
        """A callee's qualified name, through imports, module objects, own definitions and
        local objects (`ph = PasswordHasher()` then `ph.hash` is `argon2.PasswordHasher().hash`)."""
        spelled = spelling(node)
        if spelled is None:
            return None
        head = spelled.split(".", 1)[0]
        if self.bindings is not None and not head.endswith("()"):
            binding = self.bindings.latest(head)
            if binding is not None and binding.kind != "import":
                if binding.kind in ("assign", "annassign") and isinstance(binding.value, cst.Call):
                    inner = self.qualified(binding.value.func)
                    if inner:
                        return f"{inner}(){spelled[len(head):]}"
                return None
        return self.project.follow_instance(resolve_spelled(spelled, self.ctx.facts))

    def framework(self) -> str | None:
        """"django", "fastapi" or "flask": the framework this file (else the project) uses."""
        for facts in (self.ctx.facts, *self.ctx.index.modules.values()):
            if facts is None:
                continue
            roots = facts.imported_roots
            for framework, markers in FRAMEWORK_ROOTS:
                if any(root in markers or root.startswith(f"{markers[0]}_") for root in roots):
                    return framework
        return None

    # --- hashing ----------------------------------------------------------------
    def is_hash_call(self, node: cst.CSTNode, lenient: bool = False) -> bool:
        """A call to a password hashing API or project hashing function. ``lenient`` also takes
        any callee whose name speaks of hashing (for decisions where quiet is the safe side)."""
        if not isinstance(node, cst.Call):
            return False
        name = last_name(node.func) or ""
        if lenient and any(word in name.lower() for word in HASH_WORDS):
            return True
        qualified = self.qualified(node.func)
        return qualified is not None and self.project.is_hashing(qualified)

    # --- classification -----------------------------------------------------------
    def kinds(self, expr: cst.BaseExpression, depth: int = 6) -> set[str]:
        """The kinds of source ``expr`` comes from (empty when none is known)."""
        found: set[str] = set()
        if self.bindings is None:
            return found
        for candidate in self.bindings.sources(expr, depth, attributes=True):
            kind = self._kind_of(candidate)
            if kind:
                found.add(kind)
                if kind in (REQUEST, VALIDATED, HASH):
                    break
        return found

    def is_request_data(self, expr: cst.BaseExpression, raw_only: bool = False) -> bool:
        kinds = self.kinds(expr)
        return REQUEST in kinds or (not raw_only and VALIDATED in kinds)

    def is_hashed(self, expr: cst.BaseExpression) -> bool:
        return HASH in self.kinds(expr)

    def _kind_of(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer)):
            return LITERAL
        if isinstance(node, cst.Attribute):
            return self._attribute_kind(node)
        if isinstance(node, cst.Call):
            return self._call_kind(node)
        if isinstance(node, cst.Name):
            return self._name_kind(node)
        return None

    def _attribute_kind(self, node: cst.Attribute) -> str | None:
        attr = node.attr.value
        if attr in VALIDATED_ATTRS:
            return VALIDATED
        base = node.value
        if attr in FLASK_REQUEST_ATTRS and self.ctx.qualified_name(base) in FLASK_REQUESTS:
            return REQUEST
        if attr in VIEW_REQUEST_ATTRS and self._is_view_request(base):
            return REQUEST
        # WTForms: `form.password.data`
        if attr == "data" and isinstance(base, cst.Attribute) and self._is_form(base.value):
            return VALIDATED
        qualified = self.ctx.qualified_name(node)
        if qualified in DB_FUNCTIONS:
            return DB
        return None

    def _call_kind(self, node: cst.Call) -> str | None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in FLASK_REQUEST_METHODS and self.ctx.qualified_name(func.value) in FLASK_REQUESTS:
                return REQUEST
            if method in VIEW_REQUEST_METHODS and self._is_view_request(func.value):
                return REQUEST
            if method in DB_METHODS or (method == "get" and self._is_db_getter(func.value)):
                return DB
        if self.is_hash_call(node, lenient=True):
            return HASH
        qualified = self.ctx.qualified_name(func)
        if qualified in DB_FUNCTIONS:
            return DB
        if qualified in ("json.loads", "orjson.loads", "ujson.loads") and node.args:
            inner = self.kinds(node.args[0].value, depth=4)
            return REQUEST if REQUEST in inner else None
        return None

    def _name_kind(self, node: cst.Name) -> str | None:
        if self.ctx.qualified_name(node) in DB_FUNCTIONS:
            return DB
        binding = self.bindings.latest(node.value) if self.bindings is not None else None
        if binding is None or binding.kind != "param" or binding.param is None:
            return None
        return self._param_kind(binding.param)

    def _param_kind(self, param: cst.Param) -> str | None:
        annotation = param.annotation.annotation if param.annotation is not None else None
        default = param.default
        default_name = last_name(default.func) if isinstance(default, cst.Call) else None
        annotation_name = self._annotation_qualified(annotation)
        if annotation_name in PASSWORD_FORMS:
            return VALIDATED
        if default_name in ("Depends", "Security"):
            return None
        kind = self.project.class_kind(annotation_name) if annotation_name else None
        if kind == SCHEMA:
            return VALIDATED
        if kind == MODEL:
            return DB
        if self._in_fastapi_route():
            short = (annotation_name or "").rsplit(".", 1)[-1]
            if short in FASTAPI_NON_INPUT:
                return None
            if short in RAW_ANNOTATIONS:
                return REQUEST
            if default_name in FASTAPI_INPUT_DEFAULTS or annotation is not None:
                return VALIDATED
        if _password_word(param.name.value) and not _hash_word(param.name.value):
            return PASSWORD_PARAM
        return None

    def _annotation_qualified(self, annotation: cst.BaseExpression | None) -> str | None:
        if annotation is None:
            return None
        if isinstance(annotation, cst.Subscript):
            # Annotated[X, ...], Optional[X]
            base = last_name(annotation.value)
            if base in ("Annotated", "Optional") and annotation.slice:
                first = annotation.slice[0].slice
                if isinstance(first, cst.Index):
                    return self._annotation_qualified(first.value)
            return self.qualified(annotation.value)
        if isinstance(annotation, cst.SimpleString):
            return None
        return self.qualified(annotation)

    def _in_fastapi_route(self) -> bool:
        function = self.bindings.function if self.bindings is not None else None
        if not isinstance(function, cst.FunctionDef) or not self.ctx.imports_any("fastapi"):
            return False
        for decorator in function.decorators:
            call = decorator.decorator
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
                    call.func.attr.value in FASTAPI_ROUTE_METHODS:
                return True
        return False

    def _is_view_request(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Attribute):  # self.request in class-based views
            return node.attr.value == "request" and isinstance(node.value, cst.Name) and node.value.value == "self"
        if not isinstance(node, cst.Name) or node.value not in REQUEST_NAMES:
            return False
        qualified = self.ctx.qualified_name(node)
        return qualified is None or qualified in FLASK_REQUESTS

    def _is_form(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Name):
            return False
        if node.value == "form" or node.value.endswith("_form"):
            return True
        binding = self.bindings.latest(node.value) if self.bindings is not None else None
        if binding is not None and isinstance(binding.value, cst.Call):
            callee = last_name(binding.value.func) or ""
            return callee.endswith("Form")
        return False

    def _is_db_getter(self, node: cst.BaseExpression) -> bool:
        """`User.query.get`, `User.objects.get`, `session.get(User, id)`."""
        name = last_name(node)
        return name in ("query", "objects", "session") or (isinstance(node, cst.Name) and node.value == "db")


# --- password words -------------------------------------------------------------------

PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pw", "pass", "passwords"})
HASH_NAME_WORDS = frozenset({"hash", "hashed", "digest", "hashes", "encrypted", "crypted", "enc"})


def name_parts(name: str) -> tuple[str, ...]:
    from bplint.rules._secret_names import name_words

    return name_words(name)


def _password_word(name: str) -> bool:
    words = name_parts(name)
    if "pass" in words and len(words) > 1 and "password" not in words:
        return False  # pass_count, pass_through
    return any(w in PASSWORD_WORDS for w in words)


def _hash_word(name: str) -> bool:
    return any(w in HASH_NAME_WORDS for w in name_parts(name))


def is_password_name(name: str) -> bool:
    """A name that holds a password: `password`, `user_password`, `pwd`, `passwd`.
    Not `password_hash`, `password_reset_token`, `password_changed_at`, `confirm_password`."""
    from bplint.rules._secret_names import holds_no_secret

    words = name_parts(name)
    if not _password_word(name) or _hash_word(name):
        return False
    if any(w in ("token", "reset", "salt", "key", "confirm", "confirmation", "repeat", "again", "retype",
                 "verify", "verification", "old", "current", "policy", "strength", "expired", "expires",
                 "change", "changed", "set", "forgot", "last", "updated", "date") for w in words):
        return False
    return not holds_no_secret(name) or words in (("password",), ("pwd",), ("passwd",))


def is_hash_name(name: str) -> bool:
    """`password_hash`, `hashed_password`, `pw_hash`."""
    return _password_word(name) and _hash_word(name)
