"""Files written for a newer Python than the one bplint runs on.

The index phase needs CPython's ``ast`` tree, and the running parser rejects
syntax newer than itself. When the project's target version is newer and
``ast.parse`` fails, the file is parsed with libcst and only the newer
constructs are rewritten into code the running parser accepts. libcst 1.9's
native parser reads the syntax of every Python version up to 3.14 alike (it
ignores ``PartialParserConfig.python_version``), so the rule pass needs no
change, and what the target allows is decided here, construct by construct:

- an f-string the running parser rejects (PEP 701: the same quotes, backslashes
  or comments inside a replacement field): ``("text" + format(expr, spec))``
- a t-string (PEP 750): a tuple of its text and expressions
- type parameters (PEP 695, defaults PEP 696): dropped; ``type X = Y``: ``X = Y``
- ``except A, B:`` (PEP 758): ``except (A, B):``; on Python 3.10, ``except*``: ``except``

Every line stays where it was (a removed span's line breaks become line
continuations), so the facts' line numbers are right; columns may shift on
the rewritten lines only. The rule pass parses the original text with libcst
as for any file, so findings point at the original code. A construct newer
than the target itself is a syntax error for the project (BP001).

libcst has read only what CPython let through everywhere else; here it reads
a file CPython rejected, so the parse and the rewrite run in a forked child
process: a crash or a hang in it costs that file, not the scan. Nothing in the
file is executed.
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import select
import signal
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Callable, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bplint.discover.pyversion import RUNNING, PythonTarget
from bplint.project.index import SyntaxProblem, SyntaxKind

T = TypeVar("T")

# the message when libcst's parser rejects the file too: invalid in every Python version
INVALID_EVERYWHERE = "invalid syntax"
_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
_CONVERSIONS = {"r": "repr", "s": "str", "a": "ascii"}
_CHILD_RECURSION_LIMIT = 20_000
# Without fork (Windows) the parse runs in this process: CPython's own nesting limit first.
_MAX_BRACKET_DEPTH = 200


@dataclass(frozen=True)
class Rewritten:
    text: str  # the file, with its newer constructs in older spellings, every line in place


def rewrite_for_target(text: str, target: PythonTarget, timeout: float) -> Rewritten | SyntaxProblem:
    """The file in syntax the running parser accepts, or why it cannot be checked.

    A ``SyntaxKind.SYNTAX`` problem is a syntax error for the target (BP001);
    a ``SyntaxKind.UNSUPPORTED`` one means this bplint cannot read the file.
    """
    try:
        outcome = _isolated(lambda: _rewrite(text, target.version), timeout)
    except _ChildFailed as exc:
        return unsupported(target, f"the syntax tree parser {exc}")
    if isinstance(outcome, str):
        return unsupported(target, outcome)
    return outcome


def unsupported(target: PythonTarget, why: str) -> SyntaxProblem:
    running = f"{RUNNING[0]}.{RUNNING[1]}"
    return SyntaxProblem(f"bplint runs on Python {running} and cannot read this file's {target.label} syntax "
                         f"({why}); run bplint on {target.label} or newer to check it", 1, 1,
                         SyntaxKind.UNSUPPORTED)


def _rewrite(text: str, version: tuple[int, int]) -> Rewritten | SyntaxProblem | str:
    if not hasattr(os, "fork") and _bracket_depth(text) > _MAX_BRACKET_DEPTH:
        return SyntaxProblem("too many nested parentheses", 1, 1, SyntaxKind.SYNTAX)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        # invalid in every Python: libcst's parser reads them all. Its message lists every token
        # it expected; the position in it is nearer the error than the exception's own.
        at = _ERROR_AT.search(exc.message or "")
        line, column = (int(at.group(1)), int(at.group(2)) + 1) if at else (exc.raw_line, exc.raw_column + 1)
        return SyntaxProblem(INVALID_EVERYWHERE, max(line, 1), max(column, 1), SyntaxKind.SYNTAX)
    except RecursionError:
        return "nested too deeply"
    rewriter = _Rewriter(module)
    try:
        new = module.visit(rewriter)
    except RecursionError:
        return "nested too deeply"
    problems = [(node, message) for node, message in rewriter.problems]
    problems += [(node, f"{what} Python {needed[0]}.{needed[1]}") for needed, node, what in rewriter.needs
                 if needed > version]
    if problems:
        # positions only now: computing them costs more than the rewrite
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        starts = [(positions[node].start, message) for node, message in problems]
        start, message = min(starts, key=lambda s: (s[0].line, s[0].column))
        return SyntaxProblem(message, start.line, start.column + 1, SyntaxKind.SYNTAX)
    return Rewritten(rewriter.code(new))


class _Rewriter(cst.CSTTransformer):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        # (version, node, "what needs"): the newer constructs met, as nodes of the original tree
        self.needs: list[tuple[tuple[int, int], cst.CSTNode, str]] = []
        self.problems: list[tuple[cst.CSTNode, str]] = []  # syntax errors in any version
        self.verbatim: dict[str, str] = {}  # placeholder name -> the text it stands for
        self.placeholder = "_bplint_rewritten_"
        while self.placeholder in module.code:
            self.placeholder += "_"

    def code(self, new: cst.Module) -> str:
        code = new.code
        for key in reversed(self.verbatim):  # the outer string before those nested in it
            code = code.replace(key, self.verbatim[key], 1)
        return code

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def _need(self, version: tuple[int, int], node: cst.CSTNode, what: str) -> None:
        self.needs.append((version, node, what))

    # --- strings: f-strings (PEP 701) and t-strings (PEP 750) ---------------------------
    # Their children are rewritten here, not by the traversal: a concatenation must
    # hold strings, so it is rewritten as a whole.

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        return False

    def visit_TemplatedString(self, node: cst.TemplatedString) -> bool:
        return False

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        return False

    def leave_FormattedString(self, original: cst.FormattedString, updated: cst.FormattedString) -> cst.BaseExpression:
        return self._string(original)

    def leave_TemplatedString(self, original: cst.TemplatedString, updated: cst.TemplatedString) -> cst.BaseExpression:
        return self._string(original)

    def leave_ConcatenatedString(self, original: cst.ConcatenatedString,
                                 updated: cst.ConcatenatedString) -> cst.BaseExpression:
        return self._string(original)

    def _string(self, node: cst.BaseExpression) -> cst.BaseExpression:
        code = self._code(node)
        if _accepted(code):
            return node
        if "t" in _prefixes(node):
            self._need((3, 14), node, "template strings (t-strings) need")
        else:
            self._need((3, 12), node, "an f-string with quotes, backslashes or comments inside `{}` needs")
        body = self._string_text(node)
        outer = "".join(self._code(p) for p in (*node.lpar, *node.rpar))  # type: ignore[attr-defined]
        body += "\n" * max(0, _breaks(code) - _breaks(outer) - _breaks(body))
        # A name stands in for the new text until the module's code is rendered: cheaper
        # than parsing each replacement, and a string's parent may hold any expression.
        # (in parentheses of its own, as a name next to a keyword, `x if`, needs a space)
        key = f"{self.placeholder}{len(self.verbatim)}_"
        self.verbatim[key] = body
        return cst.Name(key, lpar=[*node.lpar, cst.LeftParen()], rpar=[cst.RightParen(), *node.rpar])  # type: ignore

    def _string_text(self, node: cst.BaseExpression) -> str:
        """The string as an expression without f-string or t-string syntax, on the same lines."""
        if isinstance(node, cst.ConcatenatedString):
            between = self._code(node.whitespace_between)
            return f"{self._string_text(node.left)}{between}+ {self._string_text(node.right)}"
        if isinstance(node, (cst.FormattedString, cst.TemplatedString)):
            prefix = node.start.rstrip("'\"")
            quote, kept = node.start[len(prefix):], prefix.replace("f", "").replace("F", "")
            kept = kept.replace("t", "").replace("T", "")
            pieces = self._pieces(node.parts, kept, quote)
            if isinstance(node, cst.TemplatedString):
                return f"({', '.join(pieces)},)" if pieces else "()"
            return " + ".join(pieces) or '""'
        return self._code(node)

    def _pieces(self, parts, prefix: str, quote: str) -> list[str]:
        pieces = []
        for part in parts:
            if isinstance(part, (cst.FormattedStringText, cst.TemplatedStringText)):
                text = part.value.replace("{{", "{").replace("}}", "}")
                if text.endswith(("\\", quote[0])):  # it must not run into the closing quote
                    text += " "
                pieces.append(f"{prefix}{quote}{text}{quote}")
                continue
            expression = part.expression.visit(self)  # nested strings in the same way
            expr = (self._code(part.whitespace_before_expression) + self._code(expression)
                    + self._code(part.whitespace_after_expression))
            conversion = part.conversion or ("r" if part.equal is not None and part.format_spec is None else None)
            if conversion in _CONVERSIONS:
                expr = f"{_CONVERSIONS[conversion]}({expr})"
            if part.format_spec is not None:
                spec = " + ".join(self._pieces(part.format_spec, prefix, quote)) or '""'
                expr = f"{expr}, {spec}"
            pieces.append(f"format({expr})")
        return pieces

    # --- type parameters (PEP 695, PEP 696) and type aliases ------------------------------

    def _type_parameters(self, node, params: cst.TypeParameters | None) -> str:
        """Notes the newer syntax; returns line continuations for the removed span's breaks."""
        if params is None:
            return ""
        self._need((3, 12), node, "type parameters need")
        for param in params.params:
            if param.default is not None:
                self._need((3, 13), param, "type parameter defaults need")
        return " \\\n" * _breaks(self._code(params))

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        return self._without_type_parameters(original, updated)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        return self._without_type_parameters(original, updated)

    def _without_type_parameters(self, original, updated):
        """A def or class without its type parameters (their line breaks kept as continuations)."""
        if original.type_parameters is None:
            return updated
        kept = self._type_parameters(original, original.type_parameters)
        return updated.with_changes(type_parameters=None, whitespace_after_type_parameters=cst.SimpleWhitespace(""),
                                    whitespace_after_name=cst.SimpleWhitespace(
                                        updated.whitespace_after_name.value + kept
                                        + updated.whitespace_after_type_parameters.value))

    def leave_TypeAlias(self, original: cst.TypeAlias, updated: cst.TypeAlias) -> cst.Assign:
        self._need((3, 12), original, "`type` statements need")
        kept = self._type_parameters(original, original.type_parameters)
        kept += " \\\n" * _breaks(updated.whitespace_after_type.value)
        after_name, after_params = updated.whitespace_after_name, updated.whitespace_after_type_parameters
        after_name = " " if original.type_parameters is None else "" if isinstance(
            after_name, cst.MaybeSentinel) else after_name.value
        after_params = "" if original.type_parameters is None else " " if isinstance(
            after_params, cst.MaybeSentinel) else after_params.value
        before_equal = after_name + kept + after_params
        return cst.Assign(targets=[cst.AssignTarget(target=updated.name,
                                                    whitespace_before_equal=cst.SimpleWhitespace(before_equal),
                                                    whitespace_after_equal=updated.whitespace_after_equals)],
                          value=updated.value, semicolon=updated.semicolon)

    # --- except A, B: (PEP 758) ----------------------------------------------------------

    def leave_ExceptHandler(self, original: cst.ExceptHandler, updated: cst.ExceptHandler) -> cst.ExceptHandler:
        return self._except(original, updated)

    def leave_ExceptStarHandler(self, original: cst.ExceptStarHandler,
                                updated: cst.ExceptStarHandler) -> cst.ExceptStarHandler:
        return self._except(original, updated)

    def _except(self, original, updated):
        types = updated.type
        if not isinstance(types, cst.Tuple) or types.lpar:
            return updated
        if updated.name is not None:  # libcst's parser rejects this itself today
            self.problems.append((original.type, "multiple exception types must be parenthesized when using 'as'"))
        self._need((3, 14), original.type, "`except` with several exception types and no parentheses needs")
        return updated.with_changes(type=types.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))


    # --- except* (PEP 654), for a Python 3.10 interpreter ------------------------------------

    def leave_TryStar(self, original: cst.TryStar, updated: cst.TryStar) -> cst.BaseStatement:
        if RUNNING >= (3, 11):
            return updated
        self._need((3, 11), original, "`except*` needs")
        handlers = [cst.ExceptHandler(body=h.body, type=h.type, name=h.name, leading_lines=h.leading_lines,
                                      whitespace_after_except=cst.SimpleWhitespace(
                                          (h.whitespace_after_except.value + h.whitespace_after_star.value) or " "),
                                      whitespace_before_colon=h.whitespace_before_colon)
                    for h in updated.handlers]
        return cst.Try(body=updated.body, handlers=handlers, orelse=updated.orelse, finalbody=updated.finalbody,
                       leading_lines=updated.leading_lines, whitespace_before_colon=updated.whitespace_before_colon)


def _prefixes(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.ConcatenatedString):
        return _prefixes(node.left) + _prefixes(node.right)
    start = getattr(node, "start", None) or getattr(node, "prefix", "")
    return start.rstrip("'\"").lower()


def _accepted(code: str) -> bool:
    """Whether the running parser reads this expression as it is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes
            ast.parse(f"(\n{code}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _bracket_depth(text: str) -> int:
    """The deepest bracket nesting, counting brackets in strings and comments too (an upper bound)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


# --- the child process -------------------------------------------------------------------


class _ChildFailed(Exception):
    pass


def _isolated(func: Callable[[], T], timeout: float) -> T:
    """``func()`` in a forked child process, its result pickled back; in this process where
    there is no fork. Raises _ChildFailed when the child crashes or outlives ``timeout``."""
    if not hasattr(os, "fork"):
        try:
            return func()
        except Exception as exc:
            raise _ChildFailed(f"failed: {type(exc).__name__}: {exc}") from None
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork while another thread waits
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            os.close(read_end)
            sys.setrecursionlimit(max(sys.getrecursionlimit(), _CHILD_RECURSION_LIMIT))
            try:
                payload = pickle.dumps(("value", func()))
            except BaseException as exc:
                payload = pickle.dumps(("error", f"failed: {type(exc).__name__}: {exc}"))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise _ChildFailed(f"gave up after {timeout:g} s (file-timeout)")
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    if not chunks:
        raise _ChildFailed("crashed")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise _ChildFailed(value)
    return value
