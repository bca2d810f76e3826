"""BP601: print() in application code."""

from __future__ import annotations

import ast

import libcst as cst

from bplint import names
from bplint.findings import Severity
from bplint.roles import APPLICATION_ONLY, CLI_DECORATORS
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import last_name
from bplint.rules.bp6_logging import renames_print




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
    precision = Precision(14, 29, "2026-12-01", debatable=2)
    preview = True
    roles = APPLICATION_ONLY
    summary = "print() in application code"
    what = ("Finds `print(...)` calls in application code. `print()` in a command-line program is its "
            "output: quiet in scripts and command-line programs (`scripts/`, `bin/`, `manage.py`, Django "
            "management commands, console scripts, modules run as `__main__`), in test code, migrations and "
            "examples. Inside an application module it is quiet too where printing is the interface: "
            "`if __name__ == \"__main__\":` blocks and the functions they call, click/typer CLI commands "
            "(`@click.command`, `@app.cli.command`, `@cli.group`), modules that build an "
            "`argparse.ArgumentParser` and Django management command classes.")
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
            if last in CLI_DECORATORS or ".cli." in f".{spelled}." or spelled.startswith(("click.", "typer.")):
                return True
        return False


def _calls_in(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(current.children)
