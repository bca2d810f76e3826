"""BP0: findings the engine itself produces."""

from __future__ import annotations

from bplint.findings import Severity
from bplint.rule import Flag, Quiet, Rule


class SyntaxErrorRule(Rule):
    code = "BP001"
    name = "syntax-error"
    category = "engine"
    severity = Severity.ERROR
    summary = "A Python file that cannot be parsed"
    what = ("Reports a Python file that CPython cannot parse: a syntax error, bytes that are not valid "
            "in the file's encoding, NUL bytes, or nesting deeper than the Python parser accepts. The "
            "finding carries the parser's message and position; every other file is still scanned.")
    why = ("A file that does not parse is checked by no rule at all, so its problems stay hidden, and "
           "it fails at import time in production.")
    how_to_fix = ("Fix the syntax error at the reported position. If the file is not meant to be Python "
                  "(a template, a Python 2 relic), rename it or exclude it with `extend-exclude`.")
    bad = "def create_user(name:\n    return User(name)\n"
    good = "def create_user(name):\n    return User(name)\n"
    examples = (
        Flag("def create_user(name:\n    return User(name)\n", line=1),
        Flag("print 'hello'\n", line=1),
        Flag("x = 1\ny = (\n", note="unclosed parenthesis"),
        Quiet("def create_user(name):\n    return User(name)\n"),
        Quiet("match command:\n    case 'go':\n        pass\n", note="soft keywords"),
    )
