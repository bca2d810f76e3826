"""BP103-BP107 on whole projects: app factories, settings packages, FastAPI apps, dotenv files."""

from textwrap import dedent

from bplint.config import build_config
from bplint.engine import scan
from bplint.registry import all_rules
from bplint.rules._config_context import is_dev_or_test_name, is_config_name
from bplint.rules.bp1_environment import dotenv_keys, is_dotenv_example
from bplint.testing import write_project


def findings(tmp_path, files, select=("BP103", "BP104", "BP105", "BP106", "BP107"), rules=None):
    write_project(tmp_path, {path: dedent(text).lstrip("\n") for path, text in files.items()})
    table = {"select": list(select)}
    if rules:
        table["rules"] = rules
    result = scan([tmp_path], build_config(table, all_rules(), root=tmp_path), cwd=tmp_path)
    assert not [e for e in result.errors if e.internal], result.errors
    return sorted((f.code, f.path, f.line) for f in result.findings)


def test_flask_app_factory_across_modules(tmp_path):
    files = {
        "shop/__init__.py": """
            from flask import Flask

            from .extensions import db


            def _build():
                app = Flask(__name__)
                return app


            def create_app(config="shop.config.ProductionConfig"):
                app = _build()
                app.config.from_object(config)
                db.init_app(app)
                return app
            """,
        "shop/extensions.py": "db = None\n",
        "shop/config.py": """
            import os

            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
                SESSION_COOKIE_SECURE = True

            class ProductionConfig(Config):
                PREFERRED_URL_SCHEME = "https"

            class DevelopmentConfig(Config):
                DEBUG = True
                SESSION_COOKIE_SECURE = False
                SQLALCHEMY_DATABASE_URI = "postgresql://localhost/shop_dev"

            class TestingConfig(Config):
                TESTING = True
                SQLALCHEMY_DATABASE_URI = "sqlite:///:memory:"
            """,
        "wsgi.py": """
            from shop import create_app

            app = create_app()

            if __name__ == "__main__":
                app.run(debug=True)
            """,
        "manage_dev.py": """
            from shop import create_app

            create_app("shop.config.DevelopmentConfig").run(debug=True)
            """,
        ".env.example": "SECRET_KEY=\nDATABASE_URL=\n",
        ".gitignore": ".env\n",
        ".env": "SECRET_KEY=abc\n",
    }
    assert findings(tmp_path, files) == [("BP103", "wsgi.py", 6)]


def test_app_imported_from_the_module_that_builds_it(tmp_path):
    files = {
        "shop/app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "run.py": "from shop.app import app\napp.run(debug=True)\n",
        "worker.py": "from shop.tasks import app\napp.run(debug=True)\n",
        "shop/tasks.py": "from celery import Celery\napp = Celery('shop')\n",
    }
    assert findings(tmp_path, files, select=("BP103",)) == [("BP103", "run.py", 2)]


def test_django_settings_package(tmp_path):
    files = {
        "mysite/settings/__init__.py": "",
        "mysite/settings/base.py": """
            import os

            DEBUG = True
            SESSION_COOKIE_SECURE = False
            CACHES = {"default": {"LOCATION": "redis://127.0.0.1:6379/1"}}
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "localhost"}}
            """,
        "mysite/settings/production.py": """
            from .base import *

            DEBUG = False
            SESSION_COOKIE_SECURE = True
            CACHES = {"default": {"LOCATION": os.environ["REDIS_URL"]}}
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db.prod.example.net"}}
            """,
        "mysite/settings/dev.py": """
            from .base import *

            DEBUG = True
            CSRF_COOKIE_SECURE = False
            """,
        "manage.py": """
            import os
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.dev")
            """,
        ".env.example": "REDIS_URL=\n",
    }
    # base.py is overridden by production.py for every key; production.py hardcodes a network host.
    assert findings(tmp_path, files) == [("BP105", "mysite/settings/production.py", 6)]


def test_base_settings_not_overridden_by_every_production_module(tmp_path):
    files = {
        "mysite/settings/base.py": "DEBUG = True\n",
        "mysite/settings/production.py": "from .base import *\nDEBUG = False\n",
        "mysite/settings/staging.py": "from .base import *\n",
    }
    assert findings(tmp_path, files, select=("BP103",)) == [("BP103", "mysite/settings/base.py", 1)]


def test_fastapi_app(tmp_path):
    files = {
        "app/main.py": """
            from fastapi import FastAPI, Response

            from app.core.config import settings

            app = FastAPI(title=settings.PROJECT_NAME, debug=True)
            api = FastAPI(debug=settings.DEBUG)

            @app.post("/login")
            def login(response: Response):
                response.set_cookie(key="access_token", value="x", httponly=True)
                response.set_cookie(key="theme", value="dark")
                return {}
            """,
        "app/core/config.py": """
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                PROJECT_NAME: str = "api"
                DEBUG: bool = True
                SQLALCHEMY_DATABASE_URI: str = "postgresql://db/app"

            settings = Settings()
            """,
    }
    assert findings(tmp_path, files) == [("BP103", "app/main.py", 5), ("BP104", "app/main.py", 10)]


def test_dev_and_test_markers():
    for name in ("DevelopmentConfig", "TestingConfig", "settings_local", "dev", "testsettings", "LocalDev",
                 "UnitTestConfig", "test_views"):
        assert is_dev_or_test_name(name), name
    for name in ("ProductionConfig", "Config", "devices", "latest", "contest", "localhost_settings", "base"):
        assert not is_dev_or_test_name(name), name
    assert is_config_name("celeryconfig") and is_config_name("ProductionConfig") and is_config_name("settings")
    assert not is_config_name("conference")


def test_env_example_parsing_and_names():
    text = "# comment\n\nexport A=1\nB=\nC\n# D=optional\n  E = 'x'\nnot a line\n"
    assert dotenv_keys(text) == {"A", "B", "C", "D", "E"}
    assert is_dotenv_example(".env.example") and is_dotenv_example("deploy/example.env")
    assert is_dotenv_example(".env.production.template") and not is_dotenv_example(".env.production")


def test_env_vars_only_from_application_code(tmp_path):
    files = {
        "app/config.py": "import os\nX = os.environ['APP_X']\nP = os.environ['PATH']\n",
        "tests/test_config.py": "import os\nT = os.environ['ONLY_IN_TESTS']\n",
        ".env.example": "APP_X=\n",
    }
    assert findings(tmp_path, files, select=("BP106",)) == []
    files["app/extra.py"] = "import os\nY = os.getenv('APP_Y')\nZ = os.getenv('APP_Y')\n"
    assert findings(tmp_path, files, select=("BP106",)) == [("BP106", "app/extra.py", 2)]


def test_missing_example_is_one_finding(tmp_path):
    files = {"a.py": "import os\nos.getenv('B')\n", "b.py": "import os\nos.getenv('A')\nos.getenv('C')\n"}
    assert findings(tmp_path, files, select=("BP106",)) == [("BP106", "a.py", 2)]


def test_dotenv_named_on_the_command_line_is_still_checked_against_gitignore(tmp_path):
    write_project(tmp_path, {".gitignore": ".env\n", ".env": "A=1\n", ".env.prod": "A=2\n"})
    config = build_config({"select": ["BP107"]}, all_rules(), root=tmp_path)
    result = scan([tmp_path / ".env", tmp_path / ".env.prod"], config, cwd=tmp_path)
    assert [(f.path, f.line) for f in result.findings] == [(".env.prod", 1)]


def test_dotenv_finding_masks_the_line(tmp_path):
    write_project(tmp_path, {".env": "SECRET_KEY=abcdef123456\n"})
    config = build_config({"select": ["BP107"]}, all_rules(), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert [f.secret for f in result.findings] == [True]
