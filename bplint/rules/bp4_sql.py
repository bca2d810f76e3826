"""BP4 SQL: SQL statements built from non-constant strings and executed (BP404)."""

from __future__ import annotations

import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from bplint.project import orm_triggers
from bplint.project.flow import surely_reaches
from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.project.orm_models import orm_index
from bplint.project.orm_queries import QueryReader
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._auth_project import last_name
from bplint.rules._origins import Origins
from bplint.rules._sql_returns import QUOTE_CHARACTERS, QUOTING_OBJECTS, sql_facts

EXECUTE_METHODS = orm_triggers.SQL_METHODS
DRIVER_METHODS = orm_triggers.SQL_DRIVER_METHODS
STATEMENT_START = re.compile(r"\s*\(?\s*(select|insert|update|delete|with|create|drop|alter|truncate|pragma|"
                             r"explain|set|show|copy|call|merge|replace|grant|vacuum|analyze|values)\b", re.IGNORECASE)
ORM_TEXT_METHODS = orm_triggers.SQL_ORM_TEXT_METHODS
CONDITION = re.compile(r"[=<>]|\b(like|ilike|in|is|between|and|or|not|asc|desc)\b", re.IGNORECASE)
# `%s`, `%(name)s`, `%%` in a `%` template; group 2 is the conversion
PERCENT_PLACEHOLDER = re.compile(r"%%|%(\(\w+\))?[-+ #0]*\d*(?:\.\d+)?([a-zA-Z])")
NUMBER_CONVERSIONS = frozenset({"d", "i", "u", "f", "F", "e", "E", "g", "G", "x", "X", "o"})
FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}")
# where a whole statement goes: `EXPLAIN <statement>`, `FROM (<statement>) AS q`, `WITH q AS (<statement>)`
STATEMENT_SLOTS = (re.compile(r"^\s*EXPLAIN\b[^\x00]*?\x00(\d+)\x00\s*;?\s*$", re.IGNORECASE),
                   re.compile(r"\b(?:FROM|AS)\s*\(\s*\x00(\d+)\x00\s*\)", re.IGNORECASE))
NUMERIC_OPERATORS = (cst.Add, cst.Subtract, cst.Divide, cst.FloorDivide, cst.Power, cst.LeftShift, cst.RightShift,
                     cst.BitOr, cst.BitAnd, cst.BitXor)
# psycopg's SQL composition: `sql.SQL(template).format(...)` takes only composable parts (identifiers,
# literals, placeholders), each quoted as it is rendered
PSYCOPG_SQL = frozenset({"psycopg2.sql.SQL", "psycopg.sql.SQL"})
NUMBER_FUNCTIONS = frozenset({"itertools.count", "builtins.range", "builtins.len", "builtins.int"})
CONTAINER_CALLS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "reversed"})
# calls that quote what they are given, by qualified name
QUOTING_FUNCTIONS = frozenset({
    "psycopg2.sql.Identifier", "psycopg2.sql.Literal", "psycopg.sql.Identifier", "psycopg.sql.Literal",
    "psycopg2.extensions.quote_ident", "psycopg.pq.Escaping.escape_identifier",
    "sqlalchemy.column", "sqlalchemy.sql.column", "sqlalchemy.sql.expression.column",
    "sqlalchemy.table", "sqlalchemy.sql.table", "sqlalchemy.sql.expression.table",
})
TEXT_FUNCTIONS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text",
                            "sqlmodel.text", "sqlalchemy.sql.elements.TextClause"})
RAW_SQL_CLASSES = frozenset({"django.db.models.expressions.RawSQL", "django.db.models.RawSQL"})
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop|alter|truncate|pragma|with|merge|replace|"
                       r"grant|explain|vacuum|values|where|from)\b", re.IGNORECASE)
# calls whose result cannot carry SQL: numbers, and identifier quoting
SAFE_CALLS = frozenset({"int", "float", "len", "bool", "abs", "round", "range", "quote_name", "qn", "quote_ident",
                        "Identifier", "escape_identifier", "quote_identifier"})
SAFE_ATTRIBUTES = frozenset({"__tablename__", "db_table", "_meta", "__name__", "__table__", "sorted_tables",
                             "tables"})
# upper-case attributes that hold request data, not constants
REQUEST_DATA = frozenset({"GET", "POST", "FILES", "META", "COOKIES", "REQUEST", "DATA", "JSON"})
# methods that return SQL compiled by the ORM as an (sql, params) pair: the values are in params
COMPILED_SQL = frozenset({"as_sql", "compile", "sql_with_params"})
# Modules whose classes implement a database backend or the ORM's SQL compiler, spelled
# from the package root (a scan of the framework's own source names them without it).
BACKEND_MODULES = re.compile(r"(^|\.)db\.backends\.|(^|\.)db\.models\.sql\.compiler\.")
# how many steps (names, calls, containers) a value is followed to tell it is constant
MAX_DEPTH = 24
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)")


# other modules of the examples' projects
POST_MODELS = textwrap.dedent("""
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Post(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        author = db.Column(db.String)
    """).lstrip()
QUOTING_HELPERS = textwrap.dedent("""
    def quoted_identifier(name):
        return '"' + name.replace('"', '""').replace("\\0", "") + '"'


    def quoted_literal(value):
        return "'" + value.replace("'", "''") + "'"
    """).lstrip()


@dataclass
class Built:
    """A string expression: whether a non-constant value is spliced into it, and its literal text."""

    unsafe: bool
    text: str


class SqlInjection(PythonRule):
    code = "BP404"
    name = "sql-injection"
    category = "database"
    severity = Severity.ERROR
    precision = Precision(7, 94, "2026-12-02", debatable=1, unseen=(3, 67))
    preview = True
    roles = APPLICATION_ONLY  # a command-line program's SQL holds what its operator, who owns the database, gives it
    cwe = (89,)
    uses_bindings = True
    summary = "SQL built from non-constant strings and executed"
    what = ("Reports SQL assembled with an f-string, `%`, `.format()` or `+` from a value that is not a "
            "constant, and passed to `cursor.execute` / `executemany` / `executescript`, `connection.execute`, "
            "`session.execute`, `exec_driver_sql`, asyncpg `fetch` / `fetchrow` / `fetchval` / `cursor`, pg8000 "
            "`run`, SQLAlchemy `text()` (wherever it goes: `.where(text(...))`), SQL text handed to a SQLAlchemy "
            "query's `filter` / `where` / `having` / `order_by` / `group_by`, Django `raw()`, `extra()` or "
            "`RawSQL`, also when the string is built in a local variable first (`sql = f\"...\"`, `sql += ...`). "
            "Request data and function parameters spliced in are reported; so is any value the rule cannot show "
            "to be harmless. A value formatted inside a quoted SQL literal (`WHERE name = '%s'`) is told apart "
            "in the message: bind it instead.\n\n"
            "Only the value that reaches the call counts: an assignment that runs on every path to the call "
            "(same block, before it) replaces the ones before it (`q = f\"...\"` then `q = \"SELECT 1\"`); one "
            "made in a branch adds to them.\n\n"
            "Harmless, and quiet: constant strings; parameterized queries (`execute(\"... %s\", (x,))`, "
            "`text(\"... :id\").bindparams(...)`); interpolated values that cannot carry outside text: "
            "module-level or local literals, upper-case settings, numbers (`%d` placeholders, `int()`, `len()`, "
            "arithmetic with a number, `range()`/`enumerate()` counts, a lookup whose fallback is a number: "
            "`context.get(\"timeout\", DEFAULT_TIMEOUT)`), bind-parameter names made of them "
            "(`\", \".join(f\":id{i}\" for i, _ in enumerate(ids))`), placeholder lists like "
            "`\", \".join([\"%s\"] * len(ids))`, quoted identifiers and literals (`quote_name()`, `quote_ident()`, "
            "psycopg `sql.SQL(...).format(sql.Identifier(...))`, a dialect's `identifier_preparer.quote()`, "
            "SQLAlchemy `column(name)`, the quote character doubled for a value placed inside that quote "
            "(`name.replace('\"', '\"\"')` in `\"{name}\"`), and a "
            "function of the project, in any module, whose every return quotes or counts), the application's "
            "own tables (`_meta`, `__tablename__`, `__table__`, each `table.name` of `metadata.sorted_tables`), "
            "what the database backend's operations object returns for such inputs "
            "(`connection.ops.<method>(...)`), and SQL the ORM compiled (`sql, params = compiler.as_sql()`, "
            "`query.sql_with_params()`, `str(query.statement.compile(...))`). With `%(name)s` placeholders only "
            "the values of the keys the template names count. A value wrapped in more SQL step by step "
            "(`value = \"TO_CHAR(%s)\" % value`) is judged by what it started from.\n\n"
            "A feature whose job is to run SQL its caller wrote is not reported: a template that wraps a whole "
            "statement and nothing else from outside (`f\"EXPLAIN {statement}\"`, "
            "`\"SELECT * FROM ({}) AS q LIMIT 100\".format(sql)`), like `execute(sql)` of the statement itself. "
            "Parameters cannot help there; who may run SQL is a question of access control, not of injection.\n\n"
            "Command-line programs are not checked either (click/typer/argparse commands, management commands, "
            "`scripts/`, and the functions only they call): the values they splice in come from their "
            "operator, who already holds the database.\n\n"
            "Code of database backends is not checked: methods of classes built on the framework's "
            "backend classes (`django.db.backends...`: schema editor, operations, creation, "
            "introspection, features, connection wrapper) and of the ORM's SQL compiler. Writing DDL "
            "and introspection SQL from identifiers, backend settings and catalog data is their job, "
            "and user values reach them only as query parameters.")
    why = ("A value spliced into SQL text can close the string and add its own SQL: read every table, "
           "drop one, or log in as anyone. Parameters are sent apart from the SQL and cannot.")
    how_to_fix = ("Pass values as parameters: `cursor.execute(\"SELECT * FROM users WHERE id = %s\", (user_id,))`, "
                  "`session.execute(text(\"... WHERE id = :id\"), {\"id\": user_id})`, Django "
                  "`raw(\"... WHERE id = %s\", [user_id])`; pick identifiers from a fixed list or quote them "
                  "(`sql.Identifier(name)`, the dialect's `identifier_preparer.quote(name)`).")
    bad = ('cursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")\n')
    good = ('cursor.execute("SELECT * FROM users WHERE name = %s", (name,))\n')
    examples = (
        Quiet("""
            import click
            from sqlalchemy import text

            from app.db import engine


            @click.command()
            @click.argument("table")
            def vacuum_table(table):
                \"\"\"Reclaim the space of one table.\"\"\"
                with engine.connect() as conn:
                    conn.execute(text(f"VACUUM ANALYZE {table}"))
            """, path="app/cli.py",
              note="a command-line program: its SQL holds what the operator, who owns the database, gives it"),
        Flag("""
            import sqlite3


            def find(name):
                conn = sqlite3.connect("app.db")
                cursor = conn.cursor()
                cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
                return cursor.fetchall()
            """, line=7),
        Flag("""
            from sqlalchemy import text

            from app.db import engine


            def search(term, order):
                sql = "SELECT id FROM posts WHERE title LIKE '%" + term + "%'"
                sql += " ORDER BY {}".format(order)
                with engine.connect() as conn:
                    conn.execute(text(sql))
                    return conn.execute(text("SELECT * FROM t WHERE x = %s" % term)).all()
            """, path="app/search.py", line=10, count=2, note="built in a local variable first; text()"),
        Flag("""
            from django.db import connection
            from django.db.models.expressions import RawSQL

            from blog.models import Post


            def posts(request):
                author = request.GET["author"]
                Post.objects.raw("SELECT * FROM blog_post WHERE author = '%s'" % author)
                Post.objects.annotate(n=RawSQL(f"SELECT count(*) FROM c WHERE a = {author}", []))
                Post.objects.extra(where=["author = '" + author + "'"])
                with connection.cursor() as cursor:
                    cursor.executemany(f"DELETE FROM t WHERE a = {author} AND id = %s", [(1,), (2,)])
            """, path="blog/views.py", line=9, count=4, note="Django raw(), RawSQL, extra(), executemany"),
        Quiet("""
            from sqlalchemy import text

            TABLE = "users"
            COLUMNS = {"name": "name", "date": "created_at"}


            def find(cursor, session, user_id, ids, sort, model):
                cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))
                cursor.execute(f"SELECT * FROM {TABLE} WHERE id = %s", (user_id,))
                placeholders = ", ".join(["%s"] * len(ids))
                cursor.execute(f"SELECT * FROM users WHERE id IN ({placeholders})", ids)
                cursor.execute(f"SELECT * FROM users LIMIT {int(user_id)}")
                cursor.execute(f"SELECT * FROM users ORDER BY {COLUMNS[sort]}")
                cursor.execute(f"SELECT * FROM {model._meta.db_table}")
                session.execute(text("SELECT * FROM users WHERE id = :id").bindparams(id=user_id))
                session.execute(text(f"SELECT * FROM {TABLE} WHERE id = :id"), {"id": user_id})
                direction = "ASC" if sort else "DESC"
                cursor.execute("SELECT * FROM users ORDER BY name " + direction)
            """, note="parameters, module-level constants, placeholder lists, numbers, whitelisted names"),
        Quiet("""
            def run(job, name):
                job.execute(f"backup {name}")
                print(f"SELECT * FROM users WHERE name = '{name}'")
            """, note="an execute() of something that is not SQL; an SQL-like string never executed"),
        Flag("""
            from django.db import connection


            def rename(table, new_name):
                with connection.cursor() as cursor:
                    params = {"old": connection.ops.quote_name(table), "new": new_name}
                    cursor.execute("ALTER TABLE %(old)s RENAME TO %(new)s" % params)
                    cursor.execute("SELECT %s" % connection.ops.quote_name(table) + new_name)
                    names = [f"{new_name}.{column}" for column in ("a", "b")]
                    cursor.execute("SELECT %s FROM t" % ", ".join(names))
            """, path="app/db.py", line=7, count=3,
            note="a named placeholder filled from a parameter; quoting one part only; a comprehension of it"),
        Flag("""
            class Report:
                def __init__(self, connection):
                    self.connection = connection

                def run(self, column):
                    with self.connection.cursor() as cursor:
                        cursor.execute(f"SELECT {column} FROM reports")
            """, path="app/report.py", line=7, count=1,
            note="a method's parameter, in a class that is no database backend"),
        Flag("""
            def columns(cursor, column):
                cursor.execute("SELECT {c} FROM reports".format(c=column))
            """, line=2, note="format() by keyword"),
        Quiet("""
            from django.db import connection
            from django.db.backends.base.schema import BaseDatabaseSchemaEditor


            def create_collation(schema_editor, name, locale, suffix):
                args = {"locale": schema_editor.quote_name(locale)}
                schema_editor.execute("CREATE COLLATION %(name)s (%(args)s)" % {
                    "name": schema_editor.quote_name(name),
                    "args": ", ".join(f"{option}={value}" for option, value in args.items()),
                })
                params = {"dbname": connection.ops.quote_name(name), "suffix": suffix}
                with connection.cursor() as cursor:
                    cursor.execute("DROP DATABASE %(dbname)s" % params)
                    column = connection.ops.quote_name(name)
                    column = "TO_CHAR(%s)" % column
                    cursor.execute("UPDATE t SET c = %s" % column)
                    cursor.execute("SELECT %s" % connection.ops.max_name_length())


            def subquery(query, cursor):
                sql, params = query.get_compiler(using="default").as_sql()
                cursor.execute("SELECT * FROM (%s) subquery" % sql, params)


            class SchemaEditor(BaseDatabaseSchemaEditor):
                def copy(self, table, columns):
                    self.execute("INSERT INTO %s SELECT %s FROM old" % (self.quote_name(table), ", ".join(columns)))
            """, path="app/schema.py",
            note="quoted identifiers (also through a comprehension and a wrapped value), only the keys a "
                 "template names, backend operations, ORM-compiled SQL, a database backend class"),
        Flag("""
            def search(conn, term):
                sql = "SELECT * FROM posts"
                sql += " WHERE title = '%s'" % term
                return conn.execute(sa_text(sql))


            from sqlalchemy import text as sa_text
            """, path="app/search.py", line=4, count=1,
            note="text() under an alias imported below its use; SQL grown with `+=`"),
        Flag("""
            import asyncpg


            async def find_orders(pool: asyncpg.Pool, customer: str, status: str):
                async with pool.acquire() as conn:
                    rows = await conn.fetch(f"SELECT * FROM orders WHERE customer = '{customer}'")
                    total = await conn.fetchval("SELECT count(*) FROM orders WHERE status = '%s'" % status)
                    return rows, total
            """, path="app/orders.py", line=6, count=2, note="asyncpg `fetch` / `fetchval`; a value in a quoted literal"),
        Flag("""
            import sqlite3

            import pg8000.native


            def purge(owner):
                con = pg8000.native.Connection("app")
                con.run(f"DELETE FROM events WHERE owner = '{owner}'")
                db = sqlite3.connect("app.db")
                db.executescript(f"DELETE FROM logs WHERE owner = '{owner}'; VACUUM;")
            """, path="app/purge.py", line=8, count=2, note="pg8000 `run`, sqlite3 `executescript`"),
        Flag("""
            from flask import request
            from sqlalchemy import text

            from app.models import Post, db


            def search_posts():
                author = request.args["author"]
                posts = Post.query.filter("author = '%s'" % author).all()
                drafts = db.session.query(Post).filter(text(f"author = '{author}' AND draft")).all()
                order = request.args.get("order", "id")
                return posts, drafts, Post.query.order_by(f"{order} desc").all()
            """, path="app/views.py", line=9, count=3,
            files={"app/models.py": POST_MODELS},
            note="SQL text handed to query methods: a string, `text()` inside `filter()`, an order"),
        Flag("""
            def search(cursor, term, sql, limit):
                query = "SELECT * FROM posts"
                if term:
                    query = f"SELECT * FROM posts WHERE title = '{term}'"
                cursor.execute(query)
                cursor.execute(f"SELECT * FROM ({sql}) AS q LIMIT {limit}")
            """, path="app/search.py", line=5, count=2,
            note="a format assigned in one branch reaches the call; a caller's statement with a value spliced in"),
        Quiet("""
            from psycopg2 import sql
            from psycopg2.extensions import quote_ident
            from sqlalchemy import text


            def export_rows(cursor, session, schema, table, ids, batch_size, page):
                cursor.execute(
                    sql.SQL("SELECT * FROM {}.{} WHERE id = ANY(%s)").format(sql.Identifier(schema), sql.Identifier(table)),
                    (ids,),
                )
                cursor.execute(f"ANALYZE {quote_ident(table, cursor)}")
                cursor.execute("SELECT * FROM events ORDER BY id LIMIT %d OFFSET %d" % (batch_size, page * batch_size))
                cursor.execute(f"SELECT * FROM events LIMIT {int(batch_size)} OFFSET {len(ids) + 1}")
                names = ", ".join(f":id{i}" for i, _ in enumerate(ids))
                session.execute(text(f"DELETE FROM events WHERE id IN ({names})"),
                                {f"id{i}": value for i, value in enumerate(ids)})
                marks = ", ".join(":p%d" % i for i in range(len(ids)))
                params = {f"p{i}": value for i, value in enumerate(ids)}
                session.execute(text(f"SELECT * FROM events WHERE id IN ({marks})").bindparams(**params))
                quoted = table.replace('"', '""')
                cursor.execute(f'VACUUM "{quoted}"')
            """, path="app/export.py",
            note="psycopg composition, quote_ident, %d and int()/len(), bind-parameter names, a doubled quote"),
        Quiet("""
            from sqlalchemy import text

            from app.sql_names import quoted_identifier, quoted_literal

            DEFAULT_TIMEOUT = 5000


            def table_size(engine, context, table):
                timeout = context.get("statement_timeout", DEFAULT_TIMEOUT)
                preparer = engine.dialect.identifier_preparer
                with engine.connect() as conn:
                    conn.execute(text(f"SET LOCAL statement_timeout TO {timeout}"))
                    conn.execute(text(f"SELECT count(*) FROM {quoted_identifier(table)}"))
                    conn.execute(text(f"LOCK TABLE {preparer.quote(table)}"))
                    sql = f"SELECT * FROM {table}"
                    sql = "SELECT pg_relation_size(" + quoted_literal(table) + ")"
                    return conn.execute(text(sql)).scalar()
            """, path="app/maintenance.py",
            files={"app/sql_names.py": QUOTING_HELPERS},
            note="project helpers that quote (in another module), the dialect's quoting, a numeric setting, "
                 "a variable re-assigned before the call"),
        Quiet("""
            from sqlalchemy import select, text

            from app.models import Base, User


            def rebuild(session, engine, name):
                query = session.query(User).filter(User.name == name)
                sql = str(query.statement.compile(compile_kwargs={"literal_binds": True}))
                session.execute(text(f"CREATE TEMP TABLE matches AS {sql}"))
                compiled = select(User.id).where(User.name == name).compile()
                session.execute(text(f"SELECT count(*) FROM ({compiled}) AS q"), compiled.params)
                with engine.begin() as conn:
                    for table in reversed(Base.metadata.sorted_tables):
                        conn.exec_driver_sql(f"DELETE FROM {table.name}")
                    conn.exec_driver_sql(f"PRAGMA table_info({User.__tablename__})")


            def estimate_cost(cursor, statement: str, max_rows: int):
                cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}")
                cost = cursor.fetchone()[0]
                cursor.execute("SELECT * FROM ({0}) AS preview LIMIT {1}".format(statement, max_rows + 1))
                return cost, cursor.fetchall()
            """, path="app/tables.py",
            note="ORM-compiled SQL, the application's own tables, EXPLAIN of a statement its caller wrote"),
    )

    # libcst runs only in files with a candidate (bplint.project.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.sql_injection)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return any(word in text for word in ("execute", "text(", "raw(", "extra(", "RawSQL", "exec_driver_sql",
                                             "mogrify", ".fetch", ".run(", ".cursor(", ".filter(", ".where(",
                                             ".having(", "order_by(", "group_by("))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._reader: QueryReader | None = None
        self._origins: Origins | None = None
        self._classes: list[bool] = []  # per enclosing class: does it implement a database backend?
        # names bound by the comprehensions being judged: name -> the iterable it walks
        self._comprehension_names: dict[str, cst.BaseExpression] = {}
        # where the value being judged is used: the SQL call, then each assignment followed back
        self._anchors: list[cst.CSTNode] = []
        # name -> how many of its bindings count (while judging one binding of it: those before it)
        self._limits: dict[str, int] = {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(bool(self._classes and self._classes[-1]) or self._is_backend_class(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def _is_backend_class(self, node: cst.ClassDef) -> bool:
        """A class of a database backend (schema editor, operations, creation, introspection, features,
        connection wrapper) or of the ORM's SQL compiler: here, or built on one."""
        facts = self.ctx.facts
        if facts is None:
            return False
        own = f"{facts.module}.{node.name.value}"
        names = [own]
        model = orm_index(self.ctx.index).models.get(own)
        if model is not None:  # the project's class index knows its bases, resolved across modules
            for ancestor in model.lineage():
                names.append(ancestor.key)
                names.extend(ancestor.external_bases)
        else:
            names.extend(q for q in (self.ctx.qualified_name(b.value) for b in node.bases) if q)
        return any(BACKEND_MODULES.search(name) for name in names)

    @property
    def origins(self) -> Origins:
        if self._origins is None:
            self._origins = Origins(self.ctx)
        return self._origins

    @property
    def reader(self) -> QueryReader:
        if self._reader is None:
            self._reader = QueryReader(self.ctx)
        return self._reader

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in EXECUTE_METHODS:
                self._check(node, self._sql_argument(node, ("sql", "statement", "operation", "query")),
                            needs_sql_words=True)
                return
            if method in DRIVER_METHODS and node.args and self.ctx.qualified_name(func) is None:
                # a method of a connection object, not a module's function (`subprocess.run`, `asyncio.run`)
                self._check(node, self._sql_argument(node, ("query", "sql")), needs_sql_words=True,
                            statement_only=True)
                return
            if method in ORM_TEXT_METHODS and node.args and self._is_sqlalchemy_query(func.value):
                self._check(node, self._sql_argument(node, ()), needs_sql_words=False, condition=True)
                return
            if method == "raw" and self._is_django_queryset(func.value):
                self._check(node, self._sql_argument(node, ("raw_query",)), needs_sql_words=False)
                return
            if method == "extra" and self._is_django_queryset(func.value):
                self._check_extra(node)
                return
            if method == "text" and self.reader._is_flask_sqlalchemy(func.value):  # db.text(...)
                self._check(node, self._sql_argument(node, ("text",)), needs_sql_words=False)
                return
        qualified = self.ctx.qualified_name(func)
        if qualified in TEXT_FUNCTIONS:
            self._check(node, self._sql_argument(node, ("text",)), needs_sql_words=False)
        elif qualified in RAW_SQL_CLASSES:
            self._check(node, self._sql_argument(node, ("sql",)), needs_sql_words=False)

    @staticmethod
    def _sql_argument(call: cst.Call, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
        arg = positional_arg(call, 0)
        if arg is None:
            for keyword in keywords:
                arg = keyword_arg(call, keyword)
                if arg is not None:
                    break
        return arg.value if arg is not None else None

    def _is_django_queryset(self, expr: cst.BaseExpression) -> bool:
        query = self.reader.query(expr)
        if query is not None:
            return query.shape in ("manager", "queryset")
        # a model outside the project: `User.objects.raw(...)`
        return isinstance(expr, cst.Attribute) and expr.attr.value == "objects" and self.ctx.imports_any("django")

    def _is_sqlalchemy_query(self, expr: cst.BaseExpression) -> bool:
        """`session.query(User).filter`, `User.query.filter`, `select(User).where`: a query that takes SQL text."""
        query = self.reader.query(expr)
        if query is not None:
            return query.shape in ("query", "select")
        if not self.ctx.imports_any("sqlalchemy", "flask_sqlalchemy", "sqlmodel"):
            return False
        current = expr
        while isinstance(current, (cst.Call, cst.Attribute)):
            if isinstance(current, cst.Call):
                qualified = self.ctx.qualified_name(current.func) or ""
                if qualified.rsplit(".", 1)[-1] == "select" and qualified.startswith(("sqlalchemy", "sqlmodel")):
                    return True
                if isinstance(current.func, cst.Attribute) and current.func.attr.value == "query":
                    return True  # session.query(...)
                current = current.func
                continue
            if current.attr.value == "query":
                return True  # Model.query
            current = current.value
        return False

    def _check(self, call: cst.Call, sql: cst.BaseExpression | None, needs_sql_words: bool,
               statement_only: bool = False, condition: bool = False) -> None:
        if sql is None or (self._classes and self._classes[-1]):
            return
        self._anchors.append(call)
        try:
            built = self._built(sql, 0, set())
            if built is None:
                return
            pieces = self._pieces(sql, 0)
            misquoted = pieces is not None and self._misquoted(pieces)
            if not built.unsafe and not misquoted:
                return
            if statement_only and not STATEMENT_START.match(built.text):
                return
            if needs_sql_words and not SQL_WORDS.search(built.text):
                return
            if condition and not CONDITION.search(built.text):
                return
            if not misquoted and pieces is not None and self._runs_callers_statement(pieces):
                return  # a feature that runs SQL its caller wrote (see `what`)
            quoted = pieces is not None and self._in_literal(pieces)
        finally:
            self._anchors.pop()
        callee = self._callee(call)
        if misquoted:
            self.report(call, f"`{callee}` runs SQL with a value escaped for one quote character but not placed "
                              f"inside that quote; pass it as a query parameter (or quote it with the driver's "
                              f"quoting function).")
        elif quoted:
            self.report(call, f"`{callee}` runs SQL with a value formatted inside a quoted SQL literal; bind it as "
                              f"a query parameter (`%s` / `:name` placeholder, value passed apart) instead of "
                              f"quoting it into the SQL.")
        elif condition:
            self.report(call, f"`{callee}` takes SQL text built from a non-constant value; compare columns "
                              f"(`Model.name == value`) or use `text(\"... :name\").bindparams(name=value)`.")
        else:
            self.report(call, f"`{callee}` runs SQL built from a non-constant value; pass the value as a "
                              f"query parameter (`%s` / `:name` placeholders with a parameters argument) instead of "
                              f"formatting it into the SQL.")

    def _check_extra(self, call: cst.Call) -> None:
        if self._classes and self._classes[-1]:
            return
        self._anchors.append(call)
        try:
            for keyword in ("where", "select", "tables", "order_by"):
                arg = keyword_arg(call, keyword)
                if arg is None:
                    continue
                value = arg.value
                parts: list[cst.BaseExpression] = []
                if isinstance(value, (cst.List, cst.Tuple)):
                    parts = [e.value for e in value.elements]
                elif isinstance(value, cst.Dict):
                    parts = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
                for part in parts:
                    built = self._built(part, 0, set())
                    if built is not None and built.unsafe:
                        self.report(call, "`extra()` runs SQL built from a non-constant value; use `filter()` / "
                                          "`annotate()` or pass the value through `params=[...]`.")
                        return
        finally:
            self._anchors.pop()

    def _callee(self, call: cst.Call) -> str:
        module = self.ctx.module
        text = module.code_for_node(call.func) if module is not None else "execute"
        return text if len(text) <= 40 else "..." + text[-37:]

    # --- where the values go ------------------------------------------------------
    def _pieces(self, expr: cst.BaseExpression, depth: int) -> tuple[str, list[cst.BaseExpression]] | None:
        """The SQL text of a format with a marker where each value goes (``\\x00<n>\\x00``), and the
        values; None when the string is not one format the rule can read."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Call) and expr.args and self.ctx.qualified_name(expr.func) in TEXT_FUNCTIONS:
            return self._pieces(expr.args[0].value, depth + 1)
        marks = _Marks()
        if isinstance(expr, cst.FormattedString):
            text = "".join(p.value if isinstance(p, cst.FormattedStringText) else marks.put(p.expression)
                           for p in expr.parts)
            return text, marks.values
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            template = string_value(expr.left)
            if template is None:
                return None
            right = expr.right
            position = iter([e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right])

            def placeholder(match: re.Match) -> str:
                if match.group(0) == "%%":
                    return "%"
                return marks.put(None if match.group(1) else next(position, None))  # `%(name)s`: not read

            return marks.result(PERCENT_PLACEHOLDER.sub(placeholder, template))
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            template = string_value(expr.func.value)
            if template is None:
                return None
            positional = [a.value for a in expr.args if a.keyword is None and not a.star]
            named = {a.keyword.value: a.value for a in expr.args if a.keyword is not None}
            counter = iter(range(len(positional)))

            def field(match: re.Match) -> str:
                if match.group(0) in ("{{", "}}"):
                    return match.group(0)[0]
                key = match.group(1)
                index = next(counter, None) if key == "" else int(key) if key.isdigit() else None
                if index is None and key and not key.isdigit():
                    return marks.put(named.get(key))
                return marks.put(positional[index] if index is not None and index < len(positional) else None)

            return marks.result(FORMAT_FIELD.sub(field, template))
        if isinstance(expr, cst.Name) and self.ctx.bindings is not None:
            found = [b for b in self.ctx.bindings.of(expr.value) if b.kind != "import"]
            binding = self._reaching(expr.value, found) if found else None
            if binding is None and len(found) == 1 and found[0].kind in ("assign", "annassign"):
                binding = found[0]
            if binding is not None and binding.value is not None:
                return self._pieces(binding.value, depth + 1)
        return None

    def _runs_callers_statement(self, pieces: tuple[str, list[cst.BaseExpression]]) -> bool:
        """`f"EXPLAIN {statement}"`, `"SELECT * FROM ({}) AS q LIMIT 10".format(sql)`: a whole statement
        goes in, and every other value is harmless."""
        text, values = pieces
        slots = {int(m.group(1)) for pattern in STATEMENT_SLOTS for m in pattern.finditer(text)}
        if not slots:
            return False
        seen: set[str] = set()
        return all(i in slots or self._safe(value, 1, seen) for i, value in enumerate(values))

    def _misquoted(self, pieces: tuple[str, list[cst.BaseExpression]]) -> bool:
        """A value made safe by doubling one quote character (`name.replace('"', '""')`) that the SQL
        does not enclose in that quote (`WHERE a = '{name}'`)."""
        text, values = pieces
        for i, value in enumerate(values):
            quote = self._doubled_quote(value, 0)
            if quote is not None:
                at = text.find(f"\x00{i}\x00")
                if at <= 0 or text[at - 1] != quote:
                    return True
        return False

    def _doubled_quote(self, value: cst.BaseExpression, depth: int) -> str | None:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value == "replace" and len(value.args) == 2:
            old, new = string_value(value.args[0].value), string_value(value.args[1].value)
            if old in QUOTE_CHARACTERS and new in (old * 2, "\\" + old):
                return old
            return self._doubled_quote(value.func.value, depth + 1)  # `.replace("\\0", "")` after it
        if isinstance(value, cst.Name) and self.ctx.bindings is not None and depth < 4:
            found = self._bindings_of(value.value)
            binding = self._reaching(value.value, found) or (found[0] if len(found) == 1 else None)
            if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
                return self._doubled_quote(binding.value, depth + 1)
        return None

    def _in_literal(self, pieces: tuple[str, list[cst.BaseExpression]]) -> bool:
        """Some value that is not harmless goes inside a quoted SQL literal (`WHERE name = '%s'`)."""
        text, values = pieces
        for i, value in enumerate(values):
            before = text[:text.find(f"\x00{i}\x00")]
            if before.replace("''", "").count("'") % 2 == 1 and not self._safe(value, 1, set()):
                return True
        return False

    # --- string analysis ----------------------------------------------------------
    def _built(self, expr: cst.BaseExpression, depth: int, seen: set[str]) -> Built | None:
        """How a string expression is made, or None when it is not a string built here."""
        if depth > 8:
            return None
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(expr)
            if text is not None:
                return Built(False, text)
            if isinstance(expr, cst.ConcatenatedString):
                pieces: list[cst.BaseExpression] = []
                current: cst.BaseExpression = expr
                while isinstance(current, cst.ConcatenatedString):  # implicit concatenation of many lines
                    pieces.append(current.left)
                    current = current.right
                pieces.append(current)
                parts = [p for p in (self._built(piece, depth, seen) for piece in pieces) if p is not None]
                return Built(any(p.unsafe for p in parts), "".join(p.text for p in parts)) if parts else None
            return None
        if isinstance(expr, cst.FormattedString):
            text = "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
            unsafe = any(not self._safe(p.expression, depth + 1, seen) for p in expr.parts
                         if isinstance(p, cst.FormattedStringExpression))
            return Built(unsafe, text)
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Modulo):
                left = self._built(expr.left, depth + 1, seen)
                if left is None:
                    return None
                return Built(left.unsafe or not self._safe_arguments(left.text, expr.right, depth + 1, seen),
                             left.text)
            if isinstance(expr.operator, cst.Add):
                parts = self._flatten_add(expr)
                built = [self._built(p, depth + 1, seen) for p in parts]
                if all(b is None for b in built):
                    return None
                unsafe = any(b.unsafe if b is not None else not self._safe(p, depth + 1, seen)
                             for p, b in zip(parts, built))
                return Built(unsafe, " ".join(b.text for b in built if b is not None))
            return None
        if isinstance(expr, cst.Call) and expr.args and self.ctx.qualified_name(expr.func) in PSYCOPG_SQL:
            return self._built(expr.args[0].value, depth + 1, seen)  # sql.SQL(f"...")
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            template = self._built(expr.func.value, depth + 1, seen)
            if template is None:
                return None
            inner = expr.func.value
            if isinstance(inner, cst.Call) and self.ctx.qualified_name(inner.func) in PSYCOPG_SQL:
                return template  # sql.SQL("... {}").format(sql.Identifier(name)): parts are quoted as rendered
            unsafe = template.unsafe or any(not self._safe(a.value, depth + 1, seen) for a in expr.args)
            return Built(unsafe, template.text)
        if isinstance(expr, cst.IfExp):
            branches = [self._built(b, depth + 1, seen) for b in (expr.body, expr.orelse)]
            found = [b for b in branches if b is not None]
            if not found:
                return None
            return Built(any(b.unsafe for b in found), " ".join(b.text for b in found))
        if isinstance(expr, cst.Name):
            return self._built_name(expr.value, depth, seen)
        return None

    def _built_name(self, name: str, depth: int, seen: set[str]) -> Built | None:
        bindings = self.ctx.bindings
        if bindings is None or name in seen:
            return None
        found = [b for b in self._bindings_of(name) if b.kind in ("assign", "annassign", "augassign", "walrus")
                 and b.value is not None]
        if not found:
            return None
        reaching = self._reaching(name, found)
        if reaching is not None:  # the value that reaches the use; its own name means the bindings before it
            with self._before(name, reaching):
                return self._built(reaching.value, depth + 1, seen)  # type: ignore[arg-type]
        seen = seen | {name}
        results = []
        for b in found:
            with self._at(b.node):
                results.append(self._built(b.value, depth + 1, seen))  # type: ignore[arg-type]
        known = [r for r in results if r is not None]
        if not known:
            return None
        return Built(any(r.unsafe for r in known), " ".join(r.text for r in known))

    # --- flow: which binding reaches a use ---------------------------------------------
    def _bindings_of(self, name: str) -> list:
        found = self.ctx.bindings.of(name) if self.ctx.bindings is not None else []
        limit = self._limits.get(name)
        return found[:limit] if limit is not None else found

    def _reaching(self, name: str, found: list):
        """The last binding of ``name`` when it is an assignment that surely runs before the use being
        judged (same block, or a block around it): then only its value reaches the use."""
        bindings = self.ctx.bindings
        if len(found) < 2 or bindings is None or not self._anchors or not bindings.is_local(name):
            return None
        latest = found[-1]
        everything = self._bindings_of(name)
        if everything and everything[-1] is not latest:  # a later binding of another kind (a loop, a with)
            return None
        if latest.kind not in ("assign", "annassign") or latest.value is None:
            return None
        scope = bindings.function
        if scope is None or not surely_reaches(scope, latest.node, self._anchors[-1], self._span):
            return None
        return latest

    def _span(self, node: cst.CSTNode):
        position = self.ctx.get_metadata(PositionProvider, node)
        if position is None:
            return None
        return (position.start.line, position.start.column), (position.end.line, position.end.column)

    @contextmanager
    def _before(self, name: str, binding):
        """While judging ``binding``'s value: the name stands for its bindings before it, and names in
        the value are looked up from there."""
        previous = self._limits.get(name)
        self._limits[name] = self._bindings_of(name).index(binding)
        self._anchors.append(binding.node)
        try:
            yield
        finally:
            self._anchors.pop()
            if previous is None:
                del self._limits[name]
            else:
                self._limits[name] = previous

    @contextmanager
    def _at(self, node: cst.CSTNode):
        self._anchors.append(node)
        try:
            yield
        finally:
            self._anchors.pop()

    @staticmethod
    def _flatten_add(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add) and not expr.lpar:
            return SqlInjection._flatten_add(expr.left) + SqlInjection._flatten_add(expr.right)
        return [expr]

    def _safe(self, expr: cst.BaseExpression, depth: int, seen: set[str]) -> bool:
        """True when the value cannot carry text from outside the code: constants and what is made of them."""
        if depth > MAX_DEPTH:
            return False
        if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString)):
            return True
        if isinstance(expr, cst.ConcatenatedString):
            built = self._built(expr, depth, seen)
            return built is not None and not built.unsafe
        if isinstance(expr, cst.FormattedString):
            return all(self._safe(p.expression, depth + 1, seen) for p in expr.parts
                       if isinstance(p, cst.FormattedStringExpression))
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return all(self._safe(e.value, depth + 1, seen) for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(isinstance(e, cst.DictElement) and self._safe(e.value, depth + 1, seen) for e in expr.elements)
        if isinstance(expr, cst.IfExp):
            return self._safe(expr.body, depth + 1, seen) and self._safe(expr.orelse, depth + 1, seen)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):  # a list of harmless strings
            return self._safe_items(expr, depth + 1, seen)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo) and \
                isinstance(expr.left, (cst.SimpleString, cst.ConcatenatedString)):
            built = self._built(expr, depth + 1, seen)  # a template filled with `%`
            return built is not None and not built.unsafe
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Multiply):  # ["%s"] * len(ids), "?" * n
                return self._safe(expr.left, depth + 1, seen) or self._safe(expr.right, depth + 1, seen)
            if isinstance(expr.operator, NUMERIC_OPERATORS) and (_number(expr.left) or _number(expr.right)):
                return True  # `limit + 1`: a number, or a TypeError
            return self._safe(expr.left, depth + 1, seen) and self._safe(expr.right, depth + 1, seen)
        if isinstance(expr, cst.Subscript):  # a lookup in a constant mapping picks a constant
            return isinstance(expr.value, cst.Name) and self._safe(expr.value, depth + 1, seen)
        if isinstance(expr, cst.Attribute):
            attr = expr.attr.value
            if (attr.isupper() and attr not in REQUEST_DATA) or attr in SAFE_ATTRIBUTES:
                return True
            inner = expr.value
            while isinstance(inner, cst.Attribute):
                if inner.attr.value in SAFE_ATTRIBUTES:
                    return True
                inner = inner.value
            # an attribute of what a loop over harmless objects yields (`table.name` for each table of
            # `metadata.sorted_tables`)
            return isinstance(inner, cst.Name) and self._safe_loop_name(inner.value, depth + 1, seen)
        if isinstance(expr, cst.Call):
            func = expr.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) \
                else ""
            if name in SAFE_CALLS or name.lstrip("_").startswith("quote_"):  # quote_name_unless_alias(...)
                return True
            if name == "format" and isinstance(func, cst.Attribute):  # a template filled with `.format()`
                built = self._built(expr, depth + 1, seen)
                return built is not None and not built.unsafe
            if self._quotes(expr):
                return True
            if name == "str" and isinstance(func, cst.Name) and len(expr.args) == 1:
                return self._safe(expr.args[0].value, depth + 1, seen)
            if name == "next" and isinstance(func, cst.Name) and expr.args:  # next(counter)
                return self._safe_items(expr.args[0].value, depth + 1, seen)
            if self.ctx.qualified_name(func) in NUMBER_FUNCTIONS:
                return True
            if name == "dict" and isinstance(func, cst.Name):  # dict(name=value, ...)
                return all(self._safe(a.value, depth + 1, seen) if a.keyword is not None or a.star == "**"
                           else self._safe_items(a.value, depth + 1, seen) for a in expr.args)
            if name in CONTAINER_CALLS and isinstance(func, cst.Name):
                return not expr.args or self._safe_items(expr.args[0].value, depth + 1, seen)
            if name == "get" and isinstance(func, cst.Attribute) and len(expr.args) == 2 and \
                    self._number_constant(expr.args[1].value, depth + 1, seen) and \
                    not self.origins.is_request_data(func.value):
                return True  # `context.get("timeout", DEFAULT_TIMEOUT)`: a setting that holds a number
            if self._safe_project_result(func):
                return True  # `identifier(name)`: a project helper that quotes (or counts) what it returns
            if name in COMPILED_SQL and isinstance(func, cst.Attribute) and \
                    self.ctx.qualified_name(func) not in ("re.compile", "regex.compile"):
                return True  # `query.statement.compile(...)`: SQL the ORM wrote
            if isinstance(func, cst.Attribute) and self._backend_operation(func.value) and \
                    all(self._safe(a.value, depth + 1, seen) for a in expr.args):
                return True  # `connection.ops.sequence_name(table)`: SQL the database backend writes
            if isinstance(func, cst.Name) and self._project_function(func) and \
                    all(self._safe(a.value, depth + 1, seen) for a in expr.args):
                return True  # `_descendants_cte()`: SQL text kept in a helper of the project
            if name in ("keys", "values", "items", "copy") and isinstance(func, cst.Attribute) and not expr.args:
                return self._safe(func.value, depth + 1, seen)
            if name == "join" and isinstance(func, cst.Attribute) and self._safe(func.value, depth + 1, seen) \
                    and expr.args:
                return self._safe_items(expr.args[0].value, depth + 1, seen)
            return False
        if isinstance(expr, cst.Name):
            return self._safe_name(expr.value, depth, seen)
        return False

    def _safe_arguments(self, template: str, values: cst.BaseExpression, depth: int, seen: set[str]) -> bool:
        """The right side of `template % values`: with `%(name)s` placeholders, only the values of the
        keys the template names are spliced into the SQL."""
        conversions = [m.group(2) for m in PERCENT_PLACEHOLDER.finditer(template) if m.group(0) != "%%"]
        if conversions and all(c in NUMBER_CONVERSIONS for c in conversions):
            return True  # `"LIMIT %d" % n`: only numbers can come out (or a TypeError)
        keys = set(NAMED_PLACEHOLDER.findall(template))
        mapping = values
        if keys and isinstance(values, cst.Name) and self.ctx.bindings is not None:
            binding = self.ctx.bindings.only(values.value)
            if binding is not None and binding.kind in ("assign", "annassign") and binding.value is not None:
                mapping = binding.value
        if not keys or not isinstance(mapping, cst.Dict):
            return self._safe(values, depth, seen)
        named: dict[str, cst.BaseExpression] = {}
        for element in mapping.elements:
            key = string_value(element.key) if isinstance(element, cst.DictElement) else None
            if key is None:
                return self._safe(values, depth, seen)  # `**other` or a computed key: judge it all
            named[key] = element.value
        return all(key in named and self._safe(named[key], depth + 1, seen) for key in keys)

    def _quotes(self, call: cst.Call) -> bool:
        """A call that quotes its argument for SQL: psycopg's `sql.Identifier`, a dialect's
        `identifier_preparer.quote`, SQLAlchemy's `column(name)` (compiled quoted), the quote
        character doubled (`name.replace('"', '""')`)."""
        func = call.func
        qualified = self.ctx.qualified_name(func)
        if qualified in QUOTING_FUNCTIONS:
            return True
        if not isinstance(func, cst.Attribute):
            return False
        method = func.attr.value
        if method == "quote" and last_name(func.value) in QUOTING_OBJECTS:
            return True
        if method == "replace" and len(call.args) == 2:
            old, new = string_value(call.args[0].value), string_value(call.args[1].value)
            return old in QUOTE_CHARACTERS and new in (old * 2, "\\" + old)
        return False

    def _safe_project_result(self, func: cst.BaseExpression) -> bool:
        """A project function (through imports, or defined in this module) whose every return is
        quoted or a number, whatever its arguments (the index's ``SqlFacts``)."""
        facts = self.ctx.facts
        if facts is None:
            return False
        if isinstance(func, cst.Name):
            if func.value in facts.defined:
                known = sql_facts(facts)
                return known is not None and func.value in known.safe_returns
            qualified = facts.imports.get(func.value)
        else:
            qualified = self.ctx.qualified_name(func)
        if not qualified:
            return False
        found = self.ctx.index.resolve_definition(qualified)
        if found is None:
            return False
        module_facts, local = found
        known = sql_facts(module_facts)
        return known is not None and local in known.safe_returns

    def _number_constant(self, expr: cst.BaseExpression, depth: int, seen: set[str]) -> bool:
        """A numeric literal, or a name bound only to one (`TIMEOUT = 60`)."""
        if _number(expr):
            return True
        if isinstance(expr, cst.Name) and self.ctx.bindings is not None and depth <= MAX_DEPTH:
            found = self._bindings_of(expr.value)
            return bool(found) and all(b.kind in ("assign", "annassign") and b.value is not None and
                                       self._number_constant(b.value, depth + 1, seen) for b in found)
        return False

    def _safe_loop_name(self, name: str, depth: int, seen: set[str]) -> bool:
        """A name bound only by loops over harmless collections, or by a comprehension walking one."""
        if name in self._comprehension_names:
            return self._safe_name(name, depth, seen)
        found = self._bindings_of(name)
        return bool(found) and all(b.kind == "for" for b in found) and self._safe_name(name, depth, seen)

    def _project_function(self, func: cst.Name) -> bool:
        facts = self.ctx.facts
        if facts is None or func.value in SAFE_CALLS:
            return False
        if func.value in facts.defined:
            return True
        qualified = facts.imports.get(func.value)
        return qualified is not None and self.ctx.index.resolve_definition(qualified) is not None

    @staticmethod
    def _backend_operation(expr: cst.BaseExpression) -> bool:
        """`connection.ops` / `self.connection.ops`: the database backend's operations object."""
        return isinstance(expr, cst.Attribute) and expr.attr.value == "ops" and (
            (isinstance(expr.value, cst.Name) and expr.value.value == "connection") or
            (isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "connection"))

    def _safe_items(self, expr: cst.BaseExpression, depth: int, seen: set[str]) -> bool:
        """The items joined into a string: placeholders or constants."""
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            # the walk has not reached the comprehension yet, so its names are bound here:
            # each stands for an item of what its `for` walks
            added: list[str] = []
            clause: cst.CompFor | None = expr.for_in
            while clause is not None:
                for position, name in enumerate(_target_names(clause.target)):
                    if name not in self._comprehension_names:
                        unpacked = isinstance(clause.target, cst.Tuple)
                        self._comprehension_names[name] = _loop_source(clause.iter, position if unpacked else None)
                        added.append(name)
                clause = clause.inner_for_in
            try:
                return self._safe(expr.elt, depth + 1, seen)
            finally:
                for name in added:
                    del self._comprehension_names[name]
        return self._safe(expr, depth + 1, seen)

    def _safe_name(self, name: str, depth: int, seen: set[str]) -> bool:
        if name in ("True", "False", "None"):
            return True
        if name in seen:
            return True  # `sql = "(%s)" % sql`: the name's other bindings decide
        if name in self._comprehension_names:
            iterable = self._comprehension_names[name]
            return self._safe(iterable, depth + 1, seen | {name})
        bindings = self.ctx.bindings
        if bindings is None:
            return False
        found = self._bindings_of(name)
        reaching = self._reaching(name, found)
        if reaching is not None:  # only the value that reaches the use counts
            with self._before(name, reaching):
                return self._safe(reaching.value, depth + 1, seen)
        if not found:
            # not bound in this module so far: a constant defined further down, or a builtin
            return name.isupper()
        if all(b.kind == "unpack" and b.index == 0 and _compiled_sql(b.value) for b in found):
            return True  # `sql, params = compiler.as_sql()`: ORM-built SQL, its values in params
        if any(b.kind in ("param", "with", "unpack") for b in found):
            return False
        if any(b.kind == "for" for b in found):  # a loop over a constant collection yields constants
            seen = seen | {name}
            return all(b.kind == "for" and b.value is not None and
                       self._safe(_loop_source(b.value, b.index), depth + 1, seen) for b in found)
        if all(b.kind == "import" for b in found):
            return name.isupper()
        seen = seen | {name}
        for b in found:
            if b.kind == "import":
                continue
            if b.value is None:
                return False
            with self._at(b.node):
                if not self._safe(b.value, depth + 1, seen):
                    return False
        return True


class _Marks:
    """The values of a format, in the order they go into its text, each marked there by its number."""

    def __init__(self) -> None:
        self.values: list[cst.BaseExpression] = []
        self.failed = False  # a placeholder the rule cannot pair with a value

    def put(self, value: cst.BaseExpression | None) -> str:
        if value is None:
            self.failed = True
            return ""
        self.values.append(value)
        return f"\x00{len(self.values) - 1}\x00"

    def result(self, text: str) -> tuple[str, list[cst.BaseExpression]] | None:
        return None if self.failed else (text, self.values)


def _number(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float)) or (
        isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, (cst.Integer, cst.Float)))


def _loop_source(iterable: cst.BaseExpression, index: int | None) -> cst.BaseExpression:
    """What the loop target at ``index`` (None: the whole item) takes its values from: a count for the
    first of `enumerate(...)`, the matching argument of `zip(...)`, else the items of ``iterable``."""
    if index is not None and isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name):
        args = [a.value for a in iterable.args if not a.star and a.keyword is None]
        if iterable.func.value == "enumerate" and args:
            return cst.Integer("0") if index == 0 else args[0]
        if iterable.func.value == "zip" and index < len(args):
            return args[index]
    return iterable


def _compiled_sql(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
        value.func.attr.value in COMPILED_SQL


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []
