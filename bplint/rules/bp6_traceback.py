"""BP604: an unexpected error logged without its traceback."""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project import names
from bplint.project.roles import RUNNING_CODE
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._route_ast import aliases_any, could_be_broad, own_walk
from bplint.rules._auth_project import last_name
from bplint.rules._route_helpers import caught_broadly
from bplint.rules._secret_names import name_words
from bplint.rules.bp6_logging import logging_call


ERROR_METHODS = frozenset({"error", "critical", "fatal"})
# Calls that parse or convert a value: where a `try` does only these, the failure it catches is the
# value's being malformed (a `ValueError`), an expected error whose message says it all.
PARSERS = frozenset({"json.loads", "json.load", "builtins.int", "builtins.float", "decimal.Decimal", "uuid.UUID",
                     "datetime.datetime.strptime", "datetime.datetime.fromisoformat", "datetime.date.fromisoformat",
                     "ast.literal_eval", "base64.b64decode", "base64.urlsafe_b64decode", "ipaddress.ip_address",
                     "ipaddress.ip_network"})
# Methods of a response or a request that parse its body: `response.json()`, `await request.json()`.
PARSE_METHODS = frozenset({"json", "get_json"})
# Methods that look up or trim the value being parsed: `form.get("amount")`, `text.strip()`.
LOOKUP_METHODS = frozenset({"get", "getlist", "strip", "lower", "decode"})


class ExceptionWithoutTraceback(PythonRule):
    code = "BP604"
    name = "exception-without-traceback"
    category = "logging"
    severity = Severity.INFO
    precision = Precision(85, 120, "2026-12-02", debatable=21, unseen=(46, 72))
    preview = True
    roles = RUNNING_CODE
    summary = "Unexpected error logged without its traceback"
    what = ("Inside a broad `except` clause (`except:`, `except Exception:`, `except BaseException:`) "
            "that does not re-raise, finds `logger.error(...)` / `logger.critical(...)` without "
            "`exc_info`. A clause that keeps the traceback some other way stays quiet: another of its "
            "statements writes it (`logger.exception(...)`, `logger.debug(..., exc_info=True)`, "
            "`traceback.format_exc()`, a formatter called with `traceback=True`), or it hands the "
            "exception object on (`return Failure(error=exc)`, `future.set_exception(exc)`, `self.handle_error(exc)`), "
            "which carries the "
            "traceback with it. A narrow `except` (an expected error, where the message alone is enough) and "
            "clauses that re-raise (the traceback is logged where the error is handled) stay quiet, as do "
            "clauses around a `try` that only parses a value (`json.loads(body)`, `await response.json()`, "
            "`int(form[\"amount\"])`): what they catch is a malformed value, an expected error that its "
            "message describes. So are the attempts of a retry loop (a `try` in a `while` loop, or a `for` "
            "over a count, `range(retries)`, that it leaves with `break` or `return` on success): one attempt's failure is expected, and a traceback "
            "per attempt is noise.")
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
        Quiet("""
            import logging

            from .errors import error_text

            logger = logging.getLogger(__name__)

            def sync(job, pending):
                try:
                    job.run()
                except Exception as exc:
                    logger.debug("sync of %s failed", job, exc_info=True)
                    logger.error("sync of %s failed: %s", job, exc)
                try:
                    job.run()
                except Exception as exc:
                    logger.error("sync failed: %s", error_text(exc, traceback=True))
                try:
                    job.run()
                except Exception as exc:
                    logger.error("sync of %s failed, retrying", job)
                    pending.set_exception(exc)
                try:
                    return job.run()
                except Exception as exc:
                    logger.error("sync failed: %s", exc)
                    return job.failed(error=exc)
            """, note="the traceback is written by another statement, or the exception object is handed on"),
        Flag("""
            import logging

            logger = logging.getLogger(__name__)

            def sync(job):
                try:
                    job.run()
                except Exception as exc:
                    logger.debug("sync failed", exc_info=False)
                    logger.error("sync failed: %s", exc)
                    return {"error": str(exc)}
            """, line=10, count=1, note="only the exception's text is handed on"),
        Quiet("""
            import json
            import logging

            import httpx

            log = logging.getLogger(__name__)

            async def forward_error(response: httpx.Response, form):
                detail = None
                try:
                    detail = response.json()["error"]
                except Exception as e:
                    log.error(f"upstream error body is not JSON: {e}")
                try:
                    amount = int(form["amount"])
                    settings = json.loads(form.get("settings", "{}"))
                except Exception as e:
                    log.error("bad input: %s", e)
                    return None
                return detail, amount, settings
            """, note="a try that only parses a value: what it catches is a malformed value"),
        Quiet("""
            import logging
            import time

            import psycopg2

            log = logging.getLogger(__name__)

            def connect(dsn, attempts=5):
                tries = 0
                while True:
                    try:
                        conn = psycopg2.connect(dsn)
                        break
                    except Exception as e:
                        log.error("cannot connect to the database: %s", e)
                        tries += 1
                        if tries > attempts:
                            raise
                        time.sleep(2 ** tries)
                return conn

            def fetch(client, url):
                for attempt in range(3):
                    try:
                        return client.get(url)
                    except Exception as e:
                        log.error("attempt %d to fetch %s failed: %s", attempt, url, e)
                        time.sleep(attempt)
                return None

            def wait_until_up(check, deadline):
                while time.time() < deadline:
                    try:
                        ready = check()
                    except Exception as e:
                        log.error("not up yet: %s", e)
                    else:
                        if ready:
                            return True
                    time.sleep(1)
                return False
            """, note="the attempts of a retry loop"),
        Flag("""
            import logging

            log = logging.getLogger(__name__)

            def work(queue):
                while True:
                    job = queue.get()
                    try:
                        job.run()
                    except Exception as e:
                        log.error("job %s failed: %s", job, e)
            """, line=11, count=1, note="a worker loop: each job's failure is unexpected"),
        Flag("""
            import json
            import logging

            log = logging.getLogger(__name__)

            def load_settings(path):
                try:
                    with open(path) as handle:
                        return json.load(handle)
                except Exception as e:
                    log.error("cannot load %s: %s", path, e)
                try:
                    return json.loads(fetch_settings())
                except Exception as e:
                    log.error("cannot fetch settings: %s", e)
            """, line=11, count=2, note="a try that also opens a file or calls a service"),
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
        # per enclosing try: its body only parses a value, or it is an attempt of a retry loop
        self._tries: list[bool] = []
        self._loops: list[cst.While | cst.For | None] = []  # enclosing loops; None: not a retry loop

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(node)

    def leave_While(self, node: cst.While) -> None:
        self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        # `for attempt in range(3):` retries; `for item in items:` goes over items, each failure unexpected
        self._loops.append(node if _counts_attempts(self.ctx, node) else None)

    def leave_For(self, node: cst.For) -> None:
        self._loops.pop()

    def visit_Try(self, node: cst.Try) -> None:
        retry = bool(self._loops) and self._loops[-1] is not None and _retries(self._loops[-1], node)
        self._tries.append(retry or self._only_parses(node.body))

    def leave_Try(self, node: cst.Try) -> None:
        self._tries.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        parses = bool(self._tries) and self._tries[-1]
        self._handlers.append(caught_broadly(self.ctx, node) and not parses and not _keeps_traceback(self.ctx, node))

    def _only_parses(self, body: cst.BaseSuite) -> bool:
        """Every statement of the block parses or converts a value and keeps or returns it, with at
        least one parse: `data = json.loads(text)`, `return int(value)`, `body = (await r.json())["error"]`."""
        statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
        parsed = False
        for statement in statements:
            if not isinstance(statement, cst.SimpleStatementLine):
                return False
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Return, cst.Expr)):
                    value = small.value
                elif isinstance(small, cst.Pass):
                    continue
                else:
                    return False
                if value is None:
                    continue
                for node in names.walk(value):
                    if isinstance(node, cst.Call):
                        if isinstance(node.func, cst.Attribute) and node.func.attr.value in LOOKUP_METHODS:
                            continue
                        if not self._parses(node):
                            return False
                        parsed = True
                    elif isinstance(node, (cst.Lambda, cst.Yield, cst.ListComp, cst.GeneratorExp, cst.DictComp,
                                           cst.SetComp)):
                        return False
        return parsed

    def _parses(self, call: cst.Call) -> bool:
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in PARSE_METHODS and \
                not isinstance(call.func.value, cst.Call):
            return True
        return self.ctx.qualified_name(call.func) in PARSERS

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


def _counts_attempts(ctx, loop: cst.For) -> bool:
    """`for attempt in range(retries):`: a loop over a count."""
    it = loop.iter
    return isinstance(it, cst.Call) and ctx.qualified_name(it.func) == "builtins.range"


def _retries(loop: cst.While | cst.For, attempt: cst.Try) -> bool:
    """``attempt`` is a statement of the retry loop's body (a `while`, a `for` over a count) that leaves the loop when it succeeds
    (`break` or `return` in its body or `else`): a retry loop, where what the clause catches is the
    expected failure of one attempt (a connection refused, a server not up yet)."""
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    if attempt not in body:
        return False
    stack: list[cst.CSTNode] = [attempt.body, *([attempt.orelse] if attempt.orelse is not None else [])]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Break, cst.Return)):
            return True
        if isinstance(node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False


def _keeps_traceback(ctx, handler: cst.ExceptHandler) -> bool:
    """The clause re-raises, or the traceback is kept some other way: written by another statement
    of the clause (`logger.exception(...)`, `exc_info=True`, `traceback.format_exc()`, a call asked
    for it with `traceback=True`), or the exception object itself handed on (`return Failed(error=e)`,
    `future.set_exception(e)`, `self.handle_error(e)`), which carries its traceback to whoever takes it."""
    bound = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) \
        else None
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call) and _writes_traceback(ctx, node, bound):
            return True
        if bound is not None and isinstance(node, (cst.Return, cst.Yield)) and node.value is not None and \
                _bare(node.value, bound):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False


def _writes_traceback(ctx, call: cst.Call, bound: str | None) -> bool:
    qualified = ctx.qualified_name(call.func) or ""
    if qualified.startswith(("traceback.format_", "traceback.print_")):
        return True
    method = logging_call(ctx, call)
    if method == "exception":
        return True
    if method is not None:
        exc_info = names.keyword_arg(call, "exc_info")
        return exc_info is not None and not (isinstance(exc_info.value, cst.Name) and
                                             exc_info.value.value in ("False", "None"))
    flag = names.keyword_arg(call, "traceback")
    if flag is not None and isinstance(flag.value, cst.Name) and flag.value.value == "True":
        return True  # `exception_to_unicode(e, traceback=True)`: the text carries the traceback
    if bound is None or qualified.startswith("builtins."):
        return False  # `str(e)`, `repr(e)`: the text alone
    if any(arg.keyword is not None and arg.keyword.value in EXCEPTION_KEYWORDS and _bare(arg.value, bound)
           for arg in call.args):
        return True  # `Failure(error=exc)`
    callee = set(name_words(last_name(call.func) or ""))  # `set_exception`, `handleError`
    if callee & TEXT_WORDS or not (callee & KEEPING_WORDS):
        return False  # `"{}".format(e)`, `exception_to_unicode(e)`: the text alone; an unknown call
    return any(_bare(arg.value, bound) for arg in call.args if arg.keyword is None)


# keywords and callee words that take the exception object itself, with its traceback
EXCEPTION_KEYWORDS = frozenset({"error", "exception", "exc", "exc_value", "failure", "cause"})
KEEPING_WORDS = frozenset({"exception", "exc", "error", "errors", "failure", "failures", "fail", "failed",
                           "append", "put", "add", "extend", "capture", "report"})
TEXT_WORDS = frozenset({"to", "str", "text", "unicode", "format", "repr", "message", "msg", "string"})


def _bare(expr: cst.BaseExpression, bound: str) -> bool:
    """``expr`` is the exception object itself, or a tuple or list holding it."""
    if isinstance(expr, cst.Name):
        return expr.value == bound
    if isinstance(expr, (cst.Tuple, cst.List)):
        return any(_bare(element.value, bound) for element in expr.elements)
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

