"""BP307: request data spread straight into a model (mass assignment).

"Raw" request data is what the client sent, unfiltered (Flask's
`request.json`, Django's `request.POST`, a FastAPI `dict` body); data that
went through a schema, a form or a serializer has a fixed field list and is
left alone.
"""

from __future__ import annotations

import libcst as cst

from bplint.project.roles import APPLICATION_ONLY
from bplint.report.findings import Severity
from bplint.rule import Flag, PythonRule, Quiet
from bplint.rules._auth_triggers import REQUEST_TRIGGER_TYPES, reads_request
from bplint.rules._origins import MODEL, SCHEMA, Origins, auth_facts, last_name

MANAGER_WRITES = frozenset({"create", "update", "get_or_create", "update_or_create", "bulk_create"})
QUERY_BASES = frozenset({"query", "filter", "filter_by", "where", "objects", "exclude", "all"})
FIX = {
    "flask": "copy only the fields the client may set (`user.name = data[\"name\"]`) or load it through a "
             "schema with an explicit field list",
    "django": "use a ModelForm or serializer with an explicit `fields` list, or copy the allowed fields one by one",
    "fastapi": "accept a pydantic schema that leaves out privileged fields and spread `payload.model_dump()`",
    None: "copy only the fields the client may set, or validate it with a schema that lists them",
}


class MassAssignment(PythonRule):
    code = "BP307"
    name = "mass-assignment"
    category = "authentication"
    severity = Severity.ERROR
    roles = APPLICATION_ONLY
    cwe = (915,)
    uses_bindings = True
    ast_trigger_types = REQUEST_TRIGGER_TYPES
    ast_trigger = staticmethod(reads_request)
    summary = "Request data spread straight into a model"
    what = ("Reports raw request data spread into a model or object: `User(**request.get_json())`, "
            "`Model(**await request.json())`, `Model.objects.create(**request.POST.dict())`, "
            "`query.update(request.json)`, `obj.__dict__.update(data)` and `for k, v in data.items(): "
            "setattr(obj, k, v)` when `data` came from the request and the loop does not check `k`. Data "
            "validated through a pydantic schema, a form or a serializer is left alone.")
    why = ("The client chooses which fields to set: adding `\"is_admin\": true` or `\"balance\": 10000` to the "
           "request body changes columns the form never showed.")
    how_to_fix = ("Copy the allowed fields one by one, or validate the body with a schema, form or serializer "
                  "that lists the fields a client may set.")
    bad = ('from flask import request\n\nfrom app.models import User, db\n\n\n@app.post("/users")\n'
           'def create_user():\n    user = User(**request.get_json())\n    db.session.add(user)\n')
    good = ('from flask import request\n\nfrom app.models import User, db\n\n\n@app.post("/users")\n'
            'def create_user():\n    data = request.get_json()\n    user = User(name=data["name"], '
            'email=data["email"])\n    db.session.add(user)\n')
    examples = (
        Flag("""
            from flask import Flask, request
            from flask_sqlalchemy import SQLAlchemy

            app = Flask(__name__)
            db = SQLAlchemy(app)

            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                is_admin = db.Column(db.Boolean, default=False)

            @app.post("/users")
            def create_user():
                user = User(**request.get_json())
                db.session.add(user)

            @app.patch("/users/<int:user_id>")
            def update_user(user_id):
                user = db.get_or_404(User, user_id)
                data = request.json
                for key, value in data.items():
                    setattr(user, key, value)
                db.session.commit()
            """, line=13, count=2, note="spread into the constructor; setattr loop"),
        Flag("""
            from django.http import JsonResponse
            from shop.models import Order

            def create_order(request):
                order = Order.objects.create(**request.POST.dict())
                return JsonResponse({"id": order.id})
            """, path="shop/views.py",
            files={"shop/__init__.py": "",
                   "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n"
                                     "    total = models.IntegerField()\n"},
            line=5, note="Django manager create"),
        Flag("""
            from fastapi import FastAPI, Request
            from app.models import Item

            app = FastAPI()

            @app.post("/items")
            async def create_item(request: Request):
                item = Item(**await request.json())
                return item

            @app.put("/items/{item_id}")
            async def replace_item(item_id: int, body: dict):
                return Item(id=item_id, **body)
            """, path="app/main.py", count=2,
            files={"app/__init__.py": "",
                   "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n"
                                    "    pass\n\n\nclass Item(Base):\n    __tablename__ = 'items'\n"},
            line=8, note="Starlette request body and a FastAPI dict body"),
        Flag("""
            from rest_framework.views import APIView
            from rest_framework.response import Response
            from .models import Order

            class OrderCreate(APIView):
                def post(self, request):
                    order = Order.objects.create(**self.request.data)
                    return Response({"id": order.id})
            """, path="shop/views.py", files={"shop/__init__.py": "", "shop/models.py": ""}, line=7,
            note="a class-based view's `self.request.data`"),
        Flag("""
            from flask import request as rq
            from app.models import User, db

            def create_user():
                db.session.add(User(**rq.get_json()))
            """, path="app/views.py",
            files={"app/__init__.py": "",
                   "app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\n"
                                    "class User(db.Model):\n    pass\n"},
            line=5, note="Flask's request under another name"),
        Flag("""
            from fastapi import FastAPI
            from app.models import Item

            app = FastAPI()

            @app.post("/items")
            def create(payload: dict):
                return Item(**payload)
            """, path="app/api.py",
            files={"app/__init__.py": "",
                   "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n"
                                    "    pass\n\n\nclass Item(Base):\n    __tablename__ = 'items'\n"},
            line=8, note="a FastAPI body declared as a plain dict"),
        Quiet("""
            from fastapi import FastAPI
            from pydantic import BaseModel
            from app.models import Item

            app = FastAPI()

            class ItemIn(BaseModel):
                name: str

            @app.post("/items")
            def create_item(payload: ItemIn):
                return Item(**payload.dict())
            """, path="app/main.py",
            files={"app/__init__.py": "",
                   "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n"
                                    "    pass\n\n\nclass Item(Base):\n    __tablename__ = 'items'\n"},
            note="a pydantic schema has a fixed field list"),
        Quiet("""
            from flask import request
            from app.models import User, db
            from app.schemas import UserSchema

            ALLOWED = ("name", "email")

            def update_user(user):
                data = request.get_json()
                for key, value in data.items():
                    if key in ALLOWED:
                        setattr(user, key, value)
                for field in ALLOWED:
                    setattr(user, field, data[field])
                clean = UserSchema().load(request.json)
                db.session.add(User(**clean))
                params = UserSchema(**request.json)
            """, path="app/views.py",
            files={"app/__init__.py": "",
                   "app/schemas.py": "from marshmallow import Schema, fields\n\n\nclass UserSchema(Schema):\n"
                                     "    name = fields.Str()\n",
                   "app/models.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n\n\n"
                                    "class User(db.Model):\n    pass\n"},
            note="checked keys, a field whitelist, data loaded through a schema"),
        Quiet("""
            from django.shortcuts import redirect
            from .forms import ProfileForm
            from .models import Profile

            def edit(request):
                form = ProfileForm(request.POST)
                if form.is_valid():
                    Profile.objects.create(**form.cleaned_data)
                return redirect("/")
            """, path="accounts/views.py",
            files={"accounts/__init__.py": "", "accounts/forms.py": "", "accounts/models.py": ""},
            note="a Django form's cleaned data"),
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.origins = Origins(ctx)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        text = ctx.text
        spreads = "**" in text or "setattr(" in text or ".update(" in text
        return spreads and ("request" in text or "dict" in text)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = last_name(func)
        if name == "setattr" and self.ctx.qualified_name(func) == "builtins.setattr":
            self._check_setattr(node)
            return
        if name == "update" and isinstance(func, cst.Attribute) and node.args and node.args[0].keyword is None:
            owner = func.value
            if (last_name(owner) == "__dict__" or self._is_query(owner)) and self._raw(node.args[0].value):
                self._report(node)
                return
        spread = [arg.value for arg in node.args if arg.star == "**"]
        if spread and any(self._raw(value) for value in spread) and self._writes_model(node):
            self._report(node)

    def _raw(self, expr: cst.BaseExpression) -> bool:
        return self.origins.is_request_data(expr, raw_only=True)

    def _report(self, node: cst.CSTNode) -> None:
        self.report(node, f"Request data sets whatever fields the client sends; {FIX[self.origins.framework()]}.")

    @staticmethod
    def _is_query(node: cst.BaseExpression) -> bool:
        while isinstance(node, cst.Call):
            node = node.func
            if isinstance(node, cst.Attribute) and node.attr.value in QUERY_BASES:
                return True
            node = node.value if isinstance(node, cst.Attribute) else node
        return isinstance(node, cst.Attribute) and node.attr.value in ("query", "objects")

    def _writes_model(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in MANAGER_WRITES and self._is_query(func.value):
            return True
        if isinstance(func, cst.Attribute) and func.attr.value == "values" and isinstance(func.value, cst.Call) \
                and last_name(func.value.func) in ("insert", "update"):
            return True
        qualified = self.origins.qualified(func)
        if not qualified:
            return False
        kind = self.origins.project.class_kind(qualified)
        if kind == MODEL:
            return True
        if kind == SCHEMA:
            return False
        found = self.ctx.index.resolve_definition(qualified)
        if found is None:
            return False
        facts, local = found
        auth = auth_facts(facts)
        return auth is not None and local in auth.classes  # a project class of another kind

    def _check_setattr(self, call: cst.Call) -> None:
        if len(call.args) != 3 or self.ctx.bindings is None:
            return
        key = call.args[1].value
        if not isinstance(key, cst.Name):
            return
        binding = self.ctx.bindings.latest(key.value)
        if binding is None or binding.kind not in ("for", "unpack") or not isinstance(binding.node, cst.For):
            return
        if not self._raw(binding.value):
            return
        if _checks_name(binding.node.body, key.value):
            return
        self._report(call)


def _checks_name(body: cst.CSTNode, name: str) -> bool:
    """Some `if` in the loop compares the key (`if key in ALLOWED`, `if key == "id": continue`)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Comparison):
            operands = [node.left, *(c.comparator for c in node.comparisons)]
            if any(isinstance(o, cst.Name) and o.value == name for o in operands):
                return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                isinstance(node.func.value, cst.Name) and node.func.value.value == name:
            return True  # key.startswith("_")
        stack.extend(node.children)
    return False
