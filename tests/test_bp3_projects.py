"""BP301-BP307 over small projects written the way real ones are: views, models, token helpers
spread over several modules."""

from __future__ import annotations

import textwrap

from bplint.config import build_config
from bplint.discover.workset import Workset
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


def run(tmp_path, files: dict[str, str]) -> list[tuple[str, str, int, str]]:
    write_project(tmp_path, {path: textwrap.dedent(code).lstrip("\n") for path, code in files.items()})
    config = build_config({"select": ["BP3"], "preview": True}, all_rules(), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert not [e for e in result.errors if e.internal], result.errors
    return [(f.code, f.path, f.line, f.message) for f in result.findings]


FLASK_MODELS = """
    from werkzeug.security import check_password_hash, generate_password_hash

    from .extensions import db


    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String(120), unique=True)
        password_hash = db.Column(db.String(256))
        is_admin = db.Column(db.Boolean, default=False)

        def set_password(self, password):
            self.password_hash = generate_password_hash(password)

        def check_password(self, password):
            return check_password_hash(self.password_hash, password)
    """

FLASK_BASE = {
    "shop/__init__.py": "",
    "shop/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
    "shop/models.py": FLASK_MODELS,
    "shop/tokens.py": """
        from datetime import datetime, timedelta, timezone

        import jwt
        from flask import current_app


        def issue(user):
            payload = {"sub": str(user.id), "iat": datetime.now(timezone.utc)}
            payload["exp"] = payload["iat"] + timedelta(minutes=30)
            return jwt.encode(payload, current_app.config["JWT_KEY"], algorithm="HS256")


        def read(token):
            return jwt.decode(token, current_app.config["JWT_KEY"], algorithms=["HS256"])
        """,
}


def test_flask_app_done_right_is_quiet(tmp_path):
    files = {**FLASK_BASE, "shop/auth.py": """
        import jwt
        from flask import Blueprint, abort, request

        from .extensions import db
        from .models import User
        from .tokens import issue, read

        bp = Blueprint("auth", __name__)


        @bp.post("/register")
        def register():
            data = request.get_json()
            if data["password"] != data["confirm_password"]:
                abort(400)
            user = User(email=data["email"])
            user.set_password(data["password"])
            db.session.add(user)
            db.session.commit()
            return {"token": issue(user)}


        @bp.post("/login")
        def login():
            data = request.get_json()
            user = User.query.filter_by(email=data["email"]).first()
            if user is None or not user.check_password(data["password"]):
                abort(401)
            return {"token": issue(user)}


        @bp.get("/me")
        def me():
            try:
                claims = read(request.headers["Authorization"][7:])
            except jwt.InvalidTokenError:
                abort(401)
            return {"id": claims["sub"]}
        """}
    assert run(tmp_path, files) == []


def test_flask_app_with_plaintext_passwords(tmp_path):
    files = {**FLASK_BASE, "shop/auth.py": """
        import jwt
        from flask import Blueprint, abort, request

        from .extensions import db
        from .models import User

        bp = Blueprint("auth", __name__)


        @bp.post("/register")
        def register():
            data = request.get_json()
            user = User(email=data["email"], password_hash=data["password"])
            db.session.add(user)
            return {"token": jwt.encode({"sub": user.id}, "k", algorithm="HS256")}


        @bp.post("/login")
        def login():
            email, password = request.form["email"], request.form["password"]
            user = User.query.filter_by(email=email).first()
            if user.password_hash != password:
                abort(401)


        @bp.patch("/me")
        def update_me():
            user = User.query.get(request.args["id"])
            for field, value in request.get_json().items():
                setattr(user, field, value)
            claims = jwt.decode(request.headers["Authorization"], "k")
        """}
    found = run(tmp_path, files)
    codes = [(code, line) for code, path, line, _ in found if path == "shop/auth.py"]
    assert codes == [("BP301", 13), ("BP305", 15), ("BP302", 22), ("BP307", 30), ("BP304", 31), ("BP306", 31)]
    messages = {code: message for code, _, _, message in found}
    assert "generate_password_hash" in messages["BP301"]
    assert "check_password_hash" in messages["BP302"]
    assert 'algorithms=["HS256"]' in messages["BP304"]
    assert '"exp"' in messages["BP305"]


def test_fastapi_project(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/schemas.py": """
            from pydantic import BaseModel


            class UserCreate(BaseModel):
                email: str
                password: str
            """,
        "app/models.py": """
            from sqlalchemy import Boolean, String
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


            class Base(DeclarativeBase):
                pass


            class User(Base):
                __tablename__ = "users"
                id: Mapped[int] = mapped_column(primary_key=True)
                hashed_password: Mapped[str] = mapped_column(String(255))
                is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
            """,
        "app/security.py": """
            from datetime import datetime, timedelta, timezone

            from jose import JWTError, jwt
            from pwdlib import PasswordHash

            password_hash = PasswordHash.recommended()


            def get_password_hash(password: str) -> str:
                return password_hash.hash(password)


            def create_access_token(data: dict) -> str:
                to_encode = data.copy()
                to_encode.update({"exp": datetime.now(timezone.utc) + timedelta(minutes=15)})
                return jwt.encode(to_encode, "key", algorithm="HS256")


            def create_refresh_token(user_id: int) -> str:
                return jwt.encode({"sub": str(user_id), "type": "refresh"}, "key", algorithm="HS256")


            def decode(token: str):
                try:
                    return jwt.decode(token, "key", algorithms=["HS256"])
                except JWTError:
                    return None
            """,
        "app/api.py": """
            from fastapi import APIRouter, Depends

            from .models import User
            from .schemas import UserCreate
            from .security import get_password_hash

            router = APIRouter()


            @router.post("/users")
            def create_user(user_in: UserCreate, session=Depends(object)):
                user = User(**user_in.model_dump(exclude={"password"}),
                            hashed_password=get_password_hash(user_in.password))
                session.add(user)
                return user


            @router.post("/users/unsafe")
            def create_user_unsafe(user_in: UserCreate, session=Depends(object)):
                user = User(hashed_password=user_in.password)
                session.add(user)
            """,
    }
    found = [(code, path, line) for code, path, line, _ in run(tmp_path, files)]
    assert found == [("BP301", "app/api.py", 20), ("BP305", "app/security.py", 20)]


def test_django_project(tmp_path):
    files = {
        "accounts/__init__.py": "",
        "accounts/models.py": """
            from django.contrib.auth.models import AbstractUser
            from django.db import models


            class User(AbstractUser):
                bio = models.TextField(blank=True)


            class ApiClient(models.Model):
                name = models.CharField(max_length=50)
                password = models.CharField(max_length=128)
            """,
        "accounts/serializers.py": """
            from rest_framework import serializers

            from .models import User


            class UserSerializer(serializers.ModelSerializer):
                class Meta:
                    model = User
                    fields = ["username", "password"]

                def create(self, validated_data):
                    return User.objects.create_user(**validated_data)
            """,
        "accounts/views.py": """
            from django.contrib.auth import get_user_model
            from django.http import JsonResponse

            from .models import ApiClient, User


            def signup(request):
                user = User.objects.create(username=request.POST["username"])
                user.set_password(request.POST["password"])
                user.save()
                return JsonResponse({"id": user.pk})


            def reset(request, pk):
                user = User.objects.get(pk=pk)
                user.password = request.POST["password"]
                user.save()


            def new_client(request):
                ApiClient.objects.create(name=request.POST["name"], password=request.POST["password"])
                ApiClient.objects.create(**request.POST.dict())
            """,
    }
    found = run(tmp_path, files)
    located = [(code, path, line) for code, path, line, _ in found]
    assert located == [("BP301", "accounts/views.py", 16), ("BP301", "accounts/views.py", 21),
                       ("BP307", "accounts/views.py", 22)]
    assert "set_password" in found[0][3] and "set_password" in found[1][3]


def test_test_code_is_quiet_for_password_rules(tmp_path):
    files = {**FLASK_BASE, "tests/test_auth.py": """
        import hashlib
        from shop.models import User


        def test_plain(client):
            user = User(email="a@b.c", password_hash="x")
            user.password_hash = client.password
            assert user.password_hash == client.password
            hashlib.md5(b"password").hexdigest()
        """}
    assert [f for f in run(tmp_path, files) if f[1].startswith("tests/")] == []


def test_only_findings_depend_on_every_module(tmp_path):
    """For the scan cache: a file the BP3 rules find nothing in reads other modules by name only; the
    project-wide view (which depends on every module) is read only on the way to a finding. And
    what an answer about another module read is recorded for every file that asks it, not only the
    first (answers are remembered per scan)."""
    from bplint.discover.files import FileKind, SourceFile
    from bplint.scan.engine import build_index, check_file

    view = """
        from flask import request

        from .models import User


        def login():
            user = User.query.filter_by(email=request.form["email"]).first()
            if user is None or not user.check_password(request.form["password"]):
                return "no", 401
            return User(email=request.form["email"], password_hash=request.form["password"])
        """
    files = {**FLASK_BASE, "shop/auth.py": view, "shop/admin.py": view, "shop/mailer.py": """
        class Mailer:
            def __init__(self, host, password):
                self.host = host
                self.password = password
        """}
    write_project(tmp_path, {path: textwrap.dedent(code).lstrip("\n") for path, code in files.items()})
    config = build_config({"select": ["BP3"], "preview": True}, all_rules(), root=tmp_path)
    sources = [SourceFile(tmp_path / path, path, FileKind.PYTHON, path) for path in files]
    index = build_index(Workset.of(sources), config, tmp_path)
    reads = {}
    for source in sources:
        with index.reading() as noted:
            result = check_file(source, config, index)
        reads[source.relpath] = (set(noted), [f.code for f in result.findings])
    assert {path: codes for path, (_, codes) in reads.items() if codes} == \
        {"shop/auth.py": ["BP301"], "shop/admin.py": ["BP301"], "shop/tokens.py": ["BP306"]}
    for path, (noted, codes) in reads.items():
        # the models and the mailer have password code but no finding: they never ask whether some
        # class hashes on assignment or some module handles JWT errors (tokens.py does)
        if not codes:
            assert ("modules", "*") not in noted, (path, noted)
    assert ("modules", "*") in reads["shop/tokens.py"][0]
    # `User` is a model because `db` in shop.extensions is a SQLAlchemy object: both views depend on it
    assert ("name", "shop.extensions") in reads["shop/auth.py"][0]
    assert ("name", "shop.extensions") in reads["shop/admin.py"][0]
