"""File roles: each kind of evidence, the user's patterns, --show-files, the cache, and the rules' roles."""

import textwrap

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.discover.discovery import discover
from bplint.discover.workset import Workset
from bplint.project.roles import ALL_ROLES, Role
from bplint.rule import ProjectRule
from bplint.scan.cache import ScanCache
from bplint.scan.engine import build_index, scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def roles_of(tmp_path, files, table=None):
    write_project(tmp_path, {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()})
    config = build_config(table or {}, all_rules(), root=tmp_path)
    found = discover([tmp_path], tmp_path, config.exclude, tmp_path)
    index = build_index(Workset.of(found.files), config, tmp_path)
    return {f.relpath: index.role_of(f.relpath) for f in found.files}


DJANGO_MIGRATION = """
    from django.db import migrations, models


    class Migration(migrations.Migration):
        dependencies = [("billing", "0001_initial")]
        operations = [migrations.AddField("invoice", "paid_at", models.DateTimeField(null=True))]
    """
ALEMBIC_REVISION = """
    import sqlalchemy as sa
    from alembic import op

    revision = "4c1e9a0b7d21"
    down_revision = "9b2f3e61aa05"


    def upgrade():
        op.add_column("invoice", sa.Column("paid_at", sa.DateTime()))


    def downgrade():
        op.drop_column("invoice", "paid_at")
    """
CLICK_COMMAND = """
    import click
    from sqlalchemy import create_engine, text


    @click.command()
    @click.argument("url")
    def check_connection(url):
        with create_engine(url).connect() as conn:
            print(conn.execute(text("select 1")).scalar())
    """


def test_migrations_are_known_by_their_content_and_their_tree(tmp_path):
    roles = roles_of(tmp_path, {
        "billing/schema_history/0002_invoice_paid_at.py": DJANGO_MIGRATION,
        "db/revisions/4c1e9a0b7d21_paid_at.py": ALEMBIC_REVISION,
        "storage/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
        "storage/versions/common.py": "NAMING = {}\n",
        "storage/helpers.py": "def quote(name):\n    return name\n",
        "billing/invoices.py": "def total(rows):\n    return sum(rows)\n",
    })
    assert roles["billing/schema_history/0002_invoice_paid_at.py"] is Role.MIGRATION
    assert roles["db/revisions/4c1e9a0b7d21_paid_at.py"] is Role.MIGRATION
    assert roles["storage/env.py"] is Role.MIGRATION
    assert roles["storage/versions/common.py"] is Role.MIGRATION
    assert roles["storage/helpers.py"] is Role.MIGRATION  # inside the Alembic tree
    assert roles["billing/invoices.py"] is Role.APPLICATION


def test_a_migrations_module_of_numbered_steps_is_a_migration(tmp_path):
    roles = roles_of(tmp_path, {
        "shop/core/migrations.py": """
            async def m001_initial(db):
                await db.execute("CREATE TABLE wallets (id TEXT PRIMARY KEY)")


            async def m002_add_currency(db):
                await db.execute(f"ALTER TABLE wallets ADD COLUMN currency TEXT DEFAULT {db.text_default}")
            """,
        "shop/migrations.py": "from shop.core import migrations\n\n\ndef run_migrations(db):\n    pass\n",
    })
    assert roles["shop/core/migrations.py"] is Role.MIGRATION
    assert roles["shop/migrations.py"] is Role.APPLICATION  # the runner, with no numbered steps


def test_a_migrations_folder_inside_a_test_folder_holds_tests(tmp_path):
    """The tests of the migrations and the rows they insert (`tests/db/migrations/data_checks.py`) are
    test code; a migration of a test application (a `Migration` class) is still a migration."""
    roles = roles_of(tmp_path, {
        "shop/tests/db/migrations/data_checks.py": "import datetime\n\n\ndef rows():\n"
                                                   "    return [{'created_at': datetime.datetime.utcnow()}]\n",
        "shop/tests/testapp/migrations/0001_initial.py": DJANGO_MIGRATION,
        "shop/migrations/helpers.py": "def batch(rows):\n    return rows\n",
    })
    assert roles["shop/tests/db/migrations/data_checks.py"] is Role.TEST
    assert roles["shop/tests/testapp/migrations/0001_initial.py"] is Role.MIGRATION
    assert roles["shop/migrations/helpers.py"] is Role.MIGRATION


def test_an_env_py_without_versions_is_not_a_migration_tree(tmp_path):
    roles = roles_of(tmp_path, {"storage/env.py": "from alembic import context\n",
                                "storage/helpers.py": "X = 1\n"})
    assert roles["storage/helpers.py"] is Role.APPLICATION


def test_a_module_named_like_a_test_is_a_test_only_when_it_defines_tests(tmp_path):
    roles = roles_of(tmp_path, {
        "inventory/cli/test_db.py": CLICK_COMMAND,
        "inventory/test_pricing.py": "from inventory.pricing import price\n\n\ndef test_price():\n"
                                     "    assert price(2) == 4\n",
        "inventory/pricing.py": "def price(n):\n    return n * 2\n",
        "inventory/diagnostics/test_connection.py": "class TestConnection:\n    def run(self, engine):\n"
                                                    "        return engine.connect()\n\n\n"
                                                    "def test_latency(engine):\n    return engine.ping()\n",
        "inventory/tests/helpers.py": "def make_item():\n    return {}\n",
        "conftest.py": "import pytest\n",
    })
    assert roles["inventory/cli/test_db.py"] is Role.SCRIPT
    assert roles["inventory/diagnostics/test_connection.py"] is Role.APPLICATION
    assert roles["inventory/test_pricing.py"] is Role.TEST
    assert roles["inventory/tests/helpers.py"] is Role.TEST
    assert roles["conftest.py"] is Role.TEST
    assert roles["inventory/pricing.py"] is Role.APPLICATION


def test_test_modules_beside_the_code_and_test_folders_named_for_their_kind(tmp_path):
    """`orders_test.py` next to `orders.py`, whose class is built on the project's own test case and
    checks with `self.assert*`; an `end_to_end_tests/` folder."""
    roles = roles_of(tmp_path, {
        "shop/__init__.py": "",
        "shop/orders.py": "def total(items):\n    return sum(items)\n",
        "shop/testbase.py": "import flask_testing\n\n\nclass BaseTest(flask_testing.TestCase):\n    pass\n",
        "shop/orders_test.py": "from shop.orders import total\nfrom shop.testbase import BaseTest\n\n\n"
                               "class OrdersTest(BaseTest):\n    def test_total(self):\n"
                               "        self.assertEqual(total([1, 2]), 3)\n",
        "end_to_end_tests/checkout.py": "def run(client):\n    print(client.get('/cart'))\n",
    })
    assert roles["shop/orders_test.py"] is Role.TEST
    assert roles["end_to_end_tests/checkout.py"] is Role.TEST
    assert roles["shop/orders.py"] is Role.APPLICATION


def test_test_helpers_and_test_data_are_found_by_who_imports_them_and_what_they_do(tmp_path):
    roles = roles_of(tmp_path, {
        "shop/lib/create_test_data.py": "from shop.models import Customer\n\n\ndef run():\n"
                                        "    Customer(name='Ada', password='demo1234')\n",
        "shop/demo_content.py": "from faker import Faker\n\nfake = Faker()\n\n\ndef customers(n):\n"
                                "    return [fake.name() for _ in range(n)]\n",
        "shop/fakes.py": "class FakeMailer:\n    def send(self, message):\n        self.sent = message\n",
        "shop/testkit/__init__.py": "from shop.testkit.builders import build_order\n",
        "shop/testkit/builders.py": "def build_order():\n    return {}\n",
        "shop/pricing.py": "def price(n):\n    return n\n",
        "shop/factories.py": "from faker import Faker\n\nfake = Faker()\n",
        "shop/views.py": "from shop.factories import fake\nfrom shop.pricing import price\n",
        "shop/models.py": "class Customer:\n    def __init__(self, **kw):\n        self.kw = kw\n",
        "tests/test_shop.py": "from shop.fakes import FakeMailer\nfrom shop.pricing import price\n"
                              "from shop.testkit import build_order\n\n\ndef test_it():\n    assert FakeMailer\n",
    })
    assert roles["shop/lib/create_test_data.py"] is Role.TEST  # a seeder by name, imported by no application code
    assert roles["shop/demo_content.py"] is Role.TEST  # makes fake data
    assert roles["shop/fakes.py"] is Role.TEST  # only tests import it, and it says what it is
    assert roles["shop/testkit/__init__.py"] is Role.TEST  # only tests import it, and it imports test support
    assert roles["shop/testkit/builders.py"] is Role.TEST
    assert roles["shop/pricing.py"] is Role.APPLICATION  # tests import it, but so does the application
    assert roles["shop/factories.py"] is Role.APPLICATION  # fake data, but application code imports it
    assert roles["shop/models.py"] is Role.APPLICATION


def test_command_line_programs_and_scripts(tmp_path):
    roles = roles_of(tmp_path, {
        "pyproject.toml": '[project]\nname = "ledger"\n\n[project.scripts]\nledger-admin = "ledger.admin:main"\n'
                          '\n[project.entry-points."console_scripts"]\nledger-db = "ledger.db_manage:main"\n',
        "ledger/db_manage.py": "from ledger import db\n\n\ndef main():\n    print(db.version())\n",
        "ledger/db/migration/__init__.py": "def alter_enum(table, column):\n    return f'ALTER TABLE {table}'\n",
        "ledger/db/migration/alembic_migrations/env.py": "from alembic import context\n",
        "ledger/accounts/migration/planner.py": "def plan(accounts):\n    return accounts\n",
        "setup.cfg": "[options.entry_points]\nconsole_scripts =\n    ledger-sync = ledger.sync:run\n"
                     "\n[entry_points]\nconsole_scripts =\n    ledger-init = ledger.init_tool:main\n",
        "ledger/init_tool.py": "def main():\n    print('starting')\n",
        "ledger/admin.py": "import argparse\n\n\ndef main():\n    argparse.ArgumentParser().parse_args()\n",
        "ledger/sync.py": "def run():\n    pass\n",
        "ledger/rebuild.py": "def rebuild():\n    pass\n\n\nif __name__ == '__main__':\n    rebuild()\n",
        "ledger/core.py": "def balance():\n    return 0\n\n\nif __name__ == '__main__':\n    print(balance())\n",
        "ledger/api.py": "from ledger.core import balance\n",
        "ledger/web.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get('/')\ndef index():\n"
                         "    return 'ok'\n\n\nif __name__ == '__main__':\n    app.run()\n",
        "ledger/commands.py": "import click\n\n\n@click.group()\ndef cli():\n    pass\n",
        "ledger/reports.py": CLICK_COMMAND,
        "ledger/cli/formatting.py": "def fmt(value):\n    return str(value)\n",
        "ledger/export.py": "import typer\nfrom ledger.cli.formatting import fmt\n\napp = typer.Typer()\n\n\n"
                            "@app.command()\ndef export():\n    print(fmt(1))\n",
        "ledger/management/commands/close_books.py": "from django.core.management.base import BaseCommand\n\n\n"
                                                     "class Command(BaseCommand):\n    def handle(self, **kw):\n"
                                                     "        pass\n",
        "scripts/backfill.py": "print('backfilling')\n",
        "bin/rotate_keys.py": "print('rotating')\n",
        "manage.py": "import sys\n",
        "tasks.py": "from invoke import task\n",
        "ledger/tasks.py": "from celery import shared_task\n",
        "ledger/telemetry/setup.py": "def setup(app):\n    return app\n",
        "backend/shop/__init__.py": "",
        "backend/shop/search.py": "def find(q):\n    return []\n\n\nif __name__ == '__main__':\n    print(find('x'))\n",
        "backend/shop/routes.py": "from shop.search import find\n",
    })
    for path in ("ledger/admin.py", "ledger/sync.py", "ledger/rebuild.py", "ledger/commands.py", "ledger/reports.py",
                 "ledger/export.py", "ledger/cli/formatting.py", "ledger/management/commands/close_books.py",
                 "scripts/backfill.py", "bin/rotate_keys.py", "manage.py", "tasks.py", "ledger/db_manage.py",
                 "ledger/init_tool.py"):
        assert roles[path] is Role.SCRIPT, path
    assert roles["ledger/db/migration/__init__.py"] is Role.MIGRATION  # the migrations package of the database
    assert roles["ledger/accounts/migration/planner.py"] is Role.APPLICATION  # a feature named migration
    assert roles["ledger/core.py"] is Role.APPLICATION  # run as __main__, but other modules import it
    assert roles["ledger/web.py"] is Role.APPLICATION  # it builds the web application
    assert roles["ledger/tasks.py"] is Role.APPLICATION  # celery tasks, not a task runner's file
    assert roles["ledger/api.py"] is Role.APPLICATION
    assert roles["ledger/telemetry/setup.py"] is Role.APPLICATION  # not a packaging script
    assert roles["backend/shop/search.py"] is Role.APPLICATION  # imported as shop.search from below backend/


def test_console_scripts_of_setup_py(tmp_path):
    roles = roles_of(tmp_path, {
        "setup.py": "from setuptools import setup\n\nsetup(name='a', entry_points={'console_scripts': "
                    "['a-sync = notes.sync:main']})\n",
        "notes/sync.py": "def main():\n    pass\n",
        "other/setup.py": "from setuptools import setup\n\nsetup(entry_points='''\n[console_scripts]\n"
                          "notes-export = notes.export:main\n''')\n",
        "notes/export.py": "def main():\n    pass\n",
        "notes/store.py": "def main():\n    pass\n",
    })
    assert roles["notes/sync.py"] is Role.SCRIPT
    assert roles["notes/export.py"] is Role.SCRIPT
    assert roles["notes/store.py"] is Role.APPLICATION


def test_examples_and_documentation(tmp_path):
    roles = roles_of(tmp_path, {
        "docs/conf.py": "project = 'ledger'\n",
        "docs/requirements.txt": "sphinx\n",
        "docs_src/first_steps/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "examples/todo/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        "sample_app/views.py": "def index(request):\n    return None\n",
        "ledger/examples.py": "DATA = []\n",
        "bin/demo_requests.py": "import requests\n\nrequests.post('http://localhost:9311/v1/secrets', json={})\n",
        "ledger/demo.py": "def install_demo():\n    pass\n",
        "ledger/democracy.py": "VOTES = []\n",
    })
    for path in ("docs/conf.py", "docs/requirements.txt", "docs_src/first_steps/main.py", "examples/todo/app.py",
                 "sample_app/views.py", "bin/demo_requests.py", "ledger/demo.py"):
        assert roles[path] is Role.EXAMPLE, path
    assert roles["ledger/examples.py"] is Role.APPLICATION
    assert roles["ledger/democracy.py"] is Role.APPLICATION


def test_settings_and_requirement_files_for_development(tmp_path):
    roles = roles_of(tmp_path, {
        "mysite/settings/__init__.py": "",
        "mysite/settings/base.py": "DEBUG = False\n",
        "mysite/settings/dev.py": "from .base import *\n\nDEBUG = True\n",
        "mysite/settings/production.py": "from .base import *\n",
        "mysite/settings_test.py": "from mysite.settings.base import *\n",
        "mysite/_build_settings.py": "from mysite.settings.base import *\n",
        "mysite/ci_conf.py": "from mysite.settings.base import *\n",
        "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = mysite.ci_conf\n",
        "requirements.txt": "django==5.0\n",
        "requirements-dev.txt": "pytest==8.0\n",
        ".env.development": "DEBUG=1\n",
    })
    for path in ("mysite/settings/dev.py", "mysite/settings_test.py", "mysite/_build_settings.py", "mysite/ci_conf.py",
                 "requirements-dev.txt", ".env.development"):
        assert roles[path] is Role.DEV, path
    for path in ("mysite/settings/base.py", "mysite/settings/production.py", "requirements.txt"):
        assert roles[path] is Role.APPLICATION, path


def test_the_settings_manage_py_runs_with_are_not_dev_settings_because_tests_use_them(tmp_path):
    roles = roles_of(tmp_path, {
        "mysite/settings.py": "DEBUG = False\n",
        "manage.py": "import os\n\n\ndef main():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
        "pyproject.toml": '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "mysite.settings"\n',
    })
    assert roles["mysite/settings.py"] is Role.APPLICATION


def test_user_patterns_take_precedence_over_detection(tmp_path):
    table = {"script-paths": ["ops/"], "migration-paths": ["datafix/*.py"], "example-paths": ["scripts/demo/"],
             "test-paths": ["qa/"]}
    roles = roles_of(tmp_path, {
        "ops/rotate.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        "datafix/2024_fill_totals.py": "def run():\n    pass\n",
        "scripts/demo/walkthrough.py": "print('hi')\n",
        "scripts/backfill.py": "print('hi')\n",
        "qa/checks.py": "def helper():\n    pass\n",
        "tests/test_x.py": "def test_x():\n    assert True\n",  # still detected: a test folder
        "ledger/core.py": "X = 1\n",
    }, table)
    assert roles["ops/rotate.py"] is Role.SCRIPT
    assert roles["datafix/2024_fill_totals.py"] is Role.MIGRATION
    assert roles["scripts/demo/walkthrough.py"] is Role.EXAMPLE
    assert roles["scripts/backfill.py"] is Role.SCRIPT
    assert roles["qa/checks.py"] is Role.TEST
    assert roles["tests/test_x.py"] is Role.TEST
    assert roles["ledger/core.py"] is Role.APPLICATION


def test_role_patterns_must_be_lists_of_strings(tmp_path):
    from bplint.config import ConfigError

    with pytest.raises(ConfigError, match="script-paths"):
        build_config({"script-paths": 3}, all_rules(), root=tmp_path)


def test_show_files_lists_kind_and_role_and_runs_no_rule(tmp_path, monkeypatch):
    write_project(tmp_path, {
        "pyproject.toml": '[tool.bplint]\nscript-paths = ["ops/"]\n',
        "app/views.py": "def index():\n    print('debug')\n",
        "app/migrations_old/0003_x.py": textwrap.dedent(DJANGO_MIGRATION),
        "ops/deploy.py": "print('deploying')\n",
        "tests/test_views.py": "def test_index():\n    assert True\n",
        "requirements-dev.txt": "pytest\n",
    })
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--show-files"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split() for line in lines] == [
        ["migration", "python", "app/migrations_old/0003_x.py"],
        ["application", "python", "app/views.py"],
        ["script", "python", "ops/deploy.py"],
        ["application", "pyproject", "pyproject.toml"],
        ["dev", "requirements", "requirements-dev.txt"],
        ["test", "python", "tests/test_views.py"],
    ]
    assert "BP601" not in result.output
    assert not (tmp_path / ".bplint_cache").exists()


def _scan_with_cache(root):
    config = build_config({"select": ["BP601", "BP101"]}, all_rules(), root=root)
    cache = ScanCache(root / ".cache", config)
    result = scan([root], config, cwd=root, cache=cache)
    return sorted((f.path, f.code) for f in result.findings), cache.hits


def test_the_cache_rechecks_a_file_whose_role_changed(tmp_path):
    write_project(tmp_path, {"ledger/report.py": "def main():\n    print('total')\n",
                             "ledger/__init__.py": ""})
    assert _scan_with_cache(tmp_path) == ([("ledger/report.py", "BP601")], 0)
    assert _scan_with_cache(tmp_path)[0] == [("ledger/report.py", "BP601")]
    # the same file, unchanged, becomes the module of a console script: a command-line program
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ledger"\n\n[project.scripts]\n'
                                             'ledger-report = "ledger.report:main"\n')
    assert _scan_with_cache(tmp_path)[0] == []
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "ledger"\n')
    assert _scan_with_cache(tmp_path)[0] == [("ledger/report.py", "BP601")]


def test_the_cache_rechecks_a_module_when_application_code_starts_importing_it(tmp_path):
    secret = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    write_project(tmp_path, {
        "shop/fakes.py": f"STRIPE_KEY = '{secret}'\n",
        "tests/test_pay.py": "from shop.fakes import STRIPE_KEY\n\n\ndef test_pay():\n    assert STRIPE_KEY\n",
        "shop/__init__.py": "",
    })
    assert _scan_with_cache(tmp_path)[0] == []
    (tmp_path / "shop/pay.py").write_text("from shop.fakes import STRIPE_KEY\n")
    assert ("shop/fakes.py", "BP101") in _scan_with_cache(tmp_path)[0]


def test_every_rule_declares_its_roles_and_its_flag_examples_are_in_them(tmp_path):
    undeclared = [r.code for r in all_rules() if r.roles is ALL_ROLES and r.code not in ("BP001", "BP002", "BP003", "BP704")]
    assert not undeclared, f"rules that check every role without saying so: {undeclared}"
    for rule in all_rules():
        for number, example in enumerate(e for e in rule.examples if e.flagged):
            if issubclass(rule, ProjectRule):
                continue
            root = tmp_path / f"{rule.code}-{number}"
            files = example.project_files()
            write_project(root, files)
            table = {"select": [rule.code], **example.config}
            config = build_config(table, all_rules(), root=root)
            found = discover([root], root, config.exclude, root)
            index = build_index(Workset.of(found.files), config, root)
            assert index.role_of(example.path) in rule.roles, (rule.code, example.path, index.role_of(example.path))


def test_copied_third_party_code_is_vendored_and_only_engine_rules_look_at_it(tmp_path):
    files = {
        "shop/vendor/taglib/tests/tests.py": "def test_skipped_upstream():\n    pass\n",
        "shop/_vendor/sockjs/handler.py": "def start(self):\n    self.set_cookie('JSESSIONID', 'dummy')\n",
        "shop/third_party/client.py": "print('loaded')\n",
        "shop/views.py": "from flask import Flask\napp = Flask(__name__)\n",
        "shop/vendors_list.py": "VENDORS = []\n",
    }
    roles = roles_of(tmp_path, files)
    assert roles["shop/vendor/taglib/tests/tests.py"] is Role.VENDORED
    assert roles["shop/_vendor/sockjs/handler.py"] is Role.VENDORED
    assert roles["shop/third_party/client.py"] is Role.VENDORED
    assert roles["shop/views.py"] is Role.APPLICATION and roles["shop/vendors_list.py"] is Role.APPLICATION
    checking = [r.code for r in all_rules() if Role.VENDORED in r.roles]
    # the engine rules, and the README check (about the project root, not any file)
    assert checking and all(code.startswith("BP0") or code == "BP704" for code in checking), checking
    config = build_config({"select": ["ALL"], "preview": True}, all_rules(), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert not [f for f in result.findings if "vendor" in f.path or "third_party" in f.path]


def test_a_root_ci_folder_holds_scripts(tmp_path):
    from bplint.testing import write_project

    write_project(tmp_path, {"ci/check_dist.py": "print('ok')\n", "shop/ci/__init__.py": "",
                             "shop/ci/runner.py": "print('ok')\n"})
    from bplint.config import build_config
    from bplint.discover.discovery import discover
    from bplint.discover.workset import Workset
    from bplint.scan.engine import build_index
    from bplint.scan.registry import all_rules

    config = build_config({}, all_rules(), root=tmp_path)
    index = build_index(Workset.of(discover([tmp_path], tmp_path, config.exclude, tmp_path).files), config, tmp_path)
    assert index.roles.raw()["ci/check_dist.py"] == "script"
    assert index.roles.raw()["shop/ci/runner.py"] == "application"


def test_project_skeletons_copied_libraries_and_ci_folders_have_their_roles(tmp_path):
    from bplint.config import build_config
    from bplint.discover.discovery import discover
    from bplint.discover.workset import Workset
    from bplint.scan.engine import build_index
    from bplint.scan.registry import all_rules
    from bplint.testing import write_project

    library = ('"""A tiny web framework."""\n\n__author__ = "Someone Else"\n__version__ = "0.12"\n'
               '__license__ = "MIT"\n\n\ndef route(path):\n    return path\n')
    write_project(tmp_path, {
        "cms/conf/project_template/requirements.txt": "cms>=5.0\n",
        "cms/conf/app_template/views.py": "print('x')\n",
        "{{cookiecutter.slug}}/app.py": "print('x')\n",
        "cms/_compat/bottle.py": library,
        "cms/__init__.py": '__author__ = "The CMS team"\n__license__ = "BSD"\n\n\ndef setup():\n    pass\n',
        "cms/__about__.py": '__author__ = "The CMS team"\n__license__ = "BSD"\n',
        "cms/views.py": "def home(request):\n    return 'ok'\n",
        ".github/upgrade/site/settings.py": "SECRET_KEY = 'not-secret'\n",
        ".assistant/skills/liveserver/settings.py": "DEBUG = True\nSECRET_KEY = 'local-only'\n",
        ".github/workflows/deploy.yml": "on: push\n",
        "cms/templates_helpers.py": "def render():\n    return ''\n",
        "cms/contrib/tutorials/game/rooms.py": "print('x')\n",
        # copies that say so in their opening comments: the upstream commit, or an address and a version
        "cms/media/parsers/zipper.py": "# -*- coding: utf-8 -*-\n# flake8: noqa\n# ZipTools reader - Mar 3, 2025 - "
                                       "9f1c2b7e4d5a6b8c0e1f2a3b4c5d6e7f8a9b0c1d\nimport io\n\n\ndef read(b):\n"
                                       "    return io.BytesIO(b)\n",
        "cms/media/exif.py": "#!/usr/bin/env python\n#\n# Library to read EXIF tags\n"
                             "# https://example.org/projects/exif-reader/\n#\n# VERSION 2.3.1\n#\n\n"
                             "def process_file(f):\n    return {}\n",
        # this project's own: a revision keyword, a licence header with an address but no version
        "cms/media/thumbs.py": "# $Id: thumbs.py 9f1c2b7e4d5a6b8c0e1f2a3b4c5d6e7f8a9b0c1d $\n"
                               "def thumb(f):\n    return f\n",
        "cms/media/store.py": "# This file is part of the CMS, https://cms.example.org/, under the BSD licence.\n"
                              "# Version history is in CHANGES.\n\ndef store(f):\n    return f\n",
        "cms/themes/base/templates/requirements/site.txt": "cms\nDjango\n",
    })
    config = build_config({}, all_rules(), root=tmp_path)
    index = build_index(Workset.of(discover([tmp_path], tmp_path, config.exclude, tmp_path).files), config, tmp_path)
    roles = {path: role.value for path, role in index.roles.raw().items()}
    assert roles["cms/conf/project_template/requirements.txt"] == "example"
    assert roles["cms/conf/app_template/views.py"] == "example"
    assert roles["{{cookiecutter.slug}}/app.py"] == "example"
    assert roles["cms/_compat/bottle.py"] == "vendored"
    assert roles["cms/media/parsers/zipper.py"] == "vendored"
    assert roles["cms/media/exif.py"] == "vendored"
    assert roles["cms/themes/base/templates/requirements/site.txt"] == "example"
    assert roles["cms/contrib/tutorials/game/rooms.py"] == "example"
    assert roles[".github/upgrade/site/settings.py"] == "test"
    assert roles[".assistant/skills/liveserver/settings.py"] == "test"
    assert roles[".github/workflows/deploy.yml"] != "test"
    for own in ("cms/__init__.py", "cms/__about__.py", "cms/views.py", "cms/templates_helpers.py",
                "cms/media/thumbs.py", "cms/media/store.py"):
        assert roles[own] == "application", own
