"""What the JWT rules (BP304-BP306) share: PyJWT and python-jose calls, payload literals, the base rule.

PyJWT (`import jwt`) and python-jose (`from jose import jwt`) are told apart
by the qualified name of the call, so a project function called `decode`
or a project module named `jwt` is never mistaken for them.
"""

from __future__ import annotations

import libcst as cst

from bplint.project.names import keyword_arg, positional_arg, string_value
from bplint.rule import PythonRule
from bplint.rules._auth_index import ENCODE_CALLS
from bplint.rules._auth_triggers import JWT_TRIGGER_TYPES, imports_jwt

DECODE_CALLS = {"jwt.decode": "pyjwt", "jwt.api_jwt.decode": "pyjwt", "jwt.PyJWT().decode": "pyjwt",
                "jwt.api_jwt.PyJWT().decode": "pyjwt", "jose.jwt.decode": "jose"}
# Exception classes that catch an expired or invalid token (or a base class of them).
JWT_ERRORS = frozenset({"ExpiredSignatureError", "InvalidTokenError", "PyJWTError", "JWTError", "JOSEError",
                        "JWTClaimsError"})
BROAD_ERRORS = frozenset({"builtins.Exception", "builtins.BaseException"})
EXP_FIX = '`"exp": datetime.now(timezone.utc) + timedelta(minutes=15)`'


class JwtRule(PythonRule):
    uses_bindings = True
    ast_trigger_types = JWT_TRIGGER_TYPES
    ast_trigger = staticmethod(imports_jwt)

    @classmethod
    def applies_to(cls, ctx) -> bool:
        return "jwt" in ctx.text and ctx.imports_any("jwt", "jose")


def jwt_call(rule: PythonRule, call: cst.Call) -> str | None:
    """The qualified name of a PyJWT/python-jose call (None when `jwt` is a project module)."""
    qualified = _qualified_call(rule, call.func)
    if qualified is None or not qualified.startswith(("jwt.", "jose.")):
        return None
    if rule.ctx.index.module_by_name(qualified.split(".", 1)[0]) is not None:
        return None  # the project's own `jwt` module
    return qualified


def _qualified_call(rule: PythonRule, func: cst.BaseExpression) -> str | None:
    qualified = rule.ctx.qualified_name(func)
    if qualified is None and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
        inner = rule.ctx.qualified_name(func.value.func)  # jwt.PyJWT().decode
        if inner:
            qualified = f"{inner}().{func.attr.value}"
    return qualified


def dict_literal(expr: cst.BaseExpression | None) -> dict[str, cst.BaseExpression] | None:
    """String keys and values of a dict display or `dict(...)` call; None when keys are not all known."""
    if isinstance(expr, cst.Dict):
        found: dict[str, cst.BaseExpression] = {}
        for element in expr.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key = string_value(element.key)
            if key is None:
                return None
            found[key] = element.value
        return found
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict":
        if any(arg.keyword is None for arg in expr.args):
            return None
        return {arg.keyword.value: arg.value for arg in expr.args if arg.keyword is not None}
    return None


def bound_value(rule: PythonRule, expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, cst.Name) and rule.ctx.bindings is not None:
        binding = rule.ctx.bindings.only(expr.value)
        if binding is not None and binding.value is not None and binding.kind == "assign":
            return binding.value
    return expr


def unverified_signature(rule: PythonRule, call: cst.Call) -> bool:
    """`options={"verify_signature": False}` on a decode call."""
    return option_off(rule, call, "verify_signature")


def option_off(rule: PythonRule, call: cst.Call, option: str) -> bool:
    """A decode call's `options` turn ``option`` off: `options={"verify_exp": False}`, a name bound to
    such a dict, or `options["verify_exp"] = False` on the dict it names in the same function."""
    options = keyword_arg(call, "options") or positional_arg(call, 3)
    if options is None:
        return False
    option_values = dict_literal(bound_value(rule, options.value))
    if option_values is not None and is_false(option_values.get(option)):
        return True
    function = rule.ctx.bindings.function if rule.ctx.bindings is not None else None
    return isinstance(options.value, cst.Name) and function is not None and \
        _sets_false(function, options.value.value, option)


def _sets_false(function: cst.CSTNode, name: str, option: str) -> bool:
    """`name["option"] = False` somewhere in the function (not in a nested one)."""
    stack = list(function.children)
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(node, cst.Assign) and is_false(node.value) and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and \
                    target.value.value == name and len(target.slice) == 1:
                index = target.slice[0].slice
                key = index.value if isinstance(index, cst.Index) else None
                if isinstance(key, cst.SimpleString) and key.evaluated_value == option:
                    return True
        stack.extend(node.children)
    return False


def is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"
