"""BP101 hardcoded-secret: keys, passwords and tokens written into the source or config files.

The rule class holds the docs and examples; its checks come from two mixins:
``SecretBindings`` (``_secret_bindings``: literals bound to secret-like names
and keys handed to signing APIs) and ``CredentialFormats`` (``_secret_tokens``:
well-known credential formats in any string and in config files). Which
modules can hold a finding at all is decided in the index phase
(``_secret_candidates``), so most modules are never parsed for it.
"""

from __future__ import annotations

from bplint.discover.files import FileKind
from bplint.project.roles import Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Option, Precision, PythonRule, Quiet, TextRule
from bplint.rules._secret_bindings import SecretBindings
from bplint.rules._secret_candidates import has_candidate
from bplint.rules._secret_fakes import with_fakes as _code
from bplint.rules._secret_formats import TOKEN_HINT
from bplint.rules._secret_names import name_words
from bplint.rules._secret_tokens import CredentialFormats


class HardcodedSecret(SecretBindings, CredentialFormats, PythonRule, TextRule):
    # One rule over two kinds of file: the visitor runs on Python modules,
    # ``check`` on dotenv and config files (the engine picks by base class).
    code = "BP101"
    detects_secrets = True
    uses_bindings = True  # a key handed to a signing API through a name
    name = "hardcoded-secret"
    category = "secrets"
    severity = Severity.ERROR
    precision = Precision(15, 86, "2026-12-02", debatable=13, unseen=(8, 52))
    preview = True
    roles = frozenset({Role.APPLICATION, Role.SCRIPT, Role.DEV})
    cwe = (798,)
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
        "Stripe live, Google API, OpenAI keys, private key blocks...; an AWS key id padded with `x` "
        "too). The application's signing key (`SECRET_KEY`, `app.secret_key`, `JWT_SECRET_KEY`, "
        "`WTF_CSRF_SECRET_KEY`, `JWT_SECRET`...) is reported also when its value is weak or a "
        "placeholder (`'secret key'`, `'your-secret-key-here'`, `'aaaaaaa'`) in application code: "
        "production signs with it. A key bound to a name and then handed to a signing API "
        "(`secret = \"secret\"` ... `jwt.encode(claims, secret)`) is followed to its literal. "
        "Template references a deploy step substitutes (`${SECRET}`, `{{ secret_key }}`, "
        "`%(password)s`) stay quiet everywhere, other placeholders (`<your-key>`, `xxx`, "
        "`your-secret-here`) for names other than the signing key; so do field names "
        "(`PASSWORD_FIELD = \"password\"`, a key's name, a mapping of fields to their types), labels, "
        "URLs, paths, import references, and names that hold no secret (`password_hash`, "
        "`token_expiry`, `token_type`, the token counts of a language model such as "
        "`prompt_tokens`, an alphabet keys are drawn from). A `.get(name, default)` counts as a "
        "lookup with a fallback only on the environment (`os.environ`, `os.getenv`, resolved "
        "through imports) or a settings object (Django's `settings`, a Flask app's `config`), not "
        "on an API response or a `ConfigParser`. Values passed as the sample of a preview (an "
        "argument in the place of a `sample` parameter) and guessable values in development and "
        "test configuration (`settings/dev.py`, `class TestingConfig`) stay quiet; a real-looking "
        "credential there is still reported. `changeme`, `secret` and Django's "
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
        "rotate any credential that was committed. A signing key should be random "
        "(`python -c \"import secrets; print(secrets.token_hex(32))\"`). Values the project uses as "
        "placeholders can be listed in `allowed-values`."
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
        Flag(_code('''
            from pydantic import BaseModel, Field

            ADMIN_USER, ADMIN_PASSWORD = "admin", "Adm1n-pa55"
            WEBHOOK_SECRET = b"whsec-b7e1c0d2"


            class Settings(BaseModel):
                api_key: str = Field("k-2f9a7c1e55", description="the partner API key")


            def connect(host, *, token="tok-41f0c2aa"):
                return host


            def sign(claims):
                from jwt import encode as make_token

                return make_token(claims, "jwt-inner-k3y")


            retry = lambda secret="s3cr3t-lambda": secret
            HEADER = f"token @GITHUB@ for {connect}"
            '''), path="app/shapes.py", line=3, count=7,
             note="tuple unpacking, bytes, Field default, keyword-only and lambda defaults, an alias "
                  "imported inside a function, a token in an f-string"),
        Flag('''
            import os


            class Config(object):
                DEBUG = False
                SECRET_KEY = 'super secret key'
                SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///app.db")


            class ProductionConfig(Config):
                SESSION_COOKIE_SECURE = True


            class TestingConfig(Config):
                TESTING = True
                SECRET_KEY = "testing"
            ''', path="app/config.py", line=6, count=1,
             note="a guessable signing key in the base config production inherits (the testing one is quiet)"),
        Flag('''
            import os

            from flask import Flask
            from flask_jwt_extended import JWTManager


            def create_app():
                app = Flask(__name__)
                app.secret_key = b'\\x9c\\x07o\\xd2\\nQ\\x1f%\\xa8\\x84'
                app.config["JWT_SECRET_KEY"] = "your-secret-key-here"
                app.config.from_mapping(SECRET_KEY=os.environ.get("SECRET_KEY", "aaaaaaaa"))
                JWTManager(app)
                return app
            ''', path="app/__init__.py", line=9, count=3,
             note="a short bytes key, a placeholder left in, a fallback of one repeated character"),
        Flag('''
            from datetime import datetime, timedelta, timezone

            import jwt

            secret = "secret"


            def make_token(user):
                claims = {"sub": user.id, "exp": datetime.now(timezone.utc) + timedelta(hours=2)}
                return jwt.encode(claims, secret, algorithm="HS256")
            ''', path="app/tokens.py", line=5, note="a key bound to a name, then handed to jwt.encode"),
        Flag(_code('''
            import boto3

            session = boto3.Session(
                aws_access_key_id="@AWS_KEY_ID_PADDED@",
                region_name="eu-west-1",
            )
            '''), path="app/storage.py", line=4, note="an access key id with its end padded with x still gives away its start"),
        # --- Quiet --------------------------------------------------------------
        Quiet('''
            SECRET_KEY = "dev"
            DEBUG = True
            ALLOWED_HOSTS = ["*"]
            ''', path="mysite/settings/dev.py", note="a guessable key in development settings protects nothing"),
        Quiet('''
            import configparser
            import os

            import requests

            parser = configparser.ConfigParser()
            parser.read(os.environ.get("APP_CONFIG", "/etc/shop/shop.ini"))
            SECRET_KEY = parser.get("django", "secret")


            def partner_key(account_id):
                data = requests.get(f"https://partners.internal/accounts/{account_id}", timeout=5).json()
                return data.get("api_key", "Unknown")
            ''', path="shop/settings.py",
              note="a ConfigParser option and a dict read of an API response are not environment reads"),
        Quiet('''
            import os

            RESPONSE_TOKENS = os.getenv("RESPONSE_TOKENS", "1024")
            SUMMARY_TOKEN_THRESHOLD = os.getenv("SUMMARY_TOKEN_THRESHOLD", "6000")
            INVITE_TOKEN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
            TOKEN_RESPONSE_KEY = "accesscode"
            LOADERS = {"api-token": "shop.fixtures.factories:ApiTokenFactory"}


            def describe_connector():
                return {"fields": {"endpoint": "url", "client_id": "string", "client_secret": "secret"}}
            ''', path="app/llm.py",
              note="token counts, an alphabet keys are drawn from, a key's name, an import reference, field types"),
        Quiet('''
            class MailVariable:
                def __init__(self, name, render, sample):
                    self.name, self.render, self.sample = name, render, sample


            VARIABLES = [
                MailVariable(
                    "order_url",
                    lambda order: order.public_url(),
                    lambda: {"code": "X7K2P", "secret": "q8mw2zt5nd7c1bxe"},
                ),
            ]
            ''', path="shop/mail/variables.py", note="a value passed as the sample of a preview"),
        Quiet('''
            def upload_key(request):
                """Store a deploy key.

                Example request body::

                    {"name": "deploy", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----...",
                     "comment": "ci", "fingerprint": "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"}
                """
                return request
            ''', path="app/keys.py", note="a private key left out of a docstring example"),
        Quiet('''
            SECRET_KEY = "{{ secret_key }}"
            DATABASE_PASSWORD = "${DATABASE_PASSWORD}"
            ''', path="deploy_templates/settings.py", note="references a template step substitutes"),
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
            WEBHOOK_TOKEN = "<your-token>"
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
        Quiet('''
            from faker import Faker

            from shop.models import Customer

            fake = Faker()


            def create_customers(session, count=20):
                for _ in range(count):
                    session.add(Customer(email=fake.email(), password="Winter2024!", api_token="c0ffee4b1d5e9a77"))
            ''', path="shop/lib/create_test_data.py", note="a test-data generator"),
        Quiet('''
            from shop.hsm import HardwareModule


            def open_module(config):
                return HardwareModule(config["module"], config["pin"])


            if __name__ == "__main__":  # try it by hand against a local test module
                module = open_module({"module": "/usr/lib/softhsm/libsofthsm2.so", "password": "12345678"})
                print(module.encrypt(b"hello", password="topSecret"))
            ''', path="shop/security/hsm.py",
              files={"shop/app.py": "from flask import Flask\n\nfrom shop.security.hsm import open_module\n\n"
                                    "app = Flask(__name__)\n"},
              note="a guessable value in the `__main__` block of an application module: that block is command-line code"),
        Flag('''
            import os


            class BaseConfig:
                SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]


            class TestingConfig(BaseConfig):
                TESTING = True
                SQLALCHEMY_DATABASE_URI = "sqlite://"
                SECRET_KEY = "only-for-the-test-suite"


            class ProductionConfig(BaseConfig):
                SECRET_KEY = "prod-9f8e7d6c5b4a3f2e1d0c"
            ''', path="billing/config.py", line=15, count=1,
             note="a testing configuration class holds test data; the production one is flagged"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._extra = tuple(self.option("extra-names"))
        self._allowed = frozenset(self.option("allowed-values"))
        # literals already reported or folded into a concatenation
        self._done: set[int] = set()
        self._scopes: list[str] = []  # "enum", "class" or "def"
        self._dev_classes: list[bool] = []  # the enclosing development/test config classes
        self._class_dev: list[bool] = []  # per enclosing class: is it one of them
        self._field_maps: set[int] = set()  # enclosing dicts that map field names to types
        self._signatures: dict[str, list[str]] = {}
        text = ctx.text
        self._scan_tokens = TOKEN_HINT.search(text) is not None

    @classmethod
    def applies_to(cls, ctx) -> bool:
        # the index phase noted whether the module holds a candidate (_secret_candidates);
        # names added with extra-names are looked for in the text: all their words must occur
        if has_candidate(ctx.facts):
            return True
        extra = ctx.option(cls.code, "extra-names")
        if not extra:
            return False
        lower = ctx.text.lower()
        return any(all(word in lower for word in name_words(name)) for name in extra)
