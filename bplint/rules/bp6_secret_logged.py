"""BP603: a password, token or key written to a log."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import names
from bplint.project.roles import NOT_TESTS_OR_EXAMPLES, Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import last_name
from bplint.rules._secret_names import is_secret_name, name_words
from bplint.rules.bp6_logging import ast_print_or_log_call, is_print, logging_call, renames_print


# Wrapping calls that do not reveal the value.
NON_REVEALING = frozenset({"len", "bool", "type", "id", "hash", "mask", "redact", "sha256", "md5", "isinstance",
                           "callable", "hasattr", "getattr"})
HIDING_WORDS = ("mask", "redact", "hash", "encrypt", "digest", "censor", "obfuscate")
STRING_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "decode", "encode", "replace",
                            "format", "hex", "title", "casefold"})
# Look-ups whose first argument names what they return: `data.get("password")`, `os.getenv("API_KEY")`.
KEYED_LOOKUPS = frozenset({"get", "pop", "getenv", "getlist", "get_json"})

# The last word of a name that holds a credential's value (plurals: a collection of such values).
VALUE_WORDS = frozenset({
    "secret", "secrets", "password", "passwords", "passwd", "pwd", "pw", "passphrase", "apikey", "apikeys",
    "accesskey", "privatekey", "secretkey", "credential", "credentials", "creds", "authtoken", "authtokens",
    "signingkey", "encryptionkey", "jwtsecret", "clientsecret", "pass",
})
VALUE_PAIRS = frozenset({(first, last) for first in ("api", "access", "private", "signing", "encryption", "secret",
                                                     "auth", "master") for last in ("key", "keys")})
# Words before `token` that make it a credential: `access_token`, `api_token`, `refresh_token`.
CREDENTIAL_TOKENS = frozenset({"access", "refresh", "auth", "id", "bearer", "api", "jwt", "oauth", "session",
                               "github", "gitlab", "slack", "bot", "personal", "service", "client", "app",
                               "reset", "verification", "confirmation", "invite", "magic", "login", "sso", "hmac"})
# Words before `token` that make it public by design: a CSRF token is in every page it protects, an
# ACME challenge token is published in DNS or over HTTP for the CA to fetch.
PUBLIC_TOKENS = frozenset({"csrf", "xsrf", "challenge", "acme", "dns", "txt"})
# Words of a function's names that say it publishes a challenge value (a DNS TXT record, ACME).
PUBLISHING_WORDS = frozenset({"txt", "acme", "challenge", "challenges", "dns01", "http01"})
# Keywords of a call that hand a value to a child process's environment, not to its output.
ENVIRONMENT_KEYWORDS = frozenset({"env", "environ", "environment"})
# Last words that only say how the value is written: `secret_b64`, `password_raw`, `token_str`.
VALUE_FORMS = frozenset({"value", "str", "string", "raw", "plain", "plaintext", "clear", "cleartext", "b",
                         "base64", "hex", "encoded", "bytes"})
# Headers that carry credentials: `request.headers["Authorization"]`.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                                "x-auth-token", "api-key"})
# Methods of plain values (str, bytes, dict): using one says nothing about the name holding an object.
PLAIN_VALUE_METHODS = frozenset(m for t in (str, bytes, dict) for m in dir(t) if not m.startswith("_"))

VALUE, AMBIGUOUS = "value", "ambiguous"


def secret_kind(name: str) -> str | None:
    """VALUE when a name holds a credential as a whole (`password`, `api_key`, `access_token`,
    `settings.SECRET_KEY`); AMBIGUOUS for a bare `token`, which is as often a record (an OTP
    device, a lexer token, a database row) as a credential; None otherwise. The secret word must
    be the last word: `token_obj`, `password_hash`, `token_serial`, `TOKEN_IS_ACTIVE` name
    something else. A collection of plain `tokens` is a list of records more often than not."""
    words = list(name_words(name))
    while len(words) > 1 and (words[-1] in VALUE_FORMS or words[-1].isdigit()):  # `secret_b64`, `password2`
        words.pop()
    if not words or not is_secret_name("_".join(words)) and words != ["pass"]:
        return None
    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if last in VALUE_WORDS or (before, last) in VALUE_PAIRS:
        return VALUE
    if last in ("token", "tokens"):
        if before in PUBLIC_TOKENS:
            return None
        if before in CREDENTIAL_TOKENS:
            return VALUE
        return AMBIGUOUS if last == "token" else None
    return None


def secret_key(key: str) -> bool:
    """A mapping key or header whose value is a credential (`"password"`, `"token"`, `"Authorization"`)."""
    return key.lower() in CREDENTIAL_HEADERS or secret_kind(key) is not None


def secret_values(node: cst.CSTNode):
    """(node, kind) for names, attributes, subscripts and keyed look-ups inside ``node`` that hold a
    credential (see ``secret_kind``)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Lambda, cst.SimpleString, cst.Comparison)):
            continue
        if isinstance(current, cst.Call):
            callee = (names.dotted(current.func) or "").lower()
            last = callee.rsplit(".", 1)[-1]
            if last in NON_REVEALING or any(word in callee for word in HIDING_WORDS):
                continue
            if last in KEYED_LOOKUPS:
                first = names.positional_arg(current, 0)
                key = names.string_value(first.value) if first is not None else None
                if key is not None and secret_key(key):
                    yield current, VALUE
                    continue
            # a child process's environment is not what the call returns (`check_output(cmd, env=...)`)
            stack.extend(reversed([a.value for a in current.args
                                   if a.keyword is None or a.keyword.value not in ENVIRONMENT_KEYWORDS]))
            # `password.strip()` is the secret; `token.get_serial()` is something else
            if isinstance(current.func, cst.Attribute) and current.func.attr.value in STRING_METHODS:
                stack.append(current.func.value)
            continue
        if isinstance(current, cst.Name):
            kind = secret_kind(current.value)
            if kind is not None:
                yield current, kind
            continue
        if isinstance(current, cst.Attribute):
            kind = secret_kind(current.attr.value)
            if kind is not None:
                yield current, kind
            continue
        if isinstance(current, cst.Subscript):
            if any(not isinstance(e.slice, cst.Index) for e in current.slice):
                continue  # token[:4]: a prefix
            keys = [names.string_value(e.slice.value) for e in current.slice]  # type: ignore[union-attr]
            if any(k is not None for k in keys):
                # the value is what the key names: `data["password"]`, not `token["serial"]`
                if any(k is not None and secret_key(k) for k in keys):
                    yield current, VALUE
                continue
            container = current.value
            spelled = container.attr.value if isinstance(container, cst.Attribute) else \
                container.value if isinstance(container, cst.Name) else None
            if spelled is not None and secret_kind(spelled) == VALUE:
                yield current, VALUE  # passwords[i]: one of the secrets
            continue
        stack.extend(reversed(current.children))


def object_spellings(scope: cst.CSTNode) -> set[str]:
    """Spellings used as objects in ``scope``: the base of an attribute that is not a plain value's
    method (`token.serial`, `self.token.get_type()`), and loop targets (elements of a collection)."""
    found: set[str] = set()
    stack = [scope]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute) and node.attr.value not in PLAIN_VALUE_METHODS:
            spelled = names.dotted(node.value)
            if spelled is not None:
                found.add(spelled)
        elif isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name):
            found.add(node.target.value)
        stack.extend(node.children)
    return found


# --- ast trigger: the same name tests over CPython's ast, looser --------------------------------

SKIPPED_KEYWORDS = frozenset({"exc_info", "stack_info", "stacklevel", "file", "sep", "end", "flush"})


def _ast_candidate(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return secret_kind(node.id) is not None
    if isinstance(node, ast.Attribute):
        return secret_kind(node.attr) is not None
    if isinstance(node, ast.Subscript):
        keys = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return any(isinstance(k, ast.Constant) and isinstance(k.value, (str, bytes)) and
                   secret_key(k.value if isinstance(k.value, str) else k.value.decode("latin-1")) for k in keys)
    if isinstance(node, ast.Call) and last_name(node.func) in KEYED_LOOKUPS and node.args:
        first = node.args[0]
        return isinstance(first, ast.Constant) and isinstance(first.value, str) and secret_key(first.value)
    return False


def ast_logs_secret(node: ast.Call) -> bool:
    """A print- or logging-like call with a credential-like name among its arguments."""
    if not ast_print_or_log_call(node):
        return False
    parts = [*node.args, *(k.value for k in node.keywords if k.arg not in SKIPPED_KEYWORDS)]
    return any(_ast_candidate(inner) for part in parts for inner in ast.walk(part))


class SecretLogged(PythonRule):
    code = "BP603"
    name = "secret-logged"
    category = "logging"
    severity = Severity.ERROR
    precision = Precision(6, 30, "2026-12-02", unseen=(2, 12))
    preview = True
    # a migration's log is read once by whoever runs it, about the data it fixes
    roles = NOT_TESTS_OR_EXAMPLES - {Role.MIGRATION}
    cwe = (532,)
    summary = "Password, token or key written to a log"
    what = ("Finds logging calls and `print(...)` whose arguments include a credential's value: a "
            "variable or attribute whose name ends in a secret word (`password`, `user.password`, "
            "`settings.SECRET_KEY`, `api_key`, `access_token`, `client_secret`), a key or header that "
            "names one (`data[\"api_key\"]`, `request.headers[\"Authorization\"]`, "
            "`data.get(\"password\")`), directly or inside an f-string, `%` or `.format()`. The secret "
            "word must be the last word of the name: `password_hash`, `token_type`, `token_obj`, "
            "`token_serial`, `TOKEN_URL` name something about a secret, not the secret. A bare `token` "
            "is often a record (an OTP device, a database row, a lexer token) rather than a credential "
            "string: it is quiet when its function uses it as an object (`token.serial`, "
            "`token.check()`, a loop over a collection), and a plain `tokens` collection is quiet. "
            "Attributes, ids, counts and values wrapped in `len()`, `bool()` or a masking helper are quiet. "
            "Tokens that are public by design are quiet: a CSRF token (it is in every page it protects) and "
            "an ACME challenge token, published in a DNS TXT record for the certificate authority to read "
            "(a bare `token` in a function that writes or checks TXT records or challenges). So is the "
            "output of a command whose environment held the secret (`check_output(cmd, env=...)`), "
            "`print()` in a command-line program (its output, not a log) and migrations.")
    why = ("Logs are copied to aggregators, backups and support tickets and read by many more people "
           "than the secret's owner: a credential in a log is a leaked credential.")
    how_to_fix = ("Log an identifier instead of the secret (`user.id`, the key's name or its last 4 "
                  "characters), or remove the value from the message.")
    bad = 'logger.info("login %s with password %s", username, password)\n'
    good = 'logger.info("login attempt for %s", username)\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def login(username, password):
                logger.info("login %s with %s", username, password)
                logger.debug(f"token={user.api_token}")
                print("reset", data["password"])
            """, line=6, count=3),
        Flag("""
            import logging
            from flask import request

            log = logging.getLogger(__name__)

            def callback(passwords, i):
                token = request.headers.get("X-Token")
                log.debug("header %s", request.headers["Authorization"])
                log.debug("body %s", request.form.get("password"))
                log.info("refresh with %s", oauth.refresh_token)
                log.info("got token %s", token.strip())
                log.info("secret %s", SECRET_KEY_B64)
                log.warning("one of %s", passwords[i])
            """, line=8, count=6, note="headers, keyed look-ups, `*_token`, a token string, `passwords[i]`"),
        Quiet("""
            import logging

            log = logging.getLogger(__name__)

            def check(serial, tokens, token_obj, tokenclass):
                token = get_one_token(serial=serial)
                log.debug("checking %s", token)
                token.check_otp("123456")
                log.debug("serial %s, type %s", token.token.serial, tokenclass)
                log.info("found %d tokens: %s", len(tokens), tokens)
                log.info("object %s in %s", token_obj, TOKEN_IS_IN_CONTAINER)
                for item in tokens:
                    log.info("row %s otp %s", item, item["otp"])
                for token in tokens:
                    print(token)
            """, note="a token that is a record: used as an object, a collection, a loop element"),
        Quiet("""
            import logging

            from flask import current_app

            def create_txt_record(zone, domain, token):
                zone.add_record(domain, record_type="TXT", txtdata=f'"{token}"', ttl=60)
                current_app.logger.debug("TXT record for %s created with %s", domain, token)

            def render_form(request, csrf_token):
                logging.getLogger(__name__).debug("form rendered with csrf token %s", csrf_token)
            """, note="an ACME DNS-01 challenge value and a CSRF token: public by design"),
        Quiet("""
            import os
            import subprocess

            def dump(database, password):
                env = {**os.environ, "PGPASSWORD": password}
                print(subprocess.check_output(["pg_dump", database], env={"PGPASSWORD": password}, text=True))
                print(subprocess.run(["psql", "-l"], env=env, capture_output=True).stdout)
            """, path="app/backup.py", note="a command's output; only its environment held the password"),
        Quiet("""
            import secrets

            import click

            @click.command()
            def new_api_key():
                api_key = secrets.token_urlsafe(32)
                print(api_key)
            """, path="tools/make_key.py", note="a command-line program prints the key it makes: its output"),
        Quiet("""
            import secrets

            from app.models import Bot, db


            def create_bot(name):
                bot = Bot(name=name, token=secrets.token_urlsafe(32))
                db.session.add(bot)
                db.session.commit()
                print("token:", bot.token)
            """, path="app/services/bots.py",
              files={"app/__init__.py": "", "app/services/__init__.py": "",
                     "app/models.py": "db = None\nBot = None\n",
                     "app/commands.py": "import click\n\nfrom app.services.bots import create_bot\n\n\n"
                                        "@click.command()\n@click.argument('name')\ndef add_bot(name):\n"
                                        "    create_bot(name)\n"},
              note="a function only a command calls prints what the operator asked for"),
        Flag("""
            import logging

            import click

            log = logging.getLogger(__name__)

            @click.command()
            @click.option("--password")
            def connect(password):
                log.info("connecting with %s", password)
            """, path="scripts/connect.py", line=10, note="a script's log is still a log"),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def login(username, password, token_type, user):
                logger.info("login attempt for %s", username)
                logger.info("password length %d", len(password))
                logger.info("token type %s", token_type)
                logger.info("reset password for %s", user.email)
                logger.info("hash %s", user.password_hash)
            """),
    )

    # Parsed only where a print or logging-like call has a credential-like name among its arguments.
    ast_trigger_types = (ast.Call, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.ImportFrom):
            return renames_print(node)
        return ast_logs_secret(node)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._scopes: list[cst.CSTNode] = []
        self._objects: dict[int, set[str]] = {}
        self._published: dict[int, bool] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self._scopes.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if logging_call(self.ctx, node) is None:
            if not is_print(self.ctx, node) or self.ctx.role_at(node) == Role.SCRIPT:
                return  # a command-line program's print is its output (also a command's function in a module)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in SKIPPED_KEYWORDS:
                continue
            for found, kind in secret_values(arg.value):
                if kind == AMBIGUOUS and (self._is_object(found) or self._publishes()):
                    continue
                self.report(found, "Do not log credentials: log an identifier (a user id, the key's name) "
                                   "instead of this secret value.", secret=False)
                return

    def _publishes(self) -> bool:
        """The function around the call publishes a challenge value: its name, a name or keyword in it,
        or a `"TXT"` record type speaks of TXT records or ACME challenges."""
        scope = self._scopes[-1]
        if not isinstance(scope, cst.FunctionDef):
            return False
        found = self._published.get(id(scope))
        if found is None:
            found = self._published[id(scope)] = _publishing(scope)
        return found

    def _is_object(self, node: cst.CSTNode) -> bool:
        """A `token` used as an object in its function (`token.serial`, `for token in ...`), or a
        `self.token` used so anywhere in the module: a record, not a credential string."""
        spelled = names.dotted(node)
        if spelled is None:
            return False
        scope = self._scopes[0] if "." in spelled or len(self._scopes) == 1 else self._scopes[-1]
        objects = self._objects.get(id(scope))
        if objects is None:
            objects = self._objects[id(scope)] = object_spellings(scope)
        return spelled in objects


def _publishing(function: cst.FunctionDef) -> bool:
    stack: list[cst.CSTNode] = [function]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and PUBLISHING_WORDS.intersection(name_words(node.value)):
            return True
        if isinstance(node, cst.SimpleString) and (names.string_value(node) or "").upper() == "TXT":
            return True
        stack.extend(node.children)
    return False
