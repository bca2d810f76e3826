"""The None-check flow facility behind BP501, and BP5 project-level behaviour."""

import textwrap

import libcst as cst
import pytest

from bplint.config import build_config
from bplint.project import flow
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def _use(source, name="user", kinds=flow.ALL_USES):
    module = cst.parse_module(textwrap.dedent(source))
    function = module.body[0]
    binding = next(s for s in _walk(function.body) if isinstance(s, cst.SimpleStatementLine)
                   and isinstance(s.body[0], cst.Assign))
    use = flow.first_unchecked_use(function, binding.body[0], name, kinds)
    return None if use is None else module.code_for_node(use)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


@pytest.mark.parametrize("source, expected", [
    ("def f():\n    user = q()\n    return user.name\n", "user.name"),
    ("def f():\n    user = q()\n    log('x')\n    if a:\n        user.x = 1\n", "user.x"),
    ("def f():\n    user = q()\n    if user.owner_id != me:\n        abort(403)\n", "user.owner_id"),
    ("def f():\n    user = q()\n    return UserSchema().dump(user)\n", "user"),
    ("def f():\n    user = q()\n    return row[user]\n", None),
    ("def f():\n    user = q()\n    if not user:\n        abort(404)\n    return user.name\n", None),
    ("def f():\n    user = q()\n    if user is None: return None\n    return user.name\n", None),
    ("def f():\n    user = q()\n    assert user\n    return user.name\n", None),
    ("def f():\n    user = q()\n    return user and user.name\n", None),
    ("def f():\n    user = q()\n    ensure_found(user)\n    return user.name\n", None),
    ("def f():\n    user = q()\n    user = other()\n    return user.name\n", None),
    ("def f():\n    user = q()\n    try:\n        return user.name\n    except AttributeError:\n        abort(404)\n", None),
    ("def f():\n    user = q()\n    return render(user=user)\n", None),
    ("def f():\n    if a:\n        user = q()\n    return user.name\n", None),
])
def test_first_unchecked_use(source, expected):
    assert _use(source) == expected


def test_a_with_block_is_left_to_continue_after_it():
    source = "def f():\n    with s:\n        user = q()\n    return user.name\n"
    module = cst.parse_module(source)
    function = module.body[0]
    binding = function.body.body[0].body.body[0].body[0]
    assert module.code_for_node(flow.first_unchecked_use(function, binding, "user")) == "user.name"


def test_only_subscripts_when_asked():
    assert _use("def f():\n    data = q()\n    return data['a']\n", "data", frozenset({"subscript"})) == "data['a']"
    assert _use("def f():\n    data = q()\n    x = data.get('a')\n    return data['b']\n", "data",
                frozenset({"subscript"})) is None


def test_fastapi_answers_its_own_errors(tmp_path):
    """FastAPI's default handlers answer HTTP errors as JSON and log an unexpected one."""
    write_project(tmp_path, {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n\n"
                                        "@app.get('/')\ndef index():\n    return {}\n"})
    config = build_config({"select": ["BP503"]}, all_rules(), root=tmp_path)
    assert scan([tmp_path], config, cwd=tmp_path).findings == []


def test_handler_rules_leave_test_apps_alone(tmp_path):
    write_project(tmp_path, {"tests/test_api.py": "from flask import Flask, request\napp = Flask(__name__)\n\n"
                                                  "@app.post('/x')\ndef x():\n    return request.json['a']\n"})
    config = build_config({"select": ["BP5"]}, all_rules(), root=tmp_path)
    assert scan([tmp_path], config, cwd=tmp_path).findings == []
