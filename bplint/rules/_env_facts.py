"""What a module says about the environment besides plain reads (index phase, for BP106).

* the variables it sets itself: `os.environ["X"] = ...`, `os.putenv("X", ...)`,
  `os.environ.update(X=...)`. A variable the application sets is its own plumbing,
  not configuration a deployer provides.
* its pydantic settings classes (`class Settings(BaseSettings)`): each field is read
  from the environment, under the class's `env_prefix`, or under the field's alias
  (`Field(alias=...)`, `Field(validation_alias=AliasChoices(...))`, v1's `Field(env=...)`).
  Classes that derive from the project's own settings classes are resolved per project
  (``settings_reads``), so every class with a base is recorded with its fields.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bplint.project.index import Location, ModuleFacts, ProjectIndex, ast_dotted, collects, qualified_name

FAMILY = "bp1_environment"

SETTINGS_BASES = frozenset({
    "pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings", "pydantic.BaseSettings",
    "pydantic.v1.BaseSettings", "pydantic.env_settings.BaseSettings", "pydantic.v1.env_settings.BaseSettings",
})
_WRITERS = frozenset({"os.putenv"})
_ALIAS_KEYWORDS = ("validation_alias", "alias", "env")


@dataclass(frozen=True)
class SettingsField:
    name: str
    aliases: tuple[str, ...]  # the variables an alias names instead of prefix + name
    location: Location


@dataclass
class SettingsClass:
    name: str
    bases: tuple[str, ...]  # as spelled; resolved per project (``_qualify``)
    fields: list[SettingsField] = field(default_factory=list)
    env_prefix: str | None = None  # None: inherited (or "")
    case_sensitive: bool | None = None


@dataclass
class EnvFacts:
    written: set[str] = field(default_factory=set)
    classes: list[SettingsClass] = field(default_factory=list)


def _collected(facts: ModuleFacts) -> EnvFacts:
    return facts.family(FAMILY, EnvFacts)


def env_facts(facts: ModuleFacts | None) -> EnvFacts | None:
    found = facts.extra.get(FAMILY) if facts is not None else None
    return found if isinstance(found, EnvFacts) else None


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@collects(ast.Assign, ast.AugAssign, ast.AnnAssign)
def _environ_store(node: ast.AST, facts: ModuleFacts, _) -> None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    for target in targets:
        if isinstance(target, ast.Subscript) and qualified_name(target.value, facts) == "os.environ":
            name = _string(target.slice)
            if name:
                _collected(facts).written.add(name)


@collects(ast.Call)
def _environ_write_call(node: ast.Call, facts: ModuleFacts, _) -> None:
    callee = qualified_name(node.func, facts)
    if callee in _WRITERS and node.args and _string(node.args[0]):
        _collected(facts).written.add(_string(node.args[0]))  # type: ignore[arg-type]
    elif callee == "os.environ.update":
        names = [k.arg for k in node.keywords if k.arg]
        if node.args and isinstance(node.args[0], ast.Dict):
            names += [s for s in map(_string, node.args[0].keys) if s]
        if names:
            _collected(facts).written.update(names)


def _qualify(spelled: str, facts: ModuleFacts) -> str:
    """A base as spelled (`BaseSettings`, `settings.Base`), resolved through the module's imports
    once they are all known (an import inside `try:` is met after the class); else the module's own."""
    head, dot, rest = spelled.partition(".")
    if head in facts.imports:
        return facts.imports[head] + dot + rest
    return f"{facts.module}.{spelled}" if facts.module else spelled


def _strings(node: ast.AST | None) -> tuple[str, ...]:
    """"X", ["X", "Y"], AliasChoices("X", "Y"): the names; an AliasPath or anything else: none."""
    if node is None:
        return ()
    single = _string(node)
    if single is not None:
        return (single,)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(s for s in map(_string, node.elts) if s)
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "AliasChoices":
        return tuple(s for s in map(_string, node.args) if s)
    return ()


def _config_options(pairs: list[tuple[str | None, ast.AST]], info: SettingsClass) -> None:
    for key, value in pairs:
        if key == "env_prefix" and _string(value) is not None:
            info.env_prefix = _string(value)
        elif key == "case_sensitive" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
            info.case_sensitive = value.value


@collects(ast.ClassDef)
def _settings_class(node: ast.ClassDef, facts: ModuleFacts, lines) -> None:
    bases = tuple(b for b in (ast_dotted(base) for base in node.bases) if b)
    if not bases:
        return
    info = SettingsClass(node.name, bases)
    _config_options([(k.arg, k.value) for k in node.keywords], info)  # class S(BaseSettings, env_prefix="X_")
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            if name.startswith("_") or name == "model_config" or "ClassVar" in ast.dump(statement.annotation):
                continue
            aliases: tuple[str, ...] = ()
            value = statement.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", None)) == "Field":
                for keyword in _ALIAS_KEYWORDS:
                    found = next((k.value for k in value.keywords if k.arg == keyword), None)
                    aliases = _strings(found)
                    if aliases:
                        break
            info.fields.append(SettingsField(name, aliases, lines.location(statement)))
        elif isinstance(statement, ast.Assign) and any(getattr(t, "id", None) == "model_config"
                                                       for t in statement.targets):
            value = statement.value
            if isinstance(value, ast.Call):
                _config_options([(k.arg, k.value) for k in value.keywords], info)
            elif isinstance(value, ast.Dict):
                _config_options([(_string(k), v) for k, v in zip(value.keys, value.values)], info)
        elif isinstance(statement, ast.ClassDef) and statement.name == "Config":  # pydantic v1
            for inner in statement.body:
                if isinstance(inner, ast.Assign):
                    _config_options([(getattr(t, "id", None), inner.value) for t in inner.targets], info)
    # also a class with neither: the step between a settings class and one derived from it
    _collected(facts).classes.append(info)


@dataclass(frozen=True)
class SettingsRead:
    name: str  # the variable, upper-cased unless the class is case-sensitive
    location: Location
    case_sensitive: bool
    alternatives: tuple[str, ...] = ()  # the other names it is read under (`AliasChoices`)


def settings_reads(index: ProjectIndex, relpaths: list[str]) -> dict[str, list[SettingsRead]]:
    """The environment variables the pydantic settings classes of these modules read, by module."""
    classes: dict[str, SettingsClass] = {}
    owner: dict[str, str] = {}
    bases: dict[str, list[str]] = {}
    for relpath, facts in index.modules.raw().items():
        found = env_facts(facts)
        for info in found.classes if found is not None else ():
            key = f"{facts.module}.{info.name}" if facts.module else info.name
            classes[key] = info
            owner[key] = relpath
            bases[key] = [_qualify(base, facts) for base in info.bases]
    resolved: dict[str, tuple[bool, str, bool] | None] = {}

    def lookup(qualified: str) -> str | None:
        if qualified in classes:
            return qualified
        found = index.resolve_definition(qualified)
        if found is not None:
            key = f"{found[0].module}.{found[1]}" if found[0].module else found[1]
            return key if key in classes else None
        return None

    def settings_of(key: str, depth: int = 0) -> tuple[bool, str, bool] | None:
        """(is a settings class, its env_prefix, case_sensitive), or None when it is not one."""
        if key in resolved:
            return resolved[key]
        resolved[key] = None  # a cycle of bases is no settings class
        info = classes[key]
        inherited: tuple[bool, str, bool] | None = None
        for base in bases[key]:
            if base in SETTINGS_BASES:
                inherited = (True, "", False)
                break
            parent = lookup(base) if depth < 20 else None
            if parent is not None:
                inherited = settings_of(parent, depth + 1)
                if inherited is not None:
                    break
        if inherited is not None:
            prefix = info.env_prefix if info.env_prefix is not None else inherited[1]
            sensitive = info.case_sensitive if info.case_sensitive is not None else inherited[2]
            inherited = (True, prefix, sensitive)
        resolved[key] = inherited
        return inherited

    wanted = set(relpaths)
    reads: dict[str, list[SettingsRead]] = {}
    for key, info in classes.items():
        if owner[key] not in wanted:
            continue
        settings = settings_of(key)
        if settings is None:
            continue
        _, prefix, sensitive = settings
        for item in info.fields:
            names = [name if sensitive else name.upper() for name in item.aliases or (prefix + item.name,)]
            reads.setdefault(owner[key], []).append(SettingsRead(names[0], item.location, sensitive,
                                                                 tuple(names[1:])))
    return reads
