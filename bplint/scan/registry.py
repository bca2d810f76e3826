"""Which rules exist: the built-in families and rule packs from entry points."""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bplint.rule import Rule

BUILTIN_MODULES = (
    "bplint.rules.bp0_engine",
    "bplint.rules.bp1_secrets",
    "bplint.rules.bp1_credentials_in_url",
    "bplint.rules.bp1_debug",
    "bplint.rules.bp1_cookies",
    "bplint.rules.bp1_hardcoded_config",
    "bplint.rules.bp1_environment",
    "bplint.rules.bp2_dependencies",
    "bplint.rules.bp3_password_storage",
    "bplint.rules.bp3_password_comparison",
    "bplint.rules.bp3_hashing",
    "bplint.rules.bp3_jwt_unverified",
    "bplint.rules.bp3_jwt_expiry",
    "bplint.rules.bp3_jwt_errors",
    "bplint.rules.bp3_mass_assignment",
    "bplint.rules.bp4_schema",
    "bplint.rules.bp4_datetime",
    "bplint.rules.bp4_commits",
    "bplint.rules.bp4_queries",
    "bplint.rules.bp4_loops",
    "bplint.rules.bp4_unbounded",
    "bplint.rules.bp4_sql",
    "bplint.rules.bp5_missing_object",
    "bplint.rules.bp5_request_data",
    "bplint.rules.bp5_error_handlers",
    "bplint.rules.bp5_swallowed_exception",
    "bplint.rules.bp5_error_details",
    "bplint.rules.bp5_route_naming",
    "bplint.rules.bp5_status_codes",
    "bplint.rules.bp6_print",
    "bplint.rules.bp6_eager_format",
    "bplint.rules.bp6_secret_logged",
    "bplint.rules.bp6_traceback",
    "bplint.rules.bp7_structure",
)
ENTRY_POINT_GROUP = "bplint.rules"


class RegistryError(Exception):
    pass


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule, sorted by code. Plugin rules come through ``bplint.rules`` entry points,
    each naming a module (all its rule classes count) or a single rule class."""
    from bplint.rule import iter_rule_classes  # rules (and libcst) load only when asked for

    found: dict[str, type[Rule]] = {}
    for module_name in BUILTIN_MODULES:
        module = importlib.import_module(module_name)
        for rule in iter_rule_classes(vars(module).values()):
            _add(found, rule, module_name)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not break bplint
            raise RegistryError(f"rule pack {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        candidates = [obj] if isinstance(obj, type) else list(vars(obj).values())
        for rule in iter_rule_classes(candidates):
            _add(found, rule, ep.value)
    return tuple(sorted(found.values(), key=lambda r: r.code))


def rule_pack_signature() -> tuple[tuple[str, str, str], ...]:
    """The installed rule packs' entry points and versions, read without loading them."""
    packs = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        packs.append((ep.name, ep.value, f"{dist.name} {dist.version}" if dist is not None else ""))
    return tuple(sorted(packs))


def _add(found: dict[str, type[Rule]], rule: type[Rule], origin: str) -> None:
    if rule.code in found and found[rule.code] is not rule:
        raise RegistryError(f"rule code {rule.code} is defined twice ({origin})")
    found[rule.code] = rule


def rules_by_code() -> dict[str, type[Rule]]:
    return {r.code: r for r in all_rules()}


def find_rule(code_or_name: str) -> type[Rule] | None:
    key = code_or_name.strip()
    for rule in all_rules():
        if rule.code.upper() == key.upper() or rule.name == key.lower():
            return rule
    return None


def tier(rule: type[Rule]) -> str:
    """``preview`` for a rule not yet precise enough on real code to be on by default, else ``stable``."""
    return "preview" if rule.preview else "stable"
