"""BP1 secrets: hardcoded secrets (BP101) and passwords inside connection URLs (BP102).

What counts as a secret-like name lives in ``_secret_names``; the credential
formats of well-known issuers and what counts as a placeholder live in
``_secret_formats``.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator

import libcst as cst

from bplint.files import FileKind
from bplint.findings import Severity, Span
from bplint.names import keyword_arg, positional_arg, string_value
from bplint.rule import Flag, Option, PythonRule, Quiet, TextRule
from bplint.rules._secret_formats import (
    TOKEN_HINT,
    TokenMatch,
    find_tokens,
    is_placeholder,
    looks_made_up,
    shannon_entropy,
    url_password,
)
from bplint.rules._secret_names import is_secret_name, name_words, names_a_field

# --- fake credentials for the examples ---------------------------------------------
# Random values in the shape of real ones, assembled from pieces so that this
# module does not itself hold a credential-shaped literal.
_PEM_BODY = ("rkv4ew+2vtRZJglsZEhDghnvub6Ty9C8d5IEoIg9Em+9XqSVuYta6VYB0Xpi44tZtdH49vXjvjTNQTbw+TFDg3ok"
             "q8iWtc9g8u6j4jftKyZlWqtYwYtmhw9QoTMXHIXZpa6d3lXAygSUkaJ/T2Pn49Wsid7IhPyhfpJQU9JQEXe1adzj")
FAKE = {
    "AWS_KEY_ID": "AKIA" + "4HAFCFGWPBBBW65J",
    "AWS_SECRET": "NH/CSkcQDu9+risFvYPq5fViV0" + "fjODzSW+gd5kL2",
    "GITHUB": "ghp_" + "rpP7mD4HQb8GeavjTEQykdeLFkeJnjb7wXh9",
    "GITLAB": "glpat-" + "sN6f1JfwItMt7fXS-R78",
    "SLACK": "xoxb-" + "959188147046-9284703976026-30M4kCUXH0CsrhXlABXh8Hg1",
    "SLACK_HOOK": "hooks.slack.com/services/" + "TV8VNF7PG/BTBEFBT9W1B/zDfnfwPvwywSgbiiCwTVigdr",
    "STRIPE": "sk_" + "live_1Fy00QqPmwgSSZ9kL68rj21U",
    "STRIPE_TEST": "sk_" + "test_1Fy00QqPmwgSSZ9kL68rj21U",
    "GOOGLE": "AIza" + "P5jkYBgKeClON6iGj2zmYy6EUA1wAMhTt-8",
    "DJANGO": "django-insecure-" + "&4-!yt!rqjwi(&q$tpskj#%@=3dq0xdw%)-a6cm$tm4*y^**su",
    "PEM": "-----BEGIN RSA PRIVATE" + " KEY-----\\n" + _PEM_BODY[:88] + "\\n" + _PEM_BODY[88:]
           + "\\n-----END RSA PRIVATE" + " KEY-----",
    "FERNET": "pU3KGCUwux1tEyze1iN7Ltke" + "P3IfyxlxF0SU1kk8nVw=",
}


def _code(template: str) -> str:
    """An example's code with @NAME@ replaced by the fake credential NAME."""
    for key, value in FAKE.items():
        template = template.replace(f"@{key}@", value)
    return template


# --- where a literal is bound to a name -----------------------------------------

# Environment readers whose second argument (or ``default=``) is a fallback value.
ENV_DEFAULT_GETTERS = frozenset({
    "os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop", "posix.getenv",
    "decouple.config",
})
ENV_READER_CLASSES = frozenset({"environs.Env", "environ.Env"})

# Calls whose argument is a key or password: qualified name -> (position, keywords).
KEY_ARGUMENTS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "jwt.encode": (1, ("key",)),
    "jwt.decode": (1, ("key",)),
    "jwt.api_jwt.encode": (1, ("key",)),
    "jwt.api_jwt.decode": (1, ("key",)),
    "jose.jwt.encode": (1, ("key",)),
    "jose.jwt.decode": (1, ("key",)),
    "jose.jws.sign": (1, ("key",)),
    "jose.jws.verify": (1, ("key",)),
    "authlib.jose.jwt.encode": (2, ("key",)),
    "authlib.jose.jwt.decode": (1, ("key",)),
    "hmac.new": (0, ("key",)),
    "hmac.HMAC": (0, ("key",)),
    "hmac.digest": (0, ("key",)),
    "cryptography.fernet.Fernet": (0, ("key",)),
    "django.core.signing.Signer": (0, ("key",)),
    "django.core.signing.TimestampSigner": (0, ("key",)),
    "django.core.signing.dumps": (None, ("key",)),
    "django.core.signing.loads": (None, ("key",)),
    "Crypto.Cipher.AES.new": (0, ("key",)),
    "Cryptodome.Cipher.AES.new": (0, ("key",)),
    "nacl.secret.SecretBox": (0, ("key",)),
    "requests.auth.HTTPBasicAuth": (1, ("password",)),
    "requests.auth.HTTPDigestAuth": (1, ("password",)),
    "httpx.BasicAuth": (1, ("password",)),
    "httpx.DigestAuth": (1, ("password",)),
    "aiohttp.BasicAuth": (1, ("password",)),
}
# Every signer and serializer of itsdangerous takes the secret key first.
ITSDANGEROUS_CLASSES = frozenset({
    "Signer", "TimestampSigner", "Serializer", "TimedSerializer", "URLSafeSerializer",
    "URLSafeTimedSerializer", "JSONWebSignatureSerializer", "TimedJSONWebSignatureSerializer",
})

# Keyword arguments, dict keys and names whose value is sample data for API
# docs or a UI: a ``"password": "secret"`` there is an example, not a credential.
EXAMPLE_KEYS = frozenset({"json_schema_extra", "schema_extra"})
EXAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples", "placeholder", "placeholders"})


def is_example_name(name: str | None) -> bool:
    return name is not None and (name in EXAMPLE_KEYS or bool(EXAMPLE_WORDS.intersection(name_words(name))))


class _ExampleContext:
    """Counts how deep the walk is inside sample data (``examples=[...]``,
    ``{"example": {...}}``, ``sqlalchemy_uri_placeholder = "..."``)."""

    _example_depth = 0

    def _example_names(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Arg):
            return node.keyword is not None and is_example_name(node.keyword.value)
        if isinstance(node, cst.DictElement):
            return is_example_name(string_value(node.key))
        if isinstance(node, cst.Assign):
            return any(is_example_name(_target_name(t.target)) for t in node.targets)
        if isinstance(node, cst.AnnAssign):
            return is_example_name(_target_name(node.target))
        return False

    def _enter(self, node: cst.CSTNode) -> None:
        if self._example_names(node):
            self._example_depth += 1

    def _leave(self, node: cst.CSTNode) -> None:
        if self._example_names(node):
            self._example_depth -= 1

ENUM_BASES = ("enum.", "django.db.models.TextChoices", "django.db.models.IntegerChoices",
              "django.db.models.Choices", "django.db.models.enums.")

# A file can only hold a BP101 finding when it mentions one of these.
_SECRET_HINT = re.compile(
    r"secret|passw|passphrase|pwd|pw|token|api.?key|access.?key|private.?key|auth.?key|master.?key"
    r"|signing.?key|encryption.?key|credential|creds|['\"]pass['\"]|hmac|fernet|itsdangerous|signing"
    r"|jwt|jose|SecretBox|AES|BasicAuth|DigestAuth",
    re.IGNORECASE)

# Shorter values are not secrets anything relies on (and lexer tables are full
# of `token = "if"`).
MIN_SECRET_LENGTH = 3


def preview(value: str) -> str:
    """At most the first four characters, and none of a short value."""
    head = value[:4] if len(value) >= 8 else ""
    head = "".join(c if c.isprintable() and c not in "`\\" else "?" for c in head)
    return f"{head}..."


def env_name(name: str) -> str:
    """``dbPassword`` -> ``DB_PASSWORD``: the variable to read it from."""
    return "_".join(name_words(name)).upper() or "SECRET"


def literal_leaves(expr: cst.BaseExpression | None) -> Iterator[tuple[cst.BaseExpression, str]]:
    """The string literals an expression can evaluate to: ``x or "dev"``, ``"a" if c else "b"``."""
    if expr is None:
        return
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = string_value(expr)
        if value is not None:
            yield expr, value
    elif isinstance(expr, cst.IfExp):
        yield from literal_leaves(expr.body)
        yield from literal_leaves(expr.orelse)
    elif isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
        yield from literal_leaves(expr.left)
        yield from literal_leaves(expr.right)


def _target_name(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index):
            return string_value(index.value)
    return None


def _is_enum_class(node: cst.ClassDef, rule: PythonRule) -> bool:
    for base in node.bases:
        qualified = rule.ctx.qualified_name(base.value) or ""
        if qualified.startswith(ENUM_BASES):
            return True
        # a project's own enum base class, defined elsewhere in the project
        spelled = qualified or (base.value.value if isinstance(base.value, cst.Name) else "")
        if spelled.endswith(("Enum", "Choices")):
            return True
    return False


class HardcodedSecret(_ExampleContext, PythonRule, TextRule):
    # One rule over two kinds of file: the visitor runs on Python modules,
    # ``check`` on dotenv and config files (the engine picks by base class).
    code = "BP101"
    name = "hardcoded-secret"
    category = "secrets"
    severity = Severity.ERROR
    cwe = (798,)
    quiet_in_tests = True
    kinds = frozenset({FileKind.DOTENV, FileKind.CONFIG, FileKind.PYPROJECT, FileKind.PIPFILE})
    options = {
        "extra-names": Option(default=[], help="more secret-like names (matched as word parts, "
                                               "like the built-in ones: `license` matches `LICENSE_KEY`)"),
        "allowed-values": Option(default=[], help="placeholder values the project uses "
                                                  "(exact values, e.g. `dev-only-not-secret`)"),
    }
    summary = "A secret (key, password, token) written into the source or a config file"
    what = (
        "Reports a non-empty string or bytes literal bound to a secret-like name (`SECRET_KEY`, "
        "`password`, `api_key`, `dbPassword`, `client_secret`...) by assignment, annotation, class "
        "attribute, attribute or subscript target (`app.config[\"SECRET_KEY\"] = ...`), keyword "
        "argument, dict key or parameter default, and a literal fallback of an environment read "
        "(`os.getenv(\"SECRET_KEY\", \"dev\")`). Also reports a literal passed as the key of a "
        "signing or encryption API (`jwt.encode`, `hmac.new`, `Fernet`, itsdangerous serializers), "
        "and, in any string and in `.env`, `.ini`, `.cfg`, `.yaml`, `.json`, `.toml` files, values "
        "in the format of a well-known credential (AWS access key ids, GitHub, GitLab, Slack, "
        "Stripe live, Google API, OpenAI keys, private key blocks...). Placeholders (`<your-key>`, "
        "`${SECRET}`, `{password}`, `xxx`, `your-secret-here`), field names (`PASSWORD_FIELD = "
        "\"password\"`), labels, URLs, paths and names that hold no secret (`password_hash`, "
        "`token_expiry`, `token_type`) stay quiet. `changeme`, `secret` and Django's "
        "`django-insecure-...` key are not placeholders: applications run with them."
    )
    why = (
        "A secret in the source is shared with everyone who can read the repository, its forks, "
        "backups and CI logs, and it stays in the history after it is removed. A leaked session or "
        "signing key lets anyone forge sessions and tokens; a leaked password or API token gives "
        "direct access. A hardcoded fallback (`os.getenv(\"SECRET_KEY\", \"dev\")`) is the same: "
        "the day the variable is missing, production silently runs with the public value."
    )
    how_to_fix = (
        "Read the value from the environment (`os.environ[\"SECRET_KEY\"]`, failing loudly when it "
        "is missing) or from a secrets manager, document the variable in `.env.example`, and "
        "rotate any credential that was committed. Values the project uses as placeholders can be "
        "listed in `allowed-values`."
    )
    bad = (
        'class Config:\n'
        '    SECRET_KEY = "s3cr3t-k3y-for-sessions"\n'
        '    MAIL_PASSWORD = os.getenv("MAIL_PASSWORD", "mail-pa55word")\n'
    )
    good = (
        'class Config:\n'
        '    SECRET_KEY = os.environ["SECRET_KEY"]\n'
        '    MAIL_PASSWORD = os.environ["MAIL_PASSWORD"]\n'
    )

    examples = (
        # --- Flag: every binding form --------------------------------------------
        Flag('''
            import os


            class Config:
                SQLALCHEMY_TRACK_MODIFICATIONS = False
                SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret-key-42")
                MAIL_USERNAME = "alerts@shop.internal"
                MAIL_PASSWORD = "changeme"


            class ProductionConfig(Config):
                SESSION_COOKIE_SECURE = True
            ''', path="app/config.py", line=6, count=2,
             note="Flask config class: env fallback and class attribute; changeme is not a placeholder"),
        Flag(_code('''
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent

            SECRET_KEY = "@DJANGO@"

            DEBUG = False

            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "shop",
                    "USER": "shop",
                    "PASSWORD": "Sh0p-db-2024",
                    "HOST": "db.internal",
                }
            }

            AUTH_PASSWORD_VALIDATORS = [
                {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
            ]
            PASSWORD_RESET_TIMEOUT = 3600
            '''), path="shop/settings.py", line=5, count=2,
             note="Django settings: module assignment (django-insecure key) and DATABASES dict key"),
        Flag('''
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                app_name: str = "shop-api"
                database_url: str = "sqlite:///./shop.db"
                secret_key: str = "9f2c1e7ab3d54e0f8a6b2c4d"
                access_token_expire_minutes: int = 30
                algorithm: str = "HS256"


            settings = Settings()
            ''', path="app/core/config.py", line=7, count=1, note="FastAPI pydantic settings: annotated assignment"),
        Flag('''
            from flask import Flask


            def create_app():
                app = Flask(__name__)
                app.config.from_mapping(
                    SECRET_KEY="dev",
                    DATABASE="instance/app.sqlite",
                )
                app.secret_key = "s3cr3t-k3y-for-sessions"
                app.config["JWT_SECRET_KEY"] = "jwt-s3cret"
                app.config.update(MAIL_PASSWORD="mail-pa55word")
                return app
            ''', path="app/__init__.py", line=7, count=4,
             note="app factory: call keywords, attribute target, subscript target, config.update"),
        Flag('''
            import psycopg2


            def get_connection():
                return psycopg2.connect(
                    host="db.internal",
                    dbname="orders",
                    user="orders",
                    password="0rders-pw-2024",
                )
            ''', path="app/db.py", line=9, note="keyword argument in a multi-line call"),
        Flag('''
            PAYMENT_GATEWAY = {
                "base_url": "https://payments.internal/v2",
                "api_key": "pk_9a8b7c6d5e4f",
                "timeout": 10,
            }
            SMTP = {"host": "smtp.internal", "user": "alerts", "pass": "smtp-pa55"}
            HEADERS = dict(apiKey="k-77f1a2b3c4", accept="application/json")
            ''', path="app/integrations.py", line=3, count=3,
             note="dict literal keys (camelCase, `pass` as a whole key) and dict(...) keywords"),
        Flag('''
            class LdapClient:
                def __init__(self, host, bind_dn, password="Adm1n-ldap"):
                    self.host = host


            def login(username, pw="hunter2"):
                return username, pw
            ''', path="app/auth.py", line=2, count=2, note="parameter defaults"),
        Flag('''
            import os
            from os import getenv as env_or

            from decouple import config
            from django.conf import settings

            API_TOKEN = env_or("API_TOKEN", "tok-live-8f3a9c2d")
            STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec-local-123"
            JWT_SECRET = config("JWT_SECRET", default="local-jwt-secret")
            SIGNING_KEY = getattr(settings, "WEBHOOK_SECRET", "insecure-default")
            SENTRY_DSN = os.getenv("SENTRY_DSN", "https://public@sentry.internal/1")
            os.environ.setdefault("DJANGO_SECRET_KEY", "fallback-secret-value")
            ''', path="app/settings_env.py", line=7, count=5,
             note="literal fallbacks of environment reads, resolved through imports"),
        Flag(_code('''
            import hashlib
            import hmac
            from datetime import datetime, timedelta, timezone

            import jwt
            from cryptography.fernet import Fernet
            from itsdangerous import URLSafeTimedSerializer
            from jose import jwt as jose_jwt


            def issue_token(user_id):
                payload = {"sub": str(user_id), "exp": datetime.now(timezone.utc) + timedelta(hours=1)}
                return jwt.encode(payload, "jwt-signing-secret", algorithm="HS256")


            def read_token(token):
                return jwt.decode(
                    token,
                    "jwt-signing-secret",
                    algorithms=["HS256"],
                )


            def sign(body):
                return hmac.new(b"webhook-signing-key", body, hashlib.sha256).hexdigest()


            def legacy_claims(token):
                return jose_jwt.decode(token, "jose-shared-key", algorithms=["HS256"])


            fernet = Fernet(b"@FERNET@")
            serializer = URLSafeTimedSerializer("email-confirm-secret", salt="confirm")
            '''), path="app/security.py", line=13, count=6,
             note="keys handed to jwt, python-jose, hmac, Fernet and itsdangerous"),
        Flag(_code('''
            import boto3

            s3 = boto3.client(
                "s3",
                aws_access_key_id="@AWS_KEY_ID@",
                aws_secret_access_key="@AWS_SECRET@",
            )
            SLACK_WEBHOOK_URL = "https://@SLACK_HOOK@"
            GITHUB = {"owner": "acme", "auth": "@GITHUB@"}
            STRIPE = "@STRIPE@"
            MAPS = "@GOOGLE@"
            DEPLOY_KEY = (
                "@PEM@"
            )
            '''), path="app/clients.py", line=5, count=7,
             note="well-known formats in any literal, whatever its name"),
        Flag(_code('''
            DATABASE_URL=postgresql://app@db.internal/app
            AWS_ACCESS_KEY_ID=@AWS_KEY_ID@
            AWS_SECRET_ACCESS_KEY=@AWS_SECRET@
            STRIPE_API_KEY=@STRIPE@
            '''), path=".env", line=2, count=3, note="formats in a dotenv file"),
        Flag(_code('''
            ci:
              gitlab_token: "@GITLAB@"
              notify:
                slack: @SLACK@
            '''), path="deploy/config.yaml", line=2, count=2, note="formats in YAML"),
        Flag(_code('''
            {
              "type": "service_account",
              "project_id": "shop-prod",
              "private_key": "@PEM@\\\\n",
              "client_email": "deploy@shop-prod.iam.gserviceaccount.com"
            }
            '''), path="credentials.json", line=4, note="a private key block in JSON"),
        Flag(_code('''
            [deploy]
            github_token = @GITHUB@
            '''), path="setup.cfg", line=2, note="formats in an .ini/.cfg file"),
        Flag('''
            LICENSE_KEY = "ACME-4F2A-99B1-7C3D"
            ''', options={"extra-names": ["license_key"]}, note="extra-names adds secret-like names"),
        # --- Quiet --------------------------------------------------------------
        Quiet('''
            import os

            import boto3


            class Config:
                SECRET_KEY = os.environ["SECRET_KEY"]
                MAIL_PASSWORD = os.getenv("MAIL_PASSWORD")
                API_TOKEN = os.environ.get("API_TOKEN", None)
                STRIPE_KEY = os.getenv("STRIPE_KEY", "")


            def db_password():
                client = boto3.client("secretsmanager")
                return client.get_secret_value(SecretId="prod/db")["SecretString"]
            ''', path="app/config.py", note="values read from the environment or a secrets manager"),
        Quiet('''
            SECRET_KEY = None
            DB_PASSWORD = ""
            settings = {"api_key": None, "password": ""}


            def connect(host, password=None, token=""):
                return host
            ''', note="None and empty strings"),
        Quiet('''
            SECRET_KEY = "<your-key>"
            API_KEY = "${API_KEY}"
            DB_PASSWORD = "{password}"
            TOKEN = "xxx"
            CLIENT_SECRET = "your-secret-here"
            PRIVATE_KEY = "..."
            MASKED_PASSWORD = "********"
            DSN_PASSWORD = "%(password)s"
            ''', note="clear placeholders"),
        Quiet('''
            from enum import Enum

            from django import forms

            PASSWORD_FIELD = "password"
            token_type = "bearer"
            auth_header = "Authorization"
            API_KEY_HEADER = "X-API-Key"
            TOKEN_URL = "https://auth.shop.internal/oauth/token"
            PASSWORD_RESET_URL = "/account/password/reset/"
            SECRET_KEY_ENV = "APP_SECRET_KEY"
            TOKEN_KEY = "access_token"


            class CredentialKind(str, Enum):
                PASSWORD = "pwd"
                API_KEY = "key"
                TOKEN = "tkn"


            class LoginForm(forms.Form):
                password = forms.CharField(label="Password", widget=forms.PasswordInput)

                class Meta:
                    labels = {"password": "Enter your password", "token": "One-time code:"}
            ''', note="strings that name a field, header, URL or label; Enum members"),
        Quiet('''
            from sqlalchemy import Column, Integer, String
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                email = Column(String(255), unique=True)
                password_hash = Column(String(128), nullable=False)


            PASSWORD_MIN_LENGTH = 8
            password_min_length = 8
            token_expiry = 3600
            JWT_ALGORITHM = "HS256"
            SECRET_KEY_FALLBACKS = []
            ''', path="app/models.py", note="names that hold no secret"),
        Quiet('''
            SECRET_KEY = "dev-only-not-secret"
            ''', options={"allowed-values": ["dev-only-not-secret"]}, note="allowed-values"),
        Quiet('''
            PASSWORD = "hunter22"
            API_TOKEN = "tok-live-8f3a9c2d"
            ''', path="tests/test_auth.py", note="test code is quiet by default"),
        Quiet(_code('''
            AWS_DOCS_KEY = "AKIAIOSFODNN7EXAMPLE"
            GIT_SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
            FILE_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
            REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"
            STRIPE_TEST_MODE = "@STRIPE_TEST@"
            GITHUB_SAMPLE = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            PEM_DOCS = "-----BEGIN RSA PRIVATE KEY-----\\\\n...\\\\n-----END RSA PRIVATE KEY-----"
            '''), note="look-alikes: documentation key, hashes, UUID, Stripe test key, truncated key"),
        Quiet(_code('''
            REPO_URL = "https://ci-bot:@GITHUB@@github.com/acme/shop.git"
            '''), note="a password inside a URL is reported by BP102 alone"),
        Quiet('''
            import jwt

            PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\\\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\\\\n-----END PUBLIC KEY-----"


            def verify(token):
                return jwt.decode(token, "-----BEGIN PUBLIC KEY-----\\\\nMIIBIjAN\\\\n-----END PUBLIC KEY-----",
                                  algorithms=["RS256"])


            def encode(payload, key):
                return payload, key


            result = encode({"sub": "1"}, "local-function-not-jwt")
            ''', note="public keys, and a local function named encode"),
        Quiet('''
            from pydantic import BaseModel


            class LoginRequest(BaseModel):
                username: str
                password: str

                model_config = {
                    "json_schema_extra": {"examples": [{"username": "johndoe", "password": "secret"}]},
                }
            ''', note="sample data for API docs"),
        Quiet('''
            SECRET_KEY=
            DATABASE_PASSWORD=change-me
            API_TOKEN=${API_TOKEN}
            ''', path=".env.example", note="config files: only well-known formats are reported"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._extra = tuple(self.option("extra-names"))
        self._allowed = frozenset(self.option("allowed-values"))
        # literals already reported or folded into a concatenation
        self._done: set[int] = set()
        self._scopes: list[str] = []  # "enum", "class" or "def"
        text = ctx.text
        self._scan_tokens = TOKEN_HINT.search(text) is not None

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return bool(ctx.option(cls.code, "extra-names")) or bool(_SECRET_HINT.search(text) or TOKEN_HINT.search(text))

    # --- judging one literal --------------------------------------------------

    def _judge_bound(self, name: str, expr: cst.BaseExpression | None, what: str) -> None:
        """``expr`` is bound to ``name``; report its literal values when ``name`` holds a secret."""
        if expr is None or self._example_depth or not is_secret_name(name, self._extra):
            return
        for node, value in literal_leaves(expr):
            if id(node) in self._done or is_placeholder(value, self._allowed):
                continue
            if len(value.strip()) < MIN_SECRET_LENGTH or names_a_field(name, value):
                continue
            self._report_secret(node, value, what, name)
        if isinstance(expr, cst.Call):
            self._judge_lookup(expr, fallback_name=name)

    def _report_secret(self, node: cst.CSTNode, value: str, what: str, name: str) -> None:
        self._done.add(id(node))
        shown = preview(value)
        if value.startswith("django-insecure-"):
            message = (f"{what} is Django's generated development key (`{shown}`); read it from the "
                       f"environment (`os.environ[\"{env_name(name)}\"]`) or a secrets manager instead.")
        else:
            token = next(find_tokens(value), None)
            kind = f"holds {token.title}" if token else "is a hardcoded secret"
            if what.startswith("The default of parameter"):
                message = (f"{what} {kind} (`{shown}`); remove the default and pass the value in, read "
                           f"from the environment or a secrets manager.")
            else:
                message = (f"{what} {kind} (`{shown}`); read it from the environment "
                           f"(`os.environ[\"{env_name(name)}\"]`) or a secrets manager instead.")
        self.report(node, message, secret=True)

    # --- scopes: enum bodies hold member values, not secrets -------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append("enum" if _is_enum_class(node, self) else "class")

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append("def")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append("def")

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.pop()

    @property
    def _in_enum(self) -> bool:
        return bool(self._scopes) and self._scopes[-1] == "enum"

    # --- example data for API docs -------------------------------------------

    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter(node)

    def leave_Arg(self, node: cst.Arg) -> None:
        self._leave(node)

    # --- bindings -------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)
        self._enter(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._leave(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)
        self._enter(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._leave(node)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if value is None or self._in_enum:
            return
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements):
                    self._bind(t.value, v.value)
            return
        name = _target_name(target)
        if name is None:
            return
        self._judge_bound(name, value, f"`{name}`")
        if isinstance(value, cst.Call) and self._scopes and self._scopes[-1] == "class":
            self._judge_field_default(name, value)

    def _judge_field_default(self, name: str, call: cst.Call) -> None:
        """``secret_key: str = Field("dev", ...)`` in a pydantic model or dataclass."""
        qualified = self.ctx.qualified_name(call.func) or ""
        if qualified.rsplit(".", 1)[-1] not in ("Field", "field") or not qualified.startswith(
                ("pydantic", "dataclasses", "sqlmodel", "attr", "msgspec")):
            return
        arg = keyword_arg(call, "default") or (positional_arg(call, 0) if qualified.startswith(("pydantic", "sqlmodel")) else None)
        if arg is not None:
            self._judge_bound(name, arg.value, f"The default of `{name}`")

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._judge_bound(node.name.value, node.default, f"The default of parameter `{node.name.value}`")

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None:
            self._judge_bound(key, node.value, f"The `{key}` entry")
        self._enter(node)

    def leave_DictElement(self, node: cst.DictElement) -> None:
        self._leave(node)

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None:
                self._judge_bound(arg.keyword.value, arg.value, f"The `{arg.keyword.value}` argument")
        self._judge_lookup(node)
        self._judge_key_argument(node)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # os.environ.get("SECRET_KEY") or "dev"
        if isinstance(node.operator, cst.Or) and isinstance(node.left, cst.Call):
            looked_up = self._lookup_name(node.left)
            if looked_up is not None:
                self._judge_bound(looked_up[0], node.right, f"The fallback for `{looked_up[0]}`")

    # --- environment reads and lookups with a literal fallback ----------------

    def _lookup_name(self, call: cst.Call) -> tuple[str, cst.BaseExpression | None] | None:
        """For a lookup by name, the name and its fallback expression (None when there is none)."""
        func = call.func
        qualified = self.ctx.qualified_name(func)
        if qualified == "builtins.getattr":
            # getattr(settings, "SECRET_KEY", "dev"): the name is the second argument
            name_arg, default = positional_arg(call, 1), positional_arg(call, 2)
            looked_up = string_value(name_arg.value) if name_arg is not None else None
            if looked_up is None:
                return None
            return looked_up, (default.value if default is not None else None)
        first = positional_arg(call, 0)
        looked_up = string_value(first.value) if first is not None else None
        if looked_up is None:
            return None
        default = keyword_arg(call, "default")
        if qualified in ENV_DEFAULT_GETTERS:
            default = default or positional_arg(call, 1)
        elif isinstance(func, cst.Name) and self.ctx.instance_of(func) in ENV_READER_CLASSES:
            pass  # env("SECRET_KEY", default="dev"): the second positional is a cast
        elif isinstance(func, cst.Attribute):
            owner = func.value
            if isinstance(owner, cst.Name) and self.ctx.instance_of(owner) in ENV_READER_CLASSES:
                default = default or positional_arg(call, 1)  # env.str("SECRET_KEY", "dev")
            elif func.attr.value in ("get", "setdefault") and len(call.args) == 2:
                default = default or positional_arg(call, 1)  # settings.get("SECRET_KEY", "dev")
            else:
                return None
        else:
            return None
        return looked_up, (default.value if default is not None else None)

    def _judge_lookup(self, call: cst.Call, fallback_name: str | None = None) -> None:
        looked_up = self._lookup_name(call)
        if looked_up is None or looked_up[1] is None:
            return
        name, default = looked_up
        if not is_secret_name(name, self._extra) and fallback_name is not None:
            name = fallback_name
        self._judge_bound(name, default, f"The fallback value for `{name}`")

    # --- keys handed to signing and encryption APIs ----------------------------

    def _judge_key_argument(self, call: cst.Call) -> None:
        qualified = self.ctx.qualified_name(call.func)
        if qualified is None:
            return
        spec = KEY_ARGUMENTS.get(qualified)
        if spec is None and qualified.startswith("itsdangerous.") and qualified.rsplit(".", 1)[-1] in ITSDANGEROUS_CLASSES:
            spec = (0, ("secret_key",))
        if spec is None:
            return
        position, keywords = spec
        arg = next((keyword_arg(call, k) for k in keywords if keyword_arg(call, k) is not None), None)
        if arg is None and position is not None:
            arg = positional_arg(call, position)
        if arg is None:
            return
        callee = qualified.replace("builtins.", "")
        for node, value in literal_leaves(arg.value):
            if id(node) in self._done or is_placeholder(value, self._allowed):
                continue
            if "PUBLIC KEY" in value or "CERTIFICATE" in value:
                continue  # verifying with a public key is not a secret
            self._done.add(id(node))
            what = "password" if keywords == ("password",) else "key"
            self.report(node, f"`{callee}` is given a hardcoded {what} (`{preview(value)}`); read it from "
                              f"the environment or a secrets manager instead.", secret=True)

    # --- well-known credential formats in any string ---------------------------

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._done:
            return
        # judge the whole concatenation once: a key split over lines is one key
        stack: list[cst.CSTNode] = [node.left, node.right]
        while stack:
            part = stack.pop()
            self._done.add(id(part))
            if isinstance(part, cst.ConcatenatedString):
                stack.extend((part.left, part.right))
        value = string_value(node)
        if value is None:
            # an f-string part: judge the plain parts on their own
            stack = [node.left, node.right]
            while stack:
                part = stack.pop()
                if isinstance(part, cst.ConcatenatedString):
                    stack.extend((part.left, part.right))
                elif isinstance(part, cst.SimpleString):
                    self._scan_literal(part, part.value)
            return
        self._scan_literal(node, value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._done:
            self._scan_literal(node, node.value)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self._scan_literal(node, node.value)

    def _scan_literal(self, node: cst.CSTNode, text: str) -> None:
        # ``text`` may be the source spelling (escapes unevaluated): formats
        # never contain escapes, and private key bodies are read either way.
        if not self._scan_tokens or len(text) < 20 or id(node) in self._done or self._example_depth:
            return
        token: TokenMatch | None = next(find_tokens(text, self._allowed), None)
        if token is None:
            return
        if url_password(string_value(node) or text) is not None:
            return  # a password inside a URL: BP102 reports it
        self._done.add(id(node))
        self.report(node, f"This string holds {token.title} (`{preview(token.value)}`); revoke it and read it "
                          f"from the environment or a secrets manager instead.", secret=True)

    # --- dotenv and config files -----------------------------------------------

    def check(self) -> None:
        text = self.ctx.text
        starts = _line_starts(text)
        found = [(m.start, m.end, m.title, m.value) for m in find_tokens(text, self._allowed)]
        found += list(_aws_secret_keys(text))
        found.sort()
        last_end = -1
        for start, end, title, value in found:
            if start < last_end:
                continue
            last_end = end
            self._report_text(_span(starts, start, end), f"This file holds {title} (`{preview(value)}`); revoke "
                             f"it and read it from the environment or a secrets manager instead.")

    def _report_text(self, span: Span, message: str) -> None:
        self.ctx.report_span(self, span, message, secret=True)


# The AWS secret access key has no prefix: it is only recognizable next to its name.
_AWS_SECRET = re.compile(
    r"aws[\w.-]{0,20}?(?:secret|key|pwd|pw|password|pass|token)[\w.-]{0,20}?[\"']?\s*[=:]\s*[\"']?"
    r"(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", re.IGNORECASE)


def _aws_secret_keys(text: str) -> Iterator[tuple[int, int, str, str]]:
    if "aws" not in text.lower():
        return
    for match in _AWS_SECRET.finditer(text):
        value = match.group("value")
        if shannon_entropy(value) >= 4.0 and not looks_made_up(value) and not value.upper().endswith("EXAMPLEKEY"):
            yield match.start("value"), match.end("value"), "an AWS secret access key", value


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _span(starts: list[int], start: int, end: int) -> Span:
    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, max(end - 1, start))
    return Span(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)


class CredentialsInUrl(_ExampleContext, PythonRule):
    code = "BP102"
    name = "credentials-in-url"
    category = "secrets"
    severity = Severity.ERROR
    cwe = (798,)
    quiet_in_tests = True
    summary = "A connection URL with a password written into it"
    what = (
        "Reports a string literal that is a URL with an embedded password: "
        "`postgresql://user:pw@host/db`, `redis://:pw@host`, `amqp://guest:guest@host`, "
        "`mongodb+srv://u:p@cluster`, in code or as the fallback of an environment read. "
        "URLs without a password, `sqlite:` URLs, templates (`${DB_PASSWORD}`, `{password}`, "
        "`%(password)s`), placeholders and URLs in docstrings stay quiet."
    )
    why = (
        "A database, cache or broker URL with its password is a credential: everyone who reads the "
        "repository can connect, and the password stays in the history after it is removed. A "
        "fallback URL (`os.getenv(\"DATABASE_URL\", \"postgresql://app:pw@db/app\")`) ships the "
        "password to every environment where the variable is missing."
    )
    how_to_fix = (
        "Read the whole URL from the environment (`os.environ[\"DATABASE_URL\"]`), or build it "
        "from parts with the password read from the environment or a secrets manager, and rotate "
        "the committed password."
    )
    bad = 'SQLALCHEMY_DATABASE_URI = "postgresql://app:s3cret@db.internal/app"\n'
    good = 'SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]\n'

    examples = (
        Flag('''
            import os


            class Config:
                SQLALCHEMY_DATABASE_URI = "postgresql://app:s3cret@db.internal/app"
                CELERY_BROKER_URL = "amqp://guest:guest@rabbitmq:5672//"
                REDIS_URL = os.getenv("REDIS_URL", "redis://:r3dis-pw@cache.internal:6379/0")
            ''', path="app/config.py", line=5, count=3,
             note="config class attributes and an environment fallback"),
        Flag('''
            from pymongo import MongoClient


            def get_db():
                client = MongoClient(
                    "mongodb+srv://shop:Mongo-pw-2024@cluster0.mongodb.net/shop",
                    serverSelectionTimeoutMS=5000,
                )
                return client.shop
            ''', path="app/db.py", line=6, note="a URL passed in a multi-line call"),
        Flag('''
            DATABASES = {
                "default": {"URL": "mysql://root:"
                                   "r00t-pw@mysql.internal/shop"},
            }
            ''', path="shop/settings.py", line=2, note="implicitly concatenated literal"),
        Quiet('''
            import os

            SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
            BROKER_URL = os.getenv("BROKER_URL", "amqp://rabbitmq:5672//")
            CACHE_URL = "redis://cache.internal:6379/0"
            ADMIN_DB = "postgresql://admin@db.internal/app"
            ''', note="no password part"),
        Quiet('''
            import os

            DATABASE_URL = "postgresql://app:${DB_PASSWORD}@db.internal/app"
            TEMPLATE = "postgresql://{user}:{password}@{host}/{name}"
            LEGACY = "mysql://%(user)s:%(password)s@%(host)s/shop"
            url = "postgresql://{}:{}@{}/{}".format("app", os.environ["DB_PASSWORD"], "db", "app")
            SAMPLE = "postgresql://user:<password>@host/db"
            ''', note="templates and placeholders"),
        Quiet('''
            SQLALCHEMY_DATABASE_URI = "sqlite:///instance/app.db"
            TEST_DB = "sqlite+pysqlite:///:memory:"
            ''', note="sqlite URLs"),
        Quiet('''
            def connect(url):
                """Connect to the database.

                ``url`` looks like ``postgresql://user:password@host:5432/dbname``.
                """
                return url


            HELP = "Database URL, for example postgresql://user:password@host/db"
            ''', note="documentation and prose that mention a URL"),
        Quiet('''
            DATABASE_URL = "postgresql://app:s3cret@db.internal/app"
            ''', path="tests/conftest.py", note="test code is quiet by default"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._done: set[int] = set()

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        return "://" in text and "@" in text

    # sample data: connection examples shown in a UI or API docs
    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter(node)

    def leave_Arg(self, node: cst.Arg) -> None:
        self._leave(node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._enter(node)

    def leave_DictElement(self, node: cst.DictElement) -> None:
        self._leave(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._enter(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        self._leave(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._enter(node)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._leave(node)

    def visit_Expr(self, node: cst.Expr) -> None:
        # a string statement is documentation; its URLs are examples
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
            self._mark(node.value)

    def _mark(self, node: cst.CSTNode) -> None:
        self._done.add(id(node))
        if isinstance(node, cst.ConcatenatedString):
            self._mark(node.left)
            self._mark(node.right)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self._done:
            return
        self._mark(node)
        self._check(node)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._done:
            self._check(node)

    def _check(self, node: cst.BaseExpression) -> None:
        if self._example_depth:
            return
        raw = node.value if isinstance(node, cst.SimpleString) else "://@"
        if "://" not in raw or "@" not in raw:
            return
        value = string_value(node)
        if value is None:
            return
        credential = url_password(value)
        if credential is None:
            return
        self.report(node, f"This URL embeds a password (`{credential.masked()}`); read the URL or its "
                          f"password from the environment or a secrets manager instead.", secret=True)

