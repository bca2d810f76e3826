"""BP0: findings the engine itself produces."""

from __future__ import annotations

from bplint.report.findings import Severity
from bplint.rule import Flag, Quiet, Rule


class SyntaxErrorRule(Rule):
    code = "BP001"
    name = "syntax-error"
    category = "engine"
    severity = Severity.ERROR
    summary = "A Python file that cannot be parsed"
    what = ("Reports a Python file that CPython cannot parse: a syntax error, bytes that are not valid "
            "in the file's encoding, NUL bytes, or nesting deeper than the Python parser accepts. The "
            "file is parsed for the project's Python (`target-version`, else `requires-python`), so syntax "
            "newer than the Python bplint runs on is no error when the project's Python accepts it, and "
            "the message names the version. Test data is not reported: a test file in a folder whose name "
            "no import can spell (`tests/data/invalid-plugins/`). Nor is a template named `.py`, the code a "
            "generator renders, when the parser stops at a template tag or placeholder (`{% block %}`, "
            "`{{cookiecutter.name}}`): it is listed as not checked, and so are the files of a project that "
            "declares Python 2 only (a `requires-python` that allows no Python 3, or the `Python :: 2 :: Only` "
            "classifier), which bplint does not read. The finding carries the parser's message and position; every "
            "other file is still scanned.")
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
        Flag("def broken(:\n    pass\n", path="tests/helpers/broken.py", line=1, note="a test module"),
        Quiet("def broken(:\n    pass\n", path="tests/data/invalid-plugins/broken.py",
              note="test data: a broken module the tests give a loader, in a folder no import can name"),
    )


class UnusedSuppression(Rule):
    code = "BP002"
    name = "unused-suppression"
    category = "engine"
    severity = Severity.INFO
    opt_in = True
    summary = "An inline suppression comment that suppresses nothing"
    what = ("Reports a `# bplint: ignore[...]` or `# noqa: BP...` comment that suppresses no finding: the "
            "problem it silenced was fixed, or the comment names the wrong code or sits on the wrong line. "
            "Opt-in: enable it with `extend-select = [\"BP002\"]`.")
    why = ("Stale suppressions hide the next real finding on that line, and they mislead readers into "
           "thinking the line has a known problem.")
    how_to_fix = "Delete the comment, or the codes in it that no longer apply."
    bad = 'SECRET_KEY = os.environ["SECRET_KEY"]  # bplint: ignore[BP101]\n'
    good = 'SECRET_KEY = os.environ["SECRET_KEY"]\n'
    examples = (
        Flag("x = 1  # bplint: ignore[BP001]\n", line=1, config={"select": ["BP001", "BP002"]}),
        Flag("x = 1  # bplint: ignore\n", line=1, config={"select": ["BP001", "BP002"]}),
        Flag("x = 1  # noqa: BP001\n", line=1, config={"select": ["BP001", "BP002"]}),
        Quiet("print 'legacy'  # bplint: ignore[BP001]\n", config={"select": ["BP001", "BP002"]},
              note="the suppression is used"),
        Quiet("x = 1  # noqa: E501\n", config={"select": ["BP001", "BP002"]},
              note="other tools' codes are not ours"),
        Quiet("x = 1  # bplint: ignore[BP001]\n", note="BP002 is opt-in; BP001 not selected"),
    )


class InvalidSuppression(Rule):
    code = "BP003"
    name = "invalid-suppression"
    category = "engine"
    severity = Severity.WARNING
    summary = "A suppression comment naming a code that does not exist"
    what = ("Reports a `# bplint: ignore[...]`, `# bplint: ignore-file[...]` or `# noqa: BP...` comment "
            "that names a code bplint does not have, usually a typo.")
    why = "A misspelled code suppresses nothing, so the finding it was meant to silence stays, or worse, "\
          "the comment looks like a reviewed exception that does not exist."
    how_to_fix = "Correct the code (`bplint rules` lists them) or remove it."
    bad = 'SECRET_KEY = "dev-only"  # bplint: ignore[BP1O1]\n'
    good = 'SECRET_KEY = "dev-only"  # bplint: ignore[BP101]\n'
    examples = (
        Flag("x = 1  # bplint: ignore[BP999]\n", line=1),
        Flag("x = 1  # noqa: BP1O1\n", line=1, note="letter O instead of zero"),
        Flag("# bplint: ignore-file[BPX]\nx = 1\n", line=1),
        Flag("flask==3.0.3  # bplint: ignore[BP2011]\n", path="requirements.txt", line=1),
        Quiet("x = 1  # bplint: ignore[BP001]\n"),
        Quiet("x = 1  # noqa: E501, F401\n", note="other tools' codes"),
        Quiet('text = "# bplint: ignore[BP999]"\n', note="inside a string, not a comment"),
    )
