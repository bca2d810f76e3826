"""BP101's search for credentials of well-known formats: the ``CredentialFormats`` mixin.

In Python modules every string literal is searched (implicit concatenations
as one value, f-string parts one by one); dotenv, ini/cfg, YAML, JSON and TOML
files are searched as text, where an AWS secret access key is also recognized
next to its name. The formats live in ``_secret_formats``.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator

import libcst as cst

from bplint.project.names import string_value
from bplint.report.findings import Span
from bplint.rules._secret_formats import TokenMatch, find_tokens, looks_made_up, preview, shannon_entropy, url_password


class CredentialFormats:
    """The format checks of ``HardcodedSecret`` (BP101). The rule's ``__init__`` sets
    ``_allowed``, ``_done``, ``_scan_tokens``; ``_example_depth`` comes from ``ExampleContext``."""

    # --- well-known credential formats in any string ---------------------------

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._done:
            return
        # judge the whole concatenation once: a key split over lines is one key
        stack: list[cst.CSTNode] = [node.left, node.right]
        while stack:
            part = stack.pop()
            self._done.add(id(part))
            if isinstance(part, cst.ConcatenatedString):
                stack.extend((part.left, part.right))
        value = string_value(node)
        if value is None:
            # an f-string part: judge the plain parts on their own
            stack = [node.left, node.right]
            while stack:
                part = stack.pop()
                if isinstance(part, cst.ConcatenatedString):
                    stack.extend((part.left, part.right))
                elif isinstance(part, cst.SimpleString):
                    self._scan_literal(part, part.value)
            return
        self._scan_literal(node, value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._done:
            self._scan_literal(node, node.value)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self._scan_literal(node, node.value)

    def _scan_literal(self, node: cst.CSTNode, text: str) -> None:
        # ``text`` may be the source spelling (escapes unevaluated): formats
        # never contain escapes, and private key bodies are read either way.
        if not self._scan_tokens or len(text) < 20 or id(node) in self._done or self._example_depth:
            return
        token: TokenMatch | None = next(find_tokens(text, self._allowed), None)
        if token is None:
            return
        if url_password(string_value(node) or text) is not None:
            return  # a password inside a URL: BP102 reports it
        self._done.add(id(node))
        self.report(node, f"This string holds {token.title} (`{preview(token.value)}`); revoke it and read it "
                          f"from the environment or a secrets manager instead.", secret=True)

    # --- dotenv and config files -----------------------------------------------

    def check(self) -> None:
        text = self.ctx.text
        starts = _line_starts(text)
        found = [(m.start, m.end, m.title, m.value) for m in find_tokens(text, self._allowed)]
        found += list(_aws_secret_keys(text))
        found.sort()
        last_end = -1
        for start, end, title, value in found:
            if start < last_end:
                continue
            last_end = end
            self._report_text(_span(starts, start, end), f"This file holds {title} (`{preview(value)}`); revoke "
                             f"it and read it from the environment or a secrets manager instead.")

    def _report_text(self, span: Span, message: str) -> None:
        self.ctx.report_span(self, span, message, secret=True)


# The AWS secret access key has no prefix: it is only recognizable next to its name.
_AWS_SECRET = re.compile(
    r"aws[\w.-]{0,20}?(?:secret|key|pwd|pw|password|pass|token)[\w.-]{0,20}?[\"']?\s*[=:]\s*[\"']?"
    r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", re.IGNORECASE)


def _aws_secret_keys(text: str) -> Iterator[tuple[int, int, str, str]]:
    if "aws" not in text.lower():
        return
    for match in _AWS_SECRET.finditer(text):
        value = match.group("value")
        if shannon_entropy(value) >= 4.0 and not looks_made_up(value) and not value.upper().endswith("EXAMPLEKEY"):
            yield match.start("value"), match.end("value"), "an AWS secret access key", value


def _line_starts(text: str) -> list[int]:
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _span(starts: list[int], start: int, end: int) -> Span:
    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, max(end - 1, start))
    return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)
