"""BP6 logging: print in application code, eager formatting, secrets in logs, lost tracebacks."""

from __future__ import annotations

import libcst as cst

from bplint import names
from bplint.findings import Severity
from bplint.rule import Flag, PythonRule, Quiet
from bplint.rules._secret_names import is_secret_name, name_words

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG", "_LOGGER", "_LOG", "logging"})
# Loggers whose messages are event names or brace templates: `%s` advice does not apply.
OTHER_LOGGING = ("structlog", "loguru", "eliot", "logbook")


def _module_of_other_logging(ctx) -> bool:
    return ctx.imports_any(*OTHER_LOGGING)


def _stdlib_logger(ctx, receiver: cst.BaseExpression, depth: int = 3) -> bool:
    """`logging`, `logging.getLogger(...)`, a name bound to it (here or in another module),
    `app.logger`, `current_app.logger`, `self.logger`, or a `logger`/`log` name in a module that
    uses the standard library's logging."""
    qualified = ctx.qualified_name(receiver)
    if qualified == "logging":
        return True
    if qualified is not None and qualified.split(".", 1)[0] in OTHER_LOGGING:
        return False
    if isinstance(receiver, cst.Call):
        return ctx.qualified_name(receiver.func) == "logging.getLogger"
    if isinstance(receiver, cst.Name):
        built = ctx.facts.instances.get(receiver.value) if ctx.facts else None
        if built is not None:
            return built in ("logging.getLogger", "logging.Logger", "logging.LoggerAdapter")
        if qualified is not None and "." in qualified and ctx.index is not None:
            found = ctx.index.resolve_definition(qualified)
            if found is not None:
                facts, name = found
                return facts.instances.get(name) in ("logging.getLogger", "logging.Logger")
        return receiver.value in LOGGER_NAMES and not _module_of_other_logging(ctx) and (
            ctx.imports_any("logging", "flask", "django") or receiver.value in ("logger", "log"))
    if isinstance(receiver, cst.Attribute) and receiver.attr.value in ("logger", "log", "_logger", "_log"):
        return not _module_of_other_logging(ctx)
    return False


def logging_call(ctx, node: cst.Call) -> str | None:
    """The level method of a standard-library logging call (`info`, `error`...), else None."""
    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    return func.attr.value if _stdlib_logger(ctx, func.value) else None


def message_arg(node: cst.Call, method: str) -> cst.Arg | None:
    keyword = names.keyword_arg(node, "msg")
    if keyword is not None:
        return keyword
    return names.positional_arg(node, 1 if method == "log" else 0)


def _is_print(ctx, node: cst.Call) -> bool:
    return ctx.qualified_name(node.func) == "builtins.print"


# --- BP601 -------------------------------------------------------------------------------------

CLI_DECORATOR_ENDINGS = ("command", "group", "callback", "option", "argument")
SCRIPT_DIRS = ("scripts/", "script/", "bin/", "tools/", "management/", "docs/", "docs_src/", "examples/", "migrations/",
               "alembic/", "deploy/")
SCRIPT_FILES = frozenset({"manage.py", "__main__.py", "setup.py", "noxfile.py", "fabfile.py", "conftest.py",
                          "cli.py", "commands.py", "tasks.py", "conf.py"})


def _is_main_test(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, right = test.left, test.comparisons[0].comparator
        sides = {names.dotted(left), names.string_value(left), names.dotted(right), names.string_value(right)}
        return "__name__" in sides and "__main__" in sides
    return False


class PrintInApp(PythonRule):
    code = "BP601"
    name = "print-in-app"
    category = "logging"
    severity = Severity.WARNING
    quiet_in_tests = True
    summary = "print() in application code"
    what = ("Finds `print(...)` calls in application code. Quiet where printing is the interface: test "
            "code, `if __name__ == \"__main__\":` blocks and the functions they call, click/typer CLI "
            "commands (`@click.command`, `@app.cli.command`, `@cli.group`), modules that build an "
            "`argparse.ArgumentParser`, Django management commands, `manage.py`, `__main__.py`, "
            "`setup.py`, and files under `scripts/`, `bin/`, `tools/`, `deploy/`, `docs/`, `examples/`, "
            "`management/` and migrations.")
    why = ("`print` goes to stdout with no level, timestamp or request context; under gunicorn or "
           "uWSGI it is buffered or lost, cannot be filtered or shipped, and may leak data to a console.")
    how_to_fix = ("Use a module logger: `logger = logging.getLogger(__name__)` and "
                  "`logger.info(\"... %s\", value)`.")
    bad = 'def create_order(data):\n    order = Order(**data)\n    print("created order", order.id)\n'
    good = ('logger = logging.getLogger(__name__)\n\ndef create_order(data):\n    order = Order(**data)\n'
            '    logger.info("created order %s", order.id)\n')
    examples = (
        Flag("""
            from flask import Blueprint

            bp = Blueprint("orders", __name__)

            @bp.post("/orders")
            def create_order():
                print("creating order")
                return {}, 201
            """, line=7, count=1),
        Flag("""
            def sync(items):
                for item in items:
                    print(item)
            """, path="app/services/sync.py", line=3),
        Quiet("""
            import click

            def report(rows):
                print(len(rows))

            @click.command()
            def export():
                print("exporting")

            if __name__ == "__main__":
                print("running")
                report([])
            """, path="app/export.py", note="__main__ block, the function it calls, click command"),
        Quiet("""
            from flask import Flask

            app = Flask(__name__)

            @app.cli.command("seed")
            def seed():
                print("seeded")
            """, note="Flask CLI command"),
        Quiet("""
            import argparse

            def main():
                parser = argparse.ArgumentParser()
                parser.parse_args()
                print("done")
            """, path="app/tool.py", note="argparse entry point"),
        Quiet("""
            from django.core.management.base import BaseCommand

            class Command(BaseCommand):
                def handle(self, *args, **options):
                    print("done")
            """, path="shop/management/commands/cleanup.py"),
        Quiet('print("seeding")\n', path="scripts/seed.py"),
        Quiet('def test_x():\n    print("debug")\n    assert True\n', path="tests/test_x.py"),
        Quiet("""
            def print(*args):
                pass

            print("not the builtin")
            """, note="a local function named print"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        if "print" not in ctx.text:
            return False
        rootpath = ctx.file.rootpath or ctx.relpath
        if ctx.filename in SCRIPT_FILES or any(rootpath.startswith(d) or f"/{d}" in rootpath for d in SCRIPT_DIRS):
            return False
        return True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._quiet_depth = 0  # inside a __main__ block or a CLI command
        self._functions: list[str] = []
        self._pending: list[tuple[cst.Call, str | None]] = []
        self._called_from_main: set[str] = set()
        self._cli_module = False

    def visit_If(self, node: cst.If) -> None:
        if _is_main_test(node.test):
            self._quiet_depth += 1
            for inner in _calls_in(node.body):
                if isinstance(inner.func, cst.Name):
                    self._called_from_main.add(inner.func.value)

    def leave_If(self, node: cst.If) -> None:
        if _is_main_test(node.test):
            self._quiet_depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        if self._is_cli(node):
            self._quiet_depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()
        if self._is_cli(node):
            self._quiet_depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            qualified = self.ctx.qualified_name(base.value) or ""
            if qualified.startswith("django.core.management"):
                self._cli_module = True

    def visit_Call(self, node: cst.Call) -> None:
        callee = self.ctx.qualified_name(node.func)
        if callee == "argparse.ArgumentParser":
            self._cli_module = True
        if callee == "builtins.print" and self._quiet_depth == 0:
            self._pending.append((node, self._functions[0] if self._functions else None))

    def leave_Module(self, node: cst.Module) -> None:
        if self._cli_module:
            return
        for call, outer in self._pending:
            if outer is not None and outer in self._called_from_main:
                continue
            self.report(call, "Use a logger instead of `print()`: `logger.info(\"... %s\", value)` with "
                              "`logger = logging.getLogger(__name__)`.")

    def _is_cli(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            spelled = names.dotted(target) or ""
            last = spelled.rsplit(".", 1)[-1]
            if last in CLI_DECORATOR_ENDINGS or ".cli." in f".{spelled}." or spelled.startswith(("click.", "typer.")):
                return True
        return False


def _calls_in(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(current.children)


# --- BP602 -------------------------------------------------------------------------------------


def _has_text(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))


def eager_format(node: cst.BaseExpression) -> str | None:
    """How a message is formatted before the call: "an f-string", "`%`", "`.format()`", "`+`"."""
    if isinstance(node, cst.FormattedString):
        return "an f-string" if any(isinstance(p, cst.FormattedStringExpression) for p in node.parts) else None
    if isinstance(node, cst.ConcatenatedString):
        return eager_format(node.left) or eager_format(node.right)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Modulo) and _has_text(node.left):
            return "`%`"
        if isinstance(node.operator, cst.Add) and (_has_text(node.left) or _has_text(node.right)) and not (
                _has_text(node.left) and _has_text(node.right) and
                not isinstance(node.left, cst.FormattedString) and not isinstance(node.right, cst.FormattedString)):
            return "`+`"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format" \
            and _has_text(node.func.value):
        return "`.format()`"
    return None


class EagerLogFormat(PythonRule):
    code = "BP602"
    name = "eager-log-format"
    category = "logging"
    severity = Severity.INFO
    summary = "Log message formatted before the logging call"
    what = ("Finds standard-library logging calls (`logging.info`, `logger.warning` on a "
            "`logging.getLogger(...)` logger, `app.logger.error`, ...) whose message is built before the "
            "call: an f-string with placeholders, `%` on a string, `.format()`, or `+` with a string. "
            "Loggers of structlog, loguru and similar libraries (with their own message conventions) are "
            "left alone, as are constant messages.")
    why = ("The string is built even when the level is disabled, and every message becomes unique, so "
           "log aggregators cannot group them and the values are lost as separate fields.")
    how_to_fix = "Pass the values as arguments: `logger.info(\"user %s logged in\", user.id)`."
    bad = 'logger.info(f"user {user.id} logged in")\n'
    good = 'logger.info("user %s logged in", user.id)\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def login(user):
                logger.info(f"user {user.id} logged in")
                logger.warning("failed for %s" % user.email)
                logger.error("bad {}".format(user.id))
                logging.debug("id: " + str(user.id))
            """, line=6, count=4),
        Flag("""
            from flask import current_app

            def audit(user):
                current_app.logger.info(f"audit {user}")
            """, line=4),
        Quiet("""
            import logging
            import structlog

            logger = logging.getLogger(__name__)
            events = structlog.get_logger()

            def login(user):
                logger.info("user %s logged in", user.id)
                logger.info(f"static message")
                logger.info("a" + "b")
                events.info(f"login {user.id}")
                message = f"user {user.id}"
                print(f"user {user.id}")
            """, note="lazy arguments, constant messages, structlog, not a logging call"),
        Quiet("""
            from loguru import logger

            def login(user):
                logger.info(f"user {user.id} logged in")
            """, note="loguru"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "log" in ctx.text

    def visit_Call(self, node: cst.Call) -> None:
        method = logging_call(self.ctx, node)
        if method is None:
            return
        arg = message_arg(node, method)
        if arg is None:
            return
        how = eager_format(arg.value)
        if how is not None:
            self.report(arg.value, f"Pass the values as logging arguments instead of formatting with {how}: "
                                   f"`logger.{method}(\"... %s\", value)` formats only when the message is emitted.")


# --- BP603 -------------------------------------------------------------------------------------

# Wrapping calls that do not reveal the value.
NON_REVEALING = frozenset({"len", "bool", "type", "id", "hash", "mask", "redact", "sha256", "md5", "isinstance",
                           "callable", "hasattr", "getattr"})


HIDING_WORDS = ("mask", "redact", "hash", "encrypt", "digest", "censor", "obfuscate")
STRING_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "decode", "encode", "replace",
                            "format", "hex", "title", "casefold"})


# A last word that makes the name a record or a description of a secret-like thing, not its value:
# `token_obj`, `token_info`, `token_list`, `key_serial`.
RECORD_WORDS = frozenset({"obj", "object", "objects", "info", "list", "dict", "data", "details", "items", "item",
                          "serial", "owner", "user", "model", "instance", "record", "row", "entry", "entries",
                          "status", "state", "ids", "id", "name", "names", "type", "types", "kind", "count"})


def _holds_secret(name: str) -> bool:
    words = name_words(name)
    if len(words) > 1 and words[-1] in RECORD_WORDS:
        return False
    return is_secret_name(name)


def secret_values(node: cst.CSTNode):
    """Names, attributes and subscripts inside ``node`` whose name says they hold a secret."""
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
            stack.extend(reversed([a.value for a in current.args]))
            # `password.strip()` is the secret; `token.get_serial()` is something else
            if isinstance(current.func, cst.Attribute) and current.func.attr.value in STRING_METHODS:
                stack.append(current.func.value)
            continue
        if isinstance(current, cst.Name) and _holds_secret(current.value):
            yield current
            continue
        if isinstance(current, cst.Attribute):
            if _holds_secret(current.attr.value):
                yield current
            continue
        if isinstance(current, cst.Subscript):
            keys = [names.string_value(e.slice.value) for e in current.slice
                    if isinstance(e.slice, cst.Index)]
            if any(k is not None and is_secret_name(k) for k in keys):
                yield current
                continue
            if any(isinstance(e.slice, cst.Slice) for e in current.slice):
                continue  # token[:4]: a prefix
            stack.append(current.value)
            continue
        stack.extend(reversed(current.children))


class SecretLogged(PythonRule):
    code = "BP603"
    name = "secret-logged"
    category = "logging"
    severity = Severity.ERROR
    cwe = (532,)
    summary = "Password, token or key written to a log"
    what = ("Finds logging calls and `print(...)` whose arguments include a value whose name says it "
            "is a credential: a variable, attribute or key named like a password, token, secret or API "
            "key (`password`, `user.password`, `settings.SECRET_KEY`, `data[\"api_key\"]`), directly or "
            "inside an f-string, `%` or `.format()`. Names that are about a secret without holding one "
            "(`password_hash`, `token_type`, `TOKEN_URL`) and values wrapped in `len()`, `bool()` or a "
            "masking helper are quiet.")
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

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "log" in ctx.text or "print" in ctx.text

    def visit_Call(self, node: cst.Call) -> None:
        if logging_call(self.ctx, node) is None and not _is_print(self.ctx, node):
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value in ("exc_info", "stack_info", "stacklevel", "file",
                                                                 "sep", "end", "flush"):
                continue
            for found in secret_values(arg.value):
                self.report(found, "Do not log credentials: log an identifier (a user id, the key's name) "
                                   "instead of this secret value.", secret=False)
                return


# --- BP604 -------------------------------------------------------------------------------------


class ExceptionWithoutTraceback(PythonRule):
    code = "BP604"
    name = "exception-without-traceback"
    category = "logging"
    severity = Severity.INFO
    summary = "Unexpected error logged without its traceback"
    what = ("Inside a broad `except` clause (`except:`, `except Exception:`, `except BaseException:`) "
            "that does not re-raise (nor format the traceback itself), finds `logger.error(...)` / `logger.critical(...)` without "
            "`exc_info`. A narrow `except` (an expected error, where the message alone is enough) and "
            "clauses that re-raise (the traceback is logged where the error is handled) stay quiet.")
    why = ("The log then says that something failed but not where: the traceback, the one thing "
           "needed to fix an unexpected error, is thrown away.")
    how_to_fix = "Use `logger.exception(\"...\")` (or pass `exc_info=True`) inside the `except` block."
    bad = 'try:\n    sync()\nexcept Exception as e:\n    logger.error("sync failed: %s", e)\n'
    good = 'try:\n    sync()\nexcept Exception:\n    logger.exception("sync failed")\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def sync():
                try:
                    pull()
                except Exception as e:
                    logger.error("sync failed: %s", e)
            """, line=9, count=1),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def sync():
                try:
                    pull()
                except Exception:
                    logger.exception("sync failed")
                try:
                    pull()
                except Exception:
                    logger.error("sync failed", exc_info=True)
                try:
                    pull()
                except TimeoutError:
                    logger.error("sync timed out")
                try:
                    pull()
                except Exception:
                    logger.error("sync failed")
                    raise
                logger.error("not in an except block")
            """),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "except" in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._handlers: list[bool] = []  # per enclosing except clause: broad and not re-raising
        self._function_depths: list[int] = []

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        from bplint.rules.bp5_responses import caught_broadly

        self._handlers.append(caught_broadly(self.ctx, node) and not _reraises(self.ctx, node))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._function_depths.append(len(self._handlers))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._function_depths.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if not self._handlers or not self._handlers[-1]:
            return
        if self._function_depths and self._function_depths[-1] >= len(self._handlers):
            return  # a function defined inside the except block runs later
        method = logging_call(self.ctx, node)
        if method not in ("error", "critical", "fatal"):
            return
        if names.keyword_arg(node, "exc_info") is not None:
            return
        self.report(node, f"Use `logger.exception(...)` (or `exc_info=True`) here so the traceback of this "
                          f"unexpected error is logged.")


def _reraises(ctx, handler: cst.ExceptHandler) -> bool:
    """The clause re-raises, or writes the traceback some other way (`traceback.format_exc()`)."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call) and (ctx.qualified_name(node.func) or "").startswith(
                ("traceback.format_", "traceback.print_")):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False
