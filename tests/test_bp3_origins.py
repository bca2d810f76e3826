"""bplint.rules._origins: where a value came from, asked at `probe(expr)` calls in small projects."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from bplint.config import build_config
from bplint.report.findings import Severity
from bplint.rule import PythonRule
from bplint.rules._origins import Origins, is_hash_name, is_password_name
from bplint.scan.engine import scan
from bplint.scan.registry import all_rules
from bplint.testing import write_project


class Probe(PythonRule):
    """Reports the origin kinds of the argument of every `probe(...)` call."""

    code = "BP399"
    name = "origin-probe"
    category = "test"
    severity = Severity.INFO
    summary = what = why = how_to_fix = bad = good = "probe"
    uses_bindings = True

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe" and node.args:
            origins = Origins(self.ctx)
            expr = node.args[0].value
            kinds = sorted(origins.kinds(expr))
            self.report(node, ",".join(kinds) or "-")


def probe(tmp_path, code: str, files: dict[str, str] | None = None) -> list[str]:
    write_project(tmp_path, {**(files or {}), "app/probe.py": textwrap.dedent(code).lstrip("\n"),
                             "app/__init__.py": ""})
    config = build_config({"select": ["BP399"]}, (*all_rules(), Probe), root=tmp_path)
    result = scan([tmp_path], config, cwd=tmp_path)
    assert not [e for e in result.errors if e.internal]
    return [f.message for f in result.findings if f.path == "app/probe.py"]


def test_flask_request_data_through_names_and_get(tmp_path):
    assert probe(tmp_path, """
        from flask import request as rq

        def view():
            data = rq.get_json()
            email, pw = data["email"], data.get("password", "").strip()
            probe(pw)
            probe(rq.form["x"])
            probe(rq.args.get("q"))
            probe(rq.values)
        """) == ["request"] * 4


def test_django_drf_and_starlette_requests(tmp_path):
    assert probe(tmp_path, """
        import json

        def view(request):
            probe(request.POST["password"])
            probe(request.data.get("email"))
            probe(json.loads(request.body)["x"])

        async def endpoint(request):
            body = await request.json()
            probe(body)

        class Edit:
            def post(self):
                probe(self.request.GET)
        """) == ["request"] * 5


def test_validated_inputs(tmp_path):
    files = {"app/schemas.py": "from pydantic import BaseModel\n\n\nclass SignUp(BaseModel):\n    password: str\n"}
    assert probe(tmp_path, """
        from fastapi import APIRouter, Depends, Form
        from fastapi.security import OAuth2PasswordRequestForm
        from app.schemas import SignUp

        router = APIRouter()

        @router.post("/a")
        def a(payload: SignUp, raw: dict, pw: str = Form(...), form: OAuth2PasswordRequestForm = Depends(),
              db=Depends(object)):
            probe(payload.password)
            probe(raw["x"])
            probe(pw)
            probe(form.password)
            probe(db)

        def django_view(form):
            probe(form.cleaned_data["password"])
            probe(form.password.data)
        """, files) == ["validated", "request", "validated", "validated", "-", "validated", "validated"]


def test_hashing_calls_local_and_across_modules(tmp_path):
    files = {
        "app/security.py": "from passlib.context import CryptContext\n\nctx = CryptContext(schemes=['bcrypt'])\n\n\n"
                           "def make_secret(p):\n    return ctx.hash(p)\n",
        "app/ext.py": "from flask_bcrypt import Bcrypt\n\nbcrypt = Bcrypt()\n",
    }
    assert probe(tmp_path, """
        from argon2 import PasswordHasher
        from werkzeug.security import generate_password_hash as gph
        from app.security import make_secret, ctx
        from app.ext import bcrypt

        def view(password):
            ph = PasswordHasher()
            probe(ph.hash(password))
            probe(gph(password))
            probe(make_secret(password))
            hashed = ctx.hash(password)
            probe(hashed)
            probe(bcrypt.generate_password_hash(password))
            probe(password)
        """, files) == ["hash"] * 5 + ["password-param"]


def test_database_rows_and_literals(tmp_path):
    assert probe(tmp_path, """
        def view(cursor, session, User):
            row = cursor.fetchone()
            probe(row["password"])
            user = User.query.filter_by(name="x").first()
            probe(user.password)
            probe(session.get(User, 1))
            probe("secret")
            probe(compute())
        """) == ["db", "db", "db", "literal", "-"]


def test_quiet_when_flow_passes_an_unknown_call(tmp_path):
    assert probe(tmp_path, """
        from flask import request

        def view():
            data = transform(request.get_json())
            probe(data)
            probe(request.headers)
            probe(request)
        """) == ["-", "-", "-"]


@pytest.mark.parametrize("name", ["password", "user_password", "pwd", "passwd", "newPassword", "pass"])
def test_password_names(name):
    assert is_password_name(name)


@pytest.mark.parametrize("name", ["password_hash", "hashed_password", "password_reset_token", "confirm_password",
                                  "password_changed_at", "pass_count", "password_min_length", "bypass"])
def test_not_password_names(name):
    assert not is_password_name(name)


def test_hash_names():
    assert is_hash_name("password_hash") and is_hash_name("hashed_password") and not is_hash_name("password")
