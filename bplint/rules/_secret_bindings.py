"""BP101's checks of literals bound to a name: the ``SecretBindings`` visitor mixin.

A literal is judged by the name it is bound to: by assignment (module, class,
attribute and subscript targets, tuple unpacking), annotation, keyword
argument, dict key, parameter default, pydantic/dataclass field default, and
the fallback of an environment or settings lookup. Literals handed to the key
or password argument of a signing, encryption or auth API are judged by the
API. What counts as a secret-like name lives in ``_secret_names``.
"""

from __future__ import annotations

import re
from typing import Iterator

import libcst as cst

from bplint.project.index import ENV_GETTERS, ENV_READER_CLASSES
from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.roles import Role
from bplint.rule import PythonRule
from bplint.rules._config_app import app_kind, config_owner
from bplint.rules._config_context import is_config_name, is_dev_or_test_name
from bplint.rules._secret_formats import find_tokens, is_placeholder, is_template, is_weak, masked
from bplint.rules._secret_names import TYPE_NAMES, is_secret_name, is_signing_key_name, name_words, names_a_field


# Environment readers (the index's own list): their second argument (or ``default=``)
# is a fallback value.
ENV_DEFAULT_GETTERS = frozenset(ENV_GETTERS)

# Calls whose argument is a key or password: qualified name -> (position, keywords).
KEY_ARGUMENTS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "jwt.encode": (1, ("key",)),
    "jwt.decode": (1, ("key",)),
    "jwt.api_jwt.encode": (1, ("key",)),
    "jwt.api_jwt.decode": (1, ("key",)),
    "jose.jwt.encode": (1, ("key",)),
    "jose.jwt.decode": (1, ("key",)),
    "jose.jws.sign": (1, ("key",)),
    "jose.jws.verify": (1, ("key",)),
    "authlib.jose.jwt.encode": (2, ("key",)),
    "authlib.jose.jwt.decode": (1, ("key",)),
    "hmac.new": (0, ("key",)),
    "hmac.HMAC": (0, ("key",)),
    "hmac.digest": (0, ("key",)),
    "cryptography.fernet.Fernet": (0, ("key",)),
    "django.core.signing.Signer": (0, ("key",)),
    "django.core.signing.TimestampSigner": (0, ("key",)),
    "django.core.signing.dumps": (None, ("key",)),
    "django.core.signing.loads": (None, ("key",)),
    "Crypto.Cipher.AES.new": (0, ("key",)),
    "Cryptodome.Cipher.AES.new": (0, ("key",)),
    "nacl.secret.SecretBox": (0, ("key",)),
    "requests.auth.HTTPBasicAuth": (1, ("password",)),
    "requests.auth.HTTPDigestAuth": (1, ("password",)),
    "httpx.BasicAuth": (1, ("password",)),
    "httpx.DigestAuth": (1, ("password",)),
    "aiohttp.BasicAuth": (1, ("password",)),
}
# Every signer and serializer of itsdangerous takes the secret key first.
ITSDANGEROUS_CLASSES = frozenset({
    "Signer", "TimestampSigner", "Serializer", "TimedSerializer", "URLSafeSerializer",
    "URLSafeTimedSerializer", "JSONWebSignatureSerializer", "TimedJSONWebSignatureSerializer",
})

# Keyword arguments, dict keys and names whose value is sample data for API
# docs or a UI: a ``"password": "secret"`` there is an example, not a credential.
EXAMPLE_KEYS = frozenset({"json_schema_extra", "schema_extra"})
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples", "placeholder", "placeholders"})


def is_example_name(name: str | None) -> bool:
    return name is not None and (name in EXAMPLE_KEYS or bool(EXAMPLE_WORDS.intersection(name_words(name))))


class ExampleContext:
    """Counts how deep the walk is inside sample data (``examples=[...]``,
    ``{"example": {...}}``, ``sqlalchemy_uri_placeholder = "..."``)."""

    _example_depth = 0
    # arguments passed in the place of a parameter named like sample data (see ``_note_example_args``)
    _example_args: frozenset[int] = frozenset()

    def _example_names(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Arg):
            if node.keyword is None:
                return id(node) in self._example_args
            return is_example_name(node.keyword.value)
        if isinstance(node, cst.DictElement):
            return is_example_name(string_value(node.key))
        if isinstance(node, cst.Assign):
            return any(is_example_name(target_name(t.target)) for t in node.targets)
        if isinstance(node, cst.AnnAssign):
            return is_example_name(target_name(node.target))
        return False

    def _enter(self, node: cst.CSTNode) -> None:
        if self._example_names(node):
            self._example_depth += 1

    def _leave(self, node: cst.CSTNode) -> None:
        if self._example_names(node):
            self._example_depth -= 1

ENUM_BASES = ("enum.", "django.db.models.TextChoices", "django.db.models.IntegerChoices",
              "django.db.models.Choices", "django.db.models.enums.")

# Shorter values are not secrets anything relies on (and lexer tables are full
# of `token = "if"`).
MIN_SECRET_LENGTH = 3


def env_name(name: str) -> str:
    """``dbPassword`` -> ``DB_PASSWORD``, ``secret_key`` -> ``SECRET_KEY``: the variable to read
    it from. A name already spelled as a variable (``SECRET_KEY2``) is kept as it is."""
    spelled = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
    if spelled.upper() == spelled or spelled.lower() == spelled:
        return spelled.upper() or "SECRET"
    return "_".join(name_words(name)).upper() or "SECRET"


# Objects that hold the application's settings: a literal fallback of a lookup on them
# is the value the application runs with when the setting is missing.
SETTINGS_OBJECTS = frozenset({"django.conf.settings", "flask.current_app.config", "quart.current_app.config"})


def literal_leaves(expr: cst.BaseExpression | None) -> Iterator[tuple[cst.BaseExpression, str]]:
    """The string literals an expression can evaluate to: ``x or "dev"``, ``"a" if c else "b"``."""
    if expr is None:
        return
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = string_value(expr)
        if value is not None:
            yield expr, value
    elif isinstance(expr, cst.IfExp):
        yield from literal_leaves(expr.body)
        yield from literal_leaves(expr.orelse)
    elif isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        yield from literal_leaves(expr.left)
        yield from literal_leaves(expr.right)


def target_name(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index):
            return string_value(index.value)
    return None


def is_enum_class(node: cst.ClassDef, rule: PythonRule) -> bool:
    for base in node.bases:
        qualified = rule.ctx.qualified_name(base.value) or ""
        if qualified.startswith(ENUM_BASES):
            return True
        # a project's own enum base class, defined elsewhere in the project
        spelled = qualified or (base.value.value if isinstance(base.value, cst.Name) else "")
        if spelled.endswith(("Enum", "Choices")):
            return True
    return False


class SecretBindings(ExampleContext):
    """The binding checks of ``HardcodedSecret`` (BP101). The rule's ``__init__`` sets
    ``_extra``, ``_allowed``, ``_done`` and ``_scopes``."""

    # --- judging one literal --------------------------------------------------

    def _judge_bound(self, name: str, expr: cst.BaseExpression | None, what: str,
                     variable: str | None = None) -> None:
        """``expr`` is bound to ``name``; report its literal values when ``name`` holds a secret.

        ``variable`` is the environment variable a fix would read it from, when the binding has
        one that is natural (a setting, an attribute, an environment lookup); dict entries,
        arguments and parameters have none, and the message then invents none."""
        if expr is None or self._example_depth or not is_secret_name(name, self._extra):
            return
        signing = is_signing_key_name(name)
        for node, value in literal_leaves(expr):
            if id(node) in self._done or is_template(value) or (value.strip() and value in self._allowed):
                continue
            if not value.strip():
                continue
            if (signing and self._in_production(node) and is_weak(value) and not _names_a_setting(name, value)
                    and not value.startswith("django-insecure-")):
                self._report_weak_key(node, value, what, variable)
                continue
            if is_placeholder(value, self._allowed):
                continue
            if len(value.strip()) < MIN_SECRET_LENGTH or names_a_field(name, value):
                continue
            if not self._in_production(node) and is_weak(value):
                continue  # a guessable value in development or test configuration protects nothing
            self._report_secret(node, value, what, variable)
        if isinstance(expr, cst.Call):
            self._judge_lookup(expr, fallback_name=name)

    def _in_production(self, node: cst.CSTNode) -> bool:
        """Code that production loads: application code outside development and test config classes
        and outside the regions of other roles (a command, a `__main__` block)."""
        return (self.ctx.role_at(node) in (None, Role.APPLICATION)) and not self._dev_classes

    @staticmethod
    def _fix(variable: str | None) -> str:
        if variable is None:
            return "read it from the environment or a secrets manager instead"
        return f"read it from the environment (`os.environ[\"{variable}\"]`) or a secrets manager instead"

    def _report_weak_key(self, node: cst.CSTNode, value: str, what: str, variable: str | None) -> None:
        self._done.add(id(node))
        self.report(node, f"{what} is a weak or placeholder signing key ({masked(value)}) that anyone can guess "
                          f"to forge sessions and tokens; generate a random one (`secrets.token_hex(32)`) and "
                          f"{self._fix(variable)}.", secret=True)

    def _report_secret(self, node: cst.CSTNode, value: str, what: str, variable: str | None) -> None:
        self._done.add(id(node))
        shown = masked(value)
        if value.startswith("django-insecure-"):
            message = f"{what} is Django's generated development key ({shown}); {self._fix(variable)}."
        else:
            token = next(find_tokens(value), None)
            kind = f"holds {token.title}" if token else "is a hardcoded secret"
            if what.startswith("The default of parameter"):
                message = (f"{what} {kind} ({shown}); remove the default and pass the value in, read "
                           f"from the environment or a secrets manager.")
            else:
                message = f"{what} {kind} ({shown}); {self._fix(variable)}."
        self.report(node, message, secret=True)

    # --- scopes: enum bodies hold member values, not secrets -------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append("enum" if is_enum_class(node, self) else "class")
        # class TestingConfig(Config) / DevelopmentConfig: configuration production does not load
        dev = is_dev_or_test_name(node.name.value) and is_config_name(node.name.value)
        self._dev_classes.append(dev) if dev else None
        self._class_dev.append(dev)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.pop()
        if self._class_dev.pop():
            self._dev_classes.pop()

    def visit_Module(self, node: cst.Module) -> None:
        self._signatures = _module_signatures(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append("def")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append("def")

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.pop()

    @property
    def _in_enum(self) -> bool:
        return bool(self._scopes) and self._scopes[-1] == "enum"

    # --- example data for API docs -------------------------------------------

    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter(node)

    def leave_Arg(self, node: cst.Arg) -> None:
        self._leave(node)

    # --- bindings -------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)
        self._enter(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._leave(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)
        self._enter(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._leave(node)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if value is None or self._in_enum:
            return
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements):
                    self._bind(t.value, v.value)
            return
        name = target_name(target)
        if name is None:
            return
        # a name, an attribute or a config key is a setting: its variable is natural;
        # an entry of some other mapping (`payload["api_key"] = ...`) has none
        variable = env_name(name) if not isinstance(target, cst.Subscript) or config_owner(target.value) else None
        self._judge_bound(name, value, f"`{name}`", variable)
        if isinstance(value, cst.Call) and self._scopes and self._scopes[-1] == "class":
            self._judge_field_default(name, value)

    def _judge_field_default(self, name: str, call: cst.Call) -> None:
        """``secret_key: str = Field("dev", ...)`` in a pydantic model or dataclass."""
        qualified = self.ctx.qualified_name(call.func) or ""
        if qualified.rsplit(".", 1)[-1] not in ("Field", "field") or not qualified.startswith(
                ("pydantic", "dataclasses", "sqlmodel", "attr", "msgspec")):
            return
        arg = keyword_arg(call, "default") or (positional_arg(call, 0) if qualified.startswith(("pydantic", "sqlmodel")) else None)
        if arg is not None:
            self._judge_bound(name, arg.value, f"The default of `{name}`", env_name(name))

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._judge_bound(node.name.value, node.default, f"The default of parameter `{node.name.value}`")

    def visit_Dict(self, node: cst.Dict) -> None:
        if _names_field_types(node):
            self._field_maps.add(id(node))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None and not self._field_maps:
            self._judge_bound(key, node.value, f"The `{key}` entry")
        self._enter(node)

    def leave_Dict(self, node: cst.Dict) -> None:
        self._field_maps.discard(id(node))

    def leave_DictElement(self, node: cst.DictElement) -> None:
        self._leave(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._note_example_args(node)
        config_call = _is_config_call(self, node)
        for arg in node.args:
            if arg.keyword is not None:
                keyword = arg.keyword.value
                self._judge_bound(keyword, arg.value, f"The `{keyword}` argument",
                                  env_name(keyword) if config_call else None)
        self._judge_lookup(node)
        self._judge_key_argument(node)

    def _note_example_args(self, call: cst.Call) -> None:
        """``Placeholder("url", func, lambda event: {...})`` where the project's own
        ``Placeholder(identifier, func, sample)`` takes that argument as its ``sample``: sample data."""
        func = call.func
        params = self._signatures.get(func.value) if isinstance(func, cst.Name) else None
        if not params:
            return
        found = {id(arg) for arg, param in zip((a for a in call.args if a.keyword is None and not a.star), params)
                 if is_example_name(param)}
        if found:
            self._example_args = self._example_args | found

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # os.environ.get("SECRET_KEY") or "dev"
        if isinstance(node.operator, cst.Or) and isinstance(node.left, cst.Call):
            looked_up = self._lookup_name(node.left)
            if looked_up is not None:
                self._judge_bound(looked_up[0], node.right, f"The fallback for `{looked_up[0]}`",
                                  looked_up[0] if looked_up[2] else None)

    # --- environment reads and lookups with a literal fallback ----------------

    def _is_settings_object(self, node: cst.BaseExpression) -> bool:
        """Django's ``settings``, a Flask app's ``config``, or a settings object the project
        imports from its own configuration module (``from app.core.config import settings``)."""
        qualified = self.ctx.qualified_name(node)
        if qualified in SETTINGS_OBJECTS:
            return True
        owner = config_owner(node)
        if owner is not None and app_kind(self, owner):
            return True
        return (isinstance(node, cst.Name) and qualified is not None and "." in qualified
                and not qualified.startswith("builtins.") and is_config_name(qualified.rsplit(".", 1)[-1]))

    def _lookup_name(self, call: cst.Call) -> tuple[str, cst.BaseExpression | None, bool] | None:
        """For a lookup of a setting or environment variable by name: the name, its fallback
        expression (None when there is none) and whether it reads the environment. A ``.get``
        on any other object (an API response, a ``ConfigParser`` section) is no such lookup."""
        func = call.func
        qualified = self.ctx.qualified_name(func)
        if qualified == "builtins.getattr":
            # getattr(settings, "SECRET_KEY", "dev"): the name is the second argument
            owner, name_arg, default = positional_arg(call, 0), positional_arg(call, 1), positional_arg(call, 2)
            looked_up = string_value(name_arg.value) if name_arg is not None else None
            if looked_up is None or owner is None or not self._is_settings_object(owner.value):
                return None
            return looked_up, (default.value if default is not None else None), False
        first = positional_arg(call, 0)
        looked_up = string_value(first.value) if first is not None else None
        if looked_up is None:
            return None
        default = keyword_arg(call, "default")
        if qualified in ENV_DEFAULT_GETTERS:
            default = default or positional_arg(call, 1)
        elif isinstance(func, cst.Name) and self.ctx.instance_of(func) in ENV_READER_CLASSES:
            pass  # env("SECRET_KEY", default="dev"): the second positional is a cast
        elif isinstance(func, cst.Attribute):
            owner = func.value
            if isinstance(owner, cst.Name) and self.ctx.instance_of(owner) in ENV_READER_CLASSES:
                default = default or positional_arg(call, 1)  # env.str("SECRET_KEY", "dev")
            elif (func.attr.value in ("get", "setdefault") and len(call.args) == 2
                  and self._is_settings_object(owner)):
                # settings.get("SECRET_KEY", "dev"), app.config.get("SECRET_KEY", "dev")
                default = default or positional_arg(call, 1)
                return looked_up, (default.value if default is not None else None), False
            else:
                return None
        else:
            return None
        return looked_up, (default.value if default is not None else None), True

    def _judge_lookup(self, call: cst.Call, fallback_name: str | None = None) -> None:
        looked_up = self._lookup_name(call)
        if looked_up is None or looked_up[1] is None:
            return
        name, default, environment = looked_up
        variable = name if environment else None
        if not is_secret_name(name, self._extra) and fallback_name is not None and environment:
            # SECRET_KEY = os.getenv("APP_SK", "dev"): the environment read names the variable
            name = fallback_name
        self._judge_bound(name, default, f"The fallback value for `{name}`", variable)

    # --- keys handed to signing and encryption APIs ----------------------------

    def _judge_key_argument(self, call: cst.Call) -> None:
        qualified = self.ctx.qualified_name(call.func)
        if qualified is None:
            return
        spec = KEY_ARGUMENTS.get(qualified)
        if spec is None and qualified.startswith("itsdangerous.") and qualified.rsplit(".", 1)[-1] in ITSDANGEROUS_CLASSES:
            spec = (0, ("secret_key",))
        if spec is None:
            return
        position, keywords = spec
        arg = next((keyword_arg(call, k) for k in keywords if keyword_arg(call, k) is not None), None)
        if arg is None and position is not None:
            arg = positional_arg(call, position)
        if arg is None:
            return
        callee = qualified.replace("builtins.", "")
        key = arg.value
        if isinstance(key, cst.Name):
            # secret = "secret" ... jwt.encode(payload, secret): the one literal the name is bound to
            binding = self.ctx.bindings.only(key.value) if self.ctx.bindings is not None else None
            if binding is None or binding.kind not in ("assign", "annassign") or binding.value is None:
                return
            key = binding.value
        for node, value in literal_leaves(key):
            if id(node) in self._done or is_placeholder(value, self._allowed):
                continue
            if "PUBLIC KEY" in value or "CERTIFICATE" in value:
                continue  # verifying with a public key is not a secret
            self._done.add(id(node))
            what = "password" if keywords == ("password",) else "key"
            weak = " weak" if what == "key" and is_weak(value) else ""
            self.report(node, f"`{callee}` is given a hardcoded{weak} {what} ({masked(value)}); read it from "
                              f"the environment or a secrets manager instead.", secret=True)


def _names_a_setting(name: str, value: str) -> bool:
    """``SECRET_KEY = "DJANGO_SECRET_KEY"``, ``{"secret_key": "secret_key"}``: the value is the name
    of a setting or variable (an identifier ending in the same words), handed on elsewhere."""
    stripped = value.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[_.-][A-Za-z0-9]+)*", stripped) or is_placeholder(stripped):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", stripped):
        return True
    words, value_words = name_words(name), name_words(stripped)
    return len(value_words) >= len(words[-2:]) and value_words[-2:] == words[-2:]


# --- facts of one module the checks above share ----------------------------------

# What a field-description mapping maps names to: the type of each field.
FIELD_TYPE_WORDS = TYPE_NAMES | {"string", "text", "char", "time", "object", "any", "file", "password", "secret"}


def _names_field_types(node: cst.Dict) -> bool:
    """``{"name": "str", "secret": "url", "enabled": "bool"}``: every value is the type of a field."""
    values = [string_value(e.value) for e in node.elements if isinstance(e, cst.DictElement)]
    if len(values) < 2 or len(values) != len(node.elements):
        return False
    return all(v is not None and v.strip().lower() in FIELD_TYPE_WORDS for v in values)


def _parameter_names(func: cst.FunctionDef, skip_self: bool) -> list[str]:
    params = [*func.params.posonly_params, *func.params.params]
    names = [p.name.value for p in params]
    return names[1:] if skip_self and names else names


def _module_signatures(module: cst.Module) -> dict[str, list[str]]:
    """The positional parameters of the module's top-level functions and of its classes'
    ``__init__``: which parameter a positional argument of a call binds."""
    found: dict[str, list[str]] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            found[stmt.name.value] = _parameter_names(stmt, skip_self=False)
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for inner in stmt.body.body:
                if isinstance(inner, cst.FunctionDef) and inner.name.value == "__init__":
                    found[stmt.name.value] = _parameter_names(inner, skip_self=True)
    return found


def _is_config_call(rule: PythonRule, call: cst.Call) -> bool:
    """``app.config.update(SECRET_KEY=...)``, ``app.config.from_mapping(...)``: keywords that are settings."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("update", "from_mapping", "setdefault"):
        return False
    owner = config_owner(func.value)
    return owner is not None and bool(app_kind(rule, owner))
