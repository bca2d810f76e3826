"""Property tests of fixing: every rule's fixes, applied to its Flag examples once they are mutated
(seeded, always run) or combined with generated programs (hypothesmith, when it is installed),
leave a file that parses and compiles, settle, and a second `--fix` changes nothing.

Both are bounded in time: the seeded test stops taking new cases after ``BUDGET`` seconds, and the
generated one runs a fixed number of examples.
"""

from __future__ import annotations

import dataclasses
import random
import textwrap
import time

import pytest

from bplint.report.fixes import parses
from bplint.scan.registry import all_rules
from bplint.testing import fix_example, write_project

BUDGET = 60.0  # seconds the seeded test may take new cases for

FIX_CASES = [(rule, example) for rule in all_rules() if rule.fix_applicability is not None
             for example in rule.examples
             if example.flagged and example.fixed is not None]


def _mutations(source: str, rng: random.Random, count: int, python: bool = True):
    """Variants of ``source`` that still parse: comments after lines, blank lines, and in Python
    parentheses around assigned values, spaces inside brackets, the other quote, a `pass` line."""
    lines = source.splitlines()
    made = 0
    for _ in range(count * 4):
        mutated = list(lines)
        for _ in range(rng.randint(1, 4)):
            index = rng.randrange(len(mutated))
            line = mutated[index]
            stripped = line.lstrip()
            indent = line[:len(line) - len(stripped)]
            choice = rng.randrange(7 if python else 3)
            if choice == 0 and stripped:
                mutated[index] = line + "  # note"
            elif choice == 1 and not python:
                mutated[index] = line + "   "
            elif choice == 1 and " = " in stripped and not stripped.startswith(("def ", "class ", "@", "return")):
                name, _, value = stripped.partition(" = ")
                mutated[index] = f"{indent}{name} = ({value})"
            elif choice == 2:
                mutated.insert(index, "")
            elif choice == 3:
                mutated[index] = line.replace("(", "( ", 1).replace(")", " )", 1)
            elif choice == 4:
                mutated[index] = line.replace('"', "'")
            elif choice == 5 and stripped and not stripped.startswith(("@", "else", "elif", "except", "finally")):
                mutated.insert(index, f"{indent}pass")
            else:
                mutated[index] = line.replace(", ", " , ", 1)
        text = "\n".join(mutated) + "\n"
        if text != source and parses(text, python):
            made += 1
            yield text
            if made == count:
                return


def _fix_and_check(rule, example, root, text: str) -> str:
    """Write the example's project with ``text`` as its file, fix it as `--fix --unsafe-fixes`
    does (fix_example asserts that it parses, settles and a second round changes nothing)."""
    write_project(root, {**example.project_files(), example.path: text})
    mutated = dataclasses.replace(example, code=text)
    fixed = fix_example(rule, mutated, root)
    if example.path.endswith(".py"):
        compile(fixed, example.path, "exec")
    return fixed


def test_fixes_on_mutated_examples_parse_compile_and_settle(tmp_path):
    rng = random.Random(16)
    start = time.monotonic()
    done = set()
    for number, (rule, example) in enumerate(FIX_CASES):
        if time.monotonic() - start > BUDGET:
            break
        source = textwrap.dedent(example.code).lstrip("\n")
        for variant, text in enumerate(_mutations(source, rng, 2, example.path.endswith(".py"))):
            _fix_and_check(rule, example, tmp_path / f"c{number}-{variant}", text)
            done.add(rule.code)
    fixing = {rule.code for rule, _ in FIX_CASES}
    assert fixing >= {"BP104", "BP201", "BP304", "BP406", "BP503", "BP602", "BP604"}
    assert done == fixing or time.monotonic() - start > BUDGET, fixing - done


hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from([(r, e) for r, e in FIX_CASES if e.path.endswith(".py")]), program=hypothesmith.from_grammar(), before=st.booleans())
def test_fixes_next_to_generated_programs_parse_compile_and_settle(tmp_path_factory, case, program, before):
    """A generated program (any syntax Python has) before or after an example's code: the fixes
    of the example still apply cleanly, and nothing in the generated code makes a fix break the file."""
    rule, example = case
    source = textwrap.dedent(example.code).lstrip("\n")
    program = program if program.endswith("\n") or not program else program + "\n"
    text = program + source if before else source + program
    if not parses(text, True) or "\\\n" in program:
        return  # `from __future__` after code, a continuation line: not a module
    try:
        compile(text, example.path, "exec")
    except (SyntaxError, ValueError):
        return
    _fix_and_check(rule, example, tmp_path_factory.mktemp("generated"), text)
