"""BP7 project structure and tests: tests, assertions, migrations, README."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Iterator

import libcst as cst

from bplint.project import names
from bplint.project._test_facts import KEY as TEST_FACTS, FunctionChecks, TestModuleFacts, is_request, kept_subject
from bplint.project.index import ModuleFacts, ProjectIndex, project_view
from bplint.project.regions import definition_of
from bplint.project.roles import APPLICATION_ONLY, Role
from bplint.project.routes import FAMILY, RouteFacts
from bplint.report.findings import Severity, Span
from bplint.rule import Flag, Precision, ProjectRule, PythonRule, Quiet

# The files that describe the project (its name, its README), best first.
MANIFESTS = ("pyproject.toml", "setup.cfg", "setup.py")


FILE_START = Span(1, 1, 1, 1)  # a project-level finding points at the file it is about, not at a line


def _manifest(project) -> str | None:
    """The report path of the project's manifest at its root (pyproject.toml, setup.cfg, setup.py)."""
    index = project.index
    for name in MANIFESTS:
        if index.fs.is_file(Path(index.root) / name):
            return index.root_relpath(name)
    return None


def _rootpath(project, relpath: str) -> str:
    prefix = project.index.root_prefix
    return relpath[len(prefix):] if prefix and relpath.startswith(prefix) else relpath


# What makes a module web-application code (bplint's subject): it uses one of these.
APPLICATION_FRAMEWORKS = ("flask", "fastapi", "django", "starlette", "rest_framework", "sqlalchemy", "flask_sqlalchemy",
                          "sqlmodel", "quart", "aiohttp", "tornado", "sanic", "litestar", "falcon", "bottle",
                          "pyramid", "apiflask", "connexion")


def application_modules(project, frameworks_only: bool = True) -> list[str]:
    """The modules whose role is application code (not tests, docs, examples, scripts, migrations, setup files);
    with ``frameworks_only``, only those that use a web framework or an ORM (computed once per scan)."""
    key = f"bp7:application_modules:{frameworks_only}"
    if key not in project.shared:
        project.shared[key] = _application_modules(project, frameworks_only)
    return project.shared[key]


def _application_modules(project, frameworks_only: bool) -> list[str]:
    index = project.index
    found = []
    for relpath, facts in sorted(index.modules.items()):
        if index.role_of(relpath) is not Role.APPLICATION or facts.syntax_error is not None:
            continue
        if facts.node_count <= 2:  # an empty __init__.py
            continue
        if frameworks_only and not facts.imports_any(*APPLICATION_FRAMEWORKS):
            continue
        found.append(relpath)
    return found


# --- BP701 -------------------------------------------------------------------------------------

TEST_DIRS = ("tests", "test", "testing")
# A test runner configured at the root: the project has a suite, kept out of the tree being scanned
# (a source distribution that leaves its tests out, a checkout without them).
RUNNER_CONFIG_FILES = ("pytest.ini", "tox.ini", "noxfile.py")
TEST_RUNNER_SECTIONS = {"pyproject.toml": re.compile(r"^\[tool\.pytest(\.ini_options)?\]", re.M),
                        "setup.cfg": re.compile(r"^\[tool:pytest\]", re.M)}


class MissingTests(ProjectRule):
    code = "BP701"
    name = "missing-tests"
    category = "structure"
    severity = Severity.WARNING
    roles = APPLICATION_ONLY
    summary = "Project has application code and no tests"
    what = ("Reports a project that has application code (modules that use a web framework or an ORM, "
            "whose role is application code, not docs, examples, scripts or migrations) but no test code: no "
            "`tests/` or `test/` folder, no `test_*.py`, `*_test.py` or `conftest.py` (the `test-paths` setting). The finding points at "
            "`pyproject.toml` (or another root file) when there is one. A project whose root configures a test "
            "runner (`[tool.pytest.ini_options]`, `pytest.ini`, `[tool:pytest]` in `setup.cfg`, `tox.ini`, "
            "`noxfile.py`) has a suite kept outside the scanned tree and is quiet, and so is an unpacked source "
            "distribution (a `PKG-INFO` at the root), which often leaves its tests out.")
    why = ("Without tests every change is checked by hand, or in production; refactoring and "
           "dependency upgrades become risky.")
    how_to_fix = ("Add a `tests/` folder with pytest tests, starting with the app's critical paths "
                  "(`client.get(\"/health\")`, login, the main write endpoint).")
    bad = "app/\n    __init__.py\n    views.py\npyproject.toml\n"
    good = "app/\n    __init__.py\n    views.py\ntests/\n    test_views.py\npyproject.toml\n"
    docs_language = "text"
    examples = (
        Flag("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
             files={"pyproject.toml": "[project]\nname = 'shop'\n", "requirements.txt": "flask==3.0.3\n"},
             line=1, count=1, note="points at the application's code, not at pyproject.toml"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
              files={"tests/test_app.py": "def test_app():\n    assert True\n"}),
        Quiet("def test_add():\n    assert 1 + 1 == 2\n", path="calc_test.py",
              files={"calc.py": "def add(a, b):\n    return a + b\n"}),
        Quiet("", path="docs/conf.py", files={"setup.py": "from setuptools import setup\nsetup()\n"},
              note="no application code"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
              files={"pyproject.toml": "[project]\nname = 'shop'\n\n[tool.pytest.ini_options]\n"
                                       "testpaths = [\"tests\"]\n"},
              note="the test runner is configured: the suite exists, outside the scanned tree"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
              files={"tox.ini": "[testenv]\ncommands = pytest\n"}),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app/__init__.py",
              files={"PKG-INFO": "Metadata-Version: 2.1\nName: shop\nVersion: 1.0\n"},
              note="an unpacked source distribution: its tests may have been left out of it"),
    )

    def check(self) -> None:
        index = self.project.index
        modules = application_modules(self.project)
        if not modules:
            return
        if any(index.is_test_file(path) for path in index.modules):
            return
        root = Path(index.root)
        if any(index.fs.is_dir(root / d) for d in TEST_DIRS):
            return
        if any(index.fs.is_file(root / name) for name in RUNNER_CONFIG_FILES):
            return
        if index.fs.is_file(root / "PKG-INFO"):
            return  # an unpacked source distribution, which often leaves the tests out: no way to tell
        for name, section in TEST_RUNNER_SECTIONS.items():
            text = index.fs.read_text(root / name)
            if text and section.search(text):
                return
        # about the application's code: its first module
        self.report(modules[0], FILE_START, "Add tests (a `tests/` folder with pytest tests) for this "
                                            "application's critical paths.", project_level=True)


# --- BP702 -------------------------------------------------------------------------------------

TEST_FILE_PATTERNS = ("test_*.py", "*_test.py", "test*.py")
# Called by qualified name, these check something: `with pytest.raises(...)`, `pytest.fail(...)`, a skip.
PYTEST_ASSERTING = frozenset({"pytest.raises", "pytest.warns", "pytest.deprecated_call", "pytest.fail",
                              "pytest.skip", "pytest.xfail", "pytest.approx", "pytest.importorskip"})
ASSERTING_MODULES = ("nose.tools.", "hamcrest.", "pytest_check.")
TESTCASE_ROOTS = ("unittest.", "django.test", "rest_framework.test", "flask_testing", "asynctest.",
                  "twisted.trial")
# Decorators that make a function no test to check: skipped, expected to fail, a fixture.
NOT_CHECKED_DECORATORS = frozenset({"skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure",
                                    "fixture", "yield_fixture"})
# Decorators that make a `test*` function something else: a command-line command (`@click.command()`).
NOT_TEST_DECORATORS = frozenset({"command", "argument", "option"})
# Property-based tests: calling the code with generated input and not crashing is the check.
PROPERTY_DECORATORS = frozenset({"hypothesis.given", "given"})
HELPER_DEPTH = 3  # helpers calling helpers, followed this far
# A test that says it checks only that nothing is raised, in its name, docstring or a comment:
# `test_upload_does_not_raise`, "must not fail", `# should not throw`, "this used to crash", a smoke test.
NO_RAISE_INTENT = re.compile(
    r"\b(?:(?:does|do|did|should|must|will|would|can|is)\s*(?:not|n'?t)|not|never|no|without|cannot|can'?t|wont)"
    r"\s+(?:raises?|raising|throws?|throwing|crash(?:es|ing)?|fails?|failing|errors?|exceptions?|"
    r"breaks?|breaking|blows?\s+up)\b|\bsmoke\b|\bused to (?:(?:produce|give|throw|cause)\s+an?\s+)?(?:raise|crash|fail|break|traceback|exception)|"
    r"\bcaused an? (?:exception|error|crash)|\bregression\b.{0,60}\b(?:rais(?:es|ed|ing)|crash(?:es|ed)?|traceback)",
    re.IGNORECASE)
# A function that finds something by a key: when it raises on a miss, binding its result is a check.
LOOKUP_NAME = re.compile(r"^(?:get|find|lookup|load|fetch|retrieve|resolve)(?:_|$)")
# A test named for an operation that must not happen (`test_member_cannot_edit`): when it checks nothing,
# the message says to check the refusal. (One that ends with the operation fails when it is refused.)
REFUSAL_NAME = re.compile(r"\b(?:cannot|can ?not|cant|not allowed|forbidden|denied|rejects?|rejected|refuses?|"
                          r"refused|disallowed|unauthori[sz]ed|invalid)\b")

# The folders of tests that measure (`tests/performance_tests/`, `load_tests/`, `benchmarks/`): their
# output is a timing or a load figure, not a verdict.
MEASURING_WORDS = frozenset({"performance", "perf", "load", "loadtest", "loadtests", "stress", "benchmark",
                             "benchmarks", "latency", "throughput"})


def _measures(relpath: str) -> bool:
    return any(MEASURING_WORDS & set(re.split(r"[_\-.]+", folder.lower())) for folder in relpath.split("/")[:-1])


def _is_test_module(filename: str) -> bool:
    return any(fnmatch.fnmatch(filename, pattern) for pattern in TEST_FILE_PATTERNS)


def _checks_nothing(helpers: "_Checks", facts: ModuleFacts, qualname: str, checks: "FunctionChecks") -> bool:
    """What the index facts say of a test function: it is collected (returns and yields nothing),
    neither it nor a helper it calls checks anything, and it is not an empty method that switches
    off a test its class inherits from a base class of the project."""
    if checks.returns_value or checks.yields or helpers.function_asserts(facts, qualname):
        return False
    cls, _, method = qualname.partition(".")
    return not (method and not checks.calls and not checks.ending and helpers.inherits(facts, cls, method))


class AssertionFreeTest(PythonRule):
    code = "BP702"
    name = "assertion-free-test"
    category = "structure"
    severity = Severity.WARNING
    precision = Precision(87, 98, "2026-12-02", debatable=11, unseen=(68, 116))
    preview = True
    roles = frozenset({Role.TEST})
    summary = "Test function that asserts nothing"
    what = ("Finds test functions, as pytest and unittest collect them (`test*` functions in "
            "`test_*.py`/`*_test.py` modules, `test*` methods of `Test*` classes and of `TestCase` "
            "subclasses, also through the project's own base classes), that check nothing. A check is: "
            "`assert`, a `raise`, `pytest.raises`/`warns`/`fail`, unittest's and Django's `self.assert*` and "
            "`self.fail*` (`assertContains`, `assertRedirects`, `with self.assertNumQueries(...)`), mock "
            "assertions (`assert_called_once_with`, `assert_not_awaited`), a test-client request with an "
            "expected `status=` (WebTest's `app.get(url, status=200)`), a call named `assert*`, `check*`, "
            "`verify*`, `expect*` or `raises*`, request matchers and `assert_all_requests_are_fired=True` "
            "of HTTP mocks, or a call of a project helper that checks: a function or method of test code "
            "(test modules, `conftest.py`, a `tests` package, `testing`/`testutils` modules), in the same "
            "module, imported from another, or inherited from a base class, followed through helpers "
            "calling helpers a few levels deep. "
            "A test without any of these is reported when it cannot fail: it ends with a test-client "
            "request (a refusal or an error page is a response, not an exception), with a result it binds "
            "and never reads (`order = checkout(cart)`), with test data (a factory) or with nothing; it "
            "has a comparison written without `assert` (`total == 3`). A test that ends by "
            "calling the code (`publish(draft, by=editor)`) is left alone, whatever its name says: it fails "
            "when the call raises, and many projects test that an operation goes through this way, next to "
            "the `pytest.raises` test of the refused case. So is one that ends with a lookup that raises "
            "when it finds nothing (`Order.objects.get(...)`, `totals[\"EUR\"]`, a project's `get`/`find` "
            "function that raises), binds the result of a project function that returns nothing, "
            "creates last a duplicate of what it made before (`user_factory(email=email)` twice), keeps "
            "what a constructor made on the test case (`self.connector = Connector(conf)`), evaluates an "
            "expression for what evaluating it checks (`{key: True}` hashes the key, `order.invoice` reads "
            "an attribute), sets an attribute through others (`hero.stats.health.value = 5` reads them and runs "
            "a setter) or defines a class (its bases' method order and `__init_subclass__` run), or "
            "that makes its requests through a WebTest `TestApp` of the project's test code (it raises on "
            "an error status when no `status=` is given). A parameter annotated with a class of test code counts "
            "as that class (`watch: WatchRun` ... `with watch(...)` runs `WatchRun.__call__`, which may assert), "
            "a test that imports a module and reads one of its attributes last is an import test, and one that "
            "ends by setting an attribute or an item of an object of the code (`build.release = None`, "
            "`config[\"mode\"] = \"debug\"`) runs the code's setter, validator or `__setitem__`, and fails "
            "when it raises. An expected status handed over in a mapping "
            "(`self.post(url, **{\"expected_status\": 401})`) counts as a check, and so does ending with an "
            "import (a test that a module imports). A `test*` function that the module hands over as a "
            "value (`hooks.register(\"x\", test_hook)`, a parametrize list) and a `Test*` class another test "
            "instantiates as its subject are no tests. Also "
            "left alone: tests marked `skip`/`xfail`, "
            "fixtures, functions that return or yield a value (pytest does not collect them as tests), "
            "benchmarks (the `benchmark` fixture, and the tests of a folder of tests that measure: "
            "`performance_tests/`, `load_tests/`, `benchmarks/`), `hypothesis` `@given` tests (not crashing on generated input is their check), "
            "an empty method that switches off a test its class inherits from a project base class "
            "(`def test_list_objects(self): pass` in a class whose base tests the list, also a base nested in "
            "a container class, `ViewCases.ListViewTest`, or in a sibling mixin that such a base names; an empty test that overrides nothing is reported, "
            "set-up or not: a placeholder passes whatever the code does), "
            "a test that ends with a call through an object of the code it keeps on the test case "
            "(`self.api = orders.API()` in `setUp`, then `self.api.delete(...)`: not a test client), "
            "a test that ends by unpacking exactly one result (`invoice, = Invoice.create([...])`: it raises "
            "unless exactly one came back), "
            "and smoke tests that say they only check that nothing is raised: "
            "`test_page_does_not_crash`, a docstring or comment such as \"must not fail\", \"this used "
            "to raise\" or \"used to produce a traceback\".")
    why = ("A test without an assertion passes whatever the code does: it gives coverage numbers "
           "and confidence without checking anything.")
    how_to_fix = ("Assert the outcome: the response status and body, the database row, the raised "
                  "exception (`with pytest.raises(...)`). When the test is meant to check only that the "
                  "request or call does not raise, say so in its name or docstring "
                  "(`test_search_page_does_not_crash`).")
    bad = 'def test_create_user(client):\n    client.post("/users", json={"email": "a@b.c"})\n'
    good = ('def test_create_user(client):\n    response = client.post("/users", json={"email": "a@b.c"})\n'
            '    assert response.status_code == 201\n')
    examples = (
        Flag("""
            def test_create_user(client):
                client.post("/users", json={"email": "a@b.c"})

            def test_ok(client):
                assert client.get("/").status_code == 200
            """, path="tests/test_users.py", line=1, count=1),
        Flag("""
            import unittest

            class UserTests(unittest.TestCase):
                def test_save(self):
                    self.client.post("/users/", {"email": "ann@example.com"})

                def test_other(self):
                    self.assertEqual(1, 1)
            """, path="tests/test_models.py", line=4, count=1),
        Flag("""
            def test_cart_total(cart, book):
                cart.add(book, quantity=2)
                cart.total() == 2 * book.price
            """, path="tests/test_cart.py", line=1, note="a comparison without `assert`"),
        Flag("""
            from tests.helpers import login

            def test_dashboard(client, user):
                login(client, user)
                client.get("/dashboard")
            """, path="tests/test_dashboard.py", line=3,
            files={"tests/__init__.py": "",
                   "tests/helpers.py": "def login(client, user):\n"
                                       "    return client.post('/login', data={'email': user.email})\n"},
            note="the helper checks nothing either"),
        Flag("""
            def test_user_can_log_in(client, user):
                client.post("/login", data={"email": user.email, "password": "s3cret"})
            """, path="tests/test_auth.py", line=1, note="a refused login is a response, not an exception"),
        Flag("""
            import requests_mock

            from shop.payments import refund

            def test_refund():
                with requests_mock.Mocker() as m:
                    m.post("https://psp.example/refunds", status_code=201, json={"id": "r_1"})
                    refund_id = refund("ord_1")
            """, path="tests/test_payments.py", line=5, note="a result never checked"),
        Flag("""
            def test_customer_cannot_change_paid_order(client, paid_order):
                client.patch(f"/api/orders/{paid_order.id}/", {"total": "0.00"})
            """, path="tests/test_orders.py", line=1, note="a refusal nothing checks"),
        Quiet("""
            from shop.services import update_order

            def test_customer_cannot_change_paid_order(paid_order, customer):
                update_order(paid_order, by=customer, total=0)
            """, path="tests/test_orders.py",
            note="it ends with the operation: it fails when the operation is refused, whatever its name says"),
        Quiet("""
            from shop.models import Invoice
            from shop.notifications import send_reminder
            from shop.payments import providers

            def test_invoice_is_stored(invoice_data):
                create_invoice(invoice_data)
                stored = Invoice.objects.get(number=invoice_data["number"])

            def test_totals_have_every_currency(report):
                eur = report.totals["EUR"]

            def test_reminder_goes_out(overdue_invoice):
                sent = send_reminder(overdue_invoice)

            def test_stripe_is_registered():
                provider = providers.get("stripe")

            def test_email_can_be_reused_after_deletion(user_factory):
                email = "ann@example.com"
                user_factory(email=email, is_active=False)
                user_factory(email=email)
            """, path="tests/test_invoices.py",
            files={"shop/__init__.py": "",
                   "shop/notifications.py": "def send_reminder(invoice):\n"
                                            "    invoice.customer.notify(\"reminder\", invoice=invoice)\n",
                   "shop/payments.py": "class Registry:\n"
                                       "    def __init__(self):\n"
                                       "        self._providers = {}\n\n"
                                       "    def get(self, name):\n"
                                       "        if name not in self._providers:\n"
                                       "            raise KeyError(name)\n"
                                       "        return self._providers[name]\n\n\n"
                                       "providers = Registry()\n"},
            note="lookups that raise when nothing is found, a function that returns nothing, a duplicate "
                 "created last: the test fails when they raise"),
        Flag("""
            def test_order_history(order_factory, customer):
                order_factory(customer=customer)
                order_factory(customer=customer, status="shipped")
            """, path="tests/test_history.py", line=1, note="test data and nothing else"),
        Quiet("""
            import pytest
            from unittest import mock

            def test_raises():
                with pytest.raises(ValueError):
                    parse("x")

            def test_mock():
                sender = mock.Mock()
                notify(sender)
                sender.send.assert_called_once()

            def test_helper(client):
                check_response(client.get("/"))

            def test_verify():
                verify_schema({})

            @pytest.mark.skip(reason="later")
            def test_later():
                pass

            def helper():
                pass

            class TestThing:
                def test_it(self):
                    self.assert_valid()

            def test_speed(benchmark):
                benchmark(parse, "x")
            """, path="tests/test_misc.py"),
        Flag("""
            import unittest

            from shop.search import QueryParser

            class QueryParserTest(unittest.TestCase):
                def setUp(self):
                    self.parser = QueryParser()

                def test_fuzzy_terms(self):
                    pass
            """, path="tests/test_search.py", line=9,
            note="a placeholder: the set-up runs, and nothing about fuzzy terms is checked"),
        Quiet("""
            from shop.models import Invoice

            def test_create_invoice_for_customer(customer):
                invoice, = Invoice.create([{"customer": customer.id, "total": 10}])
            """, path="tests/test_invoices.py",
            note="unpacking one value fails the test unless exactly one record came back"),
        Quiet("""
            from shop import orders
            from tests.base import DatabaseTest

            class OrderApiTest(DatabaseTest):
                def setUp(self):
                    super().setUp()
                    self.api = orders.API()

                def test_cancel(self):
                    order = self.make_order(status="paid")
                    self.api.delete(self.context, order)
            """, path="tests/test_orders_api.py",
            files={"tests/__init__.py": "",
                   "tests/base.py": "import unittest\n\n\nclass DatabaseTest(unittest.TestCase):\n"
                                    "    def make_order(self, **fields):\n        return fields\n"},
            note="`self.api` is the code's own object: the call fails the test when it raises"),
        Quiet("""
            from shop.listing import sort_products

            def test_sort_with_missing_price(products):
                # sorting used to produce a traceback when a product had no price
                products[0].price = None
                ordered = sort_products(products, key="price")
            """, path="tests/test_listing.py", note="a regression test for a crash, as its comment says"),
        Quiet("""
            import time

            from shop.client import ShopClient

            def test_checkout_latency(shop: ShopClient):
                started = time.perf_counter()
                for _ in range(200):
                    shop.checkout(cart_id="c1")
                print(f"200 checkouts in {time.perf_counter() - started:.1f} s")
            """, path="tests/load_tests/test_checkout.py",
            note="a test that measures: its output is the figure"),
        Quiet("""
            def test_admin_is_forbidden(app):
                app.get("/admin/", status=403)

            def test_login_redirects(app, user):
                res = app.post("/login", {"email": user.email, "password": "s3cret"}, status=302)
                res.follow(status=200)
            """, path="tests/test_views.py", note="the test client checks the status"),
        Quiet("""
            from django.test import TestCase
            from django.urls import reverse

            class HomePageTests(TestCase):
                def test_home(self):
                    response = self.client.get(reverse("home"))
                    self.assertContains(response, "Welcome")

                def test_login_required(self):
                    self.assertRedirects(self.client.get("/orders/"), "/login/?next=/orders/")

                def test_order_list_queries(self):
                    with self.assertNumQueries(2):
                        self.client.get("/orders/")
            """, path="shop/tests.py"),
        Quiet("""
            from unittest import mock

            import pytest

            from shop.mail import send_receipt

            @pytest.mark.asyncio
            async def test_receipt_is_sent_once(order):
                mailer = mock.AsyncMock()
                await send_receipt(order, mailer)
                mailer.send.assert_awaited_once_with(order.email, mock.ANY)

            def test_no_mail_for_drafts(draft_order):
                with mock.patch("shop.mail.smtp") as smtp:
                    send_receipt(draft_order)
                smtp.sendmail.assert_not_called()
            """, path="tests/test_mail.py"),
        Quiet("""
            from tests.helpers import fetch_ok

            def test_products(client):
                fetch_ok(client, "/products")
            """, path="tests/test_products.py",
            files={"tests/__init__.py": "",
                   "tests/helpers.py": "def fetch_ok(client, url):\n"
                                       "    response = client.get(url)\n"
                                       "    assert response.status_code == 200, response.text\n"
                                       "    return response\n"},
            note="a helper of another module that asserts"),
        Quiet("""
            from tests.base import ApiTestCase

            class OrderApiTests(ApiTestCase):
                def test_list(self):
                    orders = self.get_json("/api/orders/")
            """, path="tests/test_orders.py",
            files={"tests/__init__.py": "",
                   "tests/base.py": "from rest_framework.test import APITestCase\n\n"
                                    "class ApiTestCase(APITestCase):\n"
                                    "    def get_json(self, url):\n"
                                    "        response = self.client.get(url)\n"
                                    "        self.assertEqual(response.status_code, 200)\n"
                                    "        return response.json()\n"},
            note="a base-class method that asserts"),
        Quiet("""
            import responses
            from responses import matchers

            @responses.activate
            def test_token_exchange(provider):
                responses.post("https://idp.example/token", json={"access_token": "t"},
                               match=[matchers.urlencoded_params_matcher({"code": "abc"})])
                session = provider.exchange("abc")

            @responses.activate(assert_all_requests_are_fired=True)
            def test_webhook_is_called(client, order):
                responses.post("https://hooks.example/orders")
                client.post(f"/orders/{order.id}/ship")
            """, path="tests/test_oauth.py", note="the HTTP mock checks the request"),
        Quiet('''
            import pytest
            from hypothesis import given, strategies as st

            from shop.text import slugify

            @pytest.fixture
            def test_user(db):
                return db.create_user("ann@example.com")

            def test_payload(order_id):
                return {"order": order_id, "total": "9.99"}

            @given(st.text())
            def test_slugify_any_text(text):
                slug = slugify(text)

            def test_import_does_not_raise(tmp_path):
                load_catalog(tmp_path / "empty.csv")

            def test_editor_can_publish(editor, draft):
                publish(draft, by=editor)

            def test_checkin_with_valid_ticket(ticket, gate):
                scan_ticket(ticket, gate)

            def test_search_without_query(client):
                # an empty query used to crash the search view
                client.get("/search?q=")

            def test_legacy_settings(settings):
                """Old-style settings must still load without errors."""
                load_settings(settings)

            def test_list_without_order(db):
                # regression test: listing with no sort order raised a traceback
                result = db.issue.list(order=None)

            def test_health_survives_reload(hero):
                hero.stats.health.value = 5
            ''', path="tests/test_text.py",
              note="a fixture, a helper, a property test, calls that must go through, smoke tests"),
        Quiet("""
            def test_connection():
                connect()
            """, path="app/diagnostics.py", note="not a test module"),
        Quiet("""
            from tests.api_cases import ApiViewTestCase


            class InvoiceApiTest(ApiViewTestCase):
                def test_list_objects(self):
                    \"\"\"Invoices have no list endpoint.\"\"\"
            """, path="tests/test_invoices.py",
              files={"tests/__init__.py": "",
                     "tests/api_cases.py": "from django.test import TestCase\n\n\n"
                                           "class ApiViewTestCase(TestCase):\n"
                                           "    def test_list_objects(self):\n"
                                           "        self.assertEqual(self.client.get(self.url).status_code, 200)\n"},
              note="an empty method switches off a test the class inherits"),
        Flag("""
            from tests.api_cases import ApiViewTestCase


            class InvoiceApiTest(ApiViewTestCase):
                def test_totals(self):
                    pass
            """, path="tests/test_invoices.py", line=5,
             files={"tests/__init__.py": "",
                    "tests/api_cases.py": "from django.test import TestCase\n\n\n"
                                          "class ApiViewTestCase(TestCase):\n"
                                          "    def test_list_objects(self):\n"
                                          "        self.assertEqual(self.client.get(self.url).status_code, 200)\n"},
             note="an empty test that overrides nothing"),
        Quiet("""
            from tests.cases import ViewCases


            class ReportViewTest(ViewCases.ListViewTest):
                def test_export(self):
                    \"\"\"Reports cannot be exported.\"\"\"
            """, path="tests/test_reports.py",
              files={"tests/__init__.py": "",
                     "tests/cases.py": "from django.test import TestCase\n\n\n"
                                       "class ViewCases:\n"
                                       "    class ListViewTest(TestCase):\n"
                                       "        def test_export(self):\n"
                                       "            self.assertEqual(self.client.get(self.url + 'export/').status_code, 200)\n"},
              note="the inherited test is in a class nested in a container class"),
        Quiet("""
            from django.test import TestCase


            class ApiCases:
                class ExportMixin:
                    def test_export(self):
                        response = self.client.get(self.url + "export/")
                        self.assertEqual(response.status_code, 200)

                class ListViewTest(ExportMixin, TestCase):
                    url = None


            class AuditLogApiTest(ApiCases.ListViewTest):
                url = "/api/audit-log/"

                def test_export(self):
                    \"\"\"Audit logs cannot be exported.\"\"\"
            """, path="tests/test_audit_log.py",
              note="the inherited test is in a sibling mixin the container class's base names"),
        Quiet("""
            import unittest
            from contextlib import contextmanager
            from threading import Event

            import pytest

            from app import registry
            from app.watch import Watcher


            class WatchRun:
                def __init__(self, path):
                    self.path = path

                @contextmanager
                def __call__(self, expect_event=True, timeout=1.0):
                    seen = Event()
                    Watcher(self.path, on_change=seen.set).start()
                    yield self.path
                    assert seen.wait(timeout) is expect_event


            @pytest.fixture
            def watch_run(tmp_path):
                return WatchRun(tmp_path)


            def test_nothing_seen_when_idle(watch_run: WatchRun):
                with watch_run(expect_event=False, timeout=0.2):
                    pass


            class SettingsImportTest(unittest.TestCase):
                def test_database_settings(self):
                    from app.settings import database
                    self.url = database.url


            class RegistryIsolationTest(unittest.TestCase):
                def test_isolation_1(self):
                    \"\"\"Part 1: leave a flag on a registered dashboard.\"\"\"
                    dashboard = registry.get("sales")
                    dashboard.flag = True

                def test_isolation_2(self):
                    \"\"\"Part 2: the flag of part 1 must be gone.\"\"\"
                    self.assertFalse(hasattr(registry.get("sales"), "flag"))
            """, path="tests/test_watch.py",
              note="a helper object given as an annotated fixture checks on exit; an import test reading "
                   "what it imported; part 1 of a pair of tests"),
        Quiet("""
            import testtools

            from app.config import Config
            from app.models import Build


            class BuildTest(testtools.TestCase):
                def test_bad_release_is_refused(self):
                    with testtools.ExpectedException(ValueError):
                        Build().release = "not a release"

                def test_mode_can_be_set(self):
                    config = Config()
                    config["mode"] = "debug"
            """, path="tests/test_builds.py",
              note="testtools' ExpectedException; a setting made last runs the code's validator or __setitem__"),
        Flag("""
            from tests.cases import ViewCases


            class ReportViewTest(ViewCases.ListViewTest):
                def test_totals(self):
                    pass
            """, path="tests/test_reports.py", line=5,
             files={"tests/__init__.py": "",
                    "tests/cases.py": "from django.test import TestCase\n\n\n"
                                      "class ViewCases:\n"
                                      "    class ListViewTest(TestCase):\n"
                                      "        def test_export(self):\n"
                                      "            self.assertEqual(self.client.get(self.url).status_code, 200)\n"},
             note="no nested base class defines it"),
        Quiet("""
            import unittest

            from shop.cache import cache_key
            from shop.connectors import Connector
            from shop.views import ListView, SearchMixin


            class CacheKeyTests(unittest.TestCase):
                def test_key_is_hashable(self):
                    key = cache_key({"tags": ["a", "b"]})
                    {key: True}

                def test_connector_with_password(self):
                    self.connector = Connector("tls", password="secret")

                def test_views_combine(self):
                    for view in (ListView,):
                        class Combined(SearchMixin, view):
                            pass
            """, path="tests/test_cache.py",
              note="hashing a value, keeping what a constructor made, defining a class: each raises when broken"),
        Quiet("""
            from tests.base import FunctionalTest


            class AdminPageTests(FunctionalTest):
                def test_settings_page(self):
                    self.app.get("/admin/settings")

                def test_settings_saved(self):
                    response = self.app.post("/admin/settings", {"name": "shop"})

                def test_token_refused(self):
                    kwargs = {"headers": {"X-Token": "bad"}, "expected_status": 401}
                    self.api.post("/tokens", **kwargs)
            """, path="tests/test_admin.py",
              files={"tests/__init__.py": "",
                     "tests/base.py": "import unittest\n\nfrom webtest import TestApp\n\nfrom shop.wsgi import application\n"
                                      "\n\nclass FunctionalTest(unittest.TestCase):\n    def setUp(self):\n"
                                      "        self.app = TestApp(application)\n"},
              note="WebTest's client fails on an error status by itself; an expected status given through `**`"),
        Flag("""
            from tests.base import FunctionalTest


            class AdminPageTests(FunctionalTest):
                def test_settings_page(self):
                    self.client.get("/admin/settings")
            """, path="tests/test_admin.py", line=5,
             files={"tests/__init__.py": "",
                    "tests/base.py": "import unittest\n\nfrom webtest import TestApp\n\nfrom shop.wsgi import application\n"
                                     "\n\nclass FunctionalTest(unittest.TestCase):\n    def setUp(self):\n"
                                     "        self.app = TestApp(application)\n        self.client = make_client()\n"},
             note="a request through another client"),
        Quiet("""
            import unittest
            import warnings

            from shop import hooks, metrics


            def test_hook():
                pass


            class TestedService:
                def test_method(self):
                    pass


            class HookTests(unittest.TestCase):
                def setUp(self):
                    hooks.register("before_checkout", test_hook)
                    self.service = TestedService()
                    metrics.watch(self.service)

                def test_hook_runs(self):
                    self.assertEqual(hooks.get("before_checkout"), [test_hook])

                def test_old_module_paths_import(self):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        from shop.legacy import checkout  # noqa: F401
            """, path="tests/test_hooks.py",
              note="a function handed over as a hook, a class made as another test's subject, imports that must work"),
    )

    @classmethod
    def applies_to(cls, ctx) -> bool:
        if not (_is_test_module(ctx.filename) and "test" in ctx.text) or _measures(ctx.relpath):
            return False
        # Only a test function whose index facts show no check can be reported: a module where every
        # one checks something (most test modules) needs no libcst walk.
        found = _test_facts(ctx.facts)
        if ctx.facts is None or found is None or found.module_not_collected:
            return False
        helpers = ctx.shared(CHECKS_KEY, lambda: _Checks(ctx.index))
        return any(name.count(".") <= 1 and name.rsplit(".", 1)[-1].startswith("test")
                   and _checks_nothing(helpers, ctx.facts, name, checks) for name, checks in found.functions.items())

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._classes: list[tuple[str, bool]] = []  # per enclosing class: its name, is it collected?
        self._depth = 0  # function nesting
        self._checks = ctx.shared(CHECKS_KEY, lambda: _Checks(ctx.index))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append((node.name.value, self._collected_class(node)))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        if self._depth != 1 or not node.name.value.startswith("test") or len(self._classes) > 1:
            return
        if self._classes and not self._classes[-1][1]:
            return
        facts = self.ctx.facts
        found = _test_facts(facts)
        if facts is None or found is None or found.module_not_collected:
            return
        qualname = f"{self._classes[0][0]}.{node.name.value}" if self._classes else node.name.value
        checks = found.functions.get(qualname)
        if checks is None or node.name.value in found.called or self._not_checked(node):
            return
        if not _checks_nothing(self._checks, facts, qualname, checks):
            return
        if checks.bare_compare:
            self.report(node.name, f"Put `assert` before the comparison on line {checks.bare_compare} (or "
                                   "write `=` if it was meant to assign): as a bare statement it checks "
                                   "nothing, and the test passes whatever the result.")
            return
        if self._says_no_raise(node):
            return
        if checks.ending == "request" and kept_subject(found, checks.ending_callee):
            return  # a call of the code's object the test case keeps (`self.api = share.API()`)
        if checks.ending == "call" or self._bound_result_is_no_check(facts, checks) or \
                (checks.ending == "request" or checks.ending.startswith("assign:")) and \
                self._checks.checks_status(checks.ending_callee):
            # it fails when the call raises: a check that the call goes through (whatever the name
            # says: a test named `..._cannot_...` that ends with the operation fails when it is refused)
            return
        refusal = REFUSAL_NAME.search(node.name.value.replace("_", " ")) is not None
        self.report(node.name, _message(checks.ending, refusal))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def _collected_class(self, node: cst.ClassDef) -> bool:
        found = _test_facts(self.ctx.facts)
        if found is not None and node.name.value in found.not_collected:
            return False
        for base in node.bases:
            qualified = self.ctx.qualified_name(base.value) or names.dotted(base.value) or ""
            if qualified.startswith(TESTCASE_ROOTS) or qualified.endswith(("TestCase", "TestBase")):
                return True
        if node.name.value.startswith("Test"):
            if found is not None and node.name.value in found.called:
                return False  # `TestedClass()` made by another test: the subject of a test, not one
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
            return not any(isinstance(s, cst.FunctionDef) and s.name.value == "__init__" for s in body)
        # a project base class that is a TestCase (`class OrderViews(ApiTestCase)`)
        return self.ctx.facts is not None and not self._classes and \
            self._checks.is_testcase(self.ctx.facts, node.name.value)

    def _not_checked(self, node: cst.FunctionDef) -> bool:
        """Skipped, expected to fail, a fixture, a command, a property test or a benchmark."""
        for decorator in node.decorators:
            target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            spelled = names.dotted(target) or ""
            last = spelled.rsplit(".", 1)[-1]
            if last in NOT_CHECKED_DECORATORS or (last in NOT_TEST_DECORATORS and "." in spelled):
                return True
            if (self.ctx.qualified_name(target) or spelled) in PROPERTY_DECORATORS:
                return True
        params = node.params
        return any(p.name.value == "benchmark" for p in (*params.params, *params.kwonly_params))

    def _bound_result_is_no_check(self, facts: ModuleFacts, checks) -> bool:
        """A result bound and never read that there is nothing to check on: the project's function
        returns nothing, or it is a lookup that raises when it finds nothing (`plugins.get(slug)`)."""
        if not checks.ending.startswith("assign:") or not checks.ending_callee:
            return False
        definition = definition_of(self.ctx.index, facts, checks.ending_callee)
        if definition is None:
            return False
        lookup = LOOKUP_NAME.match(checks.ending_callee.rsplit(".", 1)[-1]) is not None
        return not definition.returns_value or (lookup and definition.raises)

    def _says_no_raise(self, node: cst.FunctionDef) -> bool:
        """The test's name, docstring or a comment in it says it checks that nothing is raised."""
        said = [node.name.value.replace("_", " "), node.get_docstring() or ""]
        module = self.ctx.module
        if module is not None:
            said.extend(re.findall(r"#[^\n]*", module.code_for_node(node)))
        return any(NO_RAISE_INTENT.search(text) for text in said)


def _message(ending: str, refusal: bool) -> str:
    if refusal:
        return ("Check that the refused operation is refused (`pytest.raises(...)`, the response status, the "
                "unchanged row): this test's name says it must not happen, and nothing checks that.")
    if ending == "request":
        return ("Assert on the response (`assert response.status_code == 200`, or the client's `status=`): a "
                "test that only makes requests passes whatever they return, errors and refusals included.")
    if ending.startswith("assign:"):
        return (f"Assert on `{ending[7:]}`, the result this test computes and never checks: as it is, it "
                "passes whatever the code returns.")
    return ("Assert the outcome in this test (`assert ...`, `pytest.raises`, `self.assert...`): as it is, "
            "it passes whatever the code does.")


WEBTEST_VIEW = "webtest-clients"
CHECKS_KEY = "BP702-checks"  # the file's _Checks, made for applies_to and kept for the visitor
WEBTEST_APPS = frozenset({"webtest.TestApp", "webtest.app.TestApp"})


@project_view(WEBTEST_VIEW)
def _webtest_clients(index: ProjectIndex) -> tuple[str, ...]:
    """The names test code binds WebTest clients to (`self.app = TestApp(...)` gives `app`)."""
    names = set()
    for facts in index.modules.values():
        found = _test_facts(facts)
        for spelled, name in found.clients if found is not None else ():
            if facts.imported(spelled) in WEBTEST_APPS:
                names.add(name)
    return tuple(sorted(names))


def _test_facts(facts: ModuleFacts | None) -> TestModuleFacts | None:
    found = facts.extra.get(TEST_FACTS) if facts is not None else None
    return found if isinstance(found, TestModuleFacts) else None


class _Checks:
    """Whether a function of test code checks something, itself or through the helpers it calls,
    resolved through the imports of the module each helper is in (answers kept for the file)."""

    def __init__(self, index) -> None:
        self.index = index
        self._asserts: dict[tuple[str, str], bool] = {}
        self._testcases: dict[tuple[str, str], bool] = {}

    def function_asserts(self, facts: ModuleFacts, qualname: str, depth: int = 0) -> bool:
        found = _test_facts(facts)
        checks = found.functions.get(qualname) if found is not None else None
        if checks is None:
            return False
        if checks.asserts:
            return True
        key = (facts.relpath, qualname)
        if key in self._asserts:
            return self._asserts[key]
        if depth >= HELPER_DEPTH:
            return False
        self._asserts[key] = False  # a helper calling itself, or a cycle
        cls = qualname.rsplit(".", 1)[0] if "." in qualname else None
        result = any(self._call_asserts(facts, found, cls, spelled, depth + 1) for spelled in checks.calls)
        self._asserts[key] = result
        return result

    def _call_asserts(self, facts: ModuleFacts, found: TestModuleFacts, cls: str | None, spelled: str,
                      depth: int) -> bool:
        head, _, rest = spelled.partition(".")
        if head in ("self", "cls"):
            # self.helper(): a method of this class or of a base class (self.client.get is no helper)
            return cls is not None and bool(rest) and "." not in rest and \
                self._method_asserts(facts, found, cls, rest, depth)
        qualified = facts.imports.get(head)
        if qualified is None:
            if head in found.functions and not rest:
                return self.function_asserts(facts, head, depth)
            if head in found.classes and rest and "." not in rest:
                return self._method_asserts(facts, found, head, rest, depth)
            return False
        qualified = f"{qualified}.{rest}" if rest else qualified
        if qualified in PYTEST_ASSERTING or qualified.startswith(ASSERTING_MODULES):
            return True
        target = self.index.resolve_definition(qualified)
        if target is None:
            return False
        target_facts, name = target
        target_found = _test_facts(target_facts)
        if target_found is None:
            return False
        if name in target_found.functions:
            return self.function_asserts(target_facts, name, depth)
        owner, _, method = name.partition(".")
        return bool(method) and "." not in method and owner in target_found.classes and \
            self._method_asserts(target_facts, target_found, owner, method, depth)

    def checks_status(self, request: str) -> bool:
        """A request (`self.app.get`) through a client of the project's test code that fails on an
        error status by itself: WebTest's TestApp raises on a 4xx or 5xx unless told the status."""
        if not is_request(request):
            return False
        receiver = request.rpartition(".")[0].rsplit(".", 1)[-1]
        return receiver in self.index.view(WEBTEST_VIEW)

    def inherits(self, facts: ModuleFacts, cls: str, method: str, depth: int = 0) -> bool:
        """Whether a base class of ``cls`` (test code of the project, found through imports) defines
        ``method`` or inherits it."""
        found = _test_facts(facts)
        if found is None or depth >= HELPER_DEPTH:
            return False
        return any(f"{name}.{method}" in base_found.functions or self.inherits(base_facts, name, method, depth + 1)
                   for base_facts, base_found, name in self._bases(facts, found, cls))

    def _method_asserts(self, facts: ModuleFacts, found: TestModuleFacts, cls: str, method: str,
                        depth: int) -> bool:
        if f"{cls}.{method}" in found.functions:
            return self.function_asserts(facts, f"{cls}.{method}", depth)
        if depth >= HELPER_DEPTH:
            return False
        return any(self._method_asserts(*located, method, depth + 1) for located in self._bases(facts, found, cls))

    def _bases(self, facts: ModuleFacts, found: TestModuleFacts, cls: str
               ) -> Iterator[tuple[ModuleFacts, TestModuleFacts, str]]:
        """The base classes of ``cls`` that are test code of the project, where they are defined."""
        for base in found.classes.get(cls, ()):
            located = self._class(facts, found, base, cls)
            if located is not None:
                yield located

    def _class(self, facts: ModuleFacts, found: TestModuleFacts, spelled: str, subclass: str = ""
               ) -> tuple[ModuleFacts, TestModuleFacts, str] | None:
        """The test-code class a base class of ``subclass`` spelled in ``facts``' module stands for."""
        container = subclass.rpartition(".")[0]
        if container and f"{container}.{spelled}" in found.classes:
            # `class Cases: class Base(TestCase): ...; class Full(Base): ...`: a base class spelled
            # in a container class's body is first its sibling there
            return facts, found, f"{container}.{spelled}"
        if spelled in found.classes:  # `TestBase`, or a class nested in one of the module (`Cases.Base`)
            return facts, found, spelled
        qualified = facts.imported(spelled)
        if qualified is None:
            return None
        target = self.index.resolve_definition(qualified)
        if target is None:
            return None
        target_found = _test_facts(target[0])
        if target_found is None or target[1] not in target_found.classes:
            return None
        return target[0], target_found, target[1]

    def is_testcase(self, facts: ModuleFacts, cls: str, depth: int = 0) -> bool:
        """Whether a class of test code derives from unittest's TestCase (or a framework's) through
        the project's own base classes."""
        found = _test_facts(facts)
        if found is None or depth > HELPER_DEPTH or cls not in found.classes:
            return False
        key = (facts.relpath, cls)
        if key in self._testcases:
            return self._testcases[key]
        self._testcases[key] = False
        result = False
        for base in found.classes[cls]:
            qualified = facts.imported(base)
            if qualified is not None and (qualified.startswith(TESTCASE_ROOTS) or qualified.endswith("TestCase")):
                result = True
                break
            located = self._class(facts, found, base, cls)
            if located is not None and self.is_testcase(located[0], located[2], depth + 1):
                result = True
                break
        self._testcases[key] = result
        return result


# --- BP703 -------------------------------------------------------------------------------------

SQLALCHEMY_BASES = frozenset({"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
                              "sqlmodel.SQLModel"})
DECLARATIVE_FACTORIES = frozenset({"sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
                                   "sqlalchemy.orm.decl_api.declarative_base"})
MIGRATION_MARKERS = ("migrations", "alembic", "alembic.ini", "migrate", "db_migrations")


def _model_kind(project, facts: ModuleFacts, base: str, depth: int = 0) -> str | None:
    """"django" or "sqlalchemy" when a base class (as spelled in ``facts``' module) makes a model."""
    if depth > 5:
        return None
    head, _, rest = base.partition(".")
    qualified = facts.resolve_name(head)
    if qualified is not None:
        qualified = f"{qualified}.{rest}" if rest else qualified
        if qualified in ("django.db.models.Model", "django.contrib.gis.db.models.Model"):
            return "django"
        if qualified in SQLALCHEMY_BASES:
            # `class Base(DeclarativeBase)` is the base; its subclasses are the models
            return "sqlalchemy" if depth > 0 else None
    # `db.Model` on a Flask-SQLAlchemy `db`, `Base` from declarative_base()
    built = facts.instances.get(head)
    if built == "flask_sqlalchemy.SQLAlchemy" and rest == "Model":
        return "sqlalchemy"
    if built in DECLARATIVE_FACTORIES and not rest:
        return "sqlalchemy"
    # a base class of the project (here or in another module)
    raw = facts.extra.get(FAMILY)
    if not rest and isinstance(raw, RouteFacts) and head in raw.classes:
        return _class_model_kind(project, facts, raw.classes[head].bases, depth + 1)
    if qualified is not None:
        found = project.index.resolve_definition(qualified)
        if found is not None:
            target, name = found
            if name in target.instances:
                built = target.instances[name]
                if built in DECLARATIVE_FACTORIES:
                    return "sqlalchemy"
            if name.endswith(".Model") and target.instances.get(name.split(".")[0]) == "flask_sqlalchemy.SQLAlchemy":
                return "sqlalchemy"
            target_raw = target.extra.get(FAMILY)
            if isinstance(target_raw, RouteFacts) and name in target_raw.classes:
                return _class_model_kind(project, target, target_raw.classes[name].bases, depth + 1)
    return None


def _class_model_kind(project, facts: ModuleFacts, bases: list[str], depth: int) -> str | None:
    for base in bases:
        kind = _model_kind(project, facts, base, depth)
        if kind is not None:
            return kind
    return None


class MissingMigrations(ProjectRule):
    code = "BP703"
    name = "missing-migrations"
    category = "structure"
    severity = Severity.WARNING
    precision = Precision(0, 3, "2026-12-02", debatable=2, unseen=(0, 2))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Database models without migrations"
    what = ("Reports a project that defines SQLAlchemy models (`db.Model`, `declarative_base()` or "
            "`DeclarativeBase` subclasses, SQLModel) or Django models (`models.Model`) in application "
            "code but has no migrations: no `migrations/` or `alembic/` folder, no `alembic.ini`, no "
            "Django app `migrations/` package next to the models.")
    why = ("Without migrations the schema is created by `create_all()` or by hand: production and "
           "development drift apart, and changing a column means downtime or data loss.")
    how_to_fix = ("Set up migrations: Flask-Migrate (`flask db init`), Alembic (`alembic init alembic`) or "
                  "Django's `python manage.py makemigrations`, and commit them.")
    bad = "app/\n    models.py      # class User(db.Model): ...\npyproject.toml\n"
    good = "app/\n    models.py\nmigrations/\n    versions/\npyproject.toml\n"
    docs_language = "text"
    examples = (
        Flag("""
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
            """, path="app/models.py", line=1),
        Flag("from django.db import models\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
             path="shop/models.py", files={"pyproject.toml": "[project]\nname = 'shop'\n", "manage.py": "\n"},
             line=1, count=1, note="points at the models, not at pyproject.toml or manage.py"),
        Flag("""
            from app.db import Base

            class Item(Base):
                __tablename__ = "items"
            """, path="app/models.py",
            files={"app/db.py": "from sqlalchemy.orm import DeclarativeBase\n\nclass Base(DeclarativeBase):\n"
                                "    pass\n"}),
        Quiet("""
            from django.db import models

            class Order(models.Model):
                total = models.IntegerField()
            """, path="shop/models.py", files={"shop/migrations/__init__.py": "",
                                               "shop/migrations/0001_initial.py": "operations = []\n"}),
        Quiet("""
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
            """, path="app/models.py", files={"alembic.ini": "[alembic]\nscript_location = alembic\n"}),
        Quiet("""
            from pydantic import BaseModel

            class User(BaseModel):
                name: str
            """, path="app/schemas.py", note="not a database model"),
    )

    def check(self) -> None:
        index = self.project.index
        model_module = None
        for relpath in application_modules(self.project, frameworks_only=False):
            facts = index.modules[relpath]
            raw = facts.extra.get(FAMILY)
            if not isinstance(raw, RouteFacts):
                continue
            if any(_class_model_kind(self.project, facts, c.bases, 0) for c in raw.classes.values()):
                model_module = relpath
                break
        if model_module is None or self._has_migrations(model_module):
            return
        # about the models: the first module that defines some
        self.report(model_module, FILE_START, "Add database migrations (Flask-Migrate/Alembic `migrations/`, or "
                                              "Django `makemigrations`) for the models this project defines.",
                    project_level=True)

    def _has_migrations(self, model_module: str) -> bool:
        index = self.project.index
        for relpath in index.files:
            parts = _rootpath(self.project, relpath).split("/")
            if any(part in MIGRATION_MARKERS for part in parts[:-1]) or parts[-1] == "alembic.ini" \
                    or index.roles.get(relpath) is Role.MIGRATION:
                return True
        root = Path(index.root)
        if any(index.fs.exists(root / marker) for marker in MIGRATION_MARKERS):
            return True
        # a Django app's migrations package next to its models, or one level up
        folder = (root / _rootpath(self.project, model_module)).parent
        for candidate in (folder, folder.parent):
            if index.fs.is_dir(candidate / "migrations") or index.fs.is_dir(candidate / "alembic"):
                return True
        return False


# --- BP704 -------------------------------------------------------------------------------------


class MissingReadme(ProjectRule):
    code = "BP704"
    name = "missing-readme"
    category = "structure"
    severity = Severity.INFO
    precision = Precision(0, 0, "2026-12-02", unseen=(0, 1))
    preview = True
    summary = "No README at the project root"
    what = ("Reports a project with application code (modules that use a web framework or an ORM) and no "
            "README (`README`, `README.md`, `README.rst`, ...) at its root. A release's source distribution "
            "(a `PKG-INFO` at the root) is left alone: its packaging may leave the README out.")
    why = ("The README is where a new developer or deployer learns what the service does, how to run "
           "it, and which settings it needs.")
    how_to_fix = "Add a `README.md` with what the service does, how to run it locally, its configuration and tests."
    bad = "app/\n    __init__.py\npyproject.toml\n"
    good = "app/\n    __init__.py\npyproject.toml\nREADME.md\n"
    docs_language = "text"
    examples = (
        Flag("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py", line=1),
        Flag("[project]\nname = 'shop'\n", path="pyproject.toml",
             files={"app.py": "from flask import Flask\n\napp = Flask(__name__)\n", "requirements.txt": "flask\n"},
             line=1, count=1, note="points at the manifest that describes the project"),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py",
              files={"README.md": "# shop\n"}),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py",
              files={"readme.rst": "shop\n====\n"}),
        Quiet("from flask import Flask\n\napp = Flask(__name__)\n", path="app.py",
              files={"PKG-INFO": "Metadata-Version: 2.1\nName: shop\nVersion: 1.0\n"},
              note="a release's source distribution: the README stays in the repository"),
    )

    def check(self) -> None:
        index = self.project.index
        modules = application_modules(self.project)
        if not modules:
            return
        entries = [name.lower() for name in index.fs.file_names(index.root)]
        if any(name == "readme" or name.startswith("readme.") for name in entries):
            return
        if "pkg-info" in entries:
            return  # a source distribution of a release: its packaging left the README in the repository
        # about the project: the manifest that describes it (and names its README), else its code
        self.report(_manifest(self.project) or modules[0], FILE_START,
                    "Add a `README.md` at the project root that says what the service does and how to run and "
                    "configure it.", project_level=True)
