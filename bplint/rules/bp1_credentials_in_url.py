"""BP102 credentials-in-url: connection URLs with a password written into them.

What counts as a real password in a URL (not a template, placeholder or
documentation host) is decided by ``url_password`` in ``_secret_formats``.
"""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project.names import string_value
from bplint.project.roles import Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._secret_bindings import ExampleContext
from bplint.rules._secret_formats import url_password


class CredentialsInUrl(ExampleContext, PythonRule):
    code = "BP102"
    detects_secrets = True
    name = "credentials-in-url"
    category = "secrets"
    severity = Severity.ERROR
    precision = Precision(0, 14, "2026-12-02", unseen=(0, 9))
    preview = True
    roles = frozenset({Role.APPLICATION, Role.SCRIPT, Role.DEV})
    cwe = (798,)
    summary = "A connection URL with a password written into it"
    what = (
        "Reports a string literal that is a URL with an embedded password: "
        "`postgresql://user:pw@host/db`, `redis://:pw@host`, `amqp://guest:guest@host`, "
        "`mongodb+srv://u:p@cluster`, in code or as the fallback of an environment read. "
        "URLs without a password, `sqlite:` URLs, templates (`${DB_PASSWORD}`, `{password}`, "
        "`%(password)s`), placeholders and URLs in docstrings stay quiet, and so do URLs that only "
        "name a SQL dialect and never connect (`create_mock_engine(url, ...)`, "
        "`create_engine(url, strategy=\"mock\", ...)`, `make_url(url).get_dialect()`)."
    )
    why = (
        "A database, cache or broker URL with its password is a credential: everyone who reads the "
        "repository can connect, and the password stays in the history after it is removed. A "
        "fallback URL (`os.getenv(\"DATABASE_URL\", \"postgresql://app:pw@db/app\")`) ships the "
        "password to every environment where the variable is missing."
    )
    how_to_fix = (
        "Read the whole URL from the environment (`os.environ[\"DATABASE_URL\"]`), or build it "
        "from parts with the password read from the environment or a secrets manager, and rotate "
        "the committed password."
    )
    bad = 'SQLALCHEMY_DATABASE_URI = "postgresql://app:s3cret@db.internal/app"\n'
    good = 'SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]\n'

    examples = (
        Flag('''
            import os


            class Config:
                SQLALCHEMY_DATABASE_URI = "postgresql://app:s3cret@db.internal/app"
                CELERY_BROKER_URL = "amqp://guest:guest@rabbitmq:5672//"
                REDIS_URL = os.getenv("REDIS_URL", "redis://:r3dis-pw@cache.internal:6379/0")
            ''', path="app/config.py", line=5, count=3,
             note="config class attributes and an environment fallback"),
        Flag('''
            from pymongo import MongoClient


            def get_db():
                client = MongoClient(
                    "mongodb+srv://shop:Mongo-pw-2024@cluster0.mongodb.net/shop",
                    serverSelectionTimeoutMS=5000,
                )
                return client.shop
            ''', path="app/db.py", line=6, note="a URL passed in a multi-line call"),
        Flag('''
            DATABASES = {
                "default": {"URL": "mysql://root:"
                                   "r00t-pw@mysql.internal/shop"},
            }
            ''', path="shop/settings.py", line=2, note="implicitly concatenated literal"),
        Quiet('''
            import os

            SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
            BROKER_URL = os.getenv("BROKER_URL", "amqp://rabbitmq:5672//")
            CACHE_URL = "redis://cache.internal:6379/0"
            ADMIN_DB = "postgresql://admin@db.internal/app"
            ''', note="no password part"),
        Quiet('''
            import os

            DATABASE_URL = "postgresql://app:${DB_PASSWORD}@db.internal/app"
            TEMPLATE = "postgresql://{user}:{password}@{host}/{name}"
            LEGACY = "mysql://%(user)s:%(password)s@%(host)s/shop"
            url = "postgresql://{}:{}@{}/{}".format("app", os.environ["DB_PASSWORD"], "db", "app")
            SAMPLE = "postgresql://user:<password>@host/db"
            ''', note="templates and placeholders"),
        Quiet('''
            SQLALCHEMY_DATABASE_URI = "sqlite:///instance/app.db"
            TEST_DB = "sqlite+pysqlite:///:memory:"
            ''', note="sqlite URLs"),
        Quiet('''
            def connect(url):
                """Connect to the database.

                ``url`` looks like ``postgresql://user:password@host:5432/dbname``.
                """
                return url


            HELP = "Database URL, for example postgresql://user:password@host/db"
            ''', note="documentation and prose that mention a URL"),
        Quiet('''
            DATABASE_URL = "postgresql://app:s3cret@db.internal/app"
            ''', path="tests/conftest.py", note="test code is quiet by default"),
        Quiet('''
            from sqlalchemy import create_mock_engine
            from sqlalchemy.engine import make_url
            from sqlalchemy.schema import CreateTable

            from shop.models import Order


            def dump_ddl(sql):
                print(str(sql.compile(dialect=engine.dialect)))


            engine = create_mock_engine("mysql+pymysql://user:pass@localhost/shop", dump_ddl)
            oracle = make_url("oracle+oracledb://user:pass@localhost/shop").get_dialect()()
            print(CreateTable(Order.__table__).compile(dialect=oracle))
            ''', path="shop/ddl.py", note="URLs that only pick a dialect to compile DDL for"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._done: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        # a URL that only names a dialect never connects: its password protects nothing
        url = _dialect_only_url(node, self.ctx.qualified_name)
        if url is not None:
            self._mark(url)

    # Only modules with a string that is a URL with a real password are parsed.
    ast_trigger_types = (ast.Constant,)

    @staticmethod
    def ast_trigger(node: ast.Constant, facts) -> bool:
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return isinstance(value, str) and "://" in value and "@" in value and url_password(value) is not None

    # sample data: connection examples shown in a UI or API docs
    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter(node)

    def leave_Arg(self, node: cst.Arg) -> None:
        self._leave(node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._enter(node)

    def leave_DictElement(self, node: cst.DictElement) -> None:
        self._leave(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._enter(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._leave(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._enter(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._leave(node)

    def visit_Expr(self, node: cst.Expr) -> None:
        # a string statement is documentation; its URLs are examples
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
            self._mark(node.value)

    def _mark(self, node: cst.CSTNode) -> None:
        self._done.add(id(node))
        if isinstance(node, cst.ConcatenatedString):
            self._mark(node.left)
            self._mark(node.right)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._done:
            return
        self._mark(node)
        self._check(node)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._done:
            self._check(node)

    def _check(self, node: cst.BaseExpression) -> None:
        if self._example_depth:
            return
        raw = node.value if isinstance(node, cst.SimpleString) else "://@"
        if "://" not in raw or "@" not in raw:
            return
        value = string_value(node)
        if value is None:
            return
        credential = url_password(value)
        if credential is None:
            return
        self.report(node, f"This URL embeds a password (`{credential.masked()}`); read the URL or its "
                          f"password from the environment or a secrets manager instead.", secret=True)


def _dialect_only_url(call: cst.Call, qualified_name) -> cst.BaseExpression | None:
    """The URL argument of ``create_mock_engine(url, ...)``, ``create_engine(url, strategy="mock")``
    or ``make_url(url).get_dialect()``: SQLAlchemy builds a dialect from it and never connects."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "get_dialect" and isinstance(func.value, cst.Call):
        inner = func.value
        if (qualified_name(inner.func) or "").endswith("make_url") and inner.args:
            return inner.args[0].value
        return None
    name = qualified_name(func) or ""
    if not name.startswith("sqlalchemy.") or not call.args or call.args[0].keyword is not None:
        return None
    last = name.rsplit(".", 1)[-1]
    if last == "create_mock_engine":
        return call.args[0].value
    if last == "create_engine" and any(
            a.keyword is not None and a.keyword.value == "strategy" and string_value(a.value) == "mock"
            for a in call.args):
        return call.args[0].value
    return None
