"""BP504: a broad `except` that silently discards the error."""

from __future__ import annotations

import ast
import re

import libcst as cst

from bplint.project.roles import Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import aliases_any, could_be_broad
from bplint.rules._route_helpers import caught_broadly


def _ast_does_nothing(stmt: ast.stmt) -> bool:
    """The ast twin of ``_does_nothing`` (looser: any constant expression counts)."""
    if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
        return True
    if isinstance(stmt, ast.Return):
        return stmt.value is None or isinstance(stmt.value, ast.Constant) and stmt.value.value is None
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _does_nothing(stmt: cst.CSTNode) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Pass, cst.Continue, cst.Break)):
            continue
        if isinstance(small, cst.Return) and (small.value is None or
                                              isinstance(small.value, cst.Name) and small.value.value == "None"):
            continue
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
            continue
        return False
    return True


_CODES = r"[A-Za-z]+\d+(?:[\s,]+[A-Za-z]+\d+)*"
# Directives to a checker or a coverage tool: they silence a warning, they do not say why.
_DIRECTIVE = re.compile(
    rf"\bnoqa\b(?::\s*{_CODES})?"
    rf"|\bno(?:sec|sonar)\b(?:\s+{_CODES})?"
    r"|\btype:\s*ignore\b(?:\[[^\]]*\])?"
    r"|\bpragma:\s*no\s*(?:cover|branch)\b"
    r"|\b[\w-]+:\s*(?:disable|enable|ignore|skip)[\w-]*(?:\s*=\s*[\w-]+(?:\s*,\s*[\w-]+)*|\[[^\]]*\])?",
    re.IGNORECASE)


def explains(comment: str | None) -> bool:
    """A comment that says something to a reader, not only a directive to a checker
    (`# the cache is optional`, not `# noqa: BLE001`)."""
    if not comment:
        return False
    text = _DIRECTIVE.sub(" ", comment.lstrip("#"))
    return any(ch.isalpha() for ch in text.replace("#", " "))


def _has_comment(handler: cst.ExceptHandler) -> bool:
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        comment = body.header.comment
        if explains(comment.value if comment else None) or \
                any(explains(line.comment.value) for line in body.footer if line.comment):
            return True
        for stmt in body.body:
            if any(explains(line.comment.value) for line in stmt.leading_lines if line.comment):
                return True
            trailing = getattr(stmt, "trailing_whitespace", None)
            if trailing is not None and trailing.comment is not None and explains(trailing.comment.value):
                return True
    elif isinstance(body, cst.SimpleStatementSuite):
        comment = body.trailing_whitespace.comment
        return comment is not None and explains(comment.value)
    return False


# Releasing resources: an error while closing is conventionally ignored.
CLEANUP_FUNCTIONS = frozenset({"close", "aclose", "__del__", "__exit__", "__aexit__", "cleanup", "teardown",
                               "shutdown", "dispose", "release", "stop", "terminate"})


class SwallowedException(PythonRule):
    code = "BP504"
    name = "swallowed-exception"
    category = "routes"
    severity = Severity.WARNING
    precision = Precision(24, 117, "2026-12-02", debatable=6, unseen=(21, 64))
    preview = True
    roles = frozenset({Role.APPLICATION, Role.SCRIPT, Role.DEV})
    summary = "A broad `except` silently discards the error"
    what = ("Finds `except:`, `except Exception:` and `except BaseException:` clauses (alone or in a "
            "tuple) whose body does nothing with the error: only `pass`, `...`, `continue`, `break`, "
            "`return` or `return None`. A body that re-raises, logs, returns a value or an error "
            "response, or does any other work is handled. A comment in the clause (`# best effort: the "
            "cache may be down`) marks the silence as deliberate and keeps it quiet, as do clean-up methods (`close`, `__exit__`, "
            "`__del__`, `shutdown`...). A comment that is only a directive to a checker (`# noqa: ...`, "
            "`# type: ignore`, `# <tool>: disable=...`) silences a warning without saying why, so it "
            "does not count. Quiet in test code, migrations and examples.")
    why = ("Every failure in the `try` block, including bugs such as a `NameError`, disappears: the "
           "request succeeds with wrong data and nothing in the logs says why.")
    how_to_fix = ("Catch the specific exception you expect, and log the rest with `logger.exception(...)` "
                  "or let it propagate to the application's error handler.")
    bad = "try:\n    send_welcome_email(user)\nexcept Exception:\n    pass\n"
    good = ('try:\n    send_welcome_email(user)\nexcept SMTPException:\n'
            '    logger.exception("welcome email to %s failed", user.id)\n')
    examples = (
        Flag("""
            def notify(user):
                try:
                    send_email(user)
                except Exception:
                    pass
            """, line=4, count=1),
        Flag("""
            def load(rows):
                for row in rows:
                    try:
                        parse(row)
                    except:
                        continue
                try:
                    return rows[0]
                except (KeyError, BaseException):
                    return None
            """, line=5, count=2),
        Flag("""
            import builtins
            from builtins import Exception as Failure

            def a():
                try: work()
                except Exception: ...

            def b():
                try:
                    work()
                except builtins.BaseException:
                    "ignored on purpose"

            def c():
                try:
                    work()
                except Failure:
                    pass; return
            """, line=6, count=3, note="one-line clause, a dotted builtin, an aliased import"),
        Flag("""
            def refresh(cache, key):
                try:
                    cache.refresh(key)
                except Exception:  # pylint: disable=broad-except
                    pass
                try:
                    cache.touch(key)
                except Exception:  # noqa: BLE001
                    pass
                try:
                    cache.expire(key)
                except Exception:
                    pass  # type: ignore[misc]
            """, line=4, count=3, note="a checker directive is not a reason"),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def a():
                try:
                    work()
                except Exception:
                    logger.exception("work failed")

            def b():
                try:
                    work()
                except Exception:
                    raise

            def c():
                try:
                    return work()
                except Exception:
                    return {"error": "unavailable"}, 503

            def d():
                try:
                    work()
                except ValueError:
                    pass

            def e():
                try:
                    cache.delete("k")
                except Exception:  # the cache is optional: a miss is harmless
                    pass

            def f():
                try:
                    cache.delete("k")
                except Exception:  # noqa: BLE001 - a stale entry expires on its own
                    pass
            """, note="logs, re-raises, returns an error response, a narrow exception, a comment"),
    )

    # Only files with a broad handler whose body does nothing are parsed for this rule.
    ast_trigger_types = (ast.ExceptHandler, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.ImportFrom):
            return aliases_any(node, frozenset({"builtins"}))  # `from builtins import Exception as E`
        return could_be_broad(node, facts) and all(_ast_does_nothing(s) for s in node.body)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._functions: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if not caught_broadly(self.ctx, node):
            return
        if self._functions and self._functions[-1] in CLEANUP_FUNCTIONS:
            return
        body = node.body
        statements = body.body if isinstance(body, cst.IndentedBlock) else [cst.SimpleStatementLine(body.body)]
        if all(_does_nothing(s) for s in statements) and not _has_comment(node):
            self.report(node, "Handle the error instead of discarding it: catch the specific exception, "
                              "log it with `logger.exception(...)`, or let it propagate.")
