"""The requirement-file reader: the format's rules, one at a time."""

from pathlib import Path

import pytest

from bplint.project.requirements import (
    RequirementGraph,
    decode_requirement_bytes,
    exact_version,
    interpret_requirement,
    mask_credentials,
    parse_requirements_text,
    read_requirement_file,
    vcs_ref_is_commit,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def parse(text: str, name: str = "requirements.txt", folder: Path = Path("/project")):
    return parse_requirements_text(text, folder / name)


def test_comments_blank_lines_and_inline_comments():
    result = parse("# header\n\nflask==3.0.3  # the web framework\n   # indented comment\n")
    assert [(r.line, r.name, r.specifier) for r in result.requirements] == [(3, "flask", "==3.0.3")]
    assert result.problems == []


def test_hash_sign_without_whitespace_is_not_a_comment():
    result = parse(f"git+https://github.com/org/lib@{SHA}#egg=lib\n")
    requirement = result.requirements[0]
    assert requirement.kind == "vcs" and requirement.name == "lib" and requirement.immutable


def test_continuations_keep_the_first_line_and_collect_hashes():
    text = ("# compiled\n"
            "flask==3.0.3 \\\n"
            "    --hash=sha256:aaa \\\n"
            "    --hash=sha256:bbb\n"
            "    # via -r requirements.in\n"
            "jinja2==3.1.4 \\\n"
            "    --hash=sha256:ccc\n"
            "    # via\n"
            "    #   flask\n")
    result = parse(text)
    flask, jinja = result.requirements
    assert (flask.line, flask.end_line, flask.hashes) == (2, 4, ("sha256:aaa", "sha256:bbb"))
    assert flask.via == ("-r requirements.in",)
    assert (jinja.line, jinja.via) == (6, ("flask",))
    assert result.problems == []


def test_a_comment_ending_in_backslash_does_not_continue():
    result = parse("# note \\\nflask==3.0.3\n")
    assert [r.line for r in result.requirements] == [2]


def test_windows_line_endings():
    result = parse("flask==3.0.3\r\n-r base.txt\r\nrequests>=2\r\n")
    assert [(r.line, r.name) for r in result.requirements] == [(1, "flask"), (3, "requests")]
    assert result.includes[0].target == "base.txt"


def test_global_options_in_all_spellings():
    result = parse("-i https://a/simple\n--index-url=https://b/simple\n--extra-index-url https://c/simple\n"
                   "-f ./wheels\n--find-links=http://d/\n--trusted-host e.example\n--pre\n--no-index\n"
                   "--only-binary :all:\n--require-hashes\n")
    assert [(o.line, o.option, o.value) for o in result.options] == [
        (1, "--index-url", "https://a/simple"), (2, "--index-url", "https://b/simple"),
        (3, "--extra-index-url", "https://c/simple"), (4, "--find-links", "./wheels"),
        (5, "--find-links", "http://d/"), (6, "--trusted-host", "e.example"), (7, "--pre", None),
        (8, "--no-index", None), (9, "--only-binary", ":all:"), (10, "--require-hashes", None)]
    assert result.problems == []


def test_options_do_not_leak_from_one_line_to_the_next():
    result = parse("--extra-index-url https://a/simple\n--trusted-host b\n")
    assert [o.option for o in result.options] == ["--extra-index-url", "--trusted-host"]


def test_includes_are_relative_to_the_including_file():
    result = parse("-r base.txt\n--requirement=../common.txt\n-c constraints.txt\n", "requirements/dev.txt")
    assert [(i.line, i.constraint, i.path) for i in result.includes] == [
        (1, False, Path("/project/requirements/base.txt")), (2, False, Path("/project/common.txt")),
        (3, True, Path("/project/requirements/constraints.txt"))]


def test_remote_includes_are_not_followed():
    result = parse("-r https://example.com/requirements.txt\n")
    assert result.includes[0].path is None


def test_editables_and_local_paths():
    result = parse("-e .\n-e src/pkg\n--editable=./lib\n./vendor/pkg\n../shared\npkg-1.0.tar.gz\n"
                   "file:///srv/wheels/app-1.0-py3-none-any.whl\n")
    assert [(r.kind, r.editable) for r in result.requirements] == [
        ("path", True), ("path", True), ("path", True), ("path", False), ("path", False), ("path", False),
        ("path", False)]
    assert all(r.immutable for r in result.requirements)


def test_editable_vcs_url():
    result = parse(f"-e git+https://github.com/org/lib@v1.0#egg=lib\n-e git+https://github.com/org/b@{SHA}#egg=b\n")
    first, second = result.requirements
    assert (first.kind, first.name, first.editable, first.immutable) == ("vcs", "lib", True, False)
    assert second.immutable


def test_pep508_extras_markers_and_direct_references():
    result = parse('Django[argon2,bcrypt]>=4.2,<5.0 ; python_version >= "3.10"\n'
                   "lib @ https://example.com/lib-1.0.tar.gz#sha256=abc\n"
                   "other @ git+https://github.com/org/other@main\n")
    django, lib, other = result.requirements
    assert django.extras == frozenset({"argon2", "bcrypt"})
    assert django.marker == 'python_version >= "3.10"'
    assert not django.immutable
    assert (lib.kind, lib.name, lib.immutable) == ("url", "lib", True)
    assert (other.kind, other.name, other.immutable) == ("vcs", "other", False)


def test_url_requirement_with_marker_needs_space_before_semicolon():
    result = parse(f"git+https://github.com/org/lib@{SHA}#egg=lib ; sys_platform == 'linux'\n")
    assert result.requirements[0].marker == "sys_platform == 'linux'"


def test_per_line_hash_makes_an_archive_url_immutable():
    result = parse("https://example.com/lib-1.0.tar.gz --hash=sha256:abc\n")
    assert result.requirements[0].immutable


@pytest.mark.parametrize("specifier, pinned", [
    ("==3.0.3", "3.0.3"), ("===1.0-custom", "1.0-custom"), (">=3", None), ("~=3.0", None), ("==3.*", None),
    ("<4,>=3", None), ("!=3.0.1", None), (">=3,==3.0.3", "3.0.3"), ("", None),
])
def test_exact_version(specifier, pinned):
    assert exact_version(specifier) == pinned


@pytest.mark.parametrize("url, commit", [
    (f"git+https://github.com/org/lib@{SHA}#egg=lib", True),
    (f"git+ssh://git@github.com/org/lib.git@{SHA}", True),
    ("git+https://github.com/org/lib@main#egg=lib", False),
    ("git+https://github.com/org/lib@0123abc#egg=lib", False),  # short hashes can be branch names
    ("git+ssh://git@github.com/org/lib.git", False),
    ("svn+https://svn.example.com/repo/trunk@1234#egg=x", True),
])
def test_vcs_refs(url, commit):
    assert vcs_ref_is_commit(url) is commit


def test_invalid_requirements_are_problems_with_reasons_and_columns():
    result = parse("flask=1.0\nrequests>=2.0[security]\nfoo bar\nok==1.0\n")
    assert [p.line for p in result.problems] == [1, 2, 3]
    assert "did you mean `==`" in result.problems[0].message
    assert result.problems[0].column == 6
    assert [r.name for r in result.requirements] == ["ok"]


def test_unknown_option_and_weak_hash_are_problems():
    result = parse("flask==3.0.3 --frobnicate\nflask==3.0.3 --hash=md5:abc\n--install-option=--x\n")
    assert [p.line for p in result.problems] == [1, 2, 3]
    assert "no such option" in result.problems[0].message
    assert "sha256" in result.problems[1].message


def test_unbalanced_quotes_in_options_are_a_problem():
    result = parse("flask==3.0.3 --global-option='oops\n")
    assert result.problems and "cannot split" in result.problems[0].message


def test_option_without_value_is_a_problem():
    result = parse("-r\n")
    assert result.problems and "requires" in result.problems[0].message


def test_invalid_marker_is_a_problem():
    result = parse("flask==3.0.3; python_version >> '3'\n")
    assert result.problems and "marker" in result.problems[0].message


def test_interpret_requirement_directly():
    requirement, problem = interpret_requirement("Flask_SQLAlchemy[async]==3.1.1", 7)
    assert problem is None and requirement.key == "flask-sqlalchemy" and requirement.line == 7


def test_decoding_bom_and_garbage():
    text, problem = decode_requirement_bytes(b"\xef\xbb\xbfflask==3.0.3\n")
    assert text == "flask==3.0.3\n" and problem is None
    text, problem = decode_requirement_bytes("flask==3.0.3\n".encode("utf-16"))
    assert text == "flask==3.0.3\n"
    text, problem = decode_requirement_bytes(b"flask==3.0.3\n\xff\xfe\x00garbage\n")
    assert text is None and problem.line == 2 and "UTF-8" in problem.message


def test_problem_count_is_capped(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("not a requirement !!\n" * 500)
    result = read_requirement_file(path)
    assert len(result.problems) == 100 and result.suppressed_problems == 400


def test_a_large_file_reads_quickly(tmp_path):
    import time

    path = tmp_path / "requirements.txt"
    path.write_text("".join(f"package-{i}=={i}.0 \\\n    --hash=sha256:{i:064x}\n" for i in range(100_000)))
    start = time.perf_counter()
    result = read_requirement_file(path)
    assert len(result.requirements) == 100_000 and not result.problems
    assert time.perf_counter() - start < 30


def test_mask_credentials():
    assert mask_credentials("https://user:s3cret@pypi.example.com/simple") == "https://***@pypi.example.com/simple"
    assert mask_credentials("https://__token__@pypi.example.com/simple") == "https://***@pypi.example.com/simple"
    assert mask_credentials("https://pypi.org/simple") == "https://pypi.org/simple"


def test_graph_follows_includes_once_and_reports_cycles_and_missing_files(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r base.txt\n-c constraints.txt\nflask\n")
    (tmp_path / "base.txt").write_text("-r requirements.txt\n-r missing.txt\nsqlalchemy\n")
    (tmp_path / "constraints.txt").write_text("flask==3.0.3\n")
    graph = RequirementGraph()
    walk = graph.walk(tmp_path / "requirements.txt")
    assert [(w.file.path.name, w.constraint, w.depth) for w in walk] == [
        ("requirements.txt", False, 0), ("base.txt", False, 1), ("constraints.txt", True, 1)]
    messages = sorted((p.file.name, p.line, p.message) for p in graph.include_problems.values())
    assert messages[0][:2] == ("base.txt", 1) and "cycle" in messages[0][2]
    assert messages[1][:2] == ("base.txt", 2) and "does not exist" in messages[1][2]
    # the same cycle met from another starting point is not reported twice
    graph.walk(tmp_path / "base.txt")
    assert len([p for p in graph.include_problems.values() if "cycle" in p.message]) == 1
    # each file is read once
    assert graph.read(tmp_path / "base.txt") is walk[1].file


def test_url_schemes_the_installer_rejects():
    result = parse("git://github.com/org/lib.git#egg=lib\nnovcs+http://example.com#egg=a\n"
                   "-e git://github.com/org/lib.git#egg=lib\n-e SomeProject@git+https://h/p.git\n"
                   "SomeProject@git+https://h/p.git\n")
    assert [p.line for p in result.problems] == [1, 2, 4]
    assert [(r.line, r.kind, r.name) for r in result.requirements] == [(3, "vcs", "lib"), (5, "vcs", "SomeProject")]


def test_a_diamond_include_is_read_once(tmp_path):
    (tmp_path / "requirements.txt").write_text("-r a.txt\n-r b.txt\n")
    (tmp_path / "a.txt").write_text("-r common.txt\n")
    (tmp_path / "b.txt").write_text("-r common.txt\n")
    (tmp_path / "common.txt").write_text("flask==3.0.3\n")
    graph = RequirementGraph()
    names = [w.file.path.name for w in graph.walk(tmp_path / "requirements.txt")]
    assert names == ["requirements.txt", "a.txt", "common.txt", "b.txt"]
    assert graph.include_problems == {}


@pytest.mark.parametrize("header, inputs", [
    ("#\n# This file is autogenerated by pip-compile with Python 3.12\n# by the following command:\n#\n"
     "#    pip-compile --generate-hashes --output-file=requirements.txt requirements.in\n#\n",
     ("requirements.in",)),
    ("#    pip-compile -o requirements/prod.txt requirements/base.txt requirements/prod.in\n",
     ("requirements/base.txt", "requirements/prod.in")),
    ("# This file was autogenerated by uv via the following command:\n"
     "#    uv pip compile pyproject.toml -c constraints.txt -o requirements.txt\n",
     ("pyproject.toml", "constraints.txt")),
    ("#    pip-compile --upgrade-package django --python-version 3.12 base.in\n", ("base.in",)),
    ("#    pip-compile\n", ()),
    ("#    pip-compile 'unbalanced\n", ()),
    ("# pinned by hand\nflask==3.0.3\n#    pip-compile base.in\n", ()),  # not in the header
    ("", ()),
])
def test_the_inputs_a_compiled_file_names(header, inputs):
    parsed = parse_requirements_text(header + "flask==3.0.3\n", Path("requirements.txt"))
    assert parsed.compiled_from == inputs
