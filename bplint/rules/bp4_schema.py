"""BP4 schema: tables created with create_all() in application code (BP405).

Which functions named like `init_db` are called from where is collected per module in the
index phase (``facts.extra["db_cli"]``); which code runs only from the command line is the
index's script regions (bplint.project.regions).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import libcst as cst

from bplint.project import names
from bplint.project.index import ModuleFacts, _LineIndex, collects
from bplint.project.orm_queries import QueryReader
from bplint.project.regions import role_at
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._auth_project import last_name
from bplint.rules.bp4_fixtures import EXTENSIONS

CLI_KEY = "db_cli"
# the project's own helper that stamps the migration head (`alembic_stamp`, `stamp_head`)
STAMP_NAME = re.compile(r"(^|_)stamp(_|$)")
# functions whose job is to create the schema: fine when only a command-line entry point runs them
INIT_FUNCTION = re.compile(r"^_?(init|create|setup|reset|recreate|initiali[sz]e|bootstrap|build|make)_?"
                           r"(the_)?(db|database|databases|tables|schema|models|all)$", re.IGNORECASE)


@dataclass
class CliFacts:
    """Per module: calls of schema-creating functions (name, line)."""

    init_calls: list[tuple[str, int]] = field(default_factory=list)


def _cli_facts(facts: ModuleFacts) -> CliFacts:
    return facts.family(CLI_KEY, CliFacts)


@collects(ast.Call)
def _collect_init_call(node: ast.Call, facts: ModuleFacts, _: _LineIndex) -> None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name and INIT_FUNCTION.match(name):
        _cli_facts(facts).init_calls.append((name, node.lineno))


class CreateAllInApp(PythonRule):
    code = "BP405"
    name = "create-all-in-app"
    category = "database"
    severity = Severity.WARNING
    precision = Precision(0, 20, "2026-12-02", debatable=2, unseen=(0, 13))
    preview = True
    roles = APPLICATION_ONLY
    uses_bindings = True
    summary = "Schema created with create_all() in application code instead of migrations"
    what = ("Reports `db.create_all()` on a Flask-SQLAlchemy object and `metadata.create_all(...)` "
            "(`Base.metadata`, `SQLModel.metadata`, a `MetaData()`; also passed to `run_sync`) in "
            "application code. Test code and test-data generators (they build throw-away databases), "
            "scripts and migrations are quiet; inside an application module so is command-line code "
            "(`@app.cli.command`, `@click.command`, `if __name__ == \"__main__\":`, and the functions that "
            "only such code calls, in the same module or from another), and so are functions named like "
            "`init_db` that no application code calls, and a function that stamps the migrations' head "
            "after creating the tables (`alembic.command.stamp(config, \"head\")`: the migrations' own "
            "recipe for a new database).")
    why = ("`create_all()` creates missing tables but never changes existing ones: the first added "
           "column leaves production's schema behind the code, with nothing recording which schema a "
           "database has. Running it at app start also races between workers.")
    how_to_fix = ("Manage the schema with migrations (Alembic, Flask-Migrate: `flask db migrate` / "
                  "`flask db upgrade`) and keep `create_all()` for tests and a one-off `init-db` command.")
    bad = ("def create_app():\n    app = Flask(__name__)\n    db.init_app(app)\n    with app.app_context():\n"
           "        db.create_all()\n    return app\n")
    good = ("def create_app():\n    app = Flask(__name__)\n    db.init_app(app)\n    Migrate(app, db)\n"
            "    return app\n")
    examples = (
        Flag("""
            from flask import Flask

            from app.extensions import db


            def create_app():
                app = Flask(__name__)
                db.init_app(app)
                with app.app_context():
                    db.create_all()
                return app
            """, path="app/__init__.py", files={"app/extensions.py": EXTENSIONS}, line=10),
        Flag("""
            from contextlib import asynccontextmanager

            from fastapi import FastAPI

            from app.db import Base, engine


            @asynccontextmanager
            async def lifespan(app):
                async with engine.begin() as conn:
                    await conn.run_sync(Base.metadata.create_all)
                yield


            def init_db():
                Base.metadata.create_all(bind=engine)


            app = FastAPI(lifespan=lifespan)
            init_db()
            """, path="app/main.py", line=11, count=2, note="run_sync(metadata.create_all); init_db called at import"),
        Quiet("""
            import click
            from flask import Flask

            from app.extensions import db


            def init_db():
                db.create_all()


            def create_app():
                app = Flask(__name__)

                @app.cli.command("init-db")
                def init_db_command():
                    init_db()
                    click.echo("Initialized the database.")

                return app
            """, path="app/__init__.py", files={"app/extensions.py": EXTENSIONS},
            note="init_db only called by a CLI command"),
        Quiet("""
            from app.extensions import db

            db.create_all()
            """, path="scripts/bootstrap.py", files={"app/extensions.py": EXTENSIONS}),
        Quiet("""
            import pytest

            from app.extensions import db


            @pytest.fixture
            def database():
                db.create_all()
                yield db
                db.drop_all()
            """, path="conftest.py", files={"app/extensions.py": EXTENSIONS}),
        Quiet("""
            class Registry:
                def create_all(self):
                    return []


            registry = Registry()
            registry.create_all()
            """, note="a create_all of something else"),
        Quiet("""
            import sqlalchemy as sa
            from alembic import command
            from alembic.config import Config

            from app.models import Base


            class Store:
                def upgrade(self, engine):
                    with engine.begin() as conn:
                        if not sa.inspect(conn).has_table("alembic_version"):
                            Base.metadata.create_all(conn)
                            command.stamp(Config("alembic.ini"), "head")
                            return
                    command.upgrade(Config("alembic.ini"), "head")
            """, path="app/store.py",
              note="a new database made from the models and stamped at the migrations' head"),
    )

    ast_trigger_types = (ast.Call,)

    @staticmethod
    def ast_trigger(node: ast.Call, facts: ModuleFacts) -> bool:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "create_all":
            return True
        return any(isinstance(v, ast.Attribute) and v.attr == "create_all"
                   for v in (*node.args, *(k.value for k in node.keywords)))

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "create_all" in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reader = QueryReader(ctx)
        self._functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "create_all" and self._is_schema(func.value):
            self._check(node)
            return
        for arg in node.args:  # conn.run_sync(Base.metadata.create_all)
            value = arg.value
            if isinstance(value, cst.Attribute) and value.attr.value == "create_all" and self._is_schema(value.value):
                self._check(value)

    def _is_schema(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "metadata":
            return True
        if self.reader._is_flask_sqlalchemy(receiver):
            return True
        if isinstance(receiver, cst.Name):
            callee = self.ctx.instance_of(receiver) or ""
            if callee.endswith(".MetaData") and callee.startswith("sqlalchemy"):
                return True
            qualified = self.ctx.qualified_name(receiver) or ""
            return qualified.endswith(".metadata")
        return False

    def _check(self, node: cst.CSTNode) -> None:
        # in command-line code (a CLI command, a `__main__` block, what only they call) the finding is
        # in a script region, and the engine drops it
        if self._functions:
            innermost = self._functions[-1]
            if isinstance(innermost, cst.FunctionDef) and INIT_FUNCTION.match(innermost.name.value) \
                    and not innermost.decorators and not self._called_by_app(innermost.name.value):
                return
            if self._stamps(innermost):
                return  # migrations' own recipe for a new database: create the tables, stamp the head
        self.report(node, "Create and change the schema with migrations (Alembic / Flask-Migrate) instead of "
                          "`create_all()` in application code, which never alters existing tables.")

    def _stamps(self, function: cst.FunctionDef) -> bool:
        """The function also marks the database as migrated (`alembic.command.stamp(config, "head")`, or
        the project's own `self.alembic_stamp(...)`): the tables are made for a new database, and
        migrations take it from there."""
        for node in names.walk(function.body):
            if isinstance(node, cst.Call):
                if self.ctx.qualified_name(node.func) == "alembic.command.stamp" or \
                        STAMP_NAME.search(last_name(node.func) or ""):
                    return True
        return False

    def _called_by_app(self, name: str) -> bool:
        index = self.ctx.index
        for relpath, facts in index.modules.items():
            cli = facts.extra.get(CLI_KEY)
            role = index.role_of(relpath)
            if not isinstance(cli, CliFacts) or role not in self.roles:
                continue
            regions = index.regions_of(relpath)
            for called, line in cli.init_calls:
                if called == name and role_at(regions, line, role) in self.roles:
                    return True
        return False
