"""BP105 hardcoded-config: database, cache or broker addresses fixed in production config.

Where a setting counts as production configuration is decided by
``ConfigScope`` (``_config_context``); config calls by ``_config_app``.
"""

from __future__ import annotations

import ast
import re
from urllib.parse import urlsplit

import libcst as cst

from bplint.project.names import string_value
from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._config_app import APP_METHODS_CONFIG, assignment_parts, ast_targets, ast_text
from bplint.rules._config_context import ConfigScope, is_config_object

SERVICE_URL = re.compile(
    r"^(?P<scheme>(?P<kind>postgres(?:ql)?|mysql|mariadb|oracle|mssql|cockroachdb|redshift|redis|rediss|valkey"
    r"|memcache|memcached|amqp|amqps|pyamqp|librabbitmq|mongodb|mongodb\+srv|kafka|nats)(?:\+[\w-]+)?)://",
    re.IGNORECASE)
SERVICE_KINDS = {
    "redis": "cache/broker", "rediss": "cache/broker", "valkey": "cache/broker", "memcache": "cache",
    "memcached": "cache", "amqp": "broker", "amqps": "broker", "pyamqp": "broker", "librabbitmq": "broker",
    "kafka": "broker", "nats": "broker",
}
LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1", "0.0.0.0"}


PLACEHOLDER_HOSTS = {"host", "hostname", "server", "your-host", "yourhost", "dbhost", "db-host", "example.com"}


def service_url(value: str) -> str | None:
    """The scheme of a database/cache/broker connection URL, else None (also for templates)."""
    value = value.strip()
    match = SERVICE_URL.match(value)
    if not match or any(mark in value for mark in ("{", "${", "<", "%(", "*")):
        return None  # templates are filled in from elsewhere
    try:
        parts = urlsplit(value)
        parts.port  # a port such as `:port` marks a documentation example
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host in PLACEHOLDER_HOSTS or host.endswith((".example.com", ".example.org")):
        return None
    return match.group("scheme").lower()


def _has_password(url: str) -> bool:
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    return "@" in rest and ":" in rest.rsplit("@", 1)[0]


def _ast_service_literal(value: ast.AST | None, databases: bool, depth: int = 0) -> bool:
    """The ast form of `HardcodedConfig._literals`: some service URL literal (or, in
    `DATABASES`, a network `HOST`) in a value, through dict/list literals."""
    if depth > 4 or value is None:
        return False
    if isinstance(value, ast.Starred):
        value = value.value
    text = ast_text(value)
    if text is not None:
        return service_url(text) is not None
    if isinstance(value, ast.Dict):
        for key, element in zip(value.keys, value.values):
            if key is None:
                continue
            if databases and ast_text(key) == "HOST":
                host = ast_text(element)
                if host is not None and "." in host and host.strip().lower() not in LOOPBACK_HOSTS:
                    return True
                continue
            if _ast_service_literal(element, databases, depth + 1):
                return True
    elif isinstance(value, (ast.List, ast.Tuple)):
        return any(_ast_service_literal(e, databases, depth + 1) for e in value.elts)
    return False


class HardcodedConfig(ConfigScope, PythonRule):
    code = "BP105"
    name = "hardcoded-config"
    category = "configuration"
    severity = Severity.WARNING
    precision = Precision(0, 19, "2026-12-02", unseen=(0, 13))
    preview = True
    roles = APPLICATION_ONLY
    summary = "Database, cache or broker address hardcoded in production config"
    what = ("Reports a literal connection URL for a database, cache or message broker "
            "(`postgresql://`, `mysql://`, `redis://`, `amqp://`, `mongodb://`, ...) in a settings "
            "module or config class that is not marked development or testing, including dict values "
            "(`SQLALCHEMY_BINDS`, Django `CACHES`), `app.config[...]` assignments and `config.update(...)` "
            "keywords; and in Django `DATABASES` a literal `HOST` that is a network address (it has a "
            "dot and is not a loopback address; single names such as `db` are compose service names "
            "and are left alone). Values read from the environment, with or without a default, are "
            "quiet, and so are `sqlite:` URLs (a local file, not an address that differs between "
            "environments).")
    why = ("An address fixed in code follows the code everywhere: a staging deploy writes to the "
           "production database, a developer's laptop connects to production, and moving a server "
           "needs a code change and a release. Configuration that differs between deploys belongs "
           "in the environment.")
    how_to_fix = ("Read the URL from the environment (`SQLALCHEMY_DATABASE_URI = os.environ[\"DATABASE_URL\"]`), "
                  "keep local defaults in development config or `.env`, and document the variable in "
                  "`.env.example`.")
    bad = ('class ProductionConfig(Config):\n    SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/shop"\n'
           '    CELERY_BROKER_URL = "redis://cache.internal:6379/0"\n')
    good = ('class ProductionConfig(Config):\n    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]\n'
            '    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]\n')
    examples = (
        Flag("""
            import os

            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]

            class ProductionConfig(Config):
                SQLALCHEMY_DATABASE_URI = "postgresql://db.internal/shop"
                REDIS_URL = "redis://cache.internal:6379/0"
                SQLALCHEMY_BINDS = {"reports": "mysql+pymysql://reports.internal/reports"}
            """, path="shop/config.py", line=7, count=3),
        Flag("""
            from .base import *

            CELERY_BROKER_URL = "amqp://rabbit.internal:5672//"
            CACHES = {
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://cache.internal:6379/1",
                }
            }
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "shop",
                    "HOST": "db.prod.internal",
                }
            }
            """, path="shop/settings/production.py", files={"shop/settings/base.py": "DEBUG = False\n"},
            line=3, count=3),
        Flag("""
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://localhost/shop"
                app.config.update(CELERY_RESULT_BACKEND="redis://localhost:6379/1")
                return app
            """, path="shop/__init__.py", line=5, count=2, note="literal localhost in application code"),
        Flag("""
            class ProductionConfig:
                SQLALCHEMY_DATABASE_URI: str = "postgresql://db.internal/shop"
                CELERY_BROKER_URLS = ("amqp://rabbit-1.internal//", "amqp://rabbit-2.internal//")

            def configure(app):
                app.config.from_mapping(REDIS_URL="redis://cache.internal:6379/0")
            """, path="shop/config.py", line=2, count=4,
            note="an annotated setting, a tuple of URLs, config.from_mapping keywords"),
        Quiet("""
            import os

            class Config:
                SQLALCHEMY_DATABASE_URI = os.getenv("DATABASE_URL", "postgresql://localhost/shop")
                REDIS_URL = os.environ["REDIS_URL"]
                CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "redis://localhost:6379/0"
            """, path="shop/config.py", note="from the environment, with or without a localhost default"),
        Quiet("""
            class Config:
                SQLALCHEMY_TRACK_MODIFICATIONS = False

            class TestingConfig(Config):
                TESTING = True
                SQLALCHEMY_DATABASE_URI = "sqlite:///:memory:"

            class DevelopmentConfig(Config):
                SQLALCHEMY_DATABASE_URI = "postgresql://localhost/shop_dev"
            """, path="shop/config.py", note="testing and development config"),
        Quiet("""
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "shop",
                    "HOST": "localhost",
                }
            }
            CACHES = {"default": {"LOCATION": "redis://127.0.0.1:6379/1"}}
            """, path="shop/settings/local.py"),
        Quiet("""
            import environ

            env = environ.Env()
            DATABASES = {"default": env.db("DATABASE_URL", default="postgres://localhost/shop")}
            DATABASES["default"]["HOST"] = env("DB_HOST", default="db")
            """, path="shop/settings/base.py"),
        Quiet("""
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                database_url: str = "postgresql://localhost/shop"
                redis_url: str = "redis://localhost:6379/0"
            """, path="shop/config.py", note="pydantic settings read the environment"),
        Quiet("""
            DOCS_URL = "https://docs.example.com/postgres"
            EXAMPLE = "postgresql://user:password@host:port/dbname"
            SQLALCHEMY_DATABASE_URI = "sqlite:///shop.db"
            TEMPLATE = "postgresql://{user}@{host}/{name}"
            """, path="shop/config.py", note="not a service URL, a sqlite file, a template"),
        Quiet("""
            def connect():
                url = "postgresql://db.internal/shop"
                return create_engine(url)
            """, path="shop/db.py", note="not configuration"),
    )

    # Only modules that bind a service URL literal (or a Django database host) are parsed.
    ast_trigger_types = (ast.Assign, ast.AnnAssign, ast.Call)

    @staticmethod
    def ast_trigger(node: ast.AST, facts) -> bool:
        if isinstance(node, ast.Call):
            func = node.func
            return (isinstance(func, ast.Attribute) and func.attr in APP_METHODS_CONFIG
                    and any(k.arg is not None and k.arg.isupper() and _ast_service_literal(k.value, False)
                            for k in node.keywords))
        value = node.value
        if not isinstance(value, (ast.Constant, ast.Dict, ast.List, ast.Tuple)):
            return False
        return any((isinstance(t, ast.Name) and _ast_service_literal(value, t.id == "DATABASES"))
                   or (isinstance(t, ast.Subscript) and _ast_service_literal(value, False)) for t in ast_targets(node))


    def _skip(self) -> bool:
        return self.outside_production()

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node)

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        targets, value = assignment_parts(node)
        if value is None or not isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Dict, cst.List,
                                                   cst.Tuple)):
            return
        for target in targets:
            if isinstance(target, cst.Name):
                if self._in_config():
                    for literal, scheme in self._literals(value, target.value == "DATABASES"):
                        self.report_setting(target.value, literal, self._message(scheme),
                                            secret=_has_password(string_value(literal) or ""))
            elif isinstance(target, cst.Subscript) and is_config_object(target.value):
                if not self._skip():
                    for literal, scheme in self._literals(value, False):
                        self.report(literal, self._message(scheme), secret=_has_password(string_value(literal) or ""))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG
                and is_config_object(func.value)) or self._skip():
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value.isupper():
                for literal, scheme in self._literals(arg.value, False):
                    self.report(literal, self._message(scheme), secret=_has_password(string_value(literal) or ""))

    def _in_config(self) -> bool:
        if self._skip():
            return False
        owner = self.current_class
        if owner is not None:
            return owner.config and not owner.dev_or_test and not owner.env_driven
        return self.at_module_level and self.file_is_config()

    def _literals(self, value: cst.CSTNode, databases: bool, depth: int = 0) -> list[tuple[cst.CSTNode, str]]:
        """Service URL literals in a value (through dict/list literals), with their scheme."""
        if depth > 4:
            return []
        text = string_value(value) if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) else None
        if text is not None:
            scheme = service_url(text)
            return [(value, scheme)] if scheme else []
        found: list[tuple[cst.CSTNode, str]] = []
        if isinstance(value, cst.Dict):
            for element in value.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                if databases and string_value(element.key) == "HOST":
                    host = string_value(element.value)
                    if host is not None and "." in host and host.strip().lower() not in LOOPBACK_HOSTS:
                        found.append((element.value, "database host"))
                    continue
                found.extend(self._literals(element.value, databases, depth + 1))
        elif isinstance(value, (cst.List, cst.Tuple)):
            for element in value.elements:
                found.extend(self._literals(element.value, databases, depth + 1))
        return found

    @staticmethod
    def _message(scheme: str) -> str:
        if scheme == "database host":
            return ("Read the database host from the environment (`os.environ[\"DB_HOST\"]`) instead of "
                    "hardcoding it in production settings.")
        base = scheme.split("+", 1)[0]
        kind = SERVICE_KINDS.get(base, "database")
        return (f"Read the {kind} URL from the environment (`os.environ[...]`) instead of hardcoding a "
                f"`{base}://` address in production config.")
