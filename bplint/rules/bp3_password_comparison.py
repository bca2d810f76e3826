"""BP302: a stored password compared with `==` instead of a hash check.

One side of the comparison must be a stored password (a password attribute
of an ORM object or a row, `row["password"]`) and the other a candidate
from the request, a `password` parameter or a name called a password.
"""

from __future__ import annotations

import libcst as cst

from bplint.project.names import string_value
from bplint.project.roles import RUNNING_CODE
from bplint.report.findings import Severity
from bplint.rule import Flag, Precision, Quiet
from bplint.rules._auth_common import (
    VERIFY_FIX, PasswordRule, empty_value, framework_of, is_stored_object, value_label,
)
from bplint.rules._auth_triggers import COMPARE_TRIGGER_TYPES, compares_password
from bplint.rules._origins import HASH, LITERAL, PASSWORD_PARAM, REQUEST, VALIDATED, is_hash_name, is_password_name, last_name

class PlaintextPasswordComparison(PasswordRule):
    code = "BP302"
    name = "plaintext-password-comparison"
    category = "authentication"
    severity = Severity.ERROR
    precision = Precision(0, 0, "2026-12-02", unseen=(0, 2))
    preview = True
    roles = RUNNING_CODE
    cwe = (256,)
    ast_trigger_types = COMPARE_TRIGGER_TYPES
    ast_trigger = staticmethod(compares_password)
    summary = "Stored password compared with `==` instead of a hash check"
    what = ("Reports `==`, `!=` and `hmac.compare_digest` between a stored password (`user.password`, "
            "`row[\"password\"]`, a password attribute of an ORM object or database row, a user table kept in a "
            "module-level dict: `users[name][\"password\"]`) and a candidate. "
            "Two inputs (`password == confirm_password`), `None`/`\"\"` checks, length checks and "
            "comparisons with a freshly computed hash are left alone.")
    why = ("A stored password that can be compared with `==` is stored in plain text (or as a reversible "
           "value), and `==` on secrets also leaks timing.")
    how_to_fix = ("Store a salted hash and check candidates with the library's verify function: "
                  "`check_password_hash` (werkzeug), `user.check_password` (Django), `verify` (pwdlib, "
                  "passlib).")
    bad = ('def login(username, password):\n    user = User.query.filter_by(username=username).first()\n'
           '    if user and user.password == password:\n        login_user(user)\n')
    good = ('from werkzeug.security import check_password_hash\n\n\ndef login(username, password):\n'
            '    user = User.query.filter_by(username=username).first()\n'
            '    if user and check_password_hash(user.password, password):\n        login_user(user)\n')
    examples = (
        Flag("""
            from flask import request
            from flask_login import login_user
            from app.models import User

            def login():
                user = User.query.filter_by(email=request.form["email"]).first()
                if user is None or user.password != request.form["password"]:
                    return "invalid", 401
                login_user(user)
            """, line=7),
        Flag("""
            import hmac

            def check(cursor, username, password):
                cursor.execute("SELECT id, password FROM users WHERE username = ?", (username,))
                row = cursor.fetchone()
                return row is not None and hmac.compare_digest(row["password"], password)
            """, line=6, note="a database row, compare_digest"),
        Flag("""
            from fastapi import FastAPI, Depends, HTTPException
            from fastapi.security import OAuth2PasswordRequestForm

            app = FastAPI()

            @app.post("/token")
            def token(form_data: OAuth2PasswordRequestForm = Depends()):
                user = get_user(form_data.username)
                if not user or form_data.password != user.password:
                    raise HTTPException(status_code=400)
            """, line=9, note="FastAPI password form against the stored user"),
        Flag("""
            def check(db, name, pwd):
                row = db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
                return pwd == row["passwd"]
            """, line=3, note="a row's password key on the right"),
        Flag("""
            from flask import Flask, request

            app = Flask(__name__)
            accounts = dict()

            @app.post("/login")
            def login():
                name = request.form["username"]
                if name in accounts and accounts[name]["password"] == request.form["password"]:
                    return "welcome"
                return "no", 401
            """, line=9, note="a user table kept in a module-level dict"),
        Quiet("""
            from flask import request

            def register():
                password = request.form["password"]
                confirm_password = request.form["confirm_password"]
                if password != confirm_password:
                    return "mismatch", 400
                if len(password) < 8 or password == "":
                    return "too short", 400
            """, note="two inputs, empty and length checks"),
        Quiet("""
            from werkzeug.security import check_password_hash

            def login(user, password):
                if user.password is None or user.password == "":
                    return False
                return check_password_hash(user.password, password)
            """, note="None/empty checks and a hash check"),
        Quiet("""
            from pydantic import BaseModel, model_validator

            class PasswordChange(BaseModel):
                password: str
                password_confirm: str

                @model_validator(mode="after")
                def same(self):
                    if self.password != self.password_confirm:
                        raise ValueError("passwords differ")
                    return self
            """, note="an input schema comparing its own fields"),
        Quiet("""
            from flask_wtf import FlaskForm

            def check(form):
                return form.password.data == form.confirm.data
            """, note="WTForms input fields"),
        Quiet("""
            from flask import current_app, request


            def load_user_from_request():
                admin_user = current_app.config.get("DASHBOARD_USER")
                auth = request.authorization
                if auth and auth["password"] == admin_user.password:
                    return admin_user
                return None
            """, note="a password of the deployment's configuration, no stored user"),
    )

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                if self._plaintext_pair(left, target.comparator):
                    self._report(node)
                    return
            left = target.comparator

    def visit_Call(self, node: cst.Call) -> None:
        if last_name(node.func) != "compare_digest" or len(node.args) != 2:
            return
        if self.ctx.qualified_name(node.func) not in ("hmac.compare_digest", "secrets.compare_digest"):
            return
        if self._plaintext_pair(node.args[0].value, node.args[1].value):
            self._report(node)

    def _report(self, node: cst.CSTNode) -> None:
        self.report(node, f"A stored password is compared as plain text; {VERIFY_FIX[framework_of(self.origins)]}.")

    def _plaintext_pair(self, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
        return self._stored_against(a, b) or self._stored_against(b, a)

    def _stored_against(self, stored: cst.BaseExpression, candidate: cst.BaseExpression) -> bool:
        hash_column = self._stored_password(stored)
        if hash_column is None:
            return False
        if empty_value(candidate) or isinstance(candidate, (cst.Integer, cst.SimpleString, cst.ConcatenatedString)):
            return False
        if self._stored_password(candidate) is not None:
            return False
        kinds = self.origins.kinds(candidate)
        if HASH in kinds or LITERAL in kinds:
            return False
        raw = REQUEST in kinds or VALIDATED in kinds or PASSWORD_PARAM in kinds
        if hash_column:
            return raw  # a hash column against a raw input: no hashing on this side
        if raw:
            return True
        # an unknown candidate: only a name or attribute that is called a password
        label = value_label(candidate)
        return not isinstance(candidate, cst.Call) and label is not None and is_password_name(label)

    def _stored_password(self, expr: cst.BaseExpression) -> bool | None:
        """None: not a stored password; False: a stored password; True: a stored password hash."""
        if isinstance(expr, cst.Attribute):
            name = expr.attr.value
            owner = expr.value
        elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            name = string_value(expr.slice[0].slice.value) or ""
            owner = expr.value
        else:
            return None
        if not (is_password_name(name) or is_hash_name(name)):
            return None
        if not is_stored_object(self.origins, owner, self.class_kind, by_name=True):
            return None
        return is_hash_name(name)
