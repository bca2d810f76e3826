"""BP602: log messages formatted before the logging call."""

from __future__ import annotations

import ast
import re
import string

import libcst as cst

from bplint.project import names
from bplint.project.roles import RUNNING_CODE
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import is_log_call
from bplint.rules.bp6_logging import logging_call, message_arg


def _has_text(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))


DEBUG_LEVEL = 10  # logging.DEBUG
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
    """A call named like a debug logging call (`debug(...)`, `log(level, ...)`) whose message
    (`msg=` or the first two positional arguments) is formatted eagerly."""
    if not is_log_call(node) or node.func.attr not in ("debug", "log"):  # type: ignore[attr-defined]
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


# --- the fix: the same message as a lazy template and its arguments ------------------------

# Format specs whose %-conversion formats the same: a width (zero-padded or not), a precision,
# a numeric type. (`{x:5}` / `{x:>5}` align strings and numbers differently: no fix.)
_EXACT_SPEC = re.compile(r"(0?[1-9]\d*)?(\.\d+)?[dfFeEgGxXo]")
_CONVERSIONS = {None: "s", "s": "s", "r": "r", "a": "a"}


def _placeholder(conversion: str | None, spec: str) -> str | None:
    """The %-placeholder of a `{x!conversion:spec}` field, when it formats exactly the same."""
    if not spec:
        return "%" + _CONVERSIONS[conversion] if conversion in _CONVERSIONS else None
    if conversion is None and _EXACT_SPEC.fullmatch(spec):
        return "%" + spec
    return None


def _argument(module: cst.Module, node: cst.BaseExpression) -> str | None:
    """The source of ``node`` as one call argument."""
    if isinstance(node, (cst.StarredElement, cst.Yield)):
        return None
    code = module.code_for_node(node)
    if isinstance(node, (cst.Tuple, cst.NamedExpr, cst.Lambda)) and not node.lpar:
        return f"({code})"
    return code


def _literal(value: str, quote: str) -> str:
    """A string literal of ``value``, in ``quote`` when nothing in it needs escaping."""
    if quote in ('"', "'") and quote not in value and "\\" not in value and value.isprintable():
        return f"{quote}{value}{quote}"
    return repr(value)


def _simple_text(node: cst.BaseExpression) -> cst.SimpleString | cst.ConcatenatedString | None:
    """A str literal (implicitly concatenated or not) with no f-string in it."""
    if isinstance(node, cst.SimpleString):
        return node if "b" not in node.prefix.lower() else None
    if isinstance(node, cst.ConcatenatedString):
        if _simple_text(node.left) is not None and _simple_text(node.right) is not None:  # type: ignore[arg-type]
            return node
    return None


def _from_fstring(module: cst.Module, node: cst.BaseExpression, args: list[str],
                  pieces: list[tuple[cst.CSTNode, str]]) -> bool:
    """``node`` (an f-string, or strings implicitly concatenated with one) as a %-template: the
    pieces to replace, each with its template source, go to ``pieces``, its values to ``args``.
    Piece by piece, so that the line breaks and comments between pieces stay as they are."""
    if isinstance(node, cst.SimpleString):
        if "b" in node.prefix.lower():
            return False
        if "%" in node.value:
            start = len(node.prefix) + len(node.quote)
            pieces.append((node, node.value[:start] + node.value[start:-len(node.quote)].replace("%", "%%")
                           + node.quote))
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _from_fstring(module, node.left, args, pieces) and _from_fstring(module, node.right, args, pieces)
    if not isinstance(node, cst.FormattedString):
        return False
    body = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            body.append(part.value.replace("{{", "{").replace("}}", "}").replace("%", "%%"))
            continue
        spec = ""
        if part.format_spec:
            if not all(isinstance(p, cst.FormattedStringText) for p in part.format_spec):
                return False
            spec = "".join(p.value for p in part.format_spec)  # type: ignore[union-attr]
        placeholder = _placeholder(part.conversion, spec)
        argument = _argument(module, part.expression)
        if part.equal is not None or placeholder is None or argument is None:
            return False
        body.append(placeholder)
        args.append(argument)
    prefix = node.start.replace("f", "").replace("F", "")
    pieces.append((node, module.code_for_node(
        cst.SimpleString(prefix + "".join(body) + node.end, lpar=node.lpar, rpar=node.rpar))))
    return True


def _from_format(module: cst.Module, node: cst.Call) -> tuple[str, list[str]] | None:
    """`"a {} {x!r}".format(a, x=b)` as ("a %s %r", [a, b]): only when every argument is used
    once, in the order of the call (so that they are evaluated in the same order)."""
    text = _simple_text(node.func.value)  # type: ignore[attr-defined]
    value = text.evaluated_value if text is not None else None
    if not isinstance(value, str):
        return None
    positional = [a for a in node.args if a.keyword is None]
    keywords = [a for a in node.args if a.keyword is not None]
    if any(a.star for a in node.args) or list(node.args[:len(positional)]) != positional:
        return None
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError:
        return None
    template, order = [], []
    auto = 0
    for literal, name, spec, conversion in fields:
        template.append(literal.replace("%", "%%"))
        if name is None:
            continue
        if "{" in (spec or "") or "." in name or "[" in name:
            return None
        placeholder = _placeholder(conversion, spec or "")
        if placeholder is None:
            return None
        if name == "":
            name, auto = str(auto), auto + 1
        template.append(placeholder)
        order.append(name)
    expected = [str(i) for i in range(len(positional))] + [a.keyword.value for a in keywords]  # type: ignore[union-attr]
    if order != expected or not order:
        return None
    args = [_argument(module, a.value) for a in node.args]
    if any(a is None for a in args):
        return None
    quote = text.quote if isinstance(text, cst.SimpleString) else '"'
    return _literal("".join(template), quote), args  # type: ignore[return-value]


def _from_concatenation(module: cst.Module, node: cst.BinaryOperation) -> tuple[str, list[str]] | None:
    """`"id: " + str(x) + "."` as ("id: %s.", [x])."""
    pieces: list[cst.BaseExpression] = []
    stack: list[cst.BaseExpression] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.BinaryOperation) and isinstance(item.operator, cst.Add):
            stack.extend((item.right, item.left))
        else:
            pieces.append(item)
    template, args = [], []
    quote = None
    for piece in pieces:
        text = _simple_text(piece)
        if text is not None:
            value = text.evaluated_value
            if not isinstance(value, str):
                return None
            quote = quote or (text.quote if isinstance(text, cst.SimpleString) else None)
            template.append(value.replace("%", "%%"))
            continue
        if isinstance(piece, cst.FormattedString):
            return None
        placeholder = "%s"
        if isinstance(piece, cst.Call) and isinstance(piece.func, cst.Name) and piece.func.value in ("str", "repr") \
                and len(piece.args) == 1 and piece.args[0].keyword is None and not piece.args[0].star:
            placeholder = "%s" if piece.func.value == "str" else "%r"
            piece = piece.args[0].value
        argument = _argument(module, piece)
        if argument is None:
            return None
        template.append(placeholder)
        args.append(argument)
    if not args:
        return None
    return _literal("".join(template), quote or '"'), args


def _from_modulo(module: cst.Module, node: cst.BinaryOperation) -> tuple[str, list[str]] | None:
    """`"a %s %s" % (x, y)` as ("a %s %s", [x, y]); a right side that may be a tuple at run time
    (a name, a call) gets no fix, since the logging call would format it differently."""
    if _simple_text(node.left) is None:
        return None
    right = node.right
    if isinstance(right, cst.Tuple):
        args = [_argument(module, e.value) if not isinstance(e, cst.StarredElement) else None for e in right.elements]
    elif isinstance(right, (cst.Dict, cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.Integer,
                            cst.Float)):
        args = [_argument(module, right)]
    else:
        return None
    if not args or any(a is None for a in args):
        return None
    return module.code_for_node(node.left), args  # type: ignore[return-value]


def lazy_form(module: cst.Module, node: cst.BaseExpression) -> tuple[list[tuple[cst.CSTNode, str]], str] | None:
    """How to log exactly the message ``node`` builds, lazily: (nodes to replace, each with its
    new source; the text that goes right after ``node``), or None."""
    if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)):
        args: list[str] = []
        pieces: list[tuple[cst.CSTNode, str]] = []
        if not _from_fstring(module, node, args, pieces) or not args:
            return None
        return pieces, "".join(f", {a}" for a in args)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return None  # placed by the rule: only the operator and its right side change
    lazy = None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        lazy = _from_concatenation(module, node)
    elif isinstance(node, cst.Call):
        lazy = _from_format(module, node)
    if lazy is None:
        return None
    return [(node, ", ".join([lazy[0], *lazy[1]]))], ""


class EagerLogFormat(PythonRule):
    code = "BP602"
    name = "eager-log-format"
    category = "logging"
    severity = Severity.INFO
    precision = Precision(5, 75, "2026-12-02", debatable=5, unseen=(2, 43))
    preview = True
    roles = RUNNING_CODE
    summary = "Debug log message formatted before the logging call"
    what = ("Finds standard-library debug logging calls (`logging.debug`, `logger.debug` on a "
            "`logging.getLogger(...)` logger, `app.logger.debug`, `logger.log(logging.DEBUG, ...)`) whose "
            "message is built before the call: an f-string with placeholders, `%` on a string, `.format()`, "
            "or `+` with a string, on every pass of a loop. A message formatted once per call costs next to "
            "nothing and is left alone. Calls at the levels that are on in "
            "production (`info`, `warning`, `error`, `exception`, `critical`) are left alone: their message is emitted, so building it first "
            "costs nothing. Loggers of structlog, loguru and similar libraries (with their own message "
            "conventions) are left alone, as are constant messages.")
    why = ("Debug logging is off in production, but an eagerly formatted debug message is still built on "
           "every call, with the `str()`/`repr()` of each value, often in the hottest loops; passed as "
           "arguments, the values are formatted only when debug logging is on.")
    how_to_fix = "Pass the values as arguments: `logger.debug(\"user %s logged in\", user.id)`."
    fix_applicability = "safe"
    fix_note = ("The fix is offered only where the lazy call logs exactly the same text: `{x}` becomes `%s`, "
                "`{x!r}` `%r`, a numeric format spec (`{x:.2f}`) its %-twin; `%` with a tuple or a literal "
                "on the right, `.format()` with each argument used once in order, `+` with `str(...)` pieces. "
                "Other messages (a `%` whose right side may be a tuple at run time, `{x:>10}`, `{x=}`) get none.")
    bad = 'for user in users:\n    logger.debug(f"syncing {user}")\n'
    good = 'for user in users:\n    logger.debug("syncing %s", user)\n'
    examples = (
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def sync(users):
                for user in users:
                    logger.debug(f"user {user.id} synced")
                    logger.debug("failed for %s" % user.email)
                    logger.debug("bad {}".format(user.id))
                    logging.debug("id: " + str(user.id))
            """, line=7, count=4, fixed="""
            import logging

            logger = logging.getLogger(__name__)

            def sync(users):
                for user in users:
                    logger.debug("user %s synced", user.id)
                    logger.debug("failed for %s" % user.email)
                    logger.debug("bad %s", user.id)
                    logging.debug("id: %s", user.id)
            """, note="in a loop; no fix for `% name`: a tuple at run time would be formatted differently"),
        Flag("""
            import json

            from flask import current_app

            def audit(users):
                for user in users:
                    current_app.logger.debug(f"audit {json.dumps(user.to_dict())}")
                    current_app.logger.debug("roles: %s" % ", ".join(r.name for r in user.roles))
            """, line=7, count=2),
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def audit(users, rows):
                while users:
                    user = users.pop()
                    logger.log(logging.DEBUG, "user " + user.name)
                    logger.debug(msg="rows: {}".format(len(rows)))
                    logger.debug(("failed for %s "
                                  "after %d tries") % (user.id, 3))
            """, line=8, count=3, note="log(DEBUG, msg), msg=, an implicitly concatenated template", fixed="""
            import logging

            logger = logging.getLogger(__name__)

            def audit(users, rows):
                while users:
                    user = users.pop()
                    logger.log(logging.DEBUG, "user %s", user.name)
                    logger.debug(msg="rows: {}".format(len(rows)))
                    logger.debug(("failed for %s "
                                  "after %d tries"), user.id, 3)
            """),
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def report(jobs, took):
                for job in jobs:
                    logger.debug(f"{job.name!r}: 100% in {took:.2f} s {{done}}", exc_info=True)
                    logger.debug(f"job {job.id}: "  # which job
                                 f"{job.state}")
                    logger.debug(f"{job.name:>10}")
                    logger.debug(f"{took=}")
                    logger.debug("{1} {0}".format(job.id, took))
            """, count=5, note="exact conversions only; comments between the pieces stay", fixed="""
            import logging

            logger = logging.getLogger(__name__)

            def report(jobs, took):
                for job in jobs:
                    logger.debug("%r: 100%% in %.2f s {done}", job.name, took, exc_info=True)
                    logger.debug("job %s: "  # which job
                                 "%s", job.id, job.state)
                    logger.debug(f"{job.name:>10}")
                    logger.debug(f"{took=}")
                    logger.debug("{1} {0}".format(job.id, took))
            """),
        Flag("""
            import logging
            from app.log import warnings

            class Job:
                def run(self, rows):
                    self = logging.getLogger("jobs")
                    for row in rows:
                        self.debug(f"ran {row}")
                        warnings.debug(f"slow {row}")
            """, line=8, count=2, files={"app/log.py": "import logging\nwarnings = logging.getLogger('w')\n"},
            note="names that are loggers here only because the module binds them so"),
        Quiet("""
            import logging

            logger = logging.getLogger(__name__)

            def sync(account, items):
                logger.debug(f"syncing {account.name} ({account.id})")
                logger.debug("account %s: " % account.name + str(account.id))
                for item in items:
                    def pushed(result):
                        logger.debug(f"pushed {item.id}: {result}")
                    account.on_push(pushed)
                    try:
                        account.push(item)
                    except ConnectionError as e:
                        logger.error(f"push of {item.id} failed: {e}")
                        logger.exception("push of %s failed" % json.dumps(item.to_dict()))
                    logger.warning(f"item {item.id} is over quota")
                    logger.info(f"pushed {item.id}")
                    logger.log(logging.ERROR, f"gave up on {item.id}")
            """, note="formatted once per call (a function defined in a loop runs later); levels that are "
                      "on in production, where the message is built because it is emitted"),
        Quiet("""
            import logging
            import structlog

            logger = logging.getLogger(__name__)
            events = structlog.get_logger()

            def login(users):
                for user in users:
                    logger.debug("user %s logged in", user.id)
                    logger.debug(f"static message")
                    logger.debug("a" + "b")
                    events.debug(f"login {user.id}")
                    message = f"user {user.id}"
                    print(f"user {user.id}")
            """, note="lazy arguments, constant messages, structlog, not a logging call"),
        Quiet("""
            from loguru import logger

            def login(users):
                for user in users:
                    logger.debug(f"user {user.id} logged in")
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

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._loops: list[int] = []  # per enclosing loop: the functions around it
        self._functions = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions -= 1

    def visit_For(self, node: cst.For) -> None:
        self._loops.append(self._functions)

    def leave_For(self, node: cst.For) -> None:
        self._loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(self._functions)

    def leave_While(self, node: cst.While) -> None:
        self._loops.pop()

    def visit_Call(self, node: cst.Call) -> None:
        method = logging_call(self.ctx, node)
        if method is None:
            return
        if method != "debug" and not (method == "log" and self._debug_level(node)):
            return  # emitted in production: the message is built because it is logged
        arg = message_arg(node, method)
        if arg is None:
            return
        how = eager_format(arg.value)
        if how is None:
            return
        if not self._loops or self._loops[-1] != self._functions:
            return  # formatted once per call: next to nothing to save
        self.report(arg.value, f"Pass the values as logging arguments instead of formatting with {how}: this "
                               f"debug message is built on every pass of the loop even with debug logging off, and "
                               f"`logger.{method}(\"... %s\", value)` formats it only when it is emitted.",
                    fix=self._fix(node, arg))

    def _debug_level(self, node: cst.Call) -> bool:
        """`logger.log(logging.DEBUG, ...)` / `logger.log(10, ...)`."""
        level = names.keyword_arg(node, "level") or names.positional_arg(node, 0)
        if level is None:
            return False
        value = level.value
        if isinstance(value, cst.Integer):
            return value.evaluated_value <= DEBUG_LEVEL
        return self.ctx.qualified_name(value) == "logging.DEBUG"

    def _fix(self, node: cst.Call, arg: cst.Arg):
        """The message as a template and arguments, when it is the last positional argument."""
        positional = [a for a in node.args if a.keyword is None]
        if arg.keyword is not None or arg.star or not positional or positional[-1] is not arg:
            return None
        assert self.ctx.module is not None
        message = "Pass the values as arguments of the logging call, formatted only when the message is emitted."
        value = arg.value
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Modulo):
            lazy = _from_modulo(self.ctx.module, value)
            if lazy is None or value.lpar:
                return None
            # `"..." % (a, b)` -> `"...", a, b`: the template's own text, line breaks and all, stays
            return self.fix(message, self.insert_after(value.left, "".join(f", {a}" for a in lazy[1]), until=value))
        found = lazy_form(self.ctx.module, value)
        if found is None:
            return None
        pieces, after = found
        edits = [self.replace(piece, text) for piece, text in pieces]
        if after:
            edits.append(self.insert_after(value, after))
        return self.fix(message, *edits)
