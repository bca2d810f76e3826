"""What the auth family records about each module in the index phase (``facts.extra["auth"]``).

Per module: the line span of each top-level function and method, the
spelled bases of each class, the hash-like calls (so a project function is
known to hash when its body calls a hashing API), the property setters and
synonyms of classes, and which calls sit in a `try` that catches JWT errors.
Rules read these across modules through ``_auth_project.ProjectNames``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from bplint.project.index import ModuleFacts, ast_dotted, collects, qualified_name
from bplint.rules._auth_names import hash_word, password_word

# PyJWT's and python-jose's `encode` (the JWT rules read it from here too)
ENCODE_CALLS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.PyJWT().encode", "jwt.api_jwt.PyJWT().encode",
                          "jose.jwt.encode"})

# Method names that hash a password whatever object they are called on.
HASH_METHOD_NAMES = frozenset({"generate_password_hash", "make_password", "set_password", "hashpw"})
# Words in a callee's name that make it hashing for quiet-side decisions.
HASH_WORDS = ("hash", "crypt", "digest", "pbkdf2", "scrypt", "argon")


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
    # an error handler for JWT errors is registered (`@app.errorhandler(jwt.InvalidTokenError)`), or a
    # middleware catches them around every request (`try: return await call_next(request)`)
    jwt_handler: bool = False
    # in modules that use PyJWT or python-jose: function or "Class.method" -> simple names it calls
    # (who calls a function that decodes a token, one or two levels up)
    calls: dict[str, set[str]] = field(default_factory=dict)
    # calls of functions named like a password (`update_password(user_id, hashed)`): callee simple
    # name -> (position or keyword, whether the value passed looks hashed) for each argument
    password_calls: dict[str, list[tuple[int | str, bool]]] = field(default_factory=dict)
    # class name -> attributes it defines through a property, setter or synonym (`@password.setter`)
    setters: dict[str, set[str]] = field(default_factory=dict)
    # the algorithm of each PyJWT / python-jose `jwt.encode(...)` call ("HS256" when none is given,
    # "" when it is not a string literal)
    jwt_encode_algorithms: set[str] = field(default_factory=set)


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
    return ast_dotted(node, calls=True)


SETTER_DECORATORS = frozenset({"hybrid_property", "property", "cached_property"})


# Every name in HASH_METHOD_NAMES contains "hash" or "password", so one search covers them.
_HASH_LIKE = re.compile("|".join((*HASH_WORDS, "password")), re.IGNORECASE).search
_hash_like_names: dict[str, bool] = {}


def _hash_like(name: str) -> bool:
    """Memoised: the index asks for every call of every module, and callee names repeat."""
    found = _hash_like_names.get(name)
    if found is None:
        found = _hash_like_names[name] = _HASH_LIKE(name) is not None
    return found


ERROR_HANDLER_REGISTRATIONS = frozenset({"errorhandler", "exception_handler", "register_error_handler",
                                         "add_exception_handler"})
JWT_SPECIFIC_ERRORS = frozenset({"ExpiredSignatureError", "InvalidTokenError", "PyJWTError", "JWTError", "JOSEError"})
JWT_ERROR_NAMES = JWT_SPECIFIC_ERRORS | {"Exception", "BaseException"}
# What a middleware calls to run the rest of the request (Starlette, Django, WSGI/ASGI wrappers).
NEXT_HANDLER_CALLS = frozenset({"call_next", "get_response"})


def _catches_jwt_errors(handler_type: ast.AST | None, names: frozenset[str] = JWT_ERROR_NAMES) -> bool:
    if handler_type is None:
        return True
    if isinstance(handler_type, ast.Tuple):
        return any(_catches_jwt_errors(e, names) for e in handler_type.elts)
    spelled = ast_spelling(handler_type) or ""
    return spelled.rsplit(".", 1)[-1] in names


def _uses_jwt(node: ast.Module) -> bool:
    for statement in node.body:
        if isinstance(statement, ast.Import):
            if any(alias.name.split(".", 1)[0] in ("jwt", "jose") for alias in statement.names):
                return True
        elif isinstance(statement, ast.ImportFrom) and statement.module and \
                statement.module.split(".", 1)[0] in ("jwt", "jose"):
            return True
    return False


def _called_names(function: ast.AST) -> set[str]:
    found = set()
    for inner in ast.walk(function):
        if isinstance(inner, ast.Call):
            func = inner.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name:
                found.add(name)
    return found


@collects(ast.Module)
def _module_layout(node: ast.Module, facts: ModuleFacts, _: object) -> None:
    auth = None
    jwt_module = _uses_jwt(node)
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            auth = auth or _own_facts(facts)
            auth.functions[statement.name] = (statement.lineno, statement.end_lineno or statement.lineno)
            if jwt_module:
                auth.calls[statement.name] = _called_names(statement)
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
                    if jwt_module:
                        auth.calls[f"{statement.name}.{member.name}"] = _called_names(member)
                    for decorator in member.decorator_list:
                        spelled = ast_spelling(decorator) or ""
                        if spelled.endswith(".setter") or spelled.rsplit(".", 1)[-1] in SETTER_DECORATORS:
                            auth.setters.setdefault(statement.name, set()).add(member.name)
                elif isinstance(member, ast.Assign) and isinstance(member.value, ast.Call):
                    callee = (ast_spelling(member.value.func) or "").rsplit(".", 1)[-1]
                    if callee in ("synonym", "property", "hybrid_property", "column_property"):
                        names = {t.id for t in member.targets if isinstance(t, ast.Name)}
                        auth.setters.setdefault(statement.name, set()).update(names)


def _looks_hashed(node: ast.AST) -> bool:
    """`hashed`, `user.password_hash`, `await get_password_hash(pw)`, `bcrypt.hashpw(...).decode()`."""
    while isinstance(node, (ast.Await, ast.Call)):
        if isinstance(node, ast.Await):
            node = node.value
            continue
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if any(word in last.lower() for word in HASH_WORDS):
            return True
        if not isinstance(func, ast.Attribute):
            return False
        node = func.value  # `.decode()`, `.hexdigest()`
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return name is not None and hash_word(name)


@collects(ast.Call)
def _hash_like_call(node: ast.Call, facts: ModuleFacts, _: object) -> None:
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if last is None:
        return
    if password_word(last) and not hash_word(last) and (node.args or node.keywords):
        slots: list[tuple[int | str, bool]] = [(i, _looks_hashed(a)) for i, a in enumerate(node.args)
                                               if not isinstance(a, ast.Starred)]
        slots.extend((k.arg, _looks_hashed(k.value)) for k in node.keywords if k.arg)
        _own_facts(facts).password_calls.setdefault(last, []).extend(slots)
    if _hash_like(last):
        spelled = ast_spelling(func)
        if spelled:
            _own_facts(facts).hash_calls.append((node.lineno, spelled))
    if last in ERROR_HANDLER_REGISTRATIONS:
        if any(_catches_jwt_errors(a) for a in node.args[:1]) and node.args:
            _own_facts(facts).jwt_handler = True


# The algorithm `jwt.encode` signs with when the call names none (PyJWT and python-jose).
DEFAULT_JWT_ALGORITHM = "HS256"


@collects(ast.Call)
def _jwt_encode(node: ast.Call, facts: ModuleFacts, _: object) -> None:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "encode" or isinstance(func, ast.Name)
            and func.id == "encode"):
        return
    if qualified_name(func, facts) not in ENCODE_CALLS:
        return
    given = next((k.value for k in node.keywords if k.arg == "algorithm"), None)
    if given is None and len(node.args) > 2:
        given = node.args[2]
    if given is None and any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
        algorithm = ""  # `**options` may name it
    elif given is None:
        algorithm = DEFAULT_JWT_ALGORITHM
    else:
        algorithm = given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else ""
    _own_facts(facts).jwt_encode_algorithms.add(algorithm)


@collects(ast.Try, getattr(ast, "TryStar", ast.Try))
def _jwt_guarded_calls(node: ast.Try, facts: ModuleFacts, _: object) -> None:
    if not any(_catches_jwt_errors(h.type) and h.type is not None for h in node.handlers):
        return
    own = _own_facts(facts)
    specific = any(h.type is not None and _catches_jwt_errors(h.type, JWT_SPECIFIC_ERRORS) for h in node.handlers)
    for statement in node.body:
        for inner in ast.walk(statement):
            if isinstance(inner, ast.Call):
                spelled = ast_spelling(inner.func)
                if spelled:
                    name = spelled.rsplit(".", 1)[-1]
                    own.jwt_guarded.add(name)
                    if specific and name in NEXT_HANDLER_CALLS:
                        own.jwt_handler = True  # a middleware that answers token errors for every request
