"""BP103-BP107 on whole projects: app factories, settings packages, FastAPI apps, dotenv files."""

import json
import os
import shutil
import subprocess
from textwrap import dedent

import pytest

from bplint.config import build_config
from bplint.discover import safegit
from bplint.rules._config_context import is_dev_or_test_name, is_config_name
from bplint.rules.bp1_environment import dotenv_keys, is_dotenv_example
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
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
    # BP106: the settings class reads its fields from the environment, and nothing documents them
    assert findings(tmp_path, files) == [("BP103", "app/main.py", 5), ("BP104", "app/main.py", 10),
                                         ("BP106", "app/core/config.py", 4)]


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
    files = {"a.py": "import os\nos.getenv('B')\n", "b.py": "import os\nos.getenv('A')\nos.getenv('C')\n",
             ".env": "A=1\n"}
    assert findings(tmp_path, files, select=("BP106",)) == [("BP106", "a.py", 2)]
    del files[".env"]  # nothing says the application is configured through its environment
    (tmp_path / ".env").unlink()
    assert findings(tmp_path, files, select=("BP106",)) == []


def _messages(tmp_path, files, select=("BP106",)):
    write_project(tmp_path, {path: dedent(text).lstrip("\n") for path, text in files.items()})
    result = scan([tmp_path], build_config({"select": list(select)}, all_rules(), root=tmp_path), cwd=tmp_path)
    assert not [e for e in result.errors if e.internal], result.errors
    return [(f.path, f.line, f.message) for f in sorted(result.findings, key=lambda f: (f.path, f.line))]


def test_one_finding_per_variable_with_the_places_that_read_it(tmp_path):
    files = {
        "app/a.py": "import os\nA = os.environ['APP_TOKEN']\nB = os.getenv('APP_TOKEN')\nC = os.getenv('APP_DB')\n",
        "app/b.py": "import os\nT = os.environ.get('APP_TOKEN', '')\n",
        "deploy/.env.example": "APP_DB=\nAPP_HOST=\n",
    }
    assert _messages(tmp_path, files) == [
        ("app/a.py", 2, "Add `APP_TOKEN=` to `deploy/.env.example`: the code reads it (in 3 places) and no example "
                        "env file or documentation of the project mentions it.")]


def test_pydantic_settings_reads_under_prefix_alias_and_across_modules(tmp_path):
    files = {
        "app/base.py": """
            try:
                from pydantic_settings import BaseSettings, SettingsConfigDict
            except ImportError:
                from pydantic import BaseSettings
            class Base(BaseSettings):
                model_config = SettingsConfigDict(env_prefix="APP_", case_sensitive=False)
            """,
        "app/mid.py": "from app.base import Base\nclass Mid(Base):\n    pass\n",
        "app/config.py": """
            from pydantic import Field
            from app.mid import Mid
            class Settings(Mid):
                db_url: str
                api_key: str = Field(validation_alias="OPENAI_API_KEY")
                timeout: int = 10
                _cache: dict = {}
            class Unrelated(dict):
                other: str
            """,
        ".env.example": "app_db_url=\nAPP_TIMEOUT=10\n",
    }
    assert [(path, line) for path, line, _ in _messages(tmp_path, files)] == [("app/config.py", 5)]
    assert "`OPENAI_API_KEY=`" in _messages(tmp_path, files)[0][2]


def test_documentation_in_docs_and_deployment_files(tmp_path):
    files = {
        "app/settings.py": "import os\nA = os.environ['SHOP_A']\nB = os.environ['SHOP_B']\n"
                           "C = os.environ['SHOP_C']\nD = os.environ['SHOP_D']\n",
        ".env.example": "SHOP_A=\n",
        "docs/admin/configuration.rst": "Settings\n========\n\n``SHOP_B``\n   The B.\n",
        "charts/shop/templates/deployment.yaml": "env:\n  - name: SHOP_C\n    value: c\n",
    }
    assert _messages(tmp_path, files) == [
        ("app/settings.py", 5, "Add `SHOP_D=` to `.env.example`: the code reads it and no example env file or "
                               "documentation of the project mentions it.")]


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


# --- BP107 in git work trees: git decides what is ignored ---------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def git_home(tmp_path, monkeypatch):
    """A git whose user configuration is a temporary HOME / XDG_CONFIG_HOME, and no system configuration."""
    home = tmp_path / "home"
    (home / "xdg" / "git").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.delenv("GIT_DIR", raising=False)
    return home


def _repo(path, files):
    write_project(path, files)
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True, timeout=60)
    return path


def _bp107(root, paths=None):
    config = build_config({"select": ["BP107"]}, all_rules(), root=root)
    result = scan(paths or [root], config, cwd=root)
    assert not [e for e in result.errors if e.internal], result.errors
    return [(f.path, f.message) for f in result.findings]


@needs_git
def test_dotenv_ignored_through_info_exclude(tmp_path, git_home):
    repo = _repo(tmp_path / "repo", {".env": "SECRET_KEY=abc\n", "app.py": "import os\n"})
    assert [path for path, _ in _bp107(repo)] == [".env"]
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("# local\n.env\n")
    assert _bp107(repo) == []


@needs_git
def test_dotenv_ignored_by_the_global_excludes_file(tmp_path, git_home):
    repo = _repo(tmp_path / "repo", {"backend/.env": "SECRET_KEY=abc\n", "backend/app.py": "import os\n"})
    assert [path for path, _ in _bp107(repo)] == ["backend/.env"]
    (git_home / "xdg" / "git" / "ignore").write_text(".env\n")
    assert _bp107(repo) == []
    (git_home / "xdg" / "git" / "ignore").unlink()
    excludes = git_home / "my-excludes"
    excludes.write_text("*.env\n.env\n")
    (git_home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {excludes}\n")
    assert _bp107(repo) == []


@needs_git
def test_tracked_dotenv_is_reported_although_gitignore_lists_it(tmp_path, git_home):
    repo = _repo(tmp_path / "repo", {".env": "SECRET_KEY=abc\n"})
    subprocess.run(["git", "-C", str(repo), "add", ".env"], check=True, capture_output=True, timeout=60)
    (repo / ".gitignore").write_text(".env\n")
    assert _bp107(repo, [repo / ".env"]) == [
        (".env", "`.env` is committed although .gitignore lists it: remove it from the repository "
                 "(`git rm --cached .env`) and rotate the secrets it holds.")]


@needs_git
def test_scan_runs_no_program_the_repository_names(tmp_path, git_home):
    repo = _repo(tmp_path / "repo", {".env": "SECRET_KEY=abc\n"})
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with open(repo / ".git" / "config", "a") as config:
        config.write(f"[core]\n\tfsmonitor = {hook}\n\thooksPath = {tmp_path}\n\tpager = {hook}\n")
    assert [path for path, _ in _bp107(repo)] == [".env"]
    assert not marker.exists()


def test_without_git_the_gitignore_files_decide(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no git to ask
    repo = tmp_path / "repo"
    write_project(repo, {".env": "SECRET_KEY=abc\n", ".git/info/exclude": ".env\n"})
    assert [path for path, _ in _bp107(repo)] == [".env"]  # .git/info/exclude is git's to read
    write_project(repo, {".gitignore": ".env\n"})
    assert _bp107(repo, [repo / ".env"]) == []


def test_a_git_that_hangs_is_given_up_on(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\nexec sleep 30\n")
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(safegit, "GIT_TIMEOUT", 0.5)
    repo = tmp_path / "repo"
    write_project(repo, {".env": "SECRET_KEY=abc\n", ".git/HEAD": "ref: refs/heads/main\n", ".gitignore": ".env\n"})
    assert _bp107(repo, [repo / ".env"]) == []  # git gave no answer in time: the .gitignore decides


@needs_git
def test_a_cached_result_follows_what_git_ignores(tmp_path, git_home, monkeypatch):
    from click.testing import CliRunner

    from bplint.cli import cli

    repo = _repo(tmp_path / "repo", {".env": "SECRET_KEY=abc\n", "app.py": "import os\n"})
    monkeypatch.chdir(repo)

    def codes():
        result = CliRunner().invoke(cli, ["check", "--select", "BP107", "--format", "json", "--exit-zero",
                                          "--cache-dir", str(tmp_path / "cache")], catch_exceptions=False)
        return [f["code"] for f in json.loads(result.stdout)["findings"]]

    assert codes() == ["BP107"]
    assert codes() == ["BP107"]
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text(".env\n")
    assert codes() == []


def test_an_example_env_file_under_another_spelling_in_a_deployment_folder(tmp_path):
    files = {
        "shop/settings.py": "import os\nA = os.environ['SHOP_A']\nB = os.environ['SHOP_B']\nC = os.environ['SHOP_C']\n",
        "deploy/docker/env.sample": "SHOP_A=\nSHOP_B=\n",
    }
    assert _messages(tmp_path, files) == [
        ("shop/settings.py", 4, "Add `SHOP_C=` to `deploy/docker/env.sample`: the code reads it and no example env "
                                "file or documentation of the project mentions it.")]
