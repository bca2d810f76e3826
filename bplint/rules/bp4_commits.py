"""BP4 commits: a session committed once per iteration of a loop (BP407)."""

from __future__ import annotations

import libcst as cst

from bplint.project import orm_triggers
from bplint.project.orm_queries import QueryReader
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules.bp4_fixtures import EXTENSIONS
from bplint.rules.bp4_loops import LoopTracker
from bplint.scan.traversal import visit_readonly


class CommitInLoop(LoopTracker):
    code = "BP407"
    name = "commit-in-loop"
    category = "database"
    severity = Severity.INFO
    precision = Precision(5, 16, "2026-12-02", unseen=(3, 11))
    preview = True
    roles = APPLICATION_ONLY
    track_comprehensions = False
    summary = "Session committed once per iteration of a loop"
    what = ("Reports `session.commit()` / `db.session.commit()` (a SQLAlchemy or Flask-SQLAlchemy session) "
            "inside the body of a `for` loop over a collection. Commits under an `if` that batches them "
            "(`if i % 500 == 0:`) and retry loops over `range(3)` are fine.")
    why = ("Every commit is a round trip and a transaction flush to disk: committing per row makes a bulk "
           "import orders of magnitude slower, and a failure half-way leaves half the rows written.")
    how_to_fix = ("Add the rows in the loop and commit once after it (or every few hundred rows), so the "
                  "batch is written in one transaction.")
    bad = ("for row in rows:\n    db.session.add(Item(**row))\n    db.session.commit()\n")
    good = ("for row in rows:\n    db.session.add(Item(**row))\ndb.session.commit()\n")
    examples = (
        Flag("""
            from app.extensions import db
            from app.models import Item


            def load(rows):
                for row in rows:
                    db.session.add(Item(**row))
                    db.session.commit()
            """, path="app/load.py", files={"app/extensions.py": EXTENSIONS,
                                            "app/models.py": "from app.extensions import db\n\n\n"
                                                             "class Item(db.Model):\n    pass\n"}, line=8),
        Flag("""
            from sqlalchemy.ext.asyncio import AsyncSession


            async def rename(session: AsyncSession, users):
                for user in users:
                    user.name = user.name.strip()
                    await session.commit()
            """, line=7),
        Quiet("""
            from sqlalchemy.orm import Session


            def load(session: Session, rows, connection):
                for i, row in enumerate(rows):
                    session.add(row)
                    if i % 500 == 0:
                        session.commit()
                session.commit()
                for attempt in range(3):
                    session.commit()
                for row in rows:
                    connection.commit()
            """, note="batched commits, one commit after the loop, retries, a commit of something else"),
        Flag("""
            from app.db import SessionLocal


            def load(rows):
                with SessionLocal() as session:
                    for row in rows:
                        session.add(row)
                        session.commit()
            """, path="app/load.py", files={"app/db.py": "from sqlalchemy.orm import sessionmaker\n\n"
                                                         "SessionLocal = sessionmaker()\n"}, line=8,
            note="a session from a sessionmaker of another module, bound by `with`"),
    )

    # libcst runs only in files with a candidate (bplint.project.orm_triggers)
    ast_trigger_types = orm_triggers.TRIGGER_TYPES
    ast_trigger = staticmethod(orm_triggers.commit_in_loop)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "commit" in ctx.text and "for " in ctx.text

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.reader = QueryReader(ctx)
        self._batched: list[bool] = []

    def visit_If(self, node: cst.If) -> None:
        self._batched.append(_has_modulo(node.test))

    def leave_If(self, node: cst.If) -> None:
        self._batched.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "commit" and not node.args):
            return
        if self.in_loop(node) is None or any(self._batched):
            return
        if self.reader.is_session(func.value):
            self.report(node, "Commit once after the loop (or every few hundred rows) instead of on every iteration, "
                              "so the rows are written in one transaction.")


def _has_modulo(test: cst.BaseExpression) -> bool:
    class Finder(cst.CSTVisitor):
        found = False

        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if isinstance(node.operator, cst.Modulo):
                self.found = True

    finder = Finder()
    visit_readonly(test, finder)
    return finder.found
