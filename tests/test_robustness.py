"""Hostile input: every file either becomes a finding or a clear error line, and the scan goes on."""

import json
import os
import subprocess
import sys

import pytest

from bplint.scan import engine

EXPECTED_BP001 = {"syntax_error.py", "invalid_utf8.py", "nul_bytes.py", "nested_2000.py", "terms_100k.py",
                  "python2.py"}
CLEAN = {"latin1_cookie.py", "empty.py", "bom_crlf.py", "cr_only.py", "long_line.py", "nested_150.py",
         "nested_calls.py", "many_ifs.py"}


def make_hostile_folder(root):
    files = {
        "syntax_error.py": b"def f(:\n    pass\n",
        "python2.py": b"print 'hello'\n",
        "invalid_utf8.py": b"x = '\xff\xfe'\n",
        "latin1_cookie.py": b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n",
        "nul_bytes.py": b"x = 1\x00\n",
        "empty.py": b"",
        "bom_crlf.py": b"\xef\xbb\xbfimport os\r\nx = os.getenv('A')\r\n",
        "cr_only.py": b"import os\rx = 1\ry = 'abc'\r",
        "long_line.py": b'DATA = "' + b"a" * 2_000_000 + b'"\n',
        # libcst's native parser crashes the process on this; CPython rejects it first
        "nested_2000.py": b"x = " + b"(" * 2000 + b"1" + b")" * 2000 + b"\n",
        # libcst's parser runs for minutes on this; CPython rejects it first
        "terms_100k.py": b"x = " + b" + ".join([b"a"] * 100_000) + b"\n",
        # valid Python whose libcst visit recurses deeper than the default limit
        "nested_150.py": b"x = " + b"[" * 150 + b"1" + b"]" * 150 + b"\n",
        "nested_calls.py": b"x = " + b"f(" * 190 + b"1" + b")" * 190 + b"\n",
        "many_ifs.py": b"".join(b"    " * i + b"if x:\n" for i in range(99)) + b"    " * 99 + b"pass\n",
        "config.json": b"\x00\x01\x02\xff binary",
        "requirements.txt": b"\xff\xfe garbage \x00\n",
        ".env": b"\xff\xfeKEY=\x00\n",
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    os.symlink(root / "missing-target.py", root / "dangling.py")


def test_hostile_folder_survives_in_a_separate_process(tmp_path):
    # A separate process, so that a native crash would fail this test instead of the suite.
    make_hostile_folder(tmp_path)
    done = subprocess.run([sys.executable, "-m", "bplint", "check", "--format", "json", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    bp001 = {f["path"] for f in data["findings"] if f["code"] == "BP001"}
    assert bp001 == EXPECTED_BP001
    assert not [e for e in data["errors"] if e["rule"]], data["errors"]  # no rule crashed
    errors = {e["path"]: e["message"] for e in data["errors"]}
    assert "dangling.py" in errors
    assert "dangling.py" in done.stderr


def test_bp001_positions_and_messages(tmp_path):
    make_hostile_folder(tmp_path)
    from bplint.config import build_config
    from bplint.scan.registry import all_rules

    config = build_config({"select": ["BP001"]}, all_rules(), root=tmp_path)
    result = engine.scan([tmp_path], config, cwd=tmp_path)
    by_path = {f.path: f for f in result.findings}
    assert by_path["syntax_error.py"].line == 1
    assert "utf-8" in by_path["invalid_utf8.py"].message.lower()
    assert "NUL" in by_path["nul_bytes.py"].message
    assert "nested" in by_path["nested_2000.py"].message
    assert set(by_path) == EXPECTED_BP001


def test_files_beyond_the_node_budget_are_skipped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_NODES", 50)
    (tmp_path / "big.py").write_text("x = [" + "1, " * 100 + "]\n")
    from bplint.config import build_config
    from bplint.rule import PythonRule
    from bplint.scan.registry import all_rules

    class Everywhere(PythonRule):
        code, name, category = "BP990", "test-everywhere", "test"
        from bplint.report.findings import Severity as _S
        severity = _S.INFO

        def visit_Integer(self, node):
            self.report(node, "integer")

    config = build_config({"select": ["BP990"]}, (*all_rules(), Everywhere), root=tmp_path)
    result = engine.scan([tmp_path], config, cwd=tmp_path)
    assert not result.findings
    assert any("syntax nodes" in e.message for e in result.errors)


def test_a_crashing_rule_does_not_stop_the_others(tmp_path):
    from bplint.config import build_config
    from bplint.report.findings import Severity
    from bplint.rule import PythonRule
    from bplint.scan.registry import all_rules

    class Crashes(PythonRule):
        code, name, category, severity = "BP991", "test-crash", "test", Severity.INFO

        def visit_Name(self, node):
            raise ValueError("boom")

    class Works(PythonRule):
        code, name, category, severity = "BP992", "test-works", "test", Severity.INFO

        def visit_Integer(self, node):
            self.report(node, "integer")

    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    config = build_config({"select": ["BP991", "BP992"]}, (*all_rules(), Crashes, Works), root=tmp_path)
    result = engine.scan([tmp_path], config, cwd=tmp_path)
    assert [f.path for f in result.findings if f.code == "BP992"] == ["a.py", "b.py"]
    crashes = [e for e in result.errors if e.internal]
    assert {e.path for e in crashes} == {"a.py", "b.py"}
    assert all(e.rule == "BP991" and "boom" in e.message for e in crashes)


def test_file_timeout_gives_up_on_one_file_only(tmp_path):
    import time

    from bplint.config import build_config
    from bplint.report.findings import Severity
    from bplint.rule import PythonRule
    from bplint.scan.registry import all_rules

    class Slow(PythonRule):
        code, name, category, severity = "BP993", "test-slow", "test", Severity.INFO

        def visit_Name(self, node):
            if self.ctx.relpath == "slow.py":
                time.sleep(0.001)

        def visit_Integer(self, node):
            self.report(node, "integer")

    (tmp_path / "slow.py").write_text("\n".join(f"a{i} = b{i}" for i in range(3000)) + "\n")
    (tmp_path / "fast.py").write_text("x = 1\n")
    config = build_config({"file-timeout": 0.2, "select": ["BP993"]}, (*all_rules(), Slow), root=tmp_path)
    result = engine.scan([tmp_path], config, cwd=tmp_path)
    assert any(e.path == "slow.py" and "gave up" in e.message for e in result.errors)
    assert [f.path for f in result.findings] == ["fast.py"]
