"""BP601: print() in application code."""

from __future__ import annotations

import ast
import re

import libcst as cst

from bplint.project import names
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import last_name
from bplint.rules._route_helpers import caught_broadly
from bplint.rules._secret_formats import find_tokens
from bplint.rules._secret_names import name_words
from bplint.rules.bp6_eager_format import _argument, _literal
from bplint.rules.bp6_logging import renames_print



EXITS = frozenset({"sys.exit", "builtins.exit", "builtins.quit", "os._exit"})
STANDARD_STREAMS = frozenset({"sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__"})
# Words of a class name (or a base's) that say the class writes output by design: `StdOutEventLogger`,
# `ConsoleReporter`, `TablePrinter`.
OUTPUT_CLASS_WORDS = frozenset({"logger", "console", "printer", "terminal", "stdout", "tty"})
# Libraries of terminal interfaces: a module built on one talks to a terminal.
TERMINAL_UI = ("curses", "urwid", "prompt_toolkit", "textual", "npyscreen", "blessed", "asciimatics")
# Libraries that style text for a terminal: a print of styled text is aimed at a terminal.
TERMINAL_STYLES = ("colorama", "termcolor", "click.style", "click.secho", "blessings", "colored")
# Calls that read from whoever sits at the terminal: a function that asks is a conversation with them.
TERMINAL_INPUTS = frozenset({"builtins.input", "getpass.getpass", "click.prompt", "click.confirm"})
# Words of a name holding a banner printed at start-up.
BANNER_WORDS = frozenset({"banner", "logo", "splash"})


class PrintInApp(PythonRule):
    code = "BP601"
    name = "print-in-app"
    category = "logging"
    severity = Severity.WARNING
    precision = Precision(40, 141, "2026-12-02", debatable=6, unseen=(17, 91))
    preview = True
    roles = APPLICATION_ONLY
    summary = "print() in application code"
    what = ("Finds `print(...)` calls in application code. `print()` in a command-line program is its "
            "output: quiet in scripts and command-line programs (`scripts/`, `bin/`, `manage.py`, Django "
            "management commands, console scripts, modules run as `__main__`), in test code, migrations and "
            "examples. Inside an application module it is quiet too where printing is the interface, the "
            "module's command-line code: `if __name__ == \"__main__\":` blocks, click/typer CLI commands "
            "(`@click.command`, `@app.cli.command`, `@cli.group`), functions that build an "
            "`argparse.ArgumentParser`, Django management command classes, and the functions and methods "
            "that only such code calls, in the same module or from another (a `search-index check` "
            "command's `check()` helper); and the messages of a block that ends the program "
            "(`print(...)` then `sys.exit(1)`), which go to whoever started it. Output by design is quiet "
            "as well: `print(..., file=stream)` to a stream that is not stdout or stderr (a file, a "
            "buffer), the methods of a class that writes output (`StdOutEventLogger`, "
            "`ConsoleEmailBackend`, `TablePrinter`: a logger or console class, by its name or its base's), "
            "a module built on a terminal interface library (curses, prompt_toolkit, urwid, textual), "
            "a function that asks at the terminal (`input()`, `getpass()`), text styled for a terminal "
            "(colorama, termcolor, `click.style`) and a start-up banner (`print(BANNER)`, and the plain text "
            "printed instead where the console cannot show it).")
    why = ("`print` goes to stdout with no level, timestamp or request context; under gunicorn or "
           "uWSGI it is buffered or lost, cannot be filtered or shipped, and may leak data to a console.")
    how_to_fix = ("Use a module logger: `logger = logging.getLogger(__name__)` and "
                  "`logger.info(\"... %s\", value)`.")
    fix_applicability = "unsafe"
    fix_note = ("Where the module has a logger (`log = logging.getLogger(__name__)` at module level) or imports "
                "`logging` (then `logger = logging.getLogger(__name__)` is added after its imports), `print(a, "
                "b)` becomes `logger.info(\"a %s\", b)`: literal pieces go into the template with `%` doubled, the "
                "other values become `%s` arguments, a lone f-string stays the message; in an `except` clause "
                "the call is `logger.exception(...)` (with the traceback) in a broad one, `logger.warning(...)` in a narrow one. Always unsafe: the message then "
                "goes where the logging configuration sends it (or nowhere below its level), no longer to "
                "stdout. No fix for `sep=`, `end=`, `file=`, `flush=` or `*args`, where the logger's name is "
                "taken, nor for a print run at import before the logger is bound.")
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
        Flag("""
            import logging

            from flask import Blueprint

            log = logging.getLogger(__name__)
            bp = Blueprint("search", __name__)


            @bp.get("/search")
            def search(q):
                results = run_search(q)
                print("search", q, "->", len(results), "results (100%)")
                print(f"took {results.took} ms")
                print(results.took, results.total, sep="/")
                try:
                    return {"results": [r.to_dict() for r in results]}
                except Exception as e:
                    print(e)
                    return {"results": []}
            """, path="app/views.py", line=12, count=4, fixed="""
            import logging

            from flask import Blueprint

            log = logging.getLogger(__name__)
            bp = Blueprint("search", __name__)


            @bp.get("/search")
            def search(q):
                results = run_search(q)
                log.info("search %s -> %s results (100%%)", q, len(results))
                log.info(f"took {results.took} ms")
                print(results.took, results.total, sep="/")
                try:
                    return {"results": [r.to_dict() for r in results]}
                except Exception as e:
                    log.exception("%s", e)
                    return {"results": []}
            """, note="the module's logger; `sep=` gets no fix"),
        Flag("""
            import logging
            import requests


            def fetch_results(query):
                response = requests.get("https://search.internal/api", params={"q": query}, timeout=5)
                print(f"search returned {response.status_code}")
                return response.json()
            """, path="app/search.py", line=7, fixed="""
            import logging
            import requests

            logger = logging.getLogger(__name__)


            def fetch_results(query):
                response = requests.get("https://search.internal/api", params={"q": query}, timeout=5)
                logger.info(f"search returned {response.status_code}")
                return response.json()
            """, note="a logger added after the imports, where `logging` is imported"),
        Flag("""
            import logging

            try:
                import ujson as json
            except ImportError:
                print("ujson is not installed: using json")
                import json

            log = logging.getLogger(__name__)


            def load_payload(text):
                try:
                    return json.loads(text)
                except ValueError:
                    print("payload is not JSON:", text[:40])
                    return None
            """, path="app/payloads.py", line=6, count=2, fixed="""
            import logging

            try:
                import ujson as json
            except ImportError:
                print("ujson is not installed: using json")
                import json

            log = logging.getLogger(__name__)


            def load_payload(text):
                try:
                    return json.loads(text)
                except ValueError:
                    log.warning("payload is not JSON: %s", text[:40])
                    return None
            """, note="an expected error: warning; no fix for a print run before the logger is bound"),
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
        Quiet("""
            import click
            from flask import Blueprint

            from shop.search import reindex_products

            bp = Blueprint("admin_cli", __name__, cli_group="search")

            @bp.cli.command("rebuild")
            @click.option("--dry-run", is_flag=True)
            def rebuild(dry_run):
                reindex_products(dry_run=dry_run)
            """, path="shop/admin_cli.py",
            files={"shop/__init__.py": "",
                   "shop/search.py": "def reindex_products(dry_run=False):\n"
                                     "    for product in load_products():\n"
                                     "        print(f\"indexing {product.sku}\")\n\n\n"
                                     "def load_products():\n"
                                     "    return []\n"},
            note="a function only a command calls, in another module: a script region"),
        Flag("""
            def reindex_products(dry_run=False):
                for product in load_products():
                    print(f"indexing {product.sku}")


            def load_products():
                return []
            """, path="shop/search.py", line=3,
            files={"shop/__init__.py": "",
                   "shop/signals.py": "from shop.search import reindex_products\n\n\n"
                                      "def product_saved(sender, instance, **kwargs):\n"
                                      "    reindex_products()\n",
                   "shop/cli.py": "import click\n\nfrom shop.search import reindex_products\n\n\n"
                                  "@click.command()\ndef reindex():\n    reindex_products()\n"},
            note="called by a command and by application code: application code"),
        Quiet("""
            import sys

            from django.conf import settings

            if settings.DATABASES["default"]["ENGINE"].endswith("mysql"):
                print("MySQL is no longer supported: migrate to PostgreSQL first.", file=sys.stderr)
                sys.exit(1)
            """, path="shop/checks.py", note="the last words of a program that stops"),
        Quiet("""
            import json


            class EventLogger:
                def log(self, event, **payload):
                    raise NotImplementedError


            class StdOutEventLogger(EventLogger):
                \"\"\"Writes each event to stdout, for local debugging.\"\"\"

                def log(self, event, **payload):
                    print(json.dumps({"event": event, **payload}))


            class ConsoleMailBackend:
                def send(self, message):
                    print(f"To: {message.to}\\n\\n{message.body}")
            """, path="app/events.py", note="classes whose job is to write to the console"),
        Quiet("""
            import csv
            import io


            def export_orders(orders, path):
                with open(path, "w") as handle:
                    for order in orders:
                        print(order.id, order.total, sep=",", file=handle)
                buffer = io.StringIO()
                print("done", file=buffer)
                return buffer.getvalue()
            """, path="app/exports.py", note="print(..., file=stream) writes a file, not a log"),
        Quiet("""
            import getpass

            from colorama import Fore, Style

            BANNER = r\"\"\"
              ___  _
             / __|| |_  ___  _ __
             \\__ \\| ' \\/ _ \\| '_ \\
             |___/|_||_\\___/| .__/
            \"\"\"


            def create_app(config):
                try:
                    print(BANNER)
                except UnicodeEncodeError:  # a console that cannot show it
                    print("Shop")
                if not config.get("DATABASE_URL"):
                    print(f"{Fore.YELLOW}No DATABASE_URL set: using SQLite{Style.RESET_ALL}")
                return build(config)


            def ask_admin_password():
                print("Choose a password for the admin account.")
                return getpass.getpass("Password: ")
            """, path="shop/startup.py", note="a banner, text coloured for a terminal, a question at the terminal"),
        Flag("""
            import sys


            class OrderService:
                def cancel(self, order):
                    print(f"cancelling {order.id}", file=sys.stderr)
                    order.cancel()
            """, path="shop/services.py", line=6, note="a service class; stderr is still the console"),
        Quiet('print("seeding")\n', path="scripts/seed.py"),
        Quiet("""
            def main():
                for table in ("orders", "invoices"):
                    print(f"rebuilt {table}")
            """, path="ledger/rebuild.py",
            files={"pyproject.toml": '[project]\nname = "ledger"\n\n[project.scripts]\n'
                                     'ledger-rebuild = "ledger.rebuild:main"\n'},
            note="the module of a console script: print() is its output"),
        Quiet('def test_x():\n    print("debug")\n    assert True\n', path="tests/test_x.py"),
        Quiet("""
            def print(*args):
                pass

            print("not the builtin")
            """, note="a local function named print"),
    )

    # Parsed only where something named print is called.
    ast_trigger_types = (ast.Call, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.ImportFrom):
            return renames_print(node)
        return last_name(node.func) == "print"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._last_words: set[int] = set()  # print() calls of a block that ends the program
        self._classes: list[bool] = []  # per enclosing class: it writes output by design
        self._functions: list[cst.FunctionDef] = []
        self._asks: dict[int, bool] = {}  # per function: it reads from the terminal
        # per enclosing except clause: the functions around it, and whether it catches broadly
        self._handlers: list[tuple[int, bool]] = []
        self._module_body: tuple = ()
        self._fallbacks: set[int] = set()  # print() calls of the except clauses of a try that prints a banner

    def visit_Module(self, node: cst.Module) -> None:
        self._before_exit(node.body)
        self._module_body = node.body

    def visit_Try(self, node: cst.Try) -> None:
        """`try: print(BANNER)` / `except UnicodeEncodeError: print(plain_banner)`: the fallback is the banner too."""
        if any(isinstance(n, cst.Call) and self.ctx.qualified_name(n.func) == "builtins.print" and
               any(self._styled_or_banner(a.value) for a in n.args) for n in _walk(node.body)):
            for handler in node.handlers:
                self._fallbacks.update(id(n) for n in _walk(handler.body) if isinstance(n, cst.Call))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append((len(self._functions), caught_broadly(self.ctx, node)))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._before_exit(node.body)

    def _before_exit(self, body) -> None:
        """A block that ends with `sys.exit(1)` / `raise SystemExit`: its print() calls are the message
        of a program that stops (before logging is set up, often), to whoever started it."""
        if not body or not self._exits(body[-1]):
            return
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                        self._last_words.add(id(small.value))

    def _exits(self, statement) -> bool:
        if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
            return False
        last = statement.body[-1]
        if isinstance(last, cst.Expr) and isinstance(last.value, cst.Call):
            return self.ctx.qualified_name(last.value.func) in EXITS
        if isinstance(last, cst.Raise) and last.exc is not None:
            raised = last.exc.func if isinstance(last.exc, cst.Call) else last.exc
            return self.ctx.qualified_name(raised) == "builtins.SystemExit"
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        spelled = [node.name.value, *(names.dotted(b.value) or "" for b in node.bases)]
        self._classes.append(any(OUTPUT_CLASS_WORDS.intersection(name_words(name.rsplit(".", 1)[-1]))
                                 for name in spelled))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        # command-line code inside an application module (a CLI command, a `__main__` block, the
        # functions only they call) is a script region: the engine drops what is reported there
        if self.ctx.qualified_name(node.func) != "builtins.print" or id(node) in self._last_words:
            return
        if self._program_output(node):
            return
        self.report(node, self._message(), fix=self._fix(node))

    def _message(self) -> str:
        found = self._module_logger()
        method = self._method()
        call = f"`{found[0] if found and not found[1] else 'logger'}.{method}(\"... %s\", value)`"
        if method == "exception":
            call += ", which logs the traceback too,"
        if found is not None and not found[1]:
            return f"Use the module's logger instead of `print()`: {call} goes where the logging configuration sends it."
        return f"Use a logger instead of `print()`: {call} with `logger = logging.getLogger(__name__)`."

    # --- the fix: the module's logger, at `info` (`exception` in an except clause) ---------------

    def _fix(self, node: cst.Call):
        if not node.args or any(a.keyword is not None or a.star for a in node.args):
            return None  # `print()`, `sep=`, `end=`, `*rows`: no message that logs the same
        assert self.ctx.module is not None
        found = self._module_logger()
        if found is None:
            return None
        logger, edits, bound_at = found
        if any(logger in _parameters(f) for f in self._functions):
            return None
        if not self._functions and not any(bound_at < i for i, statement in enumerate(self._module_body)
                                           if any(n is node for n in _walk(statement))):
            return None  # run at import, before the logger is bound
        method = self._method()
        arguments = _log_arguments(self.ctx.module, [a.value for a in node.args])
        if arguments is None or next(find_tokens(arguments), None) is not None:
            return None  # an edit that would quote a credential is stored and shown: no fix
        how = {"exception": "with the traceback", "warning": "at warning level"}.get(method, "at info level")
        return self.fix(f"Log the message with `{logger}.{method}(...)` instead of printing it (unsafe: it then "
                        f"goes where the logging configuration sends it, not to stdout, {how}).",
                        self.replace(node, f"{logger}.{method}({arguments})"), *edits, safe=False)

    def _method(self) -> str:
        """`exception` in a broad except clause (an unexpected error), `warning` in a narrow one, else `info`."""
        if not self._handlers or self._handlers[-1][0] != len(self._functions):
            return "info"
        return "exception" if self._handlers[-1][1] else "warning"

    def _module_logger(self):
        """The module's logger (`logger = logging.getLogger(__name__)` at module level, bound once),
        or the edit that adds one after `import logging`, and the index of the module statement that
        binds it; None when neither is clean."""
        if "_logger" not in self.__dict__:
            self._logger = self._find_module_logger()
        return self._logger

    def _find_module_logger(self):
        facts = self.ctx.facts
        if facts is None:
            return None
        last_import, at = None, -1
        for i, statement in enumerate(self._module_body):
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    last_import, at = statement, i
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                        isinstance(small.targets[0].target, cst.Name) and isinstance(small.value, cst.Call) and \
                        self.ctx.qualified_name(small.value.func) == "logging.getLogger":
                    name = small.targets[0].target.value
                    if facts.instances.get(name) == "logging.getLogger" and name not in facts.imports:
                        return name, (), i
        if facts.imports.get("logging") != "logging" or last_import is None or \
                len(last_import.body) != 1 or last_import.trailing_whitespace.comment is not None:
            return None
        if "logger" in facts.imports or "logger" in facts.defined or "logger" in facts.instances or \
                re.search(r"\blogger\b", self.ctx.text):
            return None
        return "logger", (self.insert_after(last_import.body[0], "\n\nlogger = logging.getLogger(__name__)"),), at

    def _program_output(self, node: cst.Call) -> bool:
        """The print is output by design: to a stream of its own, in a class that writes output, in a
        terminal interface, a conversation at the terminal, styled for a terminal, or a banner."""
        stream = names.keyword_arg(node, "file")
        if stream is not None and not (isinstance(stream.value, cst.Name) and stream.value.value == "None"):
            return self.ctx.qualified_name(stream.value) not in STANDARD_STREAMS
        if id(node) in self._fallbacks or any(self._classes) or self.ctx.imports_any(*TERMINAL_UI):
            return True
        if self._functions and self._asks_terminal(self._functions[-1]):
            return True
        return any(self._styled_or_banner(arg.value) for arg in node.args)

    def _asks_terminal(self, function: cst.FunctionDef) -> bool:
        found = self._asks.get(id(function))
        if found is None:
            found = self._asks[id(function)] = any(
                isinstance(n, cst.Call) and self.ctx.qualified_name(n.func) in TERMINAL_INPUTS
                for n in _walk(function.body))
        return found

    def _styled_or_banner(self, value: cst.BaseExpression) -> bool:
        for n in _walk(value):
            if isinstance(n, (cst.Name, cst.Attribute)):
                qualified = self.ctx.qualified_name(n) or ""
                if qualified.startswith(TERMINAL_STYLES):
                    return True
                spelled = n.value if isinstance(n, cst.Name) else n.attr.value
                if BANNER_WORDS.intersection(name_words(spelled)):
                    return True
        return False


def _walk(node: cst.CSTNode):
    """``node`` and what it holds, not descending into functions and classes defined inside it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in current.children if not isinstance(c, (cst.FunctionDef, cst.ClassDef)))


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return {p.name.value for p in every}


def _log_arguments(module: cst.Module, values: list[cst.BaseExpression]) -> str | None:
    """The arguments of a logging call that logs what `print(*values)` prints: the literal pieces in
    the template (joined by spaces, `%` doubled), the others as `%s` arguments; a lone f-string or
    literal stays the message."""
    if len(values) == 1 and isinstance(values[0], (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        value = values[0]
        if isinstance(getattr(value, "evaluated_value", None), bytes):
            return None  # print(b"x") prints the bytes' repr
        return module.code_for_node(value)
    template, arguments = [], []
    quote = next((v.quote for v in values if isinstance(v, cst.SimpleString) and v.quote in ("'", '"')), '"')
    for value in values:
        text = value.evaluated_value if isinstance(value, cst.SimpleString) and "b" not in value.prefix.lower() \
            else None
        if isinstance(text, str):
            template.append(text.replace("%", "%%"))
            continue
        code = None if isinstance(value, cst.NamedExpr) else _argument(module, value)
        if code is None:
            return None
        arguments.append(code)
        template.append("%s")
    return ", ".join([_literal(" ".join(template), quote), *arguments])
