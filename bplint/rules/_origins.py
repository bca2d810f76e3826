"""Where a value came from: request data, a password hash, a database row, a literal.

Built on the binding record (``bplint.project.bindings``): at a use, ``Origins``
follows a name back through local assignments, unpacking, subscripts,
``.get()`` and attribute reads to the expressions it came from, and says
what kind of source each one is. Rules of any family can ask "is this
request data?" or "was this hashed?".

This module recognises request data in one file. What project definitions
are (hashing functions, models, schemas) is the project-names view in
``_auth_project``, built on the facts the index collects in ``_auth_index``;
password names are in ``_auth_names``.

The classification is conservative: a value that passed through any call
it does not know is "unknown", and rules stay quiet on unknown values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bplint.rules._auth_index import HASH_METHOD_NAMES, HASH_WORDS, AuthFacts, ast_spelling, auth_facts
from bplint.rules._auth_names import (
    hash_word, is_hash_name, is_password_name, name_parts, password_word,
)
from bplint.rules._auth_project import (
    HASH_FUNCTIONS, MODEL, SCHEMA, ProjectNames, auth_project, last_name, module_framework, project_names,
    resolve_spelled, spelling,
)

if TYPE_CHECKING:
    from bplint.scan.context import FileContext

__all__ = [  # what rules import from here, wherever it is defined
    "DB", "HASH", "LITERAL", "MODEL", "PASSWORD_PARAM", "REQUEST", "SCHEMA", "VALIDATED",
    "HASH_FUNCTIONS", "HASH_METHOD_NAMES", "HASH_WORDS", "AuthFacts", "Origins", "ProjectNames", "ast_spelling",
    "auth_facts", "hash_word", "is_hash_name", "is_password_name", "last_name", "name_parts", "password_word",
    "project_names", "resolve_spelled", "spelling",
]

# --- kinds of origin ---------------------------------------------------------------

REQUEST = "request"              # raw request data: a dict, form or body as the client sent it
VALIDATED = "validated"          # request data through a schema or form (typed, whitelisted fields)
HASH = "hash"                    # the result of a password hashing call
DB = "db"                        # a row or object read from the database
LITERAL = "literal"              # a string, bytes or number literal
PASSWORD_PARAM = "password-param"  # a function parameter named like a password

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


# --- database reads -----------------------------------------------------------------

DB_METHODS = frozenset({"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none",
                        "fetchone", "first_or_404", "get_or_404", "one_or_404", "find_one", "get_object_or_404",
                        "earliest", "latest"})
DB_FUNCTIONS = frozenset({"django.shortcuts.get_object_or_404", "flask_login.current_user",
                          "flask_login.utils.current_user"})


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
    def qualified(self, node: cst.CSTNode, _depth: int = 0) -> str | None:
        """A callee's qualified name, through imports, module objects, own definitions and
        local objects (`ph = PasswordHasher()` then `ph.hash` is `argon2.PasswordHasher().hash`)."""
        spelled = spelling(node)
        if spelled is None or _depth > 8:  # `x = x.copy()` binds x to a call on itself
            return None
        head = spelled.split(".", 1)[0]
        if self.bindings is not None and not head.endswith("()"):
            binding = self.bindings.latest(head)
            if binding is not None and binding.kind != "import":
                if binding.kind in ("assign", "annassign") and isinstance(binding.value, cst.Call):
                    inner = self.qualified(binding.value.func, _depth + 1)
                    if inner:
                        return f"{inner}(){spelled[len(head):]}"
                return None
        return self.project.follow_instance(resolve_spelled(spelled, self.ctx.facts))

    def framework(self) -> str | None:
        """"django", "fastapi" or "flask": the framework this file (else the project) uses.
        Only a file that imports none of them reads the project-wide view."""
        own = module_framework(self.ctx.facts) if self.ctx.facts is not None else None
        return own or auth_project(self.ctx.index).framework

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
        if password_word(param.name.value) and not hash_word(param.name.value):
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
