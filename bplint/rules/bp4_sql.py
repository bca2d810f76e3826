"""BP4 SQL: SQL statements built from non-constant strings and executed (BP404)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from bplint import orm_triggers
from bplint.findings import Severity
from bplint.names import keyword_arg, positional_arg, string_value
from bplint.orm_models import orm_index
from bplint.orm_queries import QueryReader
from bplint.roles import RUNNING_CODE
from bplint.rule import Flag, Precision, PythonRule, Quiet

EXECUTE_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "mogrify"})
TEXT_FUNCTIONS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text",
                            "sqlmodel.text", "sqlalchemy.sql.elements.TextClause"})
RAW_SQL_CLASSES = frozenset({"django.db.models.expressions.RawSQL", "django.db.models.RawSQL"})
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|create|drop|alter|truncate|pragma|with|merge|replace|"
                       r"grant|explain|vacuum|values|where|from)\b", re.IGNORECASE)
# calls whose result cannot carry SQL: numbers, and identifier quoting
SAFE_CALLS = frozenset({"int", "float", "len", "bool", "abs", "round", "quote_name", "qn", "quote_ident",
                        "Identifier", "escape_identifier", "quote_identifier"})
SAFE_ATTRIBUTES = frozenset({"__tablename__", "db_table", "_meta", "__name__"})
# upper-case attributes that hold request data, not constants
REQUEST_DATA = frozenset({"GET", "POST", "FILES", "META", "COOKIES", "REQUEST", "DATA", "JSON"})
# methods that return SQL compiled by the ORM as an (sql, params) pair: the values are in params
COMPILED_SQL = frozenset({"as_sql", "compile"})
# Modules whose classes implement a database backend or the ORM's SQL compiler, spelled
# from the package root (a scan of the framework's own source names them without it).
BACKEND_MODULES = re.compile(r"(^|\.)db\.backends\.|(^|\.)db\.models\.sql\.compiler\.")
# how many steps (names, calls, containers) a value is followed to tell it is constant
MAX_DEPTH = 16
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)")


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
    precision = Precision(1, 14, "2026-12-02")
    preview = True
    roles = RUNNING_CODE
    cwe = (89,)
    uses_bindings = True
    summary = "SQL built from non-constant strings and executed"
    what = ("Reports SQL assembled with an f-string, `%`, `.format()` or `+` from a value that is not a "
            "constant, and passed to `cursor.execute` / `executemany`, `connection.execute`, "
            "`session.execute`, `engine.execute`, `exec_driver_sql`, SQLAlchemy `text()`, Django "
            "`raw()`, `extra()` or `RawSQL`, also when the string is built in a local variable first "
            "(`sql = f\"...\"`, `sql += ...`). Request data and function parameters spliced in are "
            "reported; so is any value the rule cannot show to be harmless.\n\n"
            "Harmless, and quiet: constant strings; parameterized queries (`execute(\"... %s\", (x,))`, "
            "`text(\"... :id\").bindparams(...)`); interpolated values that cannot carry outside text: "
            "module-level or local literals, upper-case settings, numbers from `int()` / `len()`, "
            "placeholder lists like `\", \".join([\"%s\"] * len(ids))`, identifiers quoted with "
            "`quote_name()` (also in a comprehension over quoted names), table names from `_meta` / "
            "`__tablename__`, what the database backend's operations object returns for such inputs "
            "(`connection.ops.<method>(...)`), and SQL the ORM compiled together with its parameters "
            "(`sql, params = compiler.as_sql()`). With `%(name)s` placeholders only the values of the "
            "keys the template names count. A value wrapped in more SQL step by step "
            "(`value = \"TO_CHAR(%s)\" % value`) is judged by what it started from.\n\n"
            "Code of database backends is not checked: methods of classes built on the framework's "
            "backend classes (`django.db.backends...`: schema editor, operations, creation, "
            "introspection, features, connection wrapper) and of the ORM's SQL compiler. Writing DDL "
            "and introspection SQL from identifiers, backend settings and catalog data is their job, "
            "and user values reach them only as query parameters.")
    why = ("A value spliced into SQL text can close the string and add its own SQL: read every table, "
           "drop one, or log in as anyone. Parameters are sent apart from the SQL and cannot.")
    how_to_fix = ("Pass values as parameters: `cursor.execute(\"SELECT * FROM users WHERE id = %s\", (user_id,))`, "
                  "`session.execute(text(\"... WHERE id = :id\"), {\"id\": user_id})`, Django "
                  "`raw(\"... WHERE id = %s\", [user_id])`; pick identifiers from a fixed list.")
    bad = ('cursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")\n')
    good = ('cursor.execute("SELECT * FROM users WHERE name = %s", (name,))\n')
    examples = (
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
    )

    # libcst runs only in files with a candidate (bplint.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.sql_injection)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return any(word in text for word in ("execute", "text(", "raw(", "extra(", "RawSQL", "exec_driver_sql",
                                             "mogrify"))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._reader: QueryReader | None = None
        self._classes: list[bool] = []  # per enclosing class: does it implement a database backend?
        # names bound by the comprehensions being judged: name -> the iterable it walks
        self._comprehension_names: dict[str, cst.BaseExpression] = {}

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

    def _check(self, call: cst.Call, sql: cst.BaseExpression | None, needs_sql_words: bool) -> None:
        if sql is None or (self._classes and self._classes[-1]):
            return
        built = self._built(sql, 0, set())
        if built is None or not built.unsafe:
            return
        if needs_sql_words and not SQL_WORDS.search(built.text):
            return
        self.report(call, f"`{self._callee(call)}` runs SQL built from a non-constant value; pass the value as a "
                          f"query parameter (`%s` / `:name` placeholders with a parameters argument) instead of "
                          f"formatting it into the SQL.")

    def _check_extra(self, call: cst.Call) -> None:
        if self._classes and self._classes[-1]:
            return
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

    def _callee(self, call: cst.Call) -> str:
        module = self.ctx.module
        text = module.code_for_node(call.func) if module is not None else "execute"
        return text if len(text) <= 40 else "..." + text[-37:]

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
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
            template = self._built(expr.func.value, depth + 1, seen)
            if template is None:
                return None
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
        found = [b for b in bindings.of(name) if b.kind in ("assign", "annassign", "augassign", "walrus")
                 and b.value is not None]
        if not found:
            return None
        seen = seen | {name}
        results = [self._built(b.value, depth + 1, seen) for b in found]  # type: ignore[arg-type]
        known = [r for r in results if r is not None]
        if not known:
            return None
        return Built(any(r.unsafe for r in known), " ".join(r.text for r in known))

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
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Multiply):  # ["%s"] * len(ids), "?" * n
                return self._safe(expr.left, depth + 1, seen) or self._safe(expr.right, depth + 1, seen)
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
            return False
        if isinstance(expr, cst.Call):
            func = expr.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) \
                else ""
            if name in SAFE_CALLS or name.lstrip("_").startswith("quote_"):  # quote_name_unless_alias(...)
                return True
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
                for name in _target_names(clause.target):
                    if name not in self._comprehension_names:
                        self._comprehension_names[name] = clause.iter
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
        found = bindings.of(name)
        if not found:
            # not bound in this module so far: a constant defined further down, or a builtin
            return name.isupper()
        if all(b.kind == "unpack" and b.index == 0 and _compiled_sql(b.value) for b in found):
            return True  # `sql, params = compiler.as_sql()`: ORM-built SQL, its values in params
        if any(b.kind in ("param", "with", "unpack") for b in found):
            return False
        if any(b.kind == "for" for b in found):  # a loop over a constant collection yields constants
            seen = seen | {name}
            return all(b.kind == "for" and b.value is not None and self._safe(b.value, depth + 1, seen)
                       for b in found)
        if all(b.kind == "import" for b in found):
            return name.isupper()
        seen = seen | {name}
        values = [b.value for b in found if b.kind != "import"]
        return all(v is not None and self._safe(v, depth + 1, seen) for v in values)


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
