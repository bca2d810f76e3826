"""BP4 SQL: SQL statements built from non-constant strings and executed (BP404)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from bplint.findings import Severity
from bplint.names import keyword_arg, positional_arg, string_value
from bplint.orm_queries import QueryReader
from bplint.rule import Flag, PythonRule, Quiet

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
    cwe = (89,)
    uses_bindings = True
    summary = "SQL built from non-constant strings and executed"
    what = ("Reports SQL assembled with an f-string, `%`, `.format()` or `+` from a value that is not a "
            "constant, and passed to `cursor.execute` / `executemany`, `connection.execute`, "
            "`session.execute`, `engine.execute`, `exec_driver_sql`, SQLAlchemy `text()`, Django "
            "`raw()`, `extra()` or `RawSQL`, also when the string is built in a local variable first "
            "(`sql = f\"...\"`, `sql += ...`). Constant strings, parameterized queries "
            "(`execute(\"... %s\", (x,))`, `text(\"... :id\").bindparams(...)`), and interpolated "
            "constants (module-level or local literals, numbers from `int()` / `len()`, identifier "
            "quoting with `quote_name()`, placeholder lists like `\", \".join([\"%s\"] * len(ids))`) "
            "are fine.")
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
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return any(word in text for word in ("execute", "text(", "raw(", "extra(", "RawSQL", "exec_driver_sql",
                                             "mogrify"))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._reader: QueryReader | None = None

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
        if sql is None:
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
                return Built(left.unsafe or not self._safe(expr.right, depth + 1, seen), left.text)
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
        if depth > 8:
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
            if name in SAFE_CALLS or name.startswith("quote_"):  # quote_name_unless_alias(...)
                return True
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

    def _project_function(self, func: cst.Name) -> bool:
        facts = self.ctx.facts
        if facts is None or func.value in SAFE_CALLS:
            return False
        if func.value in facts.defined:
            return True
        qualified = facts.imports.get(func.value)
        return qualified is not None and self.ctx.index.resolve_definition(qualified) is not None

    def _safe_items(self, expr: cst.BaseExpression, depth: int, seen: set[str]) -> bool:
        """The items joined into a string: placeholders or constants."""
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            return self._safe(expr.elt, depth + 1, seen)
        return self._safe(expr, depth + 1, seen)

    def _safe_name(self, name: str, depth: int, seen: set[str]) -> bool:
        if name in ("True", "False", "None"):
            return True
        bindings = self.ctx.bindings
        if bindings is None or name in seen:
            return False
        found = bindings.of(name)
        if not found:
            # not bound in this module so far: a constant defined further down, or a builtin
            return name.isupper()
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
