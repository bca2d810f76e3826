"""`check --fix`, `--unsafe-fixes`, `--fix-diff` and `--add-noqa`, and the guarantees of fixing."""

from __future__ import annotations

import json
import os
import random
import stat
import textwrap

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.report.findings import Severity
from bplint.report.fixes import apply_fixes, inside, parses, plan_round
from bplint.rule import PythonRule
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project

APP = textwrap.dedent('''\
    """Jobs."""
    import logging
    from datetime import datetime

    logger = logging.getLogger(__name__)


    class Job:
        started = None

        def run(self, user):
            try:
                self.started = datetime.utcnow()   # spacing kept
            except Exception as e:
                logger.error("run failed: %s", e)
            for step in self.steps:
                logger.debug(f"user {user.id} ran {step} in {datetime.utcnow().year}")
            return sorted(  [1, 2],
                key=lambda x: x )


    def schedule(db):
        return db.Column(db.DateTime, default=datetime.utcnow)
    ''')

SELECT = "BP406,BP602,BP604"


def run(*args: str):
    return CliRunner().invoke(cli, ["check", "--preview", "--no-cache", "--select", SELECT, *args])


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_project(tmp_path, {"app/jobs.py": APP, "pyproject.toml": "[project]\nname = 'x'\n"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_applies_the_safe_fixes_and_reports_what_remains(project):
    result = run("--fix", ".")
    text = (project / "app/jobs.py").read_text()
    assert "from datetime import datetime, timezone" in text
    assert 'logger.exception("run failed: %s", e)' in text
    # the two fixes of one line take two rounds: the second scan finds the other one
    assert 'logger.debug("user %s ran %s in %s", user.id, step, datetime.now(timezone.utc).year)' in text
    # the unsafe fixes wait for --unsafe-fixes: an aware value where a naive one was
    assert "self.started = datetime.utcnow()   # spacing kept" in text
    assert "default=datetime.utcnow" in text
    assert "fixed 3 findings in 1 file (BP406: 1, BP602: 1, BP604: 1)" in result.stderr
    assert "BP406 [info] [*unsafe]" in result.stdout and result.stdout.count("app/jobs.py:") == 2
    assert "2 findings fixable with `bplint check --fix --unsafe-fixes`" in result.stdout
    assert result.exit_code == 1
    # everything outside the edits is as it was: the lines that changed are exactly the fixed ones
    changed = [(a, b) for a, b in zip(APP.splitlines(), text.splitlines()) if a != b]
    assert len(APP.splitlines()) == len(text.splitlines()) and len(changed) == 3, changed

    again = run("--fix", "--unsafe-fixes", ".")
    text = (project / "app/jobs.py").read_text()
    assert "self.started = datetime.now(timezone.utc)   # spacing kept" in text
    assert "default=lambda: datetime.now(timezone.utc)" in text
    assert "fixed 2 findings in 1 file (BP406: 2)" in again.stderr
    assert again.exit_code == 0 and "No findings" in again.stdout
    third = run("--fix", "--unsafe-fixes", ".")
    assert "fixed 0 findings" in third.stderr and (project / "app/jobs.py").read_text() == text
    compile(text, "jobs.py", "exec")


def test_fix_with_the_cache_sees_the_files_it_wrote(project):
    first = CliRunner().invoke(cli, ["check", "--preview", "--select", SELECT, "--fix", "--unsafe-fixes", "."])
    assert "fixed 5 findings" in first.stderr, first.stderr
    again = CliRunner().invoke(cli, ["check", "--preview", "--select", SELECT, "."])
    assert again.exit_code == 0 and "No findings" in again.stdout


def test_fix_diff_prints_the_diff_and_writes_nothing(project):
    result = run("--fix-diff", ".")
    assert result.exit_code == 1
    assert "--- a/app/jobs.py" in result.stdout
    # one round: of two overlapping fixes, the first; the other comes in the next round of --fix
    assert '+            logger.debug("user %s ran %s in %s", user.id, step, datetime.utcnow().year)' in result.stdout
    assert "-            logger.error(\"run failed: %s\", e)" in result.stdout
    assert "default=lambda" not in result.stdout and "self.started = datetime.now" not in result.stdout
    assert "would fix 2 findings in 1 file" in result.stderr
    assert (project / "app/jobs.py").read_text() == APP
    unsafe = run("--fix-diff", "--unsafe-fixes", ".")
    assert "+from datetime import datetime, timezone" in unsafe.stdout
    assert "+    return db.Column(db.DateTime, default=lambda: datetime.now(timezone.utc))" in unsafe.stdout


def test_fix_keeps_newlines_encoding_and_mode(project):
    target = project / "app/jobs.py"
    target.write_bytes(b"\xef\xbb\xbf" + APP.replace("\n", "\r\n").encode())
    os.chmod(target, 0o640)
    run("--fix", ".")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"timezone.utc" in raw
    assert raw.count(b"\r\n") == APP.count("\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".bplint-fix")]


def test_options_that_go_together(project):
    assert run("--unsafe-fixes", ".").exit_code == 2
    assert run("--fix", "--fix-diff", ".").exit_code == 2
    assert run("--fix", "--add-noqa", ".").exit_code == 2


def test_json_and_sarif_carry_the_fix(project):
    data = json.loads(run("--format", "json", ".").stdout)
    fixes = [f["fix"] for f in data["findings"]]
    assert {f["applicability"] for f in fixes if f} == {"safe", "unsafe"}
    assert [f["code"] for f in data["findings"] if f["fix"] and f["fix"]["applicability"] == "unsafe"] == \
        ["BP406", "BP406"]
    edit = next(f for f in fixes if f and f["applicability"] == "unsafe")["edits"][0]
    assert set(edit) == {"line", "column", "end_line", "end_column", "content"}
    sarif = json.loads(run("--format", "sarif", ".").stdout)
    results = sarif["runs"][0]["results"]
    with_fix = [r for r in results if "fixes" in r]
    assert len(with_fix) == 5
    replacement = with_fix[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert set(replacement) == {"deletedRegion", "insertedContent"}
    from tests.test_ci_gate import _validator

    errors = list(_validator().iter_errors(sarif))
    assert not errors, errors[:3]


# --- the guarantees, on rules made to break them ------------------------------------------


class BreaksTheFile(PythonRule):
    code, name, category, severity = "BP993", "test-breaks-file", "test", Severity.INFO
    summary = what = why = how_to_fix = bad = good = "x"
    fix_applicability = "safe"

    def visit_Integer(self, node):
        # `1` -> `1 +`: a fix that would leave the file unparsable
        self.report(node, "an integer", fix=self.fix("add a plus", self.replace(node, f"{node.value} +")))


class FixesThenCrashes(PythonRule):
    code, name, category, severity = "BP992", "test-fixes-then-crashes", "test", Severity.INFO
    summary = what = why = how_to_fix = bad = good = "x"
    fix_applicability = "safe"

    def visit_Integer(self, node):
        self.report(node, "an integer", fix=self.fix("double it", self.replace(node, f"{node.value}{node.value}")))

    def leave_Module(self, node):
        raise RuntimeError("boom")


def _scan(tmp_path, rule, files):
    write_project(tmp_path, files)
    config = build_config({"select": [rule.code]}, (*all_rules(), rule), root=tmp_path)
    return scan([tmp_path], config, cwd=tmp_path)


def test_a_fix_that_breaks_the_file_is_dropped_and_reported_as_an_internal_error(tmp_path):
    result = _scan(tmp_path, BreaksTheFile, {"a.py": "x = 1\ny = 'kept'\n"})
    assert result.findings and result.findings[0].fix is not None
    round_ = plan_round(result.findings, result.errors, tmp_path, tmp_path, unsafe=True)
    assert not round_.plans
    assert [e.internal and e.rule for e in round_.errors] == ["BP993"]
    assert (tmp_path / "a.py").read_text() == "x = 1\ny = 'kept'\n"


def test_no_file_is_written_when_its_scan_had_an_internal_error(tmp_path):
    result = _scan(tmp_path, FixesThenCrashes, {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    assert any(e.internal for e in result.errors)
    round_ = plan_round(result.findings, result.errors, tmp_path, tmp_path, unsafe=True)
    assert not round_.plans and all(e.message.startswith("not fixed") for e in round_.errors)


def test_a_symbolic_link_out_of_the_project_is_not_followed(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("x = 1\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "link.py").symlink_to(outside)
    (tmp_path / "project" / "real.py").write_text("x = 1\n")
    assert inside(tmp_path / "project" / "link.py", tmp_path / "project") is None
    assert inside(tmp_path / "project" / "real.py", tmp_path / "project") == (tmp_path / "project" / "real.py")


def test_overlapping_fixes_take_the_first_and_identical_edits_are_made_once():
    from bplint.report.findings import Applicability, Edit, Finding, Fix

    def finding(line, *edits):
        return Finding("BP1", "n", Severity.INFO, "c", "m", "a.py", line, 1, line, 2,
                       fix=Fix(Applicability.SAFE, "m", tuple(edits)))

    text = "a = 1\nb = 2\n"
    shared = Edit(1, 1, 1, 1, "# top\n")
    out = apply_fixes(text, [finding(1, Edit(1, 5, 1, 6, "10"), shared), finding(1, Edit(1, 5, 1, 6, "20")),
                             finding(2, Edit(2, 5, 2, 6, "30"), shared)])
    assert out.text == "# top\na = 10\nb = 30\n" and len(out.applied) == 2


# --- property: fixes applied to mutated sources always leave a file that parses -------------------

_SOURCES = [APP, textwrap.dedent('''\
    import logging
    import datetime as dt
    log = logging.getLogger("x")

    def f(a, b):
        try:
            return dt.datetime.utcnow()
        except Exception:
            log.error("x %s %s" % (a, b))
            log.warning("a " + str(a) + " b")
            for _ in a:
                log.debug("{} and {}".format(a, b))
                log.debug(f"{a!r:>3} {b:.1f} %")
    ''')]


def _mutations(source: str, rng: random.Random):
    lines = source.splitlines()
    for _ in range(12):
        mutated = list(lines)
        for _ in range(rng.randint(1, 4)):
            index = rng.randrange(len(mutated))
            line = mutated[index]
            choice = rng.randrange(6)
            if choice == 0:
                mutated[index] = line + "  # note"
            elif choice == 1 and line.strip():
                stripped = line.lstrip()
                if "=" in stripped and not stripped.startswith(("def", "class", "return", "@")):
                    name, _, value = stripped.partition("=")
                    mutated[index] = line[:len(line) - len(stripped)] + f"{name}= ({value.strip()})"
            elif choice == 2:
                mutated.insert(index, "")
            elif choice == 3:
                mutated[index] = line.replace("(", "( ", 1)
            elif choice == 4:
                mutated[index] = line.replace('"', "'")
            else:
                mutated[index] = line.replace("utcnow()", "utcnow( )")
        text = "\n".join(mutated) + "\n"
        if parses(text, True):
            yield text.replace("\n", "\r\n") if rng.random() < 0.2 else text


def test_fixes_on_mutated_sources_leave_files_that_parse_and_settle(tmp_path):
    rng = random.Random(16)
    codes = ["BP406", "BP602", "BP604"]
    count = 0
    for source in _SOURCES:
        for number, text in enumerate(_mutations(source, rng)):
            root = tmp_path / f"p{count}"
            count += 1
            write_project(root, {"a.py": ""})
            (root / "a.py").write_bytes(text.encode())
            config = build_config({"select": codes, "preview": True}, all_rules(), root=root)
            for _ in range(5):
                result = scan([root], config, cwd=root)
                round_ = plan_round(result.findings, result.errors, root, root, unsafe=True)
                assert not [e for e in round_.errors if e.internal], (text, round_.errors)
                if not round_.plans:
                    break
                for plan in round_.plans:
                    assert parses(plan.new, True), plan.new
                    plan.target.write_bytes(plan.new.encode())
            final = (root / "a.py").read_bytes().decode()
            compile(final, "a.py", "exec")
            left = [f for f in scan([root], config, cwd=root).findings if f.fix is not None]
            assert not left, (final, left)
    assert count > 10


# --- --add-noqa --------------------------------------------------------------------------------


def test_add_noqa_marks_every_finding_and_a_second_run_changes_nothing(project):
    (project / "app/more.py").write_text(textwrap.dedent('''\
        import logging
        from datetime import datetime
        logger = logging.getLogger(__name__)
        SQL = f"""
        {datetime.utcnow()}
        """
        def f(x):
            for y in x:
                logger.debug(  # bplint: ignore[BP101]
                    f"x {y}")
            return datetime.utcnow()  # type: ignore
        '''))
    result = run("--add-noqa", ".")
    assert result.exit_code == 0, result.output
    text = (project / "app/more.py").read_text()
    assert "logger.debug(  # bplint: ignore[BP101, BP602]" in text
    assert "return datetime.utcnow()  # type: ignore  # bplint: ignore[BP406]" in text
    # the statement's first line ends inside a string: the comment goes on its last line
    assert "SQL = f\"\"\"\n{datetime.utcnow()}\n\"\"\"  # bplint: ignore[BP406]\n" in text
    assert "could not be marked" not in result.stderr
    jobs = (project / "app/jobs.py").read_text()
    assert "self.started = datetime.utcnow()   # spacing kept  # bplint: ignore[BP406]" in jobs
    after = run(".")
    assert "more.py:" not in after.stdout and "jobs.py:" not in after.stdout
    before = {p: p.read_text() for p in (project / "app").iterdir()}
    run("--add-noqa", ".")
    assert {p: p.read_text() for p in (project / "app").iterdir()} == before


def test_an_edit_of_a_node_whose_source_is_not_what_libcst_renders_is_no_fix():
    """A multi-line node in an indented block: its continuation lines carry the block's indentation,
    which the node rendered alone lacks; replacing it from the rendering would move text."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from bplint.discover.files import split_lines
    from bplint.report.findings import Applicability
    from bplint.report.fixes import NodeFix, replace, resolve

    source = "def f():\n    x = (1 +\n         2)\n    y = (3)\n"
    module = cst.parse_module(source)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    body = module.body[0].body.body
    multi, single = body[0].body[0].value, body[1].body[0].value
    fix = NodeFix(Applicability.SAFE, "m", (replace(module, multi, "3"),))
    assert resolve(fix, module, split_lines(source), positions.get) is None
    fix = NodeFix(Applicability.SAFE, "m", (replace(module, single, "4"),))
    edit = resolve(fix, module, split_lines(source), positions.get).edits[0]
    assert (edit.line, edit.column, edit.end_line, edit.end_column) == (4, 9, 4, 12)  # its parentheses included


def test_a_shown_fix_keeps_its_line_breaks_and_escapes_control_characters():
    from bplint.report.findings import printable_code

    assert printable_code("a\r\nb\x1b[31m\nc") == "a\r\nb\\x1b[31m\nc"


def test_add_noqa_marks_a_project_level_finding_on_a_docstring_line_for_the_whole_file():
    from bplint.report.findings import Finding
    from bplint.report.noqa import mark_lines

    text = '#!/usr/bin/env python\n"""The\napp."""\nx = 1\n'
    finding = Finding("BP704", "n", Severity.INFO, "c", "m", "a.py", 2, 1, 2, 1, project_level=True)
    new, added, left = mark_lines(text, [finding], True, "a.py")
    assert new == '#!/usr/bin/env python\n# bplint: ignore-file[BP704]\n"""The\napp."""\nx = 1\n'
    assert added == 1 and not left
    on_line = Finding("BP101", "n", Severity.INFO, "c", "m", "a.py", 2, 1, 2, 1)
    # a finding on a line inside a string: the comment goes on the statement's last line
    assert mark_lines(text, [on_line], True, "a.py") == (
        '#!/usr/bin/env python\n"""The\napp."""  # bplint: ignore[BP101]\nx = 1\n', 1, [])


def test_add_noqa_marks_a_pyproject_line_and_leaves_its_multi_line_strings_alone(tmp_path):
    from bplint.report.findings import Finding
    from bplint.report.noqa import add_noqa

    text = ('[project]\nname = "shop"\ndependencies = [\n  "dnspython==2.*",\n  "dnspython==2.8.*",\n]\n'
            'description = """\nA shop\n"""\n')
    (tmp_path / "pyproject.toml").write_text(text)

    def finding(line):
        return Finding("BP204", "n", Severity.INFO, "c", "m", "pyproject.toml", line, 1, line, 1)

    outcome = add_noqa([finding(5)], [], tmp_path, tmp_path)
    assert outcome.added == 1 and outcome.left == 0
    marked = (tmp_path / "pyproject.toml").read_text()
    assert '  "dnspython==2.8.*",  # bplint: ignore[BP204]\n' in marked
    outcome = add_noqa([finding(8)], [], tmp_path, tmp_path)  # inside the description: the data would change
    assert outcome.left == 1 and "baseline" in outcome.errors[0].message and not outcome.errors[0].internal
    assert (tmp_path / "pyproject.toml").read_text() == marked


def test_a_suppression_comment_is_no_explanation_so_add_noqa_settles(tmp_path, monkeypatch):
    """BP504 is quiet for an `except` clause with a comment that explains it; the comment
    --add-noqa writes explains nothing, so it stays in use and a second run adds no BP002."""
    write_project(tmp_path, {"app.py": "def user(g):\n    try:\n        return g.user\n    except Exception:\n"
                                       "        return None\n"})
    monkeypatch.chdir(tmp_path)
    args = ["check", "--preview", "--no-cache", "--select", "BP504,BP002"]
    assert CliRunner().invoke(cli, [*args, "--add-noqa", "."]).exit_code == 0
    assert "except Exception:  # bplint: ignore[BP504]" in (tmp_path / "app.py").read_text()
    after = CliRunner().invoke(cli, [*args, "."])
    assert after.exit_code == 0, after.output
    assert "added 0 suppressions" in CliRunner().invoke(cli, [*args, "--add-noqa", "."]).stderr
