"""What a logging call is: shared by the BP6 logging rules (BP601-BP604 live in their own modules)."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import names
from bplint.rules._route_ast import LOG_METHODS, aliases_any, last_name


LOGGER_NAMES = frozenset({"logger", "log", "_logger", "_log", "LOGGER", "LOG", "_LOGGER", "_LOG", "logging"})
# Loggers whose messages are event names or brace templates: `%s` advice does not apply.
OTHER_LOGGING = ("structlog", "loguru", "eliot", "logbook")


def _module_of_other_logging(ctx) -> bool:
    return ctx.imports_any(*OTHER_LOGGING)


def _stdlib_logger(ctx, receiver: cst.BaseExpression, depth: int = 3) -> bool:
    """`logging`, `logging.getLogger(...)`, a name bound to it (here or in another module),
    `app.logger`, `current_app.logger`, `self.logger`, or a `logger`/`log` name in a module that
    uses the standard library's logging."""
    qualified = ctx.qualified_name(receiver)
    if qualified == "logging":
        return True
    if qualified is not None and qualified.split(".", 1)[0] in OTHER_LOGGING:
        return False
    if isinstance(receiver, cst.Call):
        return ctx.qualified_name(receiver.func) == "logging.getLogger"
    if isinstance(receiver, cst.Name):
        built = ctx.facts.instances.get(receiver.value) if ctx.facts else None
        if built is not None:
            return built in ("logging.getLogger", "logging.Logger", "logging.LoggerAdapter")
        if qualified is not None and "." in qualified and ctx.index is not None:
            found = ctx.index.resolve_definition(qualified)
            if found is not None:
                facts, name = found
                return facts.instances.get(name) in ("logging.getLogger", "logging.Logger")
        return receiver.value in LOGGER_NAMES and not _module_of_other_logging(ctx) and (
            ctx.imports_any("logging", "flask", "django") or receiver.value in ("logger", "log"))
    if isinstance(receiver, cst.Attribute) and receiver.attr.value in ("logger", "log", "_logger", "_log"):
        return not _module_of_other_logging(ctx)
    return False


def logging_call(ctx, node: cst.Call) -> str | None:
    """The level method of a standard-library logging call (`info`, `error`...), else None."""
    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    return func.attr.value if _stdlib_logger(ctx, func.value) else None


def message_arg(node: cst.Call, method: str) -> cst.Arg | None:
    keyword = names.keyword_arg(node, "msg")
    if keyword is not None:
        return keyword
    return names.positional_arg(node, 1 if method == "log" else 0)


def is_print(ctx, node: cst.Call) -> bool:
    return ctx.qualified_name(node.func) == "builtins.print"


# --- ast twins, for the rules' ast triggers ---------------------------------------------------


def ast_print_or_log_call(node: ast.Call) -> bool:
    """Looser than ``is_print`` / ``logging_call``: `print(...)`, `x.print(...)`, `anything.info(...)`."""
    name = last_name(node.func)
    return name == "print" or isinstance(node.func, ast.Attribute) and name in LOG_METHODS


def renames_print(node: ast.ImportFrom) -> bool:
    """`from builtins import print as echo`: a print the name tests cannot see."""
    return aliases_any(node, frozenset({"builtins"}))
