"""Application objects and config calls, shared by the BP1 configuration rules (BP103-BP105).

The libcst helpers answer "is this node the app, its config, an assignment's
value?" inside a rule's visitor; the ``ast_`` helpers do the same cheaply on
CPython's ast for the rules' ast triggers, in the index phase.
"""

from __future__ import annotations

import ast

import libcst as cst

from bplint.project.names import qualified_name
from bplint.rule import PythonRule
from bplint.rules._config_context import is_config_object, project_config

# `app.config.update(...)` / `app.config.from_mapping(...)`
APP_METHODS_CONFIG = ("update", "from_mapping")


def app_kind(rule: PythonRule, node: cst.CSTNode) -> str | None:
    """"Flask"/"FastAPI"/... when `node` names an application object."""
    ctx = rule.ctx
    if qualified_name(node, ctx.facts) in ("flask.current_app", "quart.current_app"):
        return "Flask"
    if isinstance(node, cst.Name) and ctx.facts is not None:
        return project_config(ctx.index).app_kind_of_name(ctx.facts, node.value)
    return None


def config_owner(node: cst.CSTNode) -> cst.CSTNode | None:
    """For `app.config`, the `app`."""
    if isinstance(node, cst.Attribute) and node.attr.value == "config":
        return node.value
    return None


def is_config_update(node: cst.Call) -> bool:
    """`app.config.update(...)`, `settings.from_mapping(...)`."""
    func = node.func
    return (isinstance(func, cst.Attribute) and func.attr.value in APP_METHODS_CONFIG
            and is_config_object(func.value))


def assignment_parts(node: cst.Assign | cst.AnnAssign) -> tuple[list[cst.BaseExpression], cst.BaseExpression | None]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets], node.value
    return [node.target], node.value


# --- the same questions on CPython's ast, for ast triggers --------------------------


def ast_targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def ast_is(node: ast.AST | None, value: object) -> bool:
    """The literal `True`, `False` or `None` (`value`)."""
    return isinstance(node, ast.Constant) and node.value is value


def ast_text(node: ast.AST | None) -> str | None:
    """The value of a str or bytes literal (bytes read as latin-1, as `string_value` does)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
    return None


def ast_key(target: ast.AST) -> str | None:
    """`"DEBUG"` for `app.config["DEBUG"]`."""
    return ast_text(target.slice) if isinstance(target, ast.Subscript) else None


def ast_positional(call: ast.Call) -> list[ast.expr]:
    return [a for a in call.args if not isinstance(a, ast.Starred)]


def ast_keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)
