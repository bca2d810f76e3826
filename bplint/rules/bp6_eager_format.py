"""BP602: log messages formatted before the logging call."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.findings import Severity
from bplint.roles import RUNNING_CODE
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import is_log_call
from bplint.rules.bp6_logging import logging_call, message_arg


def _has_text(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))


# Receivers that are not loggers unless the module binds them to one (see the trigger).
NOT_LOGGERS = frozenset({"self", "cls", "warnings"})


def _ast_text(node: ast.AST) -> bool:
    return isinstance(node, (ast.Constant, ast.JoinedStr))


def _ast_eager(node: ast.AST) -> bool:
    """Looser twin of ``eager_format``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Mod, ast.Add)) and (_ast_text(node.left) or _ast_text(node.right))
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
        and _ast_text(node.func.value)


def ast_eager_log_call(node: ast.Call) -> bool:
    """A call named like a logging method whose message (`msg=` or the first two positional
    arguments, `log(level, msg)` included) is formatted eagerly."""
    if not is_log_call(node):
        return False
    positional = [a for a in node.args if not isinstance(a, ast.Starred)][:2]
    return any(_ast_eager(a) for a in positional) or any(k.arg == "msg" and _ast_eager(k.value)
                                                         for k in node.keywords)


def eager_format(node: cst.BaseExpression) -> str | None:
    """How a message is formatted before the call: "an f-string", "`%`", "`.format()`", "`+`"."""
    if isinstance(node, cst.FormattedString):
        return "an f-string" if any(isinstance(p, cst.FormattedStringExpression) for p in node.parts) else None
    if isinstance(node, cst.ConcatenatedString):
        return eager_format(node.left) or eager_format(node.right)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Modulo) and _has_text(node.left):
            return "`%`"
        if isinstance(node.operator, cst.Add) and (_has_text(node.left) or _has_text(node.right)) and not (
                _has_text(node.left) and _has_text(node.right) and
                not isinstance(node.left, cst.FormattedString) and not isinstance(node.right, cst.FormattedString)):
            return "`+`"
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format" \
            and _has_text(node.func.value):
        return "`.format()`"
    return None


class EagerLogFormat(PythonRule):
    code = "BP602"
    name = "eager-log-format"
    category = "logging"
    severity = Severity.INFO
    precision = Precision(0, 15, "2026-12-01", debatable=5)
    preview = True
    roles = RUNNING_CODE
    summary = "Log message formatted before the logging call"
    what = ("Finds standard-library logging calls (`logging.info`, `logger.warning` on a "
            "`logging.getLogger(...)` logger, `app.logger.error`, ...) whose message is built before the "
            "call: an f-string with placeholders, `%` on a string, `.format()`, or `+` with a string. "
            "Loggers of structlog, loguru and similar libraries (with their own message conventions) are "
            "left alone, as are constant messages.")
    why = ("The string is built even when the level is disabled, and every message becomes unique, so "
           "log aggregators cannot group them and the values are lost as separate fields.")
    how_to_fix = "Pass the values as arguments: `logger.info(\"user %s logged in\", user.id)`."
    bad = 'logger.info(f"user {user.id} logged in")\n'
    good = 'logger.info("user %s logged in", user.id)\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def login(user):
                logger.info(f"user {user.id} logged in")
                logger.warning("failed for %s" % user.email)
                logger.error("bad {}".format(user.id))
                logging.debug("id: " + str(user.id))
            """, line=6, count=4),
        Flag("""
            from flask import current_app

            def audit(user):
                current_app.logger.info(f"audit {user}")
            """, line=4),
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def audit(user, rows):
                logger.log(logging.INFO, "user " + user.name)
                logger.warning(msg="rows: {}".format(len(rows)))
                logger.error(("failed for %s "
                              "after %d tries") % (user.id, 3))
            """, line=6, count=3, note="log(level, msg), msg=, an implicitly concatenated template"),
        Flag("""
            import logging
            from app.log import warnings

            class Job:
                def run(self):
                    self = logging.getLogger("jobs")
                    self.info(f"ran {self}")
                    warnings.warn(f"slow {self}")
            """, line=7, count=2, files={"app/log.py": "import logging\nwarnings = logging.getLogger('w')\n"},
            note="names that are loggers here only because the module binds them so"),
        Quiet("""
            import logging
            import structlog

            logger = logging.getLogger(__name__)
            events = structlog.get_logger()

            def login(user):
                logger.info("user %s logged in", user.id)
                logger.info(f"static message")
                logger.info("a" + "b")
                events.info(f"login {user.id}")
                message = f"user {user.id}"
                print(f"user {user.id}")
            """, note="lazy arguments, constant messages, structlog, not a logging call"),
        Quiet("""
            from loguru import logger

            def login(user):
                logger.info(f"user {user.id} logged in")
            """, note="loguru"),
    )

    # Parsed only where a logging-method call formats its message eagerly. `self.log(...)`,
    # `warnings.warn(...)` are loggers only if the module rebinds those names, which the
    # trigger then sees on the binding itself.
    ast_trigger_types = (ast.Call, ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom)

    @staticmethod
    def ast_trigger(node, facts) -> bool:
        if isinstance(node, ast.Call):
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and receiver.id in NOT_LOGGERS:
                return False
            return ast_eager_log_call(node)
        if isinstance(node, ast.Import):  # `import warnings` is the module; `import x as warnings` is not
            return any(alias.asname in NOT_LOGGERS for alias in node.names)
        if isinstance(node, ast.ImportFrom):
            return any((alias.asname or alias.name) in NOT_LOGGERS for alias in node.names)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Name) and t.id in NOT_LOGGERS for t in targets)

    def visit_Call(self, node: cst.Call) -> None:
        method = logging_call(self.ctx, node)
        if method is None:
            return
        arg = message_arg(node, method)
        if arg is None:
            return
        how = eager_format(arg.value)
        if how is not None:
            self.report(arg.value, f"Pass the values as logging arguments instead of formatting with {how}: "
                                   f"`logger.{method}(\"... %s\", value)` formats only when the message is emitted.")
