"""Which modules can hold a BP101 finding, decided on CPython's ast in the index phase.

Parsing a module with libcst costs far more than walking its ast, and most
modules hold no literal bound to a secret-like name, no key handed to a
signing API and no credential-shaped string. The collectors below note, during
the index walk every module gets anyway, whether a module has such a
*candidate*; ``HardcodedSecret.applies_to`` then skips the others, so they are
never parsed for BP101.

This is a collector rather than an ``ast_trigger`` because BP101's
``extra-names`` option widens what counts as a secret-like name, and a trigger
does not see options; ``applies_to`` does and adds the extra names.

A candidate is decided more loosely than a finding (no scopes, no enum or
sample-data contexts, no ``allowed-values``), never more strictly: every node
BP101 reports comes from one of the shapes tested here.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from bplint.project.index import ModuleFacts, collects
from bplint.rules._secret_bindings import ITSDANGEROUS_CLASSES, KEY_ARGUMENTS, MIN_SECRET_LENGTH
from bplint.rules._secret_formats import find_tokens, is_placeholder
from bplint.rules._secret_names import is_secret_name, is_signing_key_name, names_a_field

# facts.extra key: True once the module has a candidate
FAMILY = "bp1_secrets"


def _key_api_slots() -> dict[str, tuple[frozenset[int], frozenset[str]]]:
    """APIs that take a key or password, by last name: where the key may be passed.
    Matched by the last name only, so an aliased module (`import jwt as j`) still
    counts; the rule resolves the full name."""
    slots: dict[str, tuple[set[int], set[str]]] = {}
    entries = [*KEY_ARGUMENTS.items(), *((f"itsdangerous.{c}", (0, ("secret_key",))) for c in ITSDANGEROUS_CLASSES)]
    for qualified, (position, keywords) in entries:
        positions, names = slots.setdefault(qualified.rsplit(".", 1)[-1], (set(), set()))
        if position is not None:
            positions.add(position)
        names.update(keywords)
    return {last: (frozenset(p), frozenset(k)) for last, (p, k) in slots.items()}


KEY_API_SLOTS = _key_api_slots()


# the same names come up again and again (`name`, `value`, `request`...)
_is_secret_name = lru_cache(maxsize=8192)(is_secret_name)


def _text(node: ast.AST | None) -> str | None:
    """The value of a str or bytes literal (bytes read as latin-1, as the rule does)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            return value
        if isinstance(value, bytes):
            return value.decode("latin-1")
    return None


def literal_leaves(node: ast.AST | None) -> list[str]:
    """The string literals an expression can evaluate to: ``x or "dev"``, ``"a" if c else "b"``."""
    value = _text(node)
    if value is not None:
        return [value]
    if isinstance(node, ast.IfExp):
        return literal_leaves(node.body) + literal_leaves(node.orelse)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return [leaf for part in node.values for leaf in literal_leaves(part)]
    return []


def _call_has_literal(call: ast.Call) -> bool:
    """A lookup or field whose fallback/default may be a literal: any literal argument."""
    return (any(literal_leaves(a) for a in call.args)
            or any(literal_leaves(k.value) for k in call.keywords))


def bound_candidate(name: str | None, value: ast.AST | None) -> bool:
    """``value`` bound to ``name`` may be reported: a secret-like name and a literal that
    is long enough, no placeholder and no field name, or a call that may fall back to one."""
    if name is None or value is None:
        return False
    if isinstance(value, ast.Call):
        return _is_secret_name(name) and _call_has_literal(value)
    leaves = literal_leaves(value)  # most values are no literal: the cheaper test first
    if not leaves or not _is_secret_name(name):
        return False
    if is_signing_key_name(name):
        return any(leaf.strip() for leaf in leaves)  # weak and placeholder signing keys are findings too
    return any(len(leaf.strip()) >= MIN_SECRET_LENGTH and not is_placeholder(leaf) and not names_a_field(name, leaf)
               for leaf in leaves)


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return _text(target.slice)
    return None


def _bound_pair(target: ast.AST, value: ast.AST | None) -> bool:
    if isinstance(target, ast.Starred):
        target = target.value
    if isinstance(value, ast.Starred):
        value = value.value
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
        return len(target.elts) == len(value.elts) and any(
            _bound_pair(t, v) for t, v in zip(target.elts, value.elts))
    return bound_candidate(_target_name(target), value)


def _positional(call: ast.Call) -> list[ast.AST]:
    return [a for a in call.args if not isinstance(a, ast.Starred)]


def _last_name(func: ast.AST, facts: ModuleFacts) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        qualified = facts.imports.get(func.id)
        return qualified.rsplit(".", 1)[-1] if qualified else func.id
    return None


def _key_argument(call: ast.Call, facts: ModuleFacts) -> bool:
    """A literal handed to a key or password slot of a signing, encryption or auth API."""
    slots = KEY_API_SLOTS.get(_last_name(call.func, facts) or "")
    if slots is None:
        return False
    positions, keywords = slots
    positional = _positional(call)
    # a literal, or a name that may be bound to one (`jwt.encode(claims, secret)`)
    if any(i < len(positional) and (literal_leaves(positional[i]) or isinstance(positional[i], ast.Name))
           for i in positions):
        return True
    return any(k.arg in keywords and (literal_leaves(k.value) or isinstance(k.value, ast.Name)) for k in call.keywords)


def _lookup_with_fallback(call: ast.Call) -> bool:
    """``os.getenv("SECRET_KEY", "dev")``, ``getattr(settings, "API_TOKEN", "x")``,
    ``env.str("JWT_SECRET", default="...")``: a secret-like name looked up with a fallback."""
    if len(call.args) + len(call.keywords) < 2:
        return False
    return any(name is not None and _is_secret_name(name) for name in map(_text, _positional(call)[:2]))


def call_candidate(call: ast.Call, facts: ModuleFacts) -> bool:
    if not call.args and not call.keywords:
        return False
    if any(k.arg is not None and bound_candidate(k.arg, k.value) for k in call.keywords):
        return True
    return _lookup_with_fallback(call) or _key_argument(call, facts)


# --- the collectors -----------------------------------------------------------------


def _note(facts: ModuleFacts, found: bool) -> None:
    if found:
        facts.extra[FAMILY] = True


@collects(ast.Assign)
def _assign(node: ast.Assign, facts: ModuleFacts, _lines: object) -> None:
    if FAMILY not in facts.extra:
        _note(facts, any(_bound_pair(t, node.value) for t in node.targets))


@collects(ast.AnnAssign)
def _ann_assign(node: ast.AnnAssign, facts: ModuleFacts, _lines: object) -> None:
    if FAMILY not in facts.extra:
        _note(facts, _bound_pair(node.target, node.value))


@collects(ast.arguments)
def _parameters(node: ast.arguments, facts: ModuleFacts, _lines: object) -> None:
    if FAMILY in facts.extra:
        return
    positional = [*node.posonlyargs, *node.args]
    pairs = list(zip(positional[len(positional) - len(node.defaults):], node.defaults))
    pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None]
    _note(facts, any(bound_candidate(arg.arg, default) for arg, default in pairs))


@collects(ast.Dict)
def _dict(node: ast.Dict, facts: ModuleFacts, _lines: object) -> None:
    if FAMILY not in facts.extra:
        _note(facts, any(bound_candidate(_text(k), v) for k, v in zip(node.keys, node.values)))


@collects(ast.Call)
def _call(node: ast.Call, facts: ModuleFacts, _lines: object) -> None:
    if FAMILY not in facts.extra:
        _note(facts, call_candidate(node, facts))


@collects(ast.BoolOp)
def _fallback(node: ast.BoolOp, facts: ModuleFacts, _lines: object) -> None:
    # os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec-local"
    if FAMILY in facts.extra or not isinstance(node.op, ast.Or) or not isinstance(node.values[0], ast.Call):
        return
    first = _positional(node.values[0])[:2]
    if any(name is not None and _is_secret_name(name) for name in map(_text, first)):
        _note(facts, any(literal_leaves(v) for v in node.values[1:]))


@collects(ast.ImportFrom)
def _aliased_key_api(node: ast.ImportFrom, facts: ModuleFacts, _lines: object) -> None:
    # `from jwt import encode as make_token`: a call to `make_token` may come before
    # this import in the walk (the import nested deeper), so the alias itself counts
    if FAMILY in facts.extra or node.level or not node.module:
        return
    for alias in node.names:
        qualified = f"{node.module}.{alias.name}"
        if alias.asname and alias.asname != alias.name and (
                qualified in KEY_ARGUMENTS
                or (node.module.startswith("itsdangerous") and alias.name in ITSDANGEROUS_CLASSES)):
            _note(facts, True)


@collects(ast.Constant)
def _credential_format(node: ast.Constant, facts: ModuleFacts, _lines: object) -> None:
    # any string in the format of a well-known credential (f-string parts included)
    if FAMILY in facts.extra:
        return
    value = _text(node)
    if value is None or len(value) < 20:  # no credential format is shorter
        return
    # a private key block is judged on the literal's source spelling, whose
    # escapes (``\\r\\n``) can count as key characters: any header is a candidate
    _note(facts, "PRIVATE KEY" in value or "PuTTY-User-Key" in value or next(find_tokens(value), None) is not None)


def has_candidate(facts: ModuleFacts | None) -> bool:
    return facts is not None and facts.extra.get(FAMILY) is True
