"""The project's Python (`target-version`, requires-python): syntax newer than the running
interpreter's is still checked, and BP001 means invalid for the project's own Python."""

import ast
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import ConfigError, build_config
from bplint.discover import newer_syntax
from bplint.discover.pyversion import PythonTarget, lowest_allowed
from bplint.project.index import SyntaxKind
from bplint.scan import engine
from bplint.scan.registry import all_rules
from bplint.testing import write_project

RUNNING = sys.version_info[:2]

# construct -> (the Python that first accepts it, the code)
CONSTRUCTS = {
    "fstring-nested-quotes": ((3, 12), 'label = f"{user["name"]} <{user["email"]}>"\n'),
    "fstring-backslash": ((3, 12), 'label = f"{"\\n".join(names)}"\n'),
    "fstring-comment": ((3, 12), 'label = f"""{name  # the display name\n}"""\n'),
    "fstring-nested-deep": ((3, 12), 'label = f"{f"{f"{name}"}"}"\n'),
    "fstring-debug-newline": ((3, 12), 'label = f"{user["name"]=\n}"\n'),
    "type-parameters": ((3, 12), "def first[T](items: list[T]) -> T:\n    return items[0]\n\n"
                                 "class Box[T: (int, str), *Ts, **P]:\n    pass\n"),
    "type-parameters-multiline": ((3, 12), "def first[\n    T,  # the item\n](items: list[T]) -> T:\n"
                                           "    return items[0]\n"),
    "type-alias": ((3, 12), "type Claims[T] = dict[str, T]\n"),
    "type-parameter-default": ((3, 13), "class Page[T = int]:\n    pass\n"),
    "except-without-parentheses": ((3, 14), "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"),
    "template-string": ((3, 14), 'query = t"SELECT * FROM users WHERE name = {name}"\n'),
}

FINDINGS = '''
import jwt

API_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})
'''


def _source(code: str) -> str:
    # the construct first, so that the findings after it sit on lines it may have moved
    return code + FINDINGS


def _requires(version: tuple[int, int]) -> str:
    return f'[project]\nname = "app"\nrequires-python = ">={version[0]}.{version[1]}"\n'


def _scan(root, table=None):
    config = build_config({"select": ["BP001", "BP101", "BP304"], **(table or {})}, all_rules(), root=root)
    return engine.scan([root], config, cwd=root)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_syntax_of_the_project_s_python_is_checked(tmp_path, construct):
    version, code = CONSTRUCTS[construct]
    source = _source(code)
    write_project(tmp_path, {"pyproject.toml": _requires(max(version, (3, 12))), "app.py": source})
    result = _scan(tmp_path)
    assert not result.errors, result.errors
    found = {(f.code, f.line) for f in result.findings}
    assert found == {("BP101", _line_of(source, "API_TOKEN =")), ("BP304", _line_of(source, "jwt.decode("))}


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_the_same_file_for_python_3_10_is_a_syntax_error_naming_3_10(tmp_path, construct):
    version, code = CONSTRUCTS[construct]
    if RUNNING >= version:
        pytest.skip("this Python reads the construct itself (flagging it for 3.10 is out of scope)")
    write_project(tmp_path, {"pyproject.toml": _requires((3, 10)), "app.py": _source(code)})
    result = _scan(tmp_path)
    bp001 = [f for f in result.findings if f.code == "BP001"]
    assert len(bp001) == 1 and "(parsed as Python 3.10, from requires-python)" in bp001[0].message
    assert {f.code for f in result.findings} == {"BP001"}  # no other rule reads a file that does not parse


@pytest.mark.parametrize("construct", ["type-parameter-default", "except-without-parentheses", "template-string"])
def test_a_construct_newer_than_the_target_is_a_syntax_error(tmp_path, construct):
    version, code = CONSTRUCTS[construct]
    if RUNNING >= version:
        pytest.skip("this Python reads the construct itself")
    write_project(tmp_path, {"pyproject.toml": _requires((3, 12)), "app.py": _source(code)})
    bp001 = [f for f in _scan(tmp_path).findings if f.code == "BP001"]
    assert len(bp001) == 1
    assert f"needs Python 3.{version[1]}" in bp001[0].message or f"need Python 3.{version[1]}" in bp001[0].message
    assert "(parsed as Python 3.12, from requires-python)" in bp001[0].message
    assert bp001[0].line == (3 if construct == "except-without-parentheses" else 1)


def test_findings_inside_the_newer_constructs_point_at_the_original_code(tmp_path):
    source = ("import jwt\n\n\nclass Verifier[T = str]:\n    def claims[U](self, token: U) -> dict:\n"
              "        try:\n            return {}\n        except ValueError, TypeError:\n"
              '            label = f"{token["kid"]}"\n'
              '            return jwt.decode(token, options={"verify_signature": False})\n')
    write_project(tmp_path, {"pyproject.toml": _requires((3, 14)), "app.py": source})
    [finding] = _scan(tmp_path).findings
    assert (finding.code, finding.line, finding.column) == ("BP304", 10, 20)


def test_target_version_overrides_requires_python(tmp_path):
    version, code = CONSTRUCTS["type-alias"]
    write_project(tmp_path, {"pyproject.toml": _requires((3, 10)), "app.py": _source(code)})
    result = _scan(tmp_path, {"target-version": "py312"})
    assert {f.code for f in result.findings} == {"BP101", "BP304"}
    if RUNNING < version:
        result = _scan(tmp_path, {"target-version": "py311"})
        assert [f.message.endswith("(parsed as Python 3.11, from target-version).") for f in result.findings] == [True]


def test_setup_cfg_python_requires(tmp_path):
    write_project(tmp_path, {"setup.cfg": "[options]\npython_requires = >=3.13\n", "app.py": "x = 1\n"})
    assert build_config({}, all_rules(), root=tmp_path).target == PythonTarget((3, 13), "python_requires")


def test_without_a_declared_python_the_running_one_is_the_target(tmp_path):
    write_project(tmp_path, {"pyproject.toml": '[project]\nname = "app"\n', "app.py": "def f(:\n    pass\n"})
    config = build_config({}, all_rules(), root=tmp_path)
    assert config.target.version == RUNNING and not config.target.declared
    [finding] = _scan(tmp_path).findings
    assert "parsed as" not in finding.message  # the same message on every Python


@pytest.mark.parametrize("spec, lowest", [
    (">=3.12", (3, 12)), (">=3.11.4,<4", (3, 11)), ("~=3.13", (3, 13)), (">3.11", (3, 11)),
    ("==3.12.*", (3, 12)), (">= 3.10, != 3.11.*", (3, 10)), ("<4", None), ("not a specifier", None),
])
def test_the_lowest_python_requires_python_allows(spec, lowest):
    assert lowest_allowed(spec) == lowest


@pytest.mark.parametrize("value", ["py3", "3.12", "py2", "py399", "python3.12", 312, True])
def test_a_bad_target_version_stops_with_exit_2(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    rendered = f'"{value}"' if isinstance(value, str) else str(value).lower()
    write_project(tmp_path, {"pyproject.toml": f"[tool.bplint]\ntarget-version = {rendered}\n", "app.py": "x = 1\n"})
    result = CliRunner().invoke(cli, ["check", "--no-cache"])
    assert result.exit_code == 2
    assert "'target-version' must be one of py37 .. py314" in result.output
    with pytest.raises(ConfigError):
        build_config({"target-version": value}, all_rules(), root=tmp_path)


@pytest.mark.parametrize("declared_in", ["pyproject.toml", "setup.cfg"])
def test_the_cache_follows_a_change_of_the_declared_python(tmp_path, monkeypatch, declared_in):
    version, code = CONSTRUCTS["type-alias"]
    if RUNNING >= version:
        pytest.skip("this Python reads the construct itself")
    monkeypatch.chdir(tmp_path)

    def declare(minor):
        if declared_in == "pyproject.toml":
            (tmp_path / "pyproject.toml").write_text(_requires((3, minor)) + "[tool.bplint]\n")
        else:  # a file the scan itself does not read
            (tmp_path / "pyproject.toml").write_text('[tool.bplint]\nextend-exclude = ["setup.cfg"]\n')
            (tmp_path / "setup.cfg").write_text(f"[options]\npython_requires = >=3.{minor}\n")

    write_project(tmp_path, {"app.py": _source(code)})
    declare(12)
    assert "BP001" not in CliRunner().invoke(cli, ["check", "--format", "json"]).output
    declare(10)
    assert "BP001" in CliRunner().invoke(cli, ["check", "--format", "json"]).output
    declare(12)
    assert "BP001" not in CliRunner().invoke(cli, ["check", "--format", "json"]).output


def test_rules_whose_ast_trigger_misses_the_rewritten_spelling_still_run(tmp_path):
    # `(format(...))` is no f-string to the eager-logging trigger; the rule must run all the same
    write_project(tmp_path, {"pyproject.toml": _requires((3, 12)), "app.py":
                             'import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef greet(users):\n'
                             '    for user in users:\n        logger.debug(f"{user["name"]}")\n'})
    config = build_config({"select": ["BP602"]}, all_rules(), root=tmp_path)
    assert [(f.code, f.line) for f in engine.scan([tmp_path], config, cwd=tmp_path).findings] == [("BP602", 8)]


def test_files_the_running_parser_reads_never_reach_the_fallback(tmp_path, monkeypatch):
    def fail(*args):
        raise AssertionError("the fallback ran")

    monkeypatch.setattr(newer_syntax, "rewrite_for_target", fail)
    write_project(tmp_path, {"pyproject.toml": _requires((3, 14)), "app.py": _source("x = 1\n"),
                             "broken.py": "def f(:\n    pass\n"})
    monkeypatch.setattr(newer_syntax, "rewrite_for_target", fail)
    config = build_config({"select": ["BP101", "BP304"]}, all_rules(), root=tmp_path)
    config.target = PythonTarget(RUNNING, "requires-python")  # not newer: no fallback even for broken.py
    assert {f.code for f in engine.scan([tmp_path], config, cwd=tmp_path).findings} == {"BP101", "BP304"}


def test_many_files_are_indexed_in_worker_processes_for_the_target(tmp_path):
    version, code = CONSTRUCTS["type-parameters"]
    files = {f"app/m{i}.py": _source(code) for i in range(45)}
    write_project(tmp_path, {"pyproject.toml": _requires((3, 12)), **files})
    config = build_config({"select": ["BP001", "BP101"]}, all_rules(), root=tmp_path)
    result = engine.scan([tmp_path], config, cwd=tmp_path, jobs=2)
    assert not result.errors
    assert sorted(f.path for f in result.findings if f.code == "BP101") == sorted(files)


# --- the rewrite itself ----------------------------------------------------------------------

TARGET_314 = PythonTarget((3, 14), "requires-python")


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_the_rewrite_keeps_every_line_in_place(construct):
    _, code = CONSTRUCTS[construct]
    source = "import os\n" + code + 'KEY = os.environ["KEY"]\n'
    outcome = newer_syntax.rewrite_for_target(source, TARGET_314, 30)
    assert isinstance(outcome, newer_syntax.Rewritten), outcome
    ast.parse(outcome.text)
    old, new = source.splitlines(), outcome.text.splitlines()
    assert len(new) == len(old)
    assert new[0] == old[0] and new[-1] == old[-1]  # lines without newer syntax are untouched


@pytest.mark.parametrize("source", [
    'print(f"{a["b"]}"if x else y)\n', 'if x in"ab" f"{a["b"]}": pass\n', 'x = Rf"\\d{a["b"]}\\{{"\n',
    'x = ("a"\n  # c\n  f"{a["b"]}"\n  "z")\n', 'x = f"say \\"{a["b"]}\\""\n', 'x = {f"{a["b"]}": 1}\n',
    'x = f"{a["b"]}".upper()\n', 'x = f"{a["b"]:{"<"}{10}}"\n', 'x = f"{x!r}" f"{a["b"]=}"\n',
    'x = f"""say "{"\\n".join(a)}" """\n', 'x = rf"\\{a["b"]}"\n',
])
def test_rewritten_strings_fit_where_the_string_was(source):
    outcome = newer_syntax.rewrite_for_target(source, TARGET_314, 30)
    ast.parse(outcome.text)
    assert len(outcome.text.splitlines()) == len(source.splitlines())


def test_rewritten_f_strings_keep_their_expressions():
    source = 'import os\nlabel = f"{os.environ["HOME"]!r:>{width}} and {"\\n".join(names)=}"\n'
    outcome = newer_syntax.rewrite_for_target(source, TARGET_314, 30)
    tree = ast.parse(outcome.text)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"os", "width", "names"} <= names
    assert any(isinstance(n, ast.Subscript) and getattr(n.slice, "value", None) == "HOME" for n in ast.walk(tree))


def test_except_as_with_unparenthesized_types_is_an_error():
    outcome = newer_syntax.rewrite_for_target("try:\n    pass\nexcept A, B as e:\n    pass\n", TARGET_314, 30)
    assert outcome.kind is SyntaxKind.SYNTAX and outcome.line == 3


def test_a_file_libcst_rejects_too_is_a_syntax_error_at_its_position():
    outcome = newer_syntax.rewrite_for_target('x = f"{a["b"]}"\n\ny = [1,, 2]\n', TARGET_314, 30)
    assert outcome.kind is SyntaxKind.SYNTAX and outcome.line == 3 and outcome.message == "invalid syntax"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parse runs in this process without fork")
def test_a_crash_or_hang_in_the_parse_costs_that_file_only(tmp_path, monkeypatch):
    monkeypatch.setattr(newer_syntax, "_rewrite", lambda *args: os.kill(os.getpid(), signal.SIGKILL))
    crashed = newer_syntax.rewrite_for_target("x = 1\n", TARGET_314, 30)
    assert crashed.kind is SyntaxKind.UNSUPPORTED and "crashed" in crashed.message
    monkeypatch.setattr(newer_syntax, "_rewrite", lambda *args: time.sleep(60))
    started = time.monotonic()
    hung = newer_syntax.rewrite_for_target("x = 1\n", TARGET_314, 0.5)
    assert time.monotonic() - started < 10
    assert hung.kind is SyntaxKind.UNSUPPORTED and "gave up after 0.5 s" in hung.message
    # in a scan: one clear error line, no BP001, and the other files are checked
    if RUNNING >= (3, 14):
        return
    write_project(tmp_path, {"pyproject.toml": _requires((3, 14)), "new.py": 'x = t"{a}"\n', "old.py": FINDINGS})
    result = _scan(tmp_path, {"file-timeout": 1})
    assert {f.code for f in result.findings} == {"BP101", "BP304"}
    [error] = result.errors
    assert error.path == "new.py" and error.message.startswith("not checked: bplint runs on Python")
    assert "gave up after 1 s (file-timeout)" in error.message
    assert "run bplint on Python 3.14 or newer" in error.message


def test_hostile_nesting_after_newer_syntax_neither_crashes_nor_hangs(tmp_path):
    # CPython stops at the f-string and never sees the nesting that crashes libcst's parser
    write_project(tmp_path, {"pyproject.toml": _requires((3, 14)) + "[tool.bplint]\nfile-timeout = 3\n",
                             "old.py": FINDINGS,
                             "deep.py": 'x = f"{a["b"]}"\n' + "y = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
                             "long.py": 'x = t"{a}"\n' + "y = " + " + ".join(["a"] * 100_000) + "\n"})
    done = subprocess.run([sys.executable, "-m", "bplint", "check", "--preview", "--no-cache", "--format", "json", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr
    data = json.loads(done.stdout)
    assert {f["code"] for f in data["findings"] if f["path"] == "old.py"} >= {"BP101", "BP304"}
    reported = {f["path"] for f in data["findings"] if f["code"] == "BP001"} | {e["path"] for e in data["errors"]}
    if RUNNING < (3, 12):
        assert "deep.py" in reported
    if RUNNING < (3, 14):
        assert "long.py" in reported


def test_an_ordinary_syntax_error_keeps_the_python_parser_s_message(tmp_path):
    write_project(tmp_path, {"pyproject.toml": _requires((3, 14)), "app.py": "x = 1\ny = f(a b)\n"})
    [finding] = _scan(tmp_path).findings
    assert finding.line == 2 and "Perhaps you forgot a comma?" in finding.message
    assert "(parsed as Python 3.14, from requires-python)" in finding.message


def test_except_star_is_rewritten_for_a_python_3_10_interpreter(monkeypatch):
    monkeypatch.setattr(newer_syntax, "RUNNING", (3, 10))
    source = "try:\n    pass\nexcept* ValueError as group:\n    log(group)\nexcept *(A, B):\n    pass\n"
    outcome = newer_syntax.rewrite_for_target(source, PythonTarget((3, 11), "requires-python"), 30)
    assert outcome.text == "try:\n    pass\nexcept ValueError as group:\n    log(group)\nexcept (A, B):\n    pass\n"
    too_new = newer_syntax.rewrite_for_target(source, PythonTarget((3, 10), "requires-python"), 30)
    assert too_new.line == 1 and "`except*` needs Python 3.11" in too_new.message


def test_a_template_named_like_python_is_no_syntax_error(tmp_path):
    """The code a generator renders, kept as a Jinja template with a `.py` name: its syntax error is a
    template tag or a placeholder (`{{cookiecutter.name}}`), so it is no BP001 but one clear line; a real
    syntax error next to a tag still is."""
    write_project(tmp_path, {
        "gen/templates/loader.py": '{% extends "base.jinja" %}\n{% block imports %}\nimport io\n{% endblock %}\n',
        "gen/broken.py": "# {% not a tag on the error line %}\ndef f(:\n    pass\n",
        "scaffold/{{cookiecutter.name}}/driver.py": "from app.sources.{{cookiecutter.name}} import "
                                                    "{{cookiecutter.name|upper}}_SOURCE\n",
        "gen/sets.py": "x = {{1}}\ndef g(:\n    pass\n",
    })
    result = _scan(tmp_path)
    assert sorted((f.path, f.code) for f in result.findings) == [("gen/broken.py", "BP001"), ("gen/sets.py", "BP001")]
    assert any(e.path == "gen/templates/loader.py" and "a template" in e.message for e in result.errors)
    assert any(e.path == "scaffold/{{cookiecutter.name}}/driver.py" and "a template" in e.message
               for e in result.errors)


@pytest.mark.parametrize("declaration", [
    {"setup.py": "from setuptools import setup\n\nsetup(name='legacy', classifiers=[\n"
                 "    'Programming Language :: Python :: 2 :: Only',\n])\n"},
    {"pyproject.toml": "[project]\nname = 'legacy'\nrequires-python = '==2.7.*'\n"},
    {"PKG-INFO": "Metadata-Version: 1.1\nName: legacy\nClassifier: Programming Language :: Python :: 2 :: Only\n"},
    {"setup.cfg": "[options]\npython_requires = >=2.6, <3\n"},
])
def test_a_python_2_project_has_no_syntax_errors_for_python_3(tmp_path, declaration):
    """A project that says it is for Python 2 only: its Python 2 files are named as not checked, not BP001."""
    write_project(tmp_path, {**declaration, "legacy/store.py": "def store(path):\n    print \"storing\", path\n"})
    result = _scan(tmp_path)
    assert [f.code for f in result.findings] == []
    assert any(e.path == "legacy/store.py" and "Python 2 code" in e.message for e in result.errors)


def test_a_project_that_also_runs_on_python_3_keeps_its_syntax_errors(tmp_path):
    write_project(tmp_path, {"setup.cfg": "[options]\npython_requires = >=2.7\n",
                             "legacy/store.py": "def store(path):\n    print \"storing\", path\n"})
    assert [f.code for f in _scan(tmp_path).findings] == ["BP001"]
