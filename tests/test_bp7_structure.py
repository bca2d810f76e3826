"""BP7 details beyond the rule examples: what counts as application code, tests and helpers."""

from bplint.config import build_config
from bplint.engine import scan
from bplint.registry import all_rules
from bplint.testing import write_project


def _found(tmp_path, files, select):
    write_project(tmp_path, files)
    config = build_config({"select": select}, all_rules(), root=tmp_path)
    return sorted((f.path, f.line, f.code) for f in scan([tmp_path], config, cwd=tmp_path).findings)


def test_plain_scripts_are_not_an_application(tmp_path):
    assert _found(tmp_path, {"tool.py": "x = 1\n", "requirements.txt": "click\n"}, ["BP701", "BP704"]) == []


def test_a_web_app_without_tests_or_readme(tmp_path):
    assert _found(tmp_path, {"app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                             "requirements.txt": "fastapi\n"}, ["BP701", "BP704"]) == [
        ("app/main.py", 1, "BP701"), ("app/main.py", 1, "BP704")]


def test_helpers_of_the_module_that_assert_count(tmp_path):
    assert _found(tmp_path, {"tests/test_x.py": (
        "from unittest import TestCase\n\n"
        "class T(TestCase):\n"
        "    def _compare(self, a):\n        self.assertEqual(a, 1)\n\n"
        "    def _run(self, a):\n        self._compare(a)\n\n"
        "    def test_a(self):\n        self._run(1)\n\n"
        "    def test_b(self):\n        run(1)\n")}, ["BP702"]) == [("tests/test_x.py", 13, "BP702")]
