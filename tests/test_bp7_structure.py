"""BP7 details beyond the rule examples: what counts as application code, tests and helpers."""

import textwrap

from bplint.config import build_config
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
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
        "    def test_b(self):\n        result = run(1)\n")}, ["BP702"]) == [("tests/test_x.py", 13, "BP702")]


def test_decorators_of_nested_functions_and_callbacks_are_checks(tmp_path):
    helpers = ("import pytest\n\n"
               "def raises_value_error(function):\n"
               "    def call(*args):\n"
               "        with pytest.raises(ValueError):\n"
               "            function(*args)\n"
               "    return call\n\n"
               "def keeps_args(function):\n"
               "    return function\n")
    test = ("from tests import checks\n\n"
            "def fail_on_request(request):\n"
            "    pytest.fail('no request expected')\n\n"
            "def test_rejects_negative():\n"
            "    @checks.raises_value_error\n"
            "    def call(value):\n"
            "        return parse_amount(value)\n"
            "    call(-1)\n\n"
            "def test_no_request(mocked, client):\n"
            "    mocked.add_callback('POST', '/hook', callback=fail_on_request)\n"
            "    client.post('/orders/1/sync')\n\n"
            "def test_keeps():\n"
            "    @checks.keeps_args\n"
            "    def call(value):\n"
            "        return parse_amount(value)\n"
            "    amount = call(1)\n")
    assert _found(tmp_path, {"tests/__init__.py": "", "tests/checks.py": helpers, "tests/test_amounts.py": test},
                  ["BP702"]) == [("tests/test_amounts.py", 16, "BP702")]


def test_test_named_helpers_commands_and_uncollected_classes_are_no_tests(tmp_path):
    code = ("import click\n\n"
            "def test_connection(engine):\n"
            "    connection = engine.connect()\n\n"
            "@click.command()\n"
            "def test_db(uri):\n"
            "    test_connection(make_engine(uri))\n\n"
            "class TestReport:\n"
            "    __test__ = False\n\n"
            "    def test_render(self):\n"
            "        page = render()\n")
    assert _found(tmp_path, {"app/test_db.py": code}, ["BP702"]) == []


def test_a_class_that_is_a_testcase_through_a_project_base(tmp_path):
    base = textwrap.dedent("""\
        from django.test import TestCase

        class ShopCase(TestCase):
            def login(self):
                self.client.force_login(self.user)
        """)
    test = textwrap.dedent("""\
        from tests.base import ShopCase

        class Orders(ShopCase):
            def test_list(self):
                self.login()
                self.client.get('/orders/')
        """)
    assert _found(tmp_path, {"tests/__init__.py": "", "tests/base.py": base, "tests/test_orders.py": test},
                  ["BP702"]) == [("tests/test_orders.py", 4, "BP702")]


def test_a_bare_comparison_is_named_in_the_message(tmp_path):
    write_project(tmp_path, {"tests/test_total.py": "def test_total(cart):\n    cart.total() == 3\n"})
    config = build_config({"select": ["BP702"]}, all_rules(), root=tmp_path)
    [finding] = scan([tmp_path], config, cwd=tmp_path).findings
    assert "comparison on line 2" in finding.message


def test_editing_a_helper_module_rechecks_the_tests_that_use_it(tmp_path):
    from bplint.scan.cache import ScanCache

    files = {"tests/__init__.py": "", "tests/helpers.py": "def fetch_ok(client, url):\n"
                                                           "    assert client.get(url).status_code == 200\n",
             "tests/test_pages.py": "from tests.helpers import fetch_ok\n\n"
                                    "def test_home(client):\n    page = fetch_ok(client, '/')\n"}
    write_project(tmp_path, files)
    config = build_config({"select": ["BP702"]}, all_rules(), root=tmp_path)

    def codes():
        result = scan([tmp_path], config, cwd=tmp_path, cache=ScanCache(tmp_path / ".cache", config))
        return [(f.path, f.line) for f in result.findings]

    assert codes() == []
    (tmp_path / "tests/helpers.py").write_text("def fetch_ok(client, url):\n    return client.get(url)\n")
    assert codes() == [("tests/test_pages.py", 3)]
