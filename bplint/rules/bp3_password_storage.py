"""BP301: a password stored as sent, without a password hash.

The rule asks ``bplint.rules._origins`` where a value came from: a password that
reaches a model attribute, a model constructor, a document or an SQL
``INSERT`` straight from the request (or from a ``password`` parameter) is
stored as sent; one that went through a hashing call is not. A model with a
password column is reported when nothing in the project hashes passwords.
"""

from __future__ import annotations

import re

import libcst as cst

from bplint.project.names import positional_arg, string_value
from bplint.project.roles import Role
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, PythonRule, Quiet
from bplint.rules._auth_common import (
    HASH_FIX, PasswordRule, empty_value, framework_of, in_memory_table, is_self, is_stored_object, value_label,
)
from bplint.rules._auth_triggers import STORE_TRIGGER_TYPES, stores_password
from bplint.rules._origins import (
    HASH, LITERAL, MODEL, PASSWORD_PARAM, REQUEST, VALIDATED, Origins, auth_facts, is_hash_name, is_password_name,
    last_name, resolve_spelled,
)

# Calls that define a model column or field.
COLUMN_CALLS = frozenset({"Column", "mapped_column", "CharField", "TextField", "BinaryField", "StringField",
                          "Field", "column_property"})
# Manager and query methods that write the keywords they get.
WRITE_METHODS = frozenset({"create", "update", "update_or_create", "values", "insert"})
# Manager methods that hash the password they get (Django's `UserManager.create_user`).
HASHING_WRITES = frozenset({"create_user", "create_superuser", "_create_user"})
# Document-store and key-value writes that take a dict.
DOCUMENT_WRITES = frozenset({"insert_one", "insert_many", "replace_one", "update_one", "update_many",
                             "find_one_and_update", "find_one_and_replace", "put_item", "hset", "hmset"})
SQL_WRITE = re.compile(r"\b(insert\s+into|update\s+\w+\s+set)\b", re.IGNORECASE)
SQL_PASSWORD_COLUMN = re.compile(r"\b(password|passwd|pwd)\b", re.IGNORECASE)
# Values that are already a hash, or Django's "unusable password" marker.
HASH_FORMAT = re.compile(r"^(!|\$2[abxy]?\$|\$argon2|pbkdf2|scrypt:|bcrypt|argon2|sha1\$|md5\$|\{SSHA\})")


class PlaintextPasswordStorage(PasswordRule):
    code = "BP301"
    name = "plaintext-password-storage"
    category = "authentication"
    severity = Severity.ERROR
    precision = Precision(0, 14, "2026-12-02", unseen=(0, 6))
    preview = True
    roles = frozenset({Role.APPLICATION, Role.SCRIPT, Role.MIGRATION})
    cwe = (256, 257)
    ast_trigger_types = STORE_TRIGGER_TYPES
    ast_trigger = staticmethod(stores_password)
    summary = "Password stored as sent, without a password hash"
    what = ("Reports a password that is stored without being hashed: assigned to a password attribute of a "
            "model object (`user.password = data[\"password\"]`), passed to a model constructor or an ORM "
            "write (`User(password=form.password.data)`, `User.objects.create(password=pw)`), put into a "
            "document that is inserted (`{\"password\": pw}`), a user table kept in a module-level dict "
            "(`users[name] = {\"password\": pw}`) or an SQL `INSERT`/`UPDATE` (as a parameter or written "
            "into the SQL text with `%`, `.format()` or an f-string), when the value "
            "comes from the request, a `password` parameter or a literal and no hashing call is on its way. "
            "Also reports a model (SQLAlchemy, Flask-SQLAlchemy, SQLModel, Django) with a `password` column "
            "when neither the model nor any other project code hashes passwords. Values from werkzeug, "
            "bcrypt, argon2, passlib, pwdlib, Django's `make_password`/`set_password`, "
            "`hashlib.pbkdf2_hmac`/`scrypt`, Django's `create_user`/`create_superuser` or a project function "
            "that calls one of them are hashed.")
    why = ("Whoever reads the table (a leaked backup, an SQL injection, a curious admin) gets every user's "
           "password, and users reuse passwords across sites.")
    how_to_fix = ("Hash the password before storing it: `generate_password_hash` (Flask/werkzeug), "
                  "`user.set_password()`/`make_password()` (Django), `pwdlib` or passlib (FastAPI), and check "
                  "it with the matching verify function.")
    bad = ('from flask import request\n\nfrom app.models import User, db\n\n\n@app.post("/register")\n'
           'def register():\n    data = request.get_json()\n    user = User(email=data["email"], '
           'password=data["password"])\n    db.session.add(user)\n')
    good = ('from flask import request\nfrom werkzeug.security import generate_password_hash\n\n'
            'from app.models import User, db\n\n\n@app.post("/register")\ndef register():\n'
            '    data = request.get_json()\n    user = User(email=data["email"], '
            'password=generate_password_hash(data["password"]))\n    db.session.add(user)\n')
    examples = (
        Flag("""
            from flask import Flask, request
            from flask_sqlalchemy import SQLAlchemy
            from werkzeug.security import generate_password_hash

            app = Flask(__name__)
            db = SQLAlchemy(app)

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                password = db.Column(db.String(200))

            @app.post("/register")
            def register():
                data = request.get_json()
                user = User(password=data["password"])
                db.session.add(user)

            @app.post("/admin/users")
            def add_admin():
                user = User(password=generate_password_hash(request.json["password"]))
                db.session.add(user)
            """, line=15, count=1, note="the request value reaches the model constructor"),
        Flag("""
            from flask import request, Blueprint
            from .models import User
            from .extensions import db

            bp = Blueprint("auth", __name__)

            @bp.route("/profile/password", methods=["POST"])
            def change_password():
                user = User.query.get(request.form["id"])
                new_password = request.form.get("password", "").strip()
                user.password = new_password
                db.session.commit()
            """, path="app/views.py",
            files={"app/__init__.py": "",
                   "app/extensions.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
                   "app/models.py": "from werkzeug.security import generate_password_hash\nfrom .extensions "
                                    "import db\n\n\nclass User(db.Model):\n    id = db.Column(db.Integer, "
                                    "primary_key=True)\n    password = db.Column(db.String(200))\n"},
            line=11, note="attribute assignment, through .get() and .strip(), models in another module"),
        Flag("""
            from flask_wtf import FlaskForm
            from wtforms import PasswordField, StringField
            from app.models import User, db

            class RegisterForm(FlaskForm):
                email = StringField("Email")
                password = PasswordField("Password")

            def register():
                form = RegisterForm()
                if form.validate_on_submit():
                    user = User(email=form.email.data, password=form.password.data)
                    db.session.add(user)
            """, path="app/auth.py", line=12,
            files={"app/__init__.py": "",
                   "app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\n"
                                    "class User(db.Model):\n    password = db.Column(db.String(128))\n"},
            note="WTForms field data"),
        Flag("""
            from django.contrib.auth.models import User
            from django.shortcuts import redirect

            def signup(request):
                user = User(username=request.POST["username"])
                user.password = request.POST["password"]
                user.save()
                return redirect("/")
            """, path="accounts/views.py", line=6, note="Django: assignment instead of set_password"),
        Flag("""
            from sqlalchemy.orm import Session

            from . import models, schemas

            def create_user(db: Session, user: schemas.UserCreate):
                db_user = models.User(email=user.email, hashed_password=user.password)
                db.add(db_user)
                db.commit()
                return db_user
            """, path="sql_app/crud.py", line=6,
            files={"sql_app/__init__.py": "",
                   "sql_app/schemas.py": "from pydantic import BaseModel\n\n\nclass UserCreate(BaseModel):\n"
                                         "    email: str\n    password: str\n",
                   "sql_app/models.py": "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import "
                                        "declarative_base\n\nBase = declarative_base()\n\n\nclass User(Base):\n"
                                        "    __tablename__ = 'users'\n    hashed_password = Column(String)\n"},
            note="FastAPI: a schema's password into a hash column, schemas and models in other modules"),
        Flag("""
            from sqlalchemy import Column, Integer, String
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()

            class Account(Base):
                __tablename__ = "accounts"
                id = Column(Integer, primary_key=True)
                username = Column(String(80))
                password = Column(String(128))
            """, path="models.py", line=10, note="a model with a password column and no hashing anywhere"),
        Flag("""
            from django.db import models

            class Customer(models.Model):
                email = models.EmailField(unique=True)
                password = models.CharField(max_length=128)
            """, path="shop/models.py", line=5, note="Django model"),
        Flag("""
            from fastapi import FastAPI

            app = FastAPI()

            @app.post("/signup")
            async def signup(username: str, password: str, db=None):
                await db.users.insert_one({"username": username, "password": password})
            """, line=7, note="FastAPI query parameters into a document insert"),
        Flag("""
            import sqlite3
            from flask import request

            def register():
                username = request.form["username"]
                password = request.form["password"]
                conn = sqlite3.connect("app.db")
                conn.execute("INSERT INTO users (username, password) VALUES (?, ?)", (username, password))
            """, line=8, note="raw SQL insert"),
        Flag("""
            from sqlmodel import Field, SQLModel

            class Account(SQLModel, table=True):
                id: int = Field(primary_key=True)
                password: str
            """, path="models.py", line=5, note="a SQLModel table field"),
        Flag("""
            def add_user(cursor, username, password):
                cursor.execute("INSERT INTO users (username, password) VALUES (%s, %s)", [username, password])
            """, line=2, note="raw SQL with a list of parameters"),
        Flag("""
            from flask import request

            def reset(db, user_id):
                new_password = request.form["new_password"]
                db.execute("UPDATE accounts SET password = '%s' WHERE id = %d" % (new_password, user_id))
                sql = "INSERT INTO accounts (login, password) VALUES ('{}', '{}')".format(
                    request.form["login"], new_password)
                db.execute(sql)
            """, line=5, count=2, note="SQL text built with `%` and with `.format`"),
        Flag("""
            from flask import Flask, request

            app = Flask(__name__)
            USERS = {}

            @app.post("/signup")
            def signup():
                username = request.form["username"]
                USERS[username] = {"password": request.form["password"], "admin": False}
                return "created", 201

            @app.post("/password")
            def change():
                USERS[request.form["username"]]["password"] = request.form["password"]
                return "", 204
            """, line=9, count=2, note="a user table kept in a module-level dict"),
        Quiet("""
            from django.contrib.auth.models import User
            from django.shortcuts import redirect

            def signup(request):
                User.objects.create_user(username=request.POST["username"], password=request.POST["password"])
                User.objects.create_superuser("root", "root@example.com", password=request.POST["password"])
                return redirect("/")
            """, path="accounts/views.py", note="Django's create_user hashes the password"),
        Quiet("""
            from sqlalchemy import update

            from .tables import Credential

            class Credentials:
                async def update_password(self, session, user_id, new_password):
                    await session.execute(update(Credential).where(Credential.id == user_id)
                                          .values(password=new_password))
                    await session.commit()
            """, path="app/store.py",
            files={"app/__init__.py": "",
                   "app/tables.py": "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\nclass Credential(Base):\n    __tablename__ = 'credentials'\n    id = Column(String, primary_key=True)\n    password = Column(String)\n",
                   "app/routes.py": "from .security import hash_password\nfrom .store import Credentials\n\n"
                                    "credentials = Credentials()\n\n\nasync def change(session, user_id, form):\n"
                                    "    hashed = hash_password(form.password)\n"
                                    "    await credentials.update_password(session, user_id, hashed)\n",
                   "app/security.py": "import bcrypt\n\n\ndef hash_password(pw):\n"
                                      "    return bcrypt.hashpw(pw.encode(), bcrypt.gensalt()).decode()\n"},
            note="every caller passes a hash into the `new_password` parameter"),
        Flag("""
            from sqlalchemy import update

            from .tables import Credential

            class Credentials:
                async def update_password(self, session, user_id, new_password):
                    await session.execute(update(Credential).where(Credential.id == user_id)
                                          .values(password=new_password))
            """, path="app/store.py", line=8,
            files={"app/__init__.py": "",
                   "app/tables.py": "from sqlalchemy import Column, String\nfrom sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n\n\nclass Credential(Base):\n    __tablename__ = 'credentials'\n    id = Column(String, primary_key=True)\n    password = Column(String)\n",
                   "app/routes.py": "from .store import Credentials\n\ncredentials = Credentials()\n\n\n"
                                    "async def change(session, user_id, form):\n"
                                    "    await credentials.update_password(session, user_id, form.password)\n"},
            note="a caller passes the password as typed"),
        Quiet("""
            from flask import request
            from werkzeug.security import generate_password_hash
            from app.models import User, db

            def register():
                data = request.get_json()
                password_hash = generate_password_hash(data["password"])
                user = User(email=data["email"], password=password_hash)
                user.password = generate_password_hash(data["password"])
                db.session.add(user)
            """, path="app/views.py",
            files={"app/__init__.py": "",
                   "app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\n"
                                    "class User(db.Model):\n    password = db.Column(db.String(256))\n"},
            note="hashed before it is stored; the model's column is then fine too"),
        Quiet("""
            from fastapi import APIRouter
            from app import crud
            from app.schemas import UserCreate
            from app.security import get_password_hash
            from app.models import User

            router = APIRouter()

            @router.post("/users")
            def create(payload: UserCreate):
                hashed = get_password_hash(payload.password)
                return User(email=payload.email, hashed_password=hashed)
            """, path="app/api.py",
            files={"app/__init__.py": "", "app/crud.py": "",
                   "app/schemas.py": "from pydantic import BaseModel\n\n\nclass UserCreate(BaseModel):\n"
                                     "    email: str\n    password: str\n",
                   "app/security.py": "from passlib.context import CryptContext\n\npwd_context = "
                                      "CryptContext(schemes=['bcrypt'])\n\n\ndef get_password_hash(password):\n"
                                      "    return pwd_context.hash(password)\n",
                   "app/models.py": "from sqlmodel import SQLModel, Field\n\n\nclass User(SQLModel, table=True):\n"
                                    "    email: str\n    hashed_password: str\n"},
            note="a project hashing function in another module"),
        Quiet("""
            from django.db import models
            from django.contrib.auth.hashers import make_password

            class Member(models.Model):
                password = models.CharField(max_length=128)

                def save(self, *args, **kwargs):
                    if not self.password.startswith("pbkdf2_"):
                        self.password = make_password(self.password)
                    super().save(*args, **kwargs)
            """, path="club/models.py", note="the model hashes in its own methods"),
        Quiet("""
            from flask_sqlalchemy import SQLAlchemy
            from werkzeug.security import generate_password_hash

            db = SQLAlchemy()

            class User(db.Model):
                password_hash = db.Column(db.String(256))

                @property
                def password(self):
                    raise AttributeError("password is write-only")

                @password.setter
                def password(self, password):
                    self.password_hash = generate_password_hash(password)
            """, path="models.py", note="a hashing property setter"),
        Quiet("""
            from pydantic import BaseModel
            from wtforms import Form, PasswordField
            from marshmallow import Schema, fields

            class SignupIn(BaseModel):
                email: str
                password: str

            class LoginForm(Form):
                password = PasswordField("Password")

            class LoginSchema(Schema):
                password = fields.Str(load_only=True)
            """, path="schemas.py", note="input schemas and forms"),
        Quiet("""
            import smtplib

            class Mailer:
                def __init__(self, host, user, password):
                    self.host = host
                    self.password = password

            def connect(password):
                server = smtplib.SMTP("mail.example.com")
                server.login("me", password)
            """, path="mailer.py", note="credentials of an outgoing connection, not a stored user password"),
        Quiet("""
            from django.contrib.auth import authenticate

            def login_view(request):
                user = authenticate(username=request.POST["username"], password=request.POST["password"])
                user.set_password(request.POST["new_password"])
                user.save()
            """, path="accounts/views.py", note="authenticate() and set_password()"),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        if self.class_kind == MODEL and len(self.classes) == 1:
            self._check_model(node)

    # --- a model's password column ----------------------------------------------------
    def _check_model(self, node: cst.ClassDef) -> None:
        facts = self.ctx.facts
        if facts is None:
            return
        bases = (auth_facts(facts).classes.get(node.name.value, []) if auth_facts(facts) else [])
        if any(resolve_spelled(b, facts).startswith("django.contrib.auth") for b in bases):
            return  # Django's user models hash through set_password
        column = self._password_column(node)
        if column is None:
            return
        names = self.origins.project
        if names.class_hashes(facts, node.name.value) or names.project_hashes_passwords():
            return
        fix = HASH_FIX[framework_of(self.origins)]
        self.report(column, f"Model `{node.name.value}` stores passwords and nothing in the project hashes "
                            f"them; {fix}.")

    def _password_column(self, node: cst.ClassDef) -> cst.CSTNode | None:
        if not isinstance(node.body, cst.IndentedBlock):
            return None
        for line in node.body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for statement in line.body:
                if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
                    target, value = statement.targets[0].target, statement.value
                elif isinstance(statement, cst.AnnAssign):
                    target, value = statement.target, statement.value
                    if value is None and isinstance(target, cst.Name) and is_password_name(target.value):
                        return statement  # SQLModel field: `password: str`
                else:
                    continue
                if isinstance(target, cst.Name) and is_password_name(target.value) and \
                        isinstance(value, cst.Call) and last_name(value.func) in COLUMN_CALLS:
                    return statement
        return None

    # --- assignments to password attributes --------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            attr = target.target
            if isinstance(attr, cst.Attribute) and self._password_target(attr.attr.value):
                self._check_store(node, attr.attr.value, node.value, attr.value, is_attribute=True)
            elif isinstance(attr, cst.Subscript) and self._in_memory_store(attr):
                key = _subscript_key(attr)
                if key is not None and self._password_target(key):
                    self._check_store(node, key, node.value, None)  # users[name]["password"] = pw
                else:
                    for element, value in _password_items(node.value, self.origins):
                        self._check_store(element, "password", value, None)  # users[name] = {"password": pw}

    def _in_memory_store(self, target: cst.Subscript) -> bool:
        """`users[name]` or `users[name]["password"]` where `users` is a module-level dict: a user
        table kept in memory (or pickled, or dumped to JSON)."""
        return in_memory_table(self.origins, target)

    def visit_Call(self, node: cst.Call) -> None:
        method = last_name(node.func)
        if method in DOCUMENT_WRITES:
            self._check_documents(node)
        elif method in ("execute", "executemany") and isinstance(node.func, cst.Attribute):
            self._check_sql(node)
        elif self._writes_keywords(node):
            model = self._model_definition(node)
            for arg in node.args:
                if arg.keyword is not None and self._password_target(arg.keyword.value):
                    self._check_store(arg, arg.keyword.value, arg.value, None, model=model)

    def _model_definition(self, call: cst.Call) -> tuple | None:
        qualified = self.origins.qualified(call.func)
        found = self.ctx.index.resolve_definition(qualified) if qualified else None
        return found if found is not None and "." not in found[1] else None

    @staticmethod
    def _password_target(name: str) -> bool:
        return is_password_name(name) or is_hash_name(name)

    def _writes_keywords(self, call: cst.Call) -> bool:
        if not any(arg.keyword is not None for arg in call.args):
            return False
        func = call.func
        if last_name(func) in HASHING_WRITES:
            return False
        if isinstance(func, cst.Attribute) and func.attr.value in WRITE_METHODS:
            receiver = func.value
            if last_name(receiver) == "objects":
                return True
            if isinstance(receiver, cst.Call) and last_name(receiver.func) in ("insert", "update", "filter",
                                                                                "where", "exclude"):
                return True
        return self.origins.project.class_kind(self.origins.qualified(func)) == MODEL

    def _check_store(self, node: cst.CSTNode, target: str, value: cst.BaseExpression,
                     owner: cst.BaseExpression | None, is_attribute: bool = False,
                     model: tuple | None = None) -> None:
        """``owner`` is the object whose attribute is set (None: a model keyword or document key);
        ``model`` the (module facts, class name) of the model a keyword goes to."""
        kinds = self.origins.kinds(value)
        if HASH in kinds or empty_value(value):
            return
        from_request = REQUEST in kinds or VALIDATED in kinds
        if owner is not None and not from_request:
            if not is_stored_object(self.origins, owner, self.class_kind):
                return
        if owner is not None and is_self(owner) and self.class_kind == MODEL:
            return  # reported once, at the model's column, when the model never hashes
        if not (from_request or PASSWORD_PARAM in kinds or (LITERAL in kinds and _plain_literal(value, self))):
            return
        if is_hash_name(target) and not (from_request or PASSWORD_PARAM in kinds):
            return
        # Asked last: whether some project class hashes on assignment depends on every module.
        names = self.origins.project
        if owner is not None and names.hashing_setter(target):
            return  # a model's property setter hashes on assignment
        if owner is None and model is not None and names.hashes_on_construction(model[0], model[1], target):
            return  # the model hashes in its constructor or setters
        if not from_request and PASSWORD_PARAM in kinds and self._callers_pass_hashes(value):
            return  # every caller hands this function a hash, whatever its parameter is called
        framework = framework_of(self.origins)
        if is_attribute and framework == "django" and target == "password":
            message = "Assigning `user.password` stores the password as given; use `user.set_password(raw)`."
        else:
            message = f"Password stored without hashing; {HASH_FIX[framework]}."
        self.report(node, message)

    def _callers_pass_hashes(self, value: cst.BaseExpression) -> bool:
        bindings = self.origins.bindings
        function = bindings.function if bindings is not None else None
        if not isinstance(function, cst.FunctionDef):
            return False
        params = [p for p in (*function.params.posonly_params, *function.params.params)]
        if params and params[0].name.value in ("self", "cls"):
            params = params[1:]
        for source in bindings.sources(value):
            if not isinstance(source, cst.Name):
                continue
            binding = bindings.latest(source.value)
            if binding is None or binding.kind != "param" or binding.param is None:
                continue
            name = binding.param.name.value
            position = next((i for i, p in enumerate(params) if p.name.value == name), -1)
            return self.origins.project.callers_pass_hashes(function.name.value, position, name)
        return False

    def _check_documents(self, call: cst.Call) -> None:
        for arg in call.args:
            for key, value in _password_items(arg.value, self.origins):
                if not isinstance(value, cst.BaseExpression):
                    continue
                self._check_store(key, "password", value, None)

    def _check_sql(self, call: cst.Call) -> None:
        query = positional_arg(call, 0)
        params = positional_arg(call, 1)
        if query is None:
            return
        if params is None:
            self._check_built_sql(call, query.value)
            return
        text = _literal_text(query.value, self.origins)
        if text is None or not SQL_WRITE.search(text) or not SQL_PASSWORD_COLUMN.search(text):
            return
        values = params.value
        if isinstance(values, (cst.Tuple, cst.List)):
            raw = self._raw_password_in([element.value for element in values.elements])
        elif isinstance(values, cst.Dict):
            raw = any(self._raw_password(value) for _, value in _password_items(values, self.origins))
        else:
            raw = False
        if raw:
            self.report(call, f"Password written to the database without hashing; "
                              f"{HASH_FIX[framework_of(self.origins)]}.")

    def _check_built_sql(self, call: cst.Call, query: cst.BaseExpression) -> None:
        """`execute("UPDATE users SET password = '%s'" % pw)`, `.format(pw)` or an f-string: the
        password goes into the SQL text as it is."""
        built = _built_query(query)
        if built is None and isinstance(query, cst.Name) and self.origins.bindings is not None:
            binding = self.origins.bindings.only(query.value)
            if binding is not None and binding.value is not None:
                built = _built_query(binding.value)
        if built is None:
            return
        text, values = built
        if SQL_WRITE.search(text) and SQL_PASSWORD_COLUMN.search(text) and self._raw_password_in(values):
            self.report(call, f"Password written into the SQL text without hashing; "
                              f"{HASH_FIX[framework_of(self.origins)]}, and pass it as a query parameter.")

    def _raw_password_in(self, values: list[cst.BaseExpression]) -> bool:
        """Some value is called a password and comes unhashed from the request or a password parameter."""
        for expr in values:
            label = value_label(expr)
            if label and is_password_name(label) and self._raw_password(expr):
                return True
        return False

    def _raw_password(self, expr: cst.BaseExpression) -> bool:
        kinds = self.origins.kinds(expr)
        return HASH not in kinds and (REQUEST in kinds or VALIDATED in kinds or PASSWORD_PARAM in kinds)


def _built_query(expr: cst.BaseExpression) -> tuple[str, list[cst.BaseExpression]] | None:
    """(literal text, values put into it) of a string built with `%`, `.format()` or an f-string."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        text = string_value(expr.left)
        right = expr.right
        values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
        return (text, values) if text is not None else None
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        text = string_value(expr.func.value)
        return (text, [arg.value for arg in expr.args]) if text is not None else None
    if isinstance(expr, cst.FormattedString):
        text = "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
        return text, [p.expression for p in expr.parts if isinstance(p, cst.FormattedStringExpression)]
    return None


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


def _plain_literal(value: cst.BaseExpression, rule: PythonRule) -> bool:
    text = string_value(value)
    return text is not None and bool(text.strip()) and not HASH_FORMAT.match(text)


def _literal_text(value: cst.BaseExpression, origins: Origins) -> str | None:
    text = string_value(value)
    if text is None and isinstance(value, cst.Name) and origins.bindings is not None:
        binding = origins.bindings.only(value.value)
        if binding is not None and binding.value is not None:
            text = string_value(binding.value)
    return text


def _password_items(expr: cst.BaseExpression, origins: Origins, depth: int = 0):
    """(key node, value) of password keys in a dict literal (nested dicts, lists and a name
    bound once to a dict literal included)."""
    if depth > 3:
        return
    if isinstance(expr, cst.Name) and origins.bindings is not None:
        binding = origins.bindings.only(expr.value)
        if binding is not None and isinstance(binding.value, (cst.Dict, cst.List)):
            yield from _password_items(binding.value, origins, depth + 1)
        return
    if isinstance(expr, (cst.List, cst.Tuple)):
        for element in expr.elements:
            yield from _password_items(element.value, origins, depth + 1)
        return
    if not isinstance(expr, cst.Dict):
        return
    for element in expr.elements:
        if not isinstance(element, cst.DictElement):
            continue
        key = string_value(element.key)
        if key is not None and (is_password_name(key) or is_hash_name(key)):
            yield element, element.value
        elif isinstance(element.value, (cst.Dict, cst.List)):
            yield from _password_items(element.value, origins, depth + 1)
