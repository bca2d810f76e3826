"""BP4 datetimes: naive `datetime.utcnow()` (BP406)."""

from __future__ import annotations

import ast
import re

import libcst as cst

from bplint.project import names
from bplint.project.index import ModuleFacts
from bplint.project.roles import NOT_TESTS_OR_EXAMPLES
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._auth_project import last_name
from bplint.rules.bp4_fixtures import EXTENSIONS

# What reading only these of `datetime.utcnow()` gives is the same for the aware value
_CALENDAR_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"})
_CALENDAR_METHODS = frozenset({"date", "time", "weekday", "isoweekday", "isocalendar", "toordinal"})
# strftime fields that show the time zone (or, `%s`, the epoch seconds of a naive value read as local)
_ZONE_FIELDS = re.compile(r"%[-#]?[zZs:]")
# Calls that declare a table column, and the keywords whose value is called to fill it
_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_COLUMN_DEFAULTS = frozenset({"default", "onupdate"})



_FALLBACK_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError"})


def _checks_new_python(test: cst.BaseExpression) -> bool | None:
    """True for a test that holds on the Pythons with `datetime.UTC` (`hasattr(datetime, "UTC")`,
    `sys.version_info >= (3, 11)`), False for its negation, None for any other test."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _checks_new_python(test.expression)
        return None if inner is None else not inner
    if isinstance(test, cst.Call) and last_name(test.func) == "hasattr" and len(test.args) == 2:
        name = names.string_value(test.args[1].value)
        return True if name in ("UTC", "timezone") else None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and \
            (names.dotted(test.left) or "").endswith("version_info"):
        operator = test.comparisons[0].operator
        if isinstance(operator, (cst.GreaterThanEqual, cst.GreaterThan)):
            return True
        if isinstance(operator, (cst.LessThan, cst.LessThanEqual)):
            return False
    return None

class NaiveUtcnow(PythonRule):
    code = "BP406"
    name = "naive-utcnow"
    category = "database"
    severity = Severity.INFO
    precision = Precision(147, 153, "2026-12-02", debatable=11, unseen=(90, 98))
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "datetime.utcnow() returns a naive datetime and is deprecated"
    what = ("Reports `datetime.utcnow()` and `datetime.utcnow` passed as a default (`default=datetime.utcnow`, "
            "`default_factory=datetime.utcnow`), however `datetime` was imported. On the default of a column "
            "declared naive (`Column(DateTime, default=datetime.utcnow)`) the message says that the column "
            "needs `DateTime(timezone=True)` too, since an aware default alone does not make the column store "
            "the time zone. A call in an `except ImportError:` (or `AttributeError`) handler is left alone: it "
            "is the fallback for the Pythons that lack what the aware code before it uses (`datetime.UTC`); so is "
            "one in the branch of `if hasattr(datetime, \"UTC\")` or `if sys.version_info >= (3, 11)` that "
            "older Pythons take.")
    why = ("`utcnow()` returns a datetime without a time zone that the rest of the code and the database "
           "driver will read as local time; it is deprecated since Python 3.12.")
    how_to_fix = ("Use `datetime.now(timezone.utc)`; as a column default, `default=lambda: "
                  "datetime.now(timezone.utc)` or the database's `server_default=func.now()`. Where the "
                  "project keeps naive UTC values on purpose (naive columns, comparisons with other naive "
                  "values), `datetime.now(timezone.utc).replace(tzinfo=None)` is the drop-in replacement.")
    bad = ("created_at = db.Column(db.DateTime, default=datetime.utcnow)\n")
    good = ("created_at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n")
    fix_applicability = "sometimes"
    fix_note = ("A call `datetime.utcnow()` becomes `datetime.now(timezone.utc)` (`datetime.UTC` when the target "
                "Python is 3.11 or later), the import added to the module's `from datetime import ...`. The value "
                "is then timezone-aware: comparing it with or subtracting a naive datetime raises `TypeError`, "
                "and `.timestamp()` or `.isoformat()` give other results, so the fix is unsafe, except where only "
                "a calendar field of the value is read (`.year`, `.date()`, `.strftime(...)` without a time "
                "zone field), where it is safe. `default=datetime.utcnow` becomes `default=lambda: "
                "datetime.now(timezone.utc)`: unsafe (a naive column then receives aware datetimes). No fix when "
                "the module has no `from datetime import` line to extend or the name is taken.")
    examples = (
        Quiet("""
            try:
                from datetime import UTC, datetime

                def utcnow():
                    return datetime.now(UTC)
            except ImportError:  # Python before 3.11
                from datetime import datetime

                def utcnow():
                    return datetime.utcnow()
            """, note="the fallback for Pythons without `datetime.UTC`"),
        Quiet("""
            import datetime as dt
            import sys

            def expiry(max_age):
                if hasattr(dt, "UTC"):
                    return dt.datetime.now(dt.UTC) + max_age
                else:
                    return dt.datetime.utcnow() + max_age

            def stamp():
                if sys.version_info < (3, 11):
                    return dt.datetime.utcnow()
                return dt.datetime.now(dt.UTC)
            """, note="branches for older Pythons"),
        Flag("""
            import datetime as dt

            def expiry(max_age, remember):
                if remember:
                    return dt.datetime.now(dt.UTC) + max_age
                else:
                    return dt.datetime.utcnow() + max_age
            """, line=7, note="any other branch"),
        Flag("""
            from datetime import datetime

            from app.extensions import db


            class Post(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                created_at = db.Column(db.DateTime, default=datetime.utcnow)
            """, path="app/models.py", files={"app/extensions.py": EXTENSIONS}, line=8, fixed="""
            from datetime import datetime, timezone

            from app.extensions import db


            class Post(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                created_at = db.Column(db.DateTime, default=lambda: datetime.now(timezone.utc))
            """),
        Flag("""
            import datetime as dt

            def stamp():
                return dt.datetime.utcnow().isoformat()
            """, line=4, fixed="""
            import datetime as dt

            def stamp():
                return dt.datetime.now(dt.timezone.utc).isoformat()
            """),
        Flag("""
            from datetime import (
                datetime,
            )

            def stamp(event):
                event.at = datetime.utcnow()  # when it happened
                return (datetime.utcnow(), datetime.utcnow)
            """, count=3, config={"target-version": "py312"}, fixed="""
            from datetime import (
                datetime, UTC,
            )

            def stamp(event):
                event.at = datetime.now(UTC)  # when it happened
                return (datetime.now(UTC), (lambda: datetime.now(UTC)))
            """, note="the target Python has datetime.UTC; a reference outside a call argument"),
        Flag("""
            import datetime

            def banner():
                return f"{datetime.datetime.utcnow().year} - {datetime.datetime.utcnow().strftime('%d %b %H:%M')}"
            """, count=2, fixed="""
            import datetime

            def banner():
                return f"{datetime.datetime.now(datetime.timezone.utc).year} - {datetime.datetime.now(datetime.timezone.utc).strftime('%d %b %H:%M')}"
            """, note="only a calendar field is read: the same for the aware value (a safe fix)"),
        Flag("""
            from datetime import datetime

            from django.utils import timezone

            def stamp():
                return datetime.utcnow()
            """, fixed="""
            from datetime import datetime

            from django.utils import timezone

            def stamp():
                return datetime.utcnow()
            """, note="no fix: the name `timezone` is taken"),
        Quiet("""
            from datetime import datetime, timezone

            import arrow


            class Clock:
                def utcnow(self):
                    return datetime.now(timezone.utc)


            clock = Clock()
            now = clock.utcnow()
            later = arrow.utcnow()
            """, note="a timezone-aware now, other libraries' utcnow"),
    )

    ast_trigger_types = (ast.Attribute,)

    @staticmethod
    def ast_trigger(node: ast.Attribute, facts: ModuleFacts) -> bool:
        return node.attr == "utcnow"

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "utcnow" in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._calls: dict[int, cst.Call] = {}  # id of `X.utcnow` -> the call `X.utcnow()`
        self._arguments: set[int] = set()  # ids of the values of call arguments
        # ids of calls whose value is read only for a calendar field: the same, aware or naive
        self._same_either_way: set[int] = set()
        self._naive_column_defaults: set[int] = set()  # ids of `datetime.utcnow` filling a naive DateTime column
        # depth of `except ImportError:` (AttributeError, ModuleNotFoundError) handlers: the fallback for the
        # Pythons that lack `datetime.UTC`, which the aware branch before it already replaces
        self._fallbacks = 0
        self._fallback_blocks: set[int] = set()  # ids of if/else blocks that run only on older Pythons

    def visit_If(self, node: cst.If) -> None:
        """`if hasattr(dt, "UTC"): ... else: <fallback>`, `if sys.version_info < (3, 11): <fallback>`."""
        new = _checks_new_python(node.test)
        if new is True and node.orelse is not None:
            self._fallback_blocks.add(id(node.orelse))
        elif new is False:
            self._fallback_blocks.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._fallbacks += id(node) in self._fallback_blocks

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._fallbacks -= id(node) in self._fallback_blocks

    def visit_Else(self, node: cst.Else) -> None:
        self._fallbacks += id(node) in self._fallback_blocks

    def leave_Else(self, node: cst.Else) -> None:
        self._fallbacks -= id(node) in self._fallback_blocks

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._fallbacks += self._is_fallback(node)

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._fallbacks -= self._is_fallback(node)

    @staticmethod
    def _is_fallback(node: cst.ExceptHandler) -> bool:
        kinds = [e.value for e in node.type.elements] if isinstance(node.type, cst.Tuple) else [node.type]
        return any(last_name(k) in _FALLBACK_ERRORS for k in kinds if k is not None)

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) in _COLUMN_CALLS and any(_naive_datetime_type(a.value) for a in node.args
                                                          if a.keyword is None):
            self._naive_column_defaults.update(id(a.value) for a in node.args
                                               if a.keyword is not None and a.keyword.value in _COLUMN_DEFAULTS)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "utcnow" and not node.args:
            self._calls[id(node.func)] = node
        if isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Call):
            method, fmt = node.func.attr.value, names.positional_arg(node, 0)
            text = names.string_value(fmt.value) if fmt is not None and len(node.args) == 1 else None
            if method in _CALENDAR_METHODS or (method == "strftime" and text is not None and not
                                               _ZONE_FIELDS.search(text)):
                self._same_either_way.add(id(node.func.value))


    def visit_Arg(self, node: cst.Arg) -> None:
        self._arguments.add(id(node.value))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Call) and node.attr.value in _CALENDAR_FIELDS:
            self._same_either_way.add(id(node.value))
        if node.attr.value == "utcnow" and not self._fallbacks and \
                self.ctx.qualified_name(node) == "datetime.datetime.utcnow":
            if id(node) in self._naive_column_defaults:
                self.report(node, "Declare the column `DateTime(timezone=True)` and fill it with `lambda: "
                                  "datetime.now(timezone.utc)` (or, to keep naive UTC columns, `lambda: "
                                  "datetime.now(timezone.utc).replace(tzinfo=None)`): `datetime.utcnow` is "
                                  "deprecated since Python 3.12 and its naive values carry no time zone.",
                            fix=self._fix(node))
                return
            self.report(node, "Use `datetime.now(timezone.utc)` instead of `datetime.utcnow()`, which returns a "
                              "naive datetime and is deprecated since Python 3.12 (where naive UTC values are "
                              "kept on purpose, `datetime.now(timezone.utc).replace(tzinfo=None)`).",
                        fix=self._fix(node))

    def _fix(self, node: cst.Attribute):
        assert self.ctx.module is not None
        receiver = self.ctx.module.code_for_node(node.value)
        found = self._utc(node.value)
        if found is None:
            return None
        utc, edits = found
        now = f"{receiver}.now({utc})"
        call = self._calls.get(id(node))
        if call is not None:
            if id(call) in self._same_either_way:
                return self.fix(f"Use `{now}`, the same time with its time zone.", self.replace(call, now), *edits)
            return self.fix(f"Use `{now}` (unsafe: the value is then timezone-aware, and comparing it with a "
                            f"naive datetime raises TypeError).", self.replace(call, now), *edits, safe=False)
        factory = f"lambda: {now}" if id(node) in self._arguments else f"(lambda: {now})"
        if id(node) in self._naive_column_defaults:
            return self.fix(f"Use `{factory}` (unsafe: the column is a naive `DateTime`; declare it "
                            f"`DateTime(timezone=True)`, with a migration, or it drops the time zone of what it "
                            f"stores).", self.replace(node, factory), *edits, safe=False)
        return self.fix(f"Use `{factory}` (a naive column then receives aware datetimes: check it stores "
                        f"the time zone).", self.replace(node, factory), *edits, safe=False)

    def _utc(self, receiver: cst.BaseExpression):
        """The expression for UTC in this module, and the edits that import what it needs."""
        target = self.ctx.config.target
        has_utc_constant = target.declared and target.version >= (3, 11)
        if isinstance(receiver, cst.Attribute):  # `module.datetime.utcnow`: the module is at hand
            assert self.ctx.module is not None
            module = self.ctx.module.code_for_node(receiver.value)
            return (f"{module}.UTC" if has_utc_constant else f"{module}.timezone.utc"), ()
        wanted = [("UTC", "{}"), ("timezone", "{}.utc")] if has_utc_constant else [("timezone", "{}.utc")]
        statements = self._datetime_imports()
        for name, spelling in wanted:  # already imported at module level
            for statement in statements:
                for alias in statement.names:  # type: ignore[union-attr]
                    if alias.evaluated_name == name:
                        return spelling.format(alias.evaluated_alias or name), ()
        if not statements:
            return None
        facts = self.ctx.facts
        for name, spelling in wanted:
            taken = facts is not None and (name in facts.imports or name in facts.defined or name in facts.instances)
            if not taken and re.search(rf"\b{name}\b", self.ctx.text) is None:
                last = statements[0].names[-1]  # type: ignore[index]
                after = last.asname.name if last.asname is not None else last.name
                return spelling.format(name), (self.insert_after(after, f", {name}"),)
        return None

    def _datetime_imports(self) -> list[cst.ImportFrom]:
        """The module-level `from datetime import a, b` statements (no star)."""
        if not hasattr(self, "_imports"):
            assert self.ctx.module is not None
            self._imports = [small for statement in self.ctx.module.body
                             if isinstance(statement, cst.SimpleStatementLine)
                             for small in statement.body
                             if isinstance(small, cst.ImportFrom) and not small.relative
                             and isinstance(small.module, cst.Name) and small.module.value == "datetime"
                             and not isinstance(small.names, cst.ImportStar)]
        return self._imports


def _naive_datetime_type(node: cst.BaseExpression) -> bool:
    """`DateTime`, `db.DateTime`, `sa.DateTime()`, `DateTime(timezone=False)`: a column type of
    datetimes without a time zone."""
    if isinstance(node, cst.Call):
        if last_name(node.func) != "DateTime":
            return False
        zone = names.keyword_arg(node, "timezone")
        first = names.positional_arg(node, 0)
        given = zone.value if zone is not None else first.value if first is not None else None
        return given is None or (isinstance(given, cst.Name) and given.value == "False")
    return last_name(node) == "DateTime"
