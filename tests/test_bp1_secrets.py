"""BP101 hardcoded-secret and BP102 credentials-in-url beyond the rules' own examples."""

from __future__ import annotations

import random
import textwrap
import time

import pytest

from bplint.config import build_config
from bplint.rules._secret_fakes import FAKE
from bplint.rules._secret_formats import (
    find_tokens, is_placeholder, is_weak, masked, preview, shannon_entropy, url_password,
)
from bplint.rules._secret_names import holds_no_secret, is_secret_name, name_words, names_a_field
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def run(tmp_path, files: dict[str, str], select=("BP101", "BP102"), options=None):
    write_project(tmp_path, {path: textwrap.dedent(code).lstrip("\n") for path, code in files.items()})
    table = {"select": list(select)}
    if options:
        table["rules"] = options
    result = scan([tmp_path], build_config(table, all_rules(), root=tmp_path), cwd=tmp_path)
    assert not [e for e in result.errors if e.internal], result.errors
    return result.findings


def lines_of(findings, code=None, path=None):
    return [f.line for f in findings if (code is None or f.code == code) and (path is None or f.path == path)]


# --- names -----------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("dbPassword", ("db", "password")),
    ("API_KEY", ("api", "key")),
    ("apiKey", ("api", "key")),
    ("api-key", ("api", "key")),
    ("HTTPAuthToken", ("http", "auth", "token")),
    ("AWS_SECRET_ACCESS_KEY", ("aws", "secret", "access", "key")),
])
def test_name_words(name, words):
    assert name_words(name) == words


@pytest.mark.parametrize("name", [
    "SECRET_KEY", "secret", "password", "DB_PASSWORD", "dbPassword", "passwd", "pwd", "pass", "pw",
    "token", "AUTH_TOKEN", "api_key", "apikey", "apiKey", "X-Api-Key", "access_key", "private_key",
    "client_secret", "clientSecret", "credentials", "jwt_secret", "JWT_SECRET_KEY", "signing_key",
    "encryption_key", "aws_secret_access_key", "MAIL_PASSWORD", "refresh_token",
])
def test_secret_like_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", [
    "password_hash", "PASSWORD_HASHERS", "password_min_length", "PASSWORD_MIN_LENGTH", "token_expiry",
    "TOKEN_URL", "PASSWORD_RESET_URL", "PASSWORD_FIELD", "token_type", "tokenType", "auth_header",
    "is_password_set", "max_tokens", "tokenizer", "primary_key", "passage", "pass_count", "bypass",
    "passthrough", "compass", "AWS_ACCESS_KEY_ID", "api_url", "JWT_ALGORITHM", "SECRET_KEY_FALLBACKS_ENV",
    "password_reset_timeout", "token_name", "secret_file", "username", "keyword",
])
def test_names_that_are_not_secret_like(name):
    assert not is_secret_name(name)


def test_extra_names_match_as_word_parts():
    assert not is_secret_name("LICENSE_KEY")
    assert is_secret_name("LICENSE_KEY", ["license_key"])
    assert is_secret_name("licenseKey", ["license-key"])
    assert is_secret_name("STRIPE_LICENSE_KEY", ["license_key"])
    assert not is_secret_name("license_key_url", ["license_key"])


def test_holds_no_secret():
    assert holds_no_secret("password_hash")
    assert holds_no_secret("token_expiry")
    assert not holds_no_secret("new_password")


@pytest.mark.parametrize("name, value", [
    ("password", "password"), ("PASSWORD", "Password"), ("TOKEN_KEY", "access_token"),
    ("SECRET_ENV", "APP_SECRET_KEY"), ("token", "Bearer"), ("api_key", "X-API-Key"),
    ("token", "https://auth.internal/token"), ("private_key", "/etc/app/private.pem"),
    ("private_key", "keys/jwt.key"), ("password", "Enter your password"), ("token", "Token:"),
    ("token_backend", "myapp.auth.backends.TokenBackend"),
])
def test_values_that_name_a_field(name, value):
    assert names_a_field(name, value)


@pytest.mark.parametrize("name, value", [
    ("SECRET_KEY", "secret"), ("DB_PASSWORD", "password"), ("SECRET_KEY", "dev-secret"),
    ("api_key", "9f2c1e7ab3d54e0f"), ("password", "hunter2"), ("token", "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"),
    ("SECRET_KEY", "changeme"),
])
def test_values_that_hold_a_secret(name, value):
    assert not names_a_field(name, value)


# --- placeholders -------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "", "   ", "<your-key>", "<SECRET>", "${SECRET}", "$SECRET_KEY", "{password}", "{{ secret }}",
    "%(password)s", "%s", "xxx", "XXXXXXXX", "...", "********", "your-secret-here", "your_api_key",
    "YOUR_API_KEY", "put-your-token-here", "replace-with-your-key", "placeholder", "TODO", "redacted",
    "none", "null", "example-key", "[API_KEY]", "__SECRET__",
])
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [
    "changeme", "change-me", "CHANGE_ME", "secret", "password", "dev-secret", "test", "s3cr3t", "admin",
    "django-insecure-abc", "hunter2",
])
def test_not_placeholders(value):
    assert not is_placeholder(value)


def test_allowed_values_are_placeholders():
    assert is_placeholder("dev-only", frozenset({"dev-only"}))
    assert not is_placeholder("dev-only")


# --- token formats -------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_RANDOM = random.Random(2024)


def _random(alphabet: str, length: int) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(length))


REAL_SHAPED = {
    "an AWS access key id": FAKE["AWS_KEY_ID"],
    "a GitHub token": FAKE["GITHUB"],
    "a GitLab token": FAKE["GITLAB"],
    "a Slack token": FAKE["SLACK"],
    "a Slack webhook URL": "https://" + FAKE["SLACK_HOOK"],
    "a Stripe live key": FAKE["STRIPE"],
    "a Google API key": FAKE["GOOGLE"],
    "Django's generated development secret key": FAKE["DJANGO"],
    "a private key": FAKE["PEM"],
    "a GitHub token (fine-grained)": "github_pat_" + _random(_ALNUM + "_", 82),
    "an OpenAI API key": "sk-" + "proj-" + _random(_ALNUM, 58) + "T3Blbk" + "FJ" + _random(_ALNUM, 58),
    "an Anthropic API key": "sk-ant-" + "api03-" + _random(_ALNUM + "-_", 93) + "AA",
    "a Discord bot token": "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ." + "Gx7hPq." + _random(_ALNUM, 27),
    "a Mailchimp API key": _random("0123456789abcdef", 32) + "-us14",
    "a PyPI upload token": "pypi-" + "AgEIcHlwaS5vcmc" + _random(_ALNUM, 80),
    "a Square credential": "sq0" + "atp-" + _random(_ALNUM, 22),
    "an npm access token": "npm_" + "QZgbxYEe6i455LvwWWstRRLvK88sKmG0VreI",
    "a Hugging Face token": "hf_" + "SMnvGvuDrfWHLLJhpqxibzcQcnQjuHwBGe",
    "a SendGrid API key": "SG." + "QrqgvsiPvahlsBf3YPAWJM" + "." + "2OtlHJ0ZJoWJBMYgS4D_vWNaj9YM29xZ9uKVSAv68d7",
    "a Telegram bot token": "702467684" + ":AA" + "X1I5hQGyOmZUU2LX0KGv6TzxhW6qEWMV0",
    "a signed JSON Web Token": "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9." + "eyJzdWIiOiAiNDIiLCAicm9sZSI6ICJhZG1pbiIsICJleHAiOiAxOTAwMDAwMDAwfQ." + "GCP4OpvGwZ5HJ5lv6_ghMBWq0jytLVLx38gE9Ymugom",
}


@pytest.mark.parametrize("title, value", list(REAL_SHAPED.items()), ids=list(REAL_SHAPED))
def test_well_known_formats_are_found(title, value):
    found = list(find_tokens(f'config = "{value}"\n'))
    assert len(found) == 1, found
    assert found[0].title == title.split(" (")[0]


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE",  # the documentation key
    "AKIAXXXXXXXXXXXXXXXX",
    "9fceb02d0ae598e95dc970b74767f19372d61af8",  # a git SHA
    "d41d8cd98f00b204e9800998ecf8427e",  # an md5
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # a sha256
    "123e4567-e89b-12d3-a456-426614174000",  # a UUID
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "ghp_" + "0" * 36,
    "sk_" + "test_1Fy00QqPmwgSSZ9kL68rj21U",  # a Stripe test-mode key
    "xoxb-your-token-here",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\\n-----END PUBLIC KEY-----",
    "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    # the well-known documentation JWT
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJhZG1pbiJ9.",  # alg none, unsigned
    "django-insecure-",  # the prefix constant itself
    "pbkdf2_sha256$260000$abcdefgh$Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==",  # a password hash
    "sha512-Q7mN2xK9pL4vR8tW3zY6bH1cD5fG0jS2aE9uI4oP7kM3nB6vC1xZ8qW5eR2tY7uI0oP3aS6dF9gH1jK4lZ",  # SRI hash
])
def test_look_alikes_are_not_tokens(value):
    assert list(find_tokens(f'value = "{value}"')) == []


def test_token_boundaries():
    aws = FAKE["AWS_KEY_ID"]
    assert list(find_tokens("X" + aws)) == []  # inside a longer word
    assert list(find_tokens(aws + "Z")) == []
    assert len(list(find_tokens(f"key={aws};"))) == 1


def test_allowed_values_silence_formats():
    assert list(find_tokens(FAKE["GITHUB"], frozenset({FAKE["GITHUB"]}))) == []


def test_entropy():
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == 2
    assert shannon_entropy("") == 0


# --- URLs -------------------------------------------------------------------------


@pytest.mark.parametrize("url, masked", [
    ("postgresql://user:pw@host/db", "postgresql://user:****@host"),
    ("redis://:pw@cache:6379/0", "redis://:****@cache"),
    ("amqp://guest:guest@localhost:5672//", "amqp://guest:****@localhost"),
    ("mongodb+srv://u:p%40ss@cluster0.mongodb.net/db", "mongodb+srv://u:****@cluster0.mongodb.net"),
    ("mongodb://u:pw2@h1:27017,h2:27017/db?replicaSet=rs0", "mongodb://u:****@h1"),
])
def test_url_password_found(url, masked):
    credential = url_password(url)
    assert credential is not None and credential.masked() == masked


@pytest.mark.parametrize("url", [
    "postgresql://user@host/db", "postgresql://host/db", "redis://cache:6379", "sqlite:///app.db",
    "sqlite+pysqlite:///:memory:", "postgresql://user:${DB_PASSWORD}@host/db",
    "postgresql://user:{password}@host/db", "postgresql://user:{}@host/db",
    "mysql://%(user)s:%(password)s@host/db", "postgresql://user:%s@host/db",
    "postgresql://user:<password>@host/db", "postgresql://user:%24%7BDB_PASSWORD%7D@host/db",
    "https://user:pass@example.com/x", "see postgresql://user:pw@host/db for details",
    "http://[::1/bad", "git@github.com:acme/app.git", "postgresql://user:@host/db",
])
def test_url_password_quiet(url):
    assert url_password(url) is None


# --- whole-engine behaviour ------------------------------------------------------------


def test_messages_never_show_more_than_four_characters(tmp_path):
    secret = "Sup3r-S3cret-Value-9876"
    findings = run(tmp_path, {
        "app.py": f'''
            import os
            import jwt
            SECRET_KEY = "{secret}"
            TOKEN = os.getenv("API_TOKEN", "{secret}")
            DB = "postgresql://app:{secret}@db.internal/app"
            t = jwt.encode({{}}, "{secret}")
            GH = "{FAKE["GITHUB"]}"
            ''',
        ".env": f"GH={FAKE['GITHUB']}\n",
    })
    assert len(findings) == 6
    for finding in findings:
        assert finding.secret
        assert secret[:5] not in finding.message
        assert FAKE["GITHUB"][:5] not in finding.message
        assert "Sup3" in finding.message or "ghp_" in finding.message or "****" in finding.message


def test_preview_hides_short_values():
    assert preview("ab") == "..."
    assert preview("abc") == "a..."
    assert preview("secret") == "se..."
    assert preview("abcdefgh") == "abcd..."
    assert preview("ab`de\nfgh") == "ab?d..."


def test_masked_values_say_how_long_a_short_one_is():
    # a short secret must not read as an empty one (`...`)
    assert masked("ab") == "`...`, 2 characters"
    assert masked("secret") == "`se...`, 6 characters"
    assert masked("abcdefgh") == "`abcd...`"


def test_finding_points_at_the_literal(tmp_path):
    findings = run(tmp_path, {"app.py": '''
        app.config["SECRET_KEY"] = "dev-secret"
        '''})
    [finding] = findings
    assert (finding.line, finding.column, finding.end_column) == (1, 28, 40)


def test_one_finding_per_literal(tmp_path):
    # name, format and crypto key all apply: one finding
    findings = run(tmp_path, {"app.py": f'''
        from itsdangerous import URLSafeTimedSerializer
        GITHUB_TOKEN = "{FAKE['GITHUB']}"
        s = URLSafeTimedSerializer(secret_key="confirm-secret")
        d = dict(token="{FAKE['STRIPE']}")
        '''})
    assert lines_of(findings) == [2, 3, 4]
    assert "GitHub token" in findings[0].message
    assert "Stripe live key" in findings[2].message


def test_bp102_url_is_not_also_a_bp101_format(tmp_path):
    findings = run(tmp_path, {"app.py": f'''
        REPO = "https://bot:{FAKE['GITHUB']}@github.com/acme/app.git"
        '''})
    assert [f.code for f in findings] == ["BP102"]


def test_dotenv_span_and_multiline_private_key(tmp_path):
    pem = FAKE["PEM"].replace("\\n", "\n")
    findings = run(tmp_path, {
        ".env": f"DEBUG=1\nSLACK_BOT_TOKEN={FAKE['SLACK']}\n",
        "deploy/key.yaml": "key: |\n  " + pem.replace("\n", "\n  ") + "\n",
    })
    by_path = {f.path: f for f in findings}
    slack = by_path[".env"]
    assert (slack.line, slack.column, slack.end_column) == (2, 17, 17 + len(FAKE["SLACK"]))
    key = by_path["deploy/key.yaml"]
    assert key.line == 2 and key.end_line > key.line


def test_config_files_report_formats_only(tmp_path):
    findings = run(tmp_path, {
        ".env": "SECRET_KEY=not-so-secret\nDB_PASSWORD=hunter2\n",
        "config.toml": '[db]\npassword = "hunter2"\n',
        "pyproject.toml": f'[tool.deploy]\ntoken = "{FAKE["GITLAB"]}"\n',
        "Pipfile": f'[[source]]\nurl = "https://pypi.internal/simple"\ntoken = "{FAKE["GITHUB"]}"\n',
    })
    assert sorted((f.path, f.line) for f in findings) == [("Pipfile", 3), ("pyproject.toml", 2)]


def test_aws_secret_access_key_needs_its_name(tmp_path):
    findings = run(tmp_path, {
        "creds.ini": f"[default]\naws_secret_access_key = {FAKE['AWS_SECRET']}\nchecksum = {FAKE['AWS_SECRET']}\n",
    })
    assert lines_of(findings) == [2]


def test_names_resolve_through_imports(tmp_path):
    findings = run(tmp_path, {"app.py": '''
        import jwt as pyjwt
        from hmac import new as make_mac
        import itsdangerous


        class jwt:
            @staticmethod
            def encode(payload, key):
                return payload


        def sign(body):
            return make_mac(b"hardcoded-mac-key", body, "sha256")


        a = pyjwt.encode({}, "aliased-jwt-key")
        b = jwt.encode({}, "local-class-not-pyjwt")
        c = itsdangerous.TimestampSigner("signer-secret")
        '''})
    assert lines_of(findings) == [13, 16, 18]


def test_getenv_through_local_function_is_not_an_env_read(tmp_path):
    findings = run(tmp_path, {"app.py": '''
        def getenv(name, default):
            return default

        LABEL = getenv("SECRET_KEY_LABEL", "Secret key")
        MODE = getenv("APP_MODE", "dev-secret-mode")
        '''})
    assert findings == []


def test_test_code_can_be_opted_in(tmp_path):
    files = {"tests/test_login.py": 'PASSWORD = "hunter22"\n'}
    assert run(tmp_path, files) == []


def test_f_strings_and_concatenations(tmp_path):
    findings = run(tmp_path, {"app.py": f'''
        user = "app"
        URL = f"postgresql://{{user}}:s3cret@db/app"
        HOOK = f"https://{FAKE['SLACK_HOOK']}"
        KEY = (
            "{FAKE['GITHUB'][:20]}"
            "{FAKE['GITHUB'][20:]}"
        )
        '''})
    assert sorted((f.code, f.line) for f in findings) == [("BP101", 3), ("BP101", 5)]


def test_deeply_odd_code_does_not_crash(tmp_path):
    findings = run(tmp_path, {"app.py": '''
        password: str
        (a, b), password = (1, 2), "tuple-unpacked-pw"
        x = {**other, "token": "spread-token-123"}
        obj[0] = "index-not-name"
        obj[key] = "computed-key"
        password = b"\\xff\\xfebytes-secret"
        lambda token="lambda-token": token
        class Weird(metaclass=Meta, **kw):
            secret = f"{value}"
        '''})
    assert lines_of(findings) == [2, 3, 6, 7]


def test_multi_module_flask_project(tmp_path):
    findings = run(tmp_path, {
        "shop/__init__.py": '''
            from flask import Flask
            from flask_jwt_extended import JWTManager

            from shop.config import Config


            def create_app(config_class=Config):
                app = Flask(__name__)
                app.config.from_object(config_class)
                app.config["JWT_TOKEN_LOCATION"] = ["headers"]
                app.config["JWT_ACCESS_TOKEN_EXPIRES"] = 3600
                JWTManager(app)
                return app
            ''',
        "shop/config.py": '''
            import os


            class Config:
                SECRET_KEY = os.environ.get("SECRET_KEY") or "you-will-never-guess"
                SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "postgresql://shop:shop@localhost/shop"
                MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
                JWT_SECRET_KEY = os.environ["JWT_SECRET_KEY"]
                PASSWORD_RESET_SALT = os.environ.get("PASSWORD_RESET_SALT", "")


            class TestingConfig(Config):
                TESTING = True
                SQLALCHEMY_DATABASE_URI = "sqlite://"
            ''',
        "shop/auth/forms.py": '''
            from flask_wtf import FlaskForm
            from wtforms import PasswordField, StringField
            from wtforms.validators import DataRequired, EqualTo, Length


            class RegisterForm(FlaskForm):
                username = StringField("Username", validators=[DataRequired()])
                password = PasswordField("Password", validators=[DataRequired(), Length(min=8)])
                password2 = PasswordField("Repeat Password", validators=[EqualTo("password")])
            ''',
        "shop/auth/models.py": '''
            from werkzeug.security import check_password_hash, generate_password_hash

            from shop.extensions import db


            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                password_hash = db.Column(db.String(256))
                api_token = db.Column(db.String(32), index=True, unique=True)
                token_expiration = db.Column(db.DateTime)

                def set_password(self, password):
                    self.password_hash = generate_password_hash(password)
            ''',
        "tests/test_auth.py": '''
            def test_login(client):
                client.post("/login", data={"username": "a", "password": "hunter22"})
            ''',
        ".env.example": "SECRET_KEY=\nDATABASE_URL=postgresql://shop:${DB_PASSWORD}@localhost/shop\n",
    })
    assert sorted((f.code, f.path, f.line) for f in findings) == [
        ("BP101", "shop/config.py", 5), ("BP102", "shop/config.py", 6)]


def test_multi_module_fastapi_project(tmp_path):
    findings = run(tmp_path, {
        "app/core/config.py": '''
            from pydantic import Field
            from pydantic_settings import BaseSettings, SettingsConfigDict


            class Settings(BaseSettings):
                model_config = SettingsConfigDict(env_file=".env")
                project_name: str = "shop"
                secret_key: str = Field("insecure-dev-key", description="JWT signing key")
                first_superuser_password: str = "changethis"
                access_token_expire_minutes: int = 60 * 24 * 8
                smtp_password: str | None = None
                postgres_password: str = ""
            ''',
        "app/core/security.py": '''
            from datetime import datetime, timedelta, timezone

            import jwt
            from passlib.context import CryptContext

            from app.core.config import settings

            pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")
            ALGORITHM = "HS256"


            def create_access_token(subject, expires_delta: timedelta) -> str:
                expire = datetime.now(timezone.utc) + expires_delta
                return jwt.encode({"exp": expire, "sub": str(subject)}, settings.secret_key, algorithm=ALGORITHM)
            ''',
        "app/api/routes/login.py": '''
            from fastapi import APIRouter
            from fastapi.security import OAuth2PasswordBearer

            router = APIRouter()
            reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token")


            @router.post("/login/access-token")
            def login_access_token():
                return {"access_token": make_token(), "token_type": "bearer"}
            ''',
    })
    assert sorted((f.path, f.line) for f in findings) == [("app/core/config.py", 8), ("app/core/config.py", 9)]


def test_django_project(tmp_path):
    findings = run(tmp_path, {
        "mysite/settings/base.py": '''
            import environ

            env = environ.Env(DEBUG=(bool, False))

            SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-only-key-please-change")
            DATABASES = {"default": env.db("DATABASE_URL", default="postgres://mysite:mysite@localhost/mysite")}
            EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
            PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
            AUTH_PASSWORD_VALIDATORS = [
                {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            ]
            CSRF_COOKIE_NAME = "csrftoken"
            REST_FRAMEWORK = {
                "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
            }
            ''',
        "accounts/models.py": '''
            from django.db import models


            class ApiToken(models.Model):
                class Kind(models.TextChoices):
                    PERSONAL = "personal", "Personal"
                    SERVICE = "service", "Service"

                token = models.CharField(max_length=40, unique=True)
                token_prefix = "tok_"
            ''',
    })
    assert sorted((f.code, f.path, f.line) for f in findings) == [
        ("BP101", "mysite/settings/base.py", 5), ("BP102", "mysite/settings/base.py", 6)]
    assert "Django's generated development key" in findings[0].message


def test_modules_without_candidates_are_skipped(tmp_path):
    """The index phase decides which modules BP101 and BP102 need to parse at all."""
    from bplint.discover.files import FileKind, SourceFile
    from bplint.project.index import parse_module_facts
    from bplint.rules._secret_candidates import has_candidate
    from bplint.scan.engine import ast_triggers

    config = build_config({"select": ["BP101", "BP102"]}, all_rules(), root=tmp_path)
    triggers = ast_triggers(config)

    def facts_of(code):
        path = tmp_path / "mod.py"
        path.write_text(code)
        return parse_module_facts(SourceFile(path, "mod.py", FileKind.PYTHON), code, triggers)[1]

    plain = facts_of('def add(a, b):\n    return a + b\n\nPASSWORD_FIELD = "password"\n'
                     'DOCS = "https://user@example.org/docs"\nsecret_key = None\n')
    assert not has_candidate(plain) and "BP102" not in plain.triggered
    assert has_candidate(facts_of('SECRET_KEY = "s3cr3t-k3y-for-sessions"\n'))
    assert has_candidate(facts_of('from jwt import encode as enc\n\nTOKEN = enc({}, "k3y-value")\n'))
    assert has_candidate(facts_of(f'HOOK = "https://{FAKE["SLACK_HOOK"]}"\n'))
    assert "BP102" in facts_of('URL = "postgresql://app:s3cret@db.internal/app"\n').triggered


def test_extra_names_reach_modules_without_built_in_candidates(tmp_path):
    findings = run(tmp_path, {"app.py": 'LICENSE_KEY = "ACME-4F2A-99B1-7C3D"\nlicenseKey = "ACME-77"\n'},
                   select=("BP101",), options={"BP101": {"extra-names": ["license_key"]}})
    assert lines_of(findings) == [1, 2]


def test_large_file_is_fast(tmp_path):
    body = "\n".join(f'VALUE_{i} = "{"abcdefghij" * 3}-{i}"  # token password secret' for i in range(20_000))
    (tmp_path / "big.py").write_text(body)
    (tmp_path / "big.json").write_text('{"items": [' + ",".join(f'"eyJ{i:040d}"' for i in range(50_000)) + "]}")
    start = time.perf_counter()
    run(tmp_path, {})
    assert time.perf_counter() - start < 20


# --- look-alikes met in real projects ------------------------------------------------


def test_real_project_look_alikes(tmp_path):
    findings = run(tmp_path, {
        "lib/oauth.py": '''
            INTERNAL_RESET_SESSION_TOKEN = "_password_reset_token"
            reset_url_token = "set-password"
            API_SECURITY_PASSWORD_KEY = "password"
            CSRF_TOKEN_KEY = "csrftoken"
            GUEST_TOKEN_JWT_ALGO = "HS256"
            context_key_mapping = {"access_token": "password", "host": "hostname"}
            RATE_LIMITS = {"reset_password_from_key": "20/m/ip"}
            EMAIL_TEMPLATES = {"PASSWORD_RESET_NOTICE": "security/email/reset_notice"}
            FAKE_HASH = {"password_hash": "pbkdf2:sha256:600000$salt$abc"}
            form = {"usable_password": "false"}


            def client(token_placement="header", csrf_token_cookie_samesite="lax"):
                return {"token_use": "access", "id_token_encrypted_response_enc": "A128CBC-HS256"}
            ''',
        "lib/engines.py": '''
            class PostgresEngineSpec:
                sqlalchemy_uri_placeholder = (
                    "postgresql://user:password@host:port/dbname[?key=value&key=value...]"
                )
                metadata = {
                    "connection_examples": [
                        {"description": "Demo", "connection_string": "clickhousedb://demo:demo@demo.internal/default"},
                    ],
                }


            def responses():
                return {"content": {"application/json": {"example": {
                    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiOTIyMWZmYzkifQ.abcdefghijklmnopqrstuvwxyz123",
                }}}}
            ''',
    })
    assert findings == []


def test_real_project_true_findings(tmp_path):
    findings = run(tmp_path, {
        "superset_config.py": '''
            SMTP_PASSWORD = "superset"
            GUEST_TOKEN_JWT_SECRET = "test-guest-secret-change-me"
            WTF_CSRF_SECRET_KEY = "reallyhardtoguess"
            SECRET_KEY = "thisismyscretkey-2024"
            ''',
    })
    assert lines_of(findings) == [1, 2, 3, 4]


# --- weak and placeholder signing keys, and the shapes of false findings on real code -------


def test_weak_and_placeholder_signing_keys_are_reported(tmp_path):
    findings = run(tmp_path, {
        "app/config.py": '''
            SECRET_KEY = 'secret key'
            SECRET_KEY2 = 'super secret key'
            JWT_SECRET_KEY = 'your-secret-key-here'
            WTF_CSRF_SECRET_KEY = 'aaaaaaa'
            ''',
        "app/__init__.py": '''
            from flask import Flask

            app = Flask(__name__)
            app.secret_key = b'_5#y2L"F4Q8z\\n\\xec]/'
            ''',
        "app/tokens.py": '''
            import jwt

            secret = "secret"


            def issue(claims):
                return jwt.encode(claims, secret, algorithm="HS256")
            ''',
        "app/storage.py": f'''
            AWS = {{"key_id": "{FAKE["AWS_KEY_ID_PADDED"]}"}}
            ''',
    })
    assert sorted((f.path, f.line) for f in findings) == [
        ("app/__init__.py", 4), ("app/config.py", 1), ("app/config.py", 2), ("app/config.py", 3),
        ("app/config.py", 4), ("app/storage.py", 1), ("app/tokens.py", 3)]
    by_line = {(f.path, f.line): f.message for f in findings}
    assert "weak or placeholder signing key" in by_line[("app/config.py", 1)]
    # the setting's own spelling is the variable to read, not a respelling of it
    assert 'os.environ["SECRET_KEY2"]' in by_line[("app/config.py", 2)]
    assert "weak" in by_line[("app/tokens.py", 3)]
    assert "AWS access key id" in by_line[("app/storage.py", 1)]


def test_weak_signing_keys_outside_production_are_quiet(tmp_path):
    findings = run(tmp_path, {
        "app/config.py": '''
            class TestingConfig:
                SECRET_KEY = "secret"


            class DevelopmentConfig:
                SECRET_KEY = "dev"
            ''',
        "mysite/settings/dev.py": '''
            SECRET_KEY = "not-a-secret"
            ''',
        "tests/test_app.py": '''
            SECRET_KEY = "secret key"
            ''',
        "docs/conf_example.py": '''
            SECRET_KEY = "secret key"
            ''',
    })
    assert findings == []


def test_a_real_looking_key_in_development_config_is_still_reported(tmp_path):
    findings = run(tmp_path, {"app/config.py": '''
        class DevelopmentConfig:
            MAIL_PASSWORD = "Xq7-f2Lm9vRt3w"
        '''})
    assert lines_of(findings) == [2]


def test_lookups_that_are_no_environment_reads(tmp_path):
    findings = run(tmp_path, {
        "app/settings.py": '''
            import configparser

            config = configparser.RawConfigParser()
            config.read("/etc/app.cfg")
            SECRET_KEY = config.get("django", "secret")
            DB_PASSWORD = config.get("database", "password", fallback="")
            ''',
        "app/partners.py": '''
            def account_summary(response):
                body = response.json()
                return {"key": body.get("api_key", "Unknown"), "token": getattr(body, "token", "none-given")}
            ''',
        "app/env.py": '''
            from os import environ

            from django.conf import settings

            TOKEN = environ.get("PARTNER_TOKEN", "tok-8f3a9c2d")
            HOOK = settings.get("WEBHOOK_SECRET", "whsec-local")
            ''',
    })
    assert sorted((f.path, f.line) for f in findings) == [("app/env.py", 5), ("app/env.py", 6)]
    assert 'os.environ["PARTNER_TOKEN"]' in findings[0].message


def test_messages_invent_no_variable_for_mapping_entries(tmp_path):
    findings = run(tmp_path, {"app/client.py": '''
        def headers(payload):
            payload["api_key"] = "k-2f9a7c1e55"
            return {"token": "tok-41f0c2aa", "body": payload}


        def connect(driver):
            return driver.connect(password="Adm1n-ldap-77")
        '''})
    assert len(findings) == 3
    for finding in findings:
        assert "os.environ" not in finding.message
        assert "environment" in finding.message


def test_short_secrets_show_their_length_not_an_empty_value(tmp_path):
    findings = run(tmp_path, {"app/db.py": '''
        DB_PASSWORD = "pw12x"
        '''})
    [finding] = findings
    assert "(`p...`, 5 characters)" in finding.message
    assert "pw12x" not in finding.message


def test_names_and_values_that_hold_no_credential():
    for name in ("prompt_tokens", "completion_tokens", "max_new_tokens", "CONTEXT_COMPACTION_TOKEN_THRESHOLD",
                 "SEARCH_CONTEXT_TOKENS", "tokens_per_minute", "TOKEN_ALPHABET", "password_charset"):
        assert not is_secret_name(name), name
    assert names_a_field("password_detail_key", "registrationcode")
    assert names_a_field("api-token", "myapp.tests.factories:ApiToken")
    assert names_a_field("secret", "url") and names_a_field("token", "uuid")
    assert not names_a_field("secret", "admin")
    assert not names_a_field("api_key", "registrationcode")
    # a newline is no space: a bytes key with an escape is no prose
    assert not names_a_field("secret_key", '_5#y2L"F4Q8z\n\xec]/')


@pytest.mark.parametrize("value", [
    "secret key", "super secret key", "your-secret-key-here", "aaaaaaa", "secret", "reallyhardtoguess",
    "test-guest-secret-change-me", "dev-secret-key-2024",
])
def test_weak_values(value):
    assert is_weak(value)


@pytest.mark.parametrize("value", [
    "9f2c1e7ab3d54e0f8a6b2c4d", '_5#y2L"F4Q8z\n\xec]/', "Xq7-f2Lm9vRt3w", "rkvewvtRZJglsZEhDghnvub",
])
def test_not_weak_values(value):
    assert not is_weak(value)


def test_private_key_header_left_out_of_an_example_is_quiet(tmp_path):
    body = FAKE["PEM"].split("\\n", 1)[1]
    findings = run(tmp_path, {"app/views.py": f'''
        def upload():
            """Example::

                {{"private_key": "-----BEGIN RSA PRIVATE KEY-----...",
                 "body": "{body}"}}
            """
        '''})
    assert findings == []


def test_a_signing_key_setting_that_names_another_setting_is_quiet(tmp_path):
    findings = run(tmp_path, {"app/config.py": '''
        SECRET_KEY = "DJANGO_SECRET_KEY"
        KEYS = {"secret_key": "secret_key", "jwt_secret": "app_jwt_secret"}
        JWT_SECRET_KEY = "super secret key"
        '''})
    assert lines_of(findings) == [3]


def test_long_texts_are_searched_around_the_hints_with_the_same_results(monkeypatch):
    """A translation catalogue full of dotted names and a few real tokens: the tokens are found
    where a scan of the whole text finds them, and the dotted names are no Discord hint."""
    import random

    from bplint.rules import _secret_formats as formats

    rng = random.Random(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    github = "ghp_" + "".join(rng.choice(alphabet) for _ in range(36))
    stripe = "sk_live_" + "".join(rng.choice(alphabet) for _ in range(30))
    lines = [f'  "MultiModelResponsesInTab{i:04}.label": "Responses {i}",' for i in range(6000)]
    lines[1000] = f'  "deploy.token": "{github}",'
    lines[5999] = f'  "billing.key": "{stripe}"'
    text = "{\n" + "\n".join(lines) + "\n}\n"
    assert len(text) > formats.LONG_TEXT and not formats.TOKEN_HINT.search("MultiModelResponsesInTab0001.label")
    windowed = [(m.start, m.end, m.value) for m in formats.find_tokens(text)]
    monkeypatch.setattr(formats, "LONG_TEXT", len(text) + 1)
    whole = [(m.start, m.end, m.value) for m in formats.find_tokens(text)]
    assert windowed == whole and [v for _, _, v in whole] == [github, stripe]
