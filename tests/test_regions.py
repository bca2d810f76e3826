"""Regions: functions and classes whose role is not their file's (bplint.project.regions), in the index,
the engine, --show-files and the cache."""

import textwrap

from click.testing import CliRunner

from bplint.cli import cli
from bplint.config import build_config
from bplint.discover.discovery import discover
from bplint.discover.workset import Workset
from bplint.scan.cache import ScanCache
from bplint.scan.engine import build_index, scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def _write(root, files):
    write_project(root, {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()})


def regions_of(tmp_path, files):
    _write(tmp_path, files)
    config = build_config({}, all_rules(), root=tmp_path)
    found = discover([tmp_path], tmp_path, config.exclude, tmp_path)
    index = build_index(Workset.of(found.files), config, tmp_path)
    return {rel: [(r.name, r.role.value) for r in regions] for rel, regions in index.regions.raw().items()}


def findings_of(tmp_path, files, select=("BP601",)):
    _write(tmp_path, files)
    config = build_config({"select": list(select)}, all_rules(), root=tmp_path)
    return sorted((f.path, f.line, f.code) for f in scan([tmp_path], config, cwd=tmp_path).findings)


SEARCH = """
    def rebuild(verbose=False):
        for n in range(3):
            report(n, verbose)


    def report(n, verbose):
        if verbose:
            print("indexed", n)


    def query(q):
        print("searching", q)
        return []
    """

FLASK_APP = """
    import click
    from flask import Flask

    from shop.search import rebuild

    app = Flask(__name__)


    @app.route("/")
    def home():
        return "ok"


    @app.cli.command("reindex")
    @click.option("--verbose", is_flag=True)
    def reindex(verbose):
        rebuild(verbose)
        print("done")
    """


def test_functions_only_commands_call_are_script_regions_across_modules(tmp_path):
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP, "shop/search.py": SEARCH})
    assert found == {"shop/app.py": [("reindex", "script")],
                     "shop/search.py": [("rebuild", "script"), ("report", "script")]}


def test_a_function_application_code_also_calls_is_no_region(tmp_path):
    views = "from shop.search import rebuild\n\n\ndef save(item):\n    rebuild()\n"
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP, "shop/search.py": SEARCH,
                                  "shop/views.py": views})
    assert found == {"shop/app.py": [("reindex", "script")]}


def test_calls_from_tests_count_neither_way_and_unreferenced_functions_stay_application(tmp_path):
    test = "from shop.search import rebuild, query\n\n\ndef test_rebuild():\n    rebuild()\n    assert query('x') == []\n"
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP, "shop/search.py": SEARCH,
                                  "tests/test_search.py": test})
    assert found["shop/search.py"] == [("rebuild", "script"), ("report", "script")]  # query: tests only


def test_main_blocks_argparse_mains_and_what_only_they_call(tmp_path):
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/tool.py": """
        import argparse

        from shop.db import engine


        def run(args):
            print(args)


        def main():
            parser = argparse.ArgumentParser()
            run(parser.parse_args())


        def used_by_the_app():
            return engine


        if __name__ == "__main__":
            main()
        """, "shop/db.py": "engine = None\n", "shop/views.py": "from shop.tool import used_by_the_app\n"
                                                               "\n\ndef index():\n    return used_by_the_app()\n"})
    assert found == {"shop/tool.py": [("run", "script"), ("main", "script"), ("__main__", "script")]}


def test_application_factory_a_run_command_starts_is_no_region(tmp_path):
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/factory.py": """
        from flask import Flask


        def register_hooks(app):
            app.before_request(load_user)


        def load_user():
            print("user")


        def create_app():
            app = Flask(__name__)
            register_hooks(app)
            return app


        def make_app(config):
            return create_app()
        """, "shop/cli/server.py": """
        import click

        from shop.factory import make_app


        @click.command()
        def run():
            make_app({}).run()
        """})
    assert found == {}


def test_methods_by_unique_name_and_re_exports(tmp_path):
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/plugins.py": """
        from certs.plugins import IssuerPlugin


        class Issuer(IssuerPlugin):
            def clear_pending(self):
                for order in self._pending():
                    print(order)

            def _pending(self):
                return []

            def issue(self):
                return 1


        def exported():
            print("x")
        """, "shop/toolkit.py": "from shop.plugins import exported as exported_helper\n",
        "shop/cli.py": """
        import click

        from shop.plugins import Issuer, exported


        @click.command()
        def clear():
            Issuer().clear_pending()
            exported()
        """})
    assert found == {"shop/plugins.py": [("Issuer.clear_pending", "script"), ("Issuer._pending", "script")]}


def test_configuration_classes_for_tests_are_test_regions(tmp_path):
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/config.py": """
        class Config:
            DEBUG = False


        class TestingConfig(Config):
            TESTING = True


        class TestSettings(Config):
            SECRET_KEY = "x"


        class IntegrationConfig(Config):
            SECRET_KEY = "y"


        class ProductionConfig(Config):
            SECRET_KEY = "z"
        """, "tests/conftest.py": "from shop.config import IntegrationConfig\n\nCONFIG = IntegrationConfig\n",
        # subclassed by test code, loaded by its dotted name (a string) by the application: not a region
        "tests/settings.py": "from shop.config import ProductionConfig\n\n\n"
                             "class LocalConfig(ProductionConfig):\n    SECRET_KEY = 'local'\n"})
    assert found == {"shop/config.py": [("TestingConfig", "test"), ("TestSettings", "test"),
                                        ("IntegrationConfig", "test")]}


def test_the_engine_drops_findings_in_regions_a_rule_does_not_check(tmp_path):
    assert findings_of(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP,
                                  "shop/search.py": SEARCH}) == [("shop/search.py", 12, "BP601")]


def test_show_files_names_the_regions(tmp_path, monkeypatch):
    _write(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP, "shop/search.py": SEARCH,
                      "shop/config.py": "class Config:\n    A = 1\n\n\nclass TestingConfig(Config):\n"
                                        "    TESTING = True\n"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--show-files"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [line.split(None, 2) for line in result.output.splitlines()]
    assert ["application", "python", "shop/app.py (script: 1 function)"] in lines
    assert ["application", "python", "shop/search.py (script: 2 functions)"] in lines
    assert ["application", "python", "shop/config.py (test: 1 class)"] in lines


def test_a_cached_result_follows_a_change_of_regions(tmp_path):
    _write(tmp_path, {"shop/__init__.py": "", "shop/app.py": FLASK_APP, "shop/search.py": SEARCH})
    config = build_config({"select": ["BP601"]}, all_rules(), root=tmp_path)

    def run():
        cache = ScanCache(tmp_path / ".cache", config)
        return sorted((f.path, f.line) for f in scan([tmp_path], config, cwd=tmp_path, cache=cache).findings)

    assert run() == [("shop/search.py", 12)]
    # application code now calls rebuild(): search.py's file is unchanged, its regions are not
    (tmp_path / "shop/views.py").write_text("from shop.search import rebuild\n\n\ndef save():\n    rebuild()\n")
    assert run() == [("shop/search.py", 8), ("shop/search.py", 12)]


def test_a_method_and_its_overrides_called_only_from_a_command_are_command_line_code(tmp_path):
    found = regions_of(tmp_path, {
        "shop/__init__.py": "",
        "shop/deps.py": """
            class Dependency:
                def install(self):
                    print("installing", self)

                def check(self):
                    print("checking", self)


            class FontDependency(Dependency):
                def install(self):
                    print("downloading the font")
            """,
        "shop/views.py": """
            from shop.deps import Dependency


            def status(request):
                return [d.check() for d in Dependency.all()]
            """,
        "shop/management/__init__.py": "",
        "shop/management/commands/__init__.py": "",
        "shop/management/commands/install_deps.py": """
            from django.core.management.base import BaseCommand

            from shop.deps import Dependency


            class Command(BaseCommand):
                def handle(self, *args, **options):
                    for dependency in Dependency.all():
                        dependency.install()
            """,
    })
    assert sorted(found["shop/deps.py"]) == [("Dependency.install", "script"), ("FontDependency.install", "script")]


def test_a_function_wrapped_by_the_project_s_own_decorator_keeps_its_callers(tmp_path):
    found = regions_of(tmp_path, {
        "shop/__init__.py": "",
        "shop/session.py": """
            import functools


            def provide_session(func):
                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    return func(*args, session=object(), **kwargs)
                return wrapper
            """,
        "shop/cleanup.py": """
            from flask import Flask

            from shop.session import provide_session

            app = Flask(__name__)


            @provide_session
            def run_cleanup(dry_run=False, session=None):
                if dry_run:
                    print("would delete 3 rows")


            @app.get("/cleanup")
            def cleanup_view():
                return "ok"
            """,
        "shop/cli/__init__.py": "",
        "shop/cli/db.py": """
            from shop.cleanup import run_cleanup


            def clean(args):
                run_cleanup(dry_run=args.dry_run)
            """,
    })
    assert found.get("shop/cleanup.py") == [("run_cleanup", "script")]


def test_a_plain_class_only_commands_make_is_command_line_code_with_what_its_methods_call(tmp_path):
    """`Setup().run()` in a click command: the class, its methods and the module functions only they
    call run from the command line. A class the application also makes, a model built on a framework
    base, a class whose method builds the web application and one a command makes to hand it on
    (`mailer = Mailer()` given to the server it starts) stay application code."""
    found = regions_of(tmp_path, {"shop/__init__.py": "", "shop/setup_db.py": """
        from shop.models import Product


        def _say(text):
            print(text)


        class Setup:
            def run(self):
                self._tables()
                _say("tables created")

            def _tables(self):
                _say("creating tables")


        class Report:
            def show(self):
                print(Product.query.count())


        class Server:
            def start(self):
                from flask import Flask

                Flask(__name__).run()


        class Mailer:
            def send(self, text):
                print("sending", text)
        """, "shop/models.py": """
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()


        class Product(db.Model):
            def label(self):
                return "product"
        """, "shop/views.py": """
        from shop.setup_db import Report


        def stats():
            return Report().show()
        """, "shop/manage.py": """
        import click

        from shop.models import Product
        from shop.setup_db import Mailer, Report, Server, Setup
        from shop.web import serve


        @click.command()
        def initdb():
            Setup().run()
            Report().show()
            Server().start()
            print(Product.__tablename__)


        @click.command()
        def run():
            mailer = Mailer()
            serve(mailer)
        """, "shop/web.py": """
        from flask import Flask


        def serve(mailer):
            app = Flask(__name__)

            @app.route("/")
            def home():
                mailer.send("hello")
                return "ok"

            app.run()
        """})
    assert found == {"shop/setup_db.py": [("_say", "script"), ("Setup", "script")]}


def test_command_classes_of_the_project_s_own_command_base_and_method_names_that_build_nothing(tmp_path):
    """A Flask-Script command through the package's own `Command` base is command-line code. A helper that
    calls `.build()` on its own object is not taken for a caller of the application factory's `build`
    method, which only shares the name."""
    found = regions_of(tmp_path, {"shop/__init__.py": "from flask_script import Command as BaseCommand\n\n\n"
                                                      "class Command(BaseCommand):\n    pass\n",
                                  "shop/reindex.py": """
        import shop


        class ReindexCommand(shop.Command):
            def run(self):
                print("reindexed")
        """, "shop/factory.py": """
        from flask import Flask


        class AppFactory:
            def build(self):
                return Flask(__name__)
        """, "shop/export.py": """
        def export(exporter):
            exporter.build()
            print("exported")
        """, "shop/cli/main.py": """
        import click

        from shop.export import export


        @click.command()
        def run_export():
            export(None)
        """})
    assert found["shop/reindex.py"] == [("ReindexCommand", "script")]
    assert ("export", "script") in found["shop/export.py"]
