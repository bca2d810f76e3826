"""BP604: an unexpected error logged without its traceback."""

from __future__ import annotations

import ast

import libcst as cst

from bplint import names
from bplint.findings import Severity
from bplint.roles import RUNNING_CODE
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import aliases_any, could_be_broad, own_walk
from bplint.rules._route_helpers import caught_broadly
from bplint.rules.bp6_logging import logging_call


ERROR_METHODS = frozenset({"error", "critical", "fatal"})


class ExceptionWithoutTraceback(PythonRule):
    code = "BP604"
    name = "exception-without-traceback"
    category = "logging"
    severity = Severity.INFO
    precision = Precision(21, 26, "2026-12-02", debatable=6)
    preview = True
    roles = RUNNING_CODE
    summary = "Unexpected error logged without its traceback"
    what = ("Inside a broad `except` clause (`except:`, `except Exception:`, `except BaseException:`) "
            "that does not re-raise (nor format the traceback itself), finds `logger.error(...)` / `logger.critical(...)` without "
            "`exc_info`. A narrow `except` (an expected error, where the message alone is enough) and "
            "clauses that re-raise (the traceback is logged where the error is handled) stay quiet.")
    why = ("The log then says that something failed but not where: the traceback, the one thing "
           "needed to fix an unexpected error, is thrown away.")
    how_to_fix = "Use `logger.exception(\"...\")` (or pass `exc_info=True`) inside the `except` block."
    bad = 'try:\n    sync()\nexcept Exception as e:\n    logger.error("sync failed: %s", e)\n'
    fix_applicability = "safe"
    fix_note = ("`logger.error(...)` becomes `logger.exception(...)`, which logs at the same level with the "
                "traceback; `critical`/`fatal` calls and calls in a lambda (run later, outside the `except`) "
                "get no fix.")
    good = 'try:\n    sync()\nexcept Exception:\n    logger.exception("sync failed")\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def sync():
                try:
                    pull()
                except Exception as e:
                    logger.error("sync failed: %s", e)
            """, line=9, count=1, fixed="""
            import logging

            logger = logging.getLogger(__name__)

            def sync():
                try:
                    pull()
                except Exception as e:
                    logger.exception("sync failed: %s", e)
            """),
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def sync(callbacks):
                try:
                    pull()
                except:
                    callbacks.append(lambda: logger.critical("sync failed"))
                    def later():
                        raise RuntimeError("later")
                    callbacks.append(later)
            """, line=9, count=1, note="a bare except; a raise inside a nested function is no re-raise"),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def sync():
                try:
                    pull()
                except Exception:
                    logger.exception("sync failed")
                try:
                    pull()
                except Exception:
                    logger.error("sync failed", exc_info=True)
                try:
                    pull()
                except TimeoutError:
                    logger.error("sync timed out")
                try:
                    pull()
                except Exception:
                    logger.error("sync failed")
                    raise
                logger.error("not in an except block")
            """),
    )

    # Parsed only where a broad clause that does not re-raise calls `.error(`/`.critical(`/`.fatal(`
    # without `exc_info`.
    ast_trigger_types = (ast.ExceptHandler, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.ImportFrom):
            return aliases_any(node, frozenset({"builtins"}))  # `from builtins import Exception as E`
        if not could_be_broad(node, facts) or any(isinstance(n, ast.Raise) for n in own_walk(node.body)):
            return False
        return any(_ast_error_log(n) for n in _calls_run_in_clause(node))

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._handlers: list[bool] = []  # per enclosing except clause: broad and not re-raising
        self._function_depths: list[int] = []
        self._lambdas = 0  # lambdas around the node: their body runs later, outside the clause

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.append(caught_broadly(self.ctx, node) and not _reraises(self.ctx, node))

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handlers.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._function_depths.append(len(self._handlers))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._function_depths.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._lambdas += 1

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._lambdas -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if not self._handlers or not self._handlers[-1]:
            return
        if self._function_depths and self._function_depths[-1] >= len(self._handlers):
            return  # a function defined inside the except block runs later
        method = logging_call(self.ctx, node)
        if method not in ERROR_METHODS:
            return
        if names.keyword_arg(node, "exc_info") is not None:
            return
        fix = None
        if method == "error" and not self._lambdas and isinstance(node.func, cst.Attribute):
            fix = self.fix("Log with `exception` instead of `error`, at the same level and with the traceback.",
                           self.replace(node.func.attr, cst.Name("exception")))
        self.report(node, "Use `logger.exception(...)` (or `exc_info=True`) here so the traceback of this "
                          "unexpected error is logged.", fix=fix)


def _reraises(ctx, handler: cst.ExceptHandler) -> bool:
    """The clause re-raises, or writes the traceback some other way (`traceback.format_exc()`)."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call) and (ctx.qualified_name(node.func) or "").startswith(
                ("traceback.format_", "traceback.print_")):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False


def _ast_error_log(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in ERROR_METHODS and not any(k.arg == "exc_info" for k in node.keywords)


def _calls_run_in_clause(handler: ast.ExceptHandler):
    """Nodes of the clause, not descending into nested functions (which run later); lambdas
    and class bodies count, as they do for the rule."""
    stack: list[ast.AST] = [*handler.body, *([handler.type] if handler.type is not None else [])]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(ast.iter_child_nodes(node))
