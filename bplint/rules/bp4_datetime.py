"""BP4 datetimes: naive `datetime.utcnow()` (BP406)."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.findings import Severity
from bplint.index import ModuleFacts
from bplint.roles import NOT_TESTS_OR_EXAMPLES
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules.bp4_fixtures import EXTENSIONS


class NaiveUtcnow(PythonRule):
    code = "BP406"
    name = "naive-utcnow"
    category = "database"
    severity = Severity.INFO
    precision = Precision(26, 28, "2026-12-01", debatable=1)
    roles = NOT_TESTS_OR_EXAMPLES
    summary = "datetime.utcnow() returns a naive datetime and is deprecated"
    what = ("Reports `datetime.utcnow()` and `datetime.utcnow` passed as a default (`default=datetime.utcnow`, "
            "`default_factory=datetime.utcnow`), however `datetime` was imported.")
    why = ("`utcnow()` returns a datetime without a time zone that the rest of the code and the database "
           "driver will read as local time; it is deprecated since Python 3.12.")
    how_to_fix = ("Use `datetime.now(timezone.utc)`; as a column default, `default=lambda: "
                  "datetime.now(timezone.utc)` or the database's `server_default=func.now()`.")
    bad = ("created_at = db.Column(db.DateTime, default=datetime.utcnow)\n")
    good = ("created_at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))\n")
    examples = (
        Flag("""
            from datetime import datetime

            from app.extensions import db


            class Post(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                created_at = db.Column(db.DateTime, default=datetime.utcnow)
            """, path="app/models.py", files={"app/extensions.py": EXTENSIONS}, line=8),
        Flag("""
            import datetime as dt

            def stamp():
                return dt.datetime.utcnow().isoformat()
            """, line=4),
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

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "utcnow" and self.ctx.qualified_name(node) == "datetime.datetime.utcnow":
            self.report(node, "Use `datetime.now(timezone.utc)` instead of `datetime.utcnow()`, which returns a "
                              "naive datetime and is deprecated since Python 3.12.")
