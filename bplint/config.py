"""Configuration: ``[tool.bplint]`` in pyproject.toml, or a file given with --config.

The file is found by walking up from the first scanned path. Everything is
validated against the registry before the scan starts: an unknown key, an
unknown rule code or a value of the wrong type stops bplint with exit code 2
and a message naming the file and the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import pathspec

from bplint.findings import Severity
from bplint.pyversion import PythonTarget, resolve_target, running_target

if TYPE_CHECKING:
    from bplint.rule import Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """Bad configuration or usage; the CLI prints it and exits with 2."""


DEFAULT_EXCLUDE = [
    ".git/", ".hg/", ".svn/", ".venv/", "venv/", ".tox/", ".nox/", "node_modules/", "__pycache__/",
    "build/", "dist/", "site-packages/", "*.egg-info/", ".eggs/", ".mypy_cache/", ".pytest_cache/",
    ".ruff_cache/", ".bplint_cache/",
]
# tests.py: the module Django's startapp creates for an app's tests
DEFAULT_TEST_PATHS = ["tests/", "test/", "test_*.py", "*_test.py", "tests.py", "conftest.py"]
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 30.0

KEYS = {
    "select": "rule codes, prefixes (BP1) or names to enable instead of the defaults",
    "extend-select": "rule codes, prefixes or names to enable on top of `select`",
    "ignore": "rule codes, prefixes or names to disable",
    "per-file-ignores": "a table of path pattern -> codes to disable in matching files",
    "exclude": "path patterns (gitignore syntax) to skip, replacing the defaults",
    "extend-exclude": "path patterns (gitignore syntax) to skip on top of `exclude`",
    "severity": "a table of code -> error | warning | info",
    "fail-on": "the lowest severity that fails the run: error | warning | info",
    "test-paths": "path patterns (gitignore syntax) of test code",
    "script-paths": "path patterns (gitignore syntax) of command-line programs and scripts",
    "migration-paths": "path patterns (gitignore syntax) of migrations",
    "example-paths": "path patterns (gitignore syntax) of examples and documentation",
    "max-file-size": "files larger than this many bytes are skipped",
    "file-timeout": "seconds one file may take before bplint gives up on it",
    "preview": "true turns on the rules of the preview tier (not yet precise enough to be on by default)",
    "target-version": "the project's Python (py37 .. py314); default: the lowest that requires-python allows",
    "rules": "per-rule options: [tool.bplint.rules.BP101] ...",
}

_PREFIX = re.compile(r"^BP\d{0,3}$", re.IGNORECASE)


@dataclass
class Config:
    root: Path
    source: Path | None = None
    rules: tuple[type[Rule], ...] = ()
    enabled: frozenset[str] = frozenset()
    per_file_ignores: list[tuple[pathspec.PathSpec, frozenset[str]]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.INFO
    test_paths: list[str] = field(default_factory=lambda: list(DEFAULT_TEST_PATHS))
    # "script-paths" / "migration-paths" / "example-paths" -> patterns (see bplint.roles)
    role_paths: dict[str, list[str]] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    preview: bool = False
    # the Python the project's code is parsed as (see bplint.pyversion)
    target: PythonTarget = field(default_factory=running_target)
    _test_spec: pathspec.PathSpec | None = field(default=None, repr=False)

    def option(self, code: str, key: str) -> Any:
        value = self.rule_options.get(code, {}).get(key)
        if value is not None:
            return value
        rule = next(r for r in self.rules if r.code == code)
        return rule.options[key].default

    @property
    def runs(self) -> frozenset[str]:
        """The codes the scan runs: the enabled rules and those that detect secrets (for masking)."""
        return self.enabled | {r.code for r in self.rules if r.detects_secrets}

    def is_test_path(self, root_relpath: str) -> bool:
        if self._test_spec is None:
            self._test_spec = pathspec.GitIgnoreSpec.from_lines(self.test_paths)
        return self._test_spec.match_file(root_relpath)

    def ignored_codes(self, root_relpath: str) -> frozenset[str]:
        codes: set[str] = set()
        for spec, ignored in self.per_file_ignores:
            if spec.match_file(root_relpath):
                codes |= ignored
        return frozenset(codes)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)


PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git", "requirements.txt", "manage.py", "Pipfile")


def find_config_file(start: Path) -> Path | None:
    """The nearest pyproject.toml above ``start`` that has a [tool.bplint] table."""
    here = start.resolve()
    if not here.is_dir():  # a file, or a FIFO or device named on the command line
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = read_toml(candidate)
            except UnreadableToml as exc:
                if exc.mentions_bplint:
                    raise
                continue  # not bplint's configuration; the scan reports the file (BP200)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "bplint" in tool:
                return candidate
    return None


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that looks like a project's top; else start."""
    here = start.resolve()
    if not here.is_dir():  # a file, or a FIFO or device named on the command line
        here = here.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return here


class UnreadableToml(ConfigError):
    """A TOML file that was read but cannot be parsed."""

    def __init__(self, message: str, mentions_bplint: bool) -> None:
        super().__init__(message)
        self.mentions_bplint = mentions_bplint  # so it may well be bplint's own configuration


def read_toml(path: Path) -> dict[str, Any]:
    from bplint.files import read_regular_file

    try:
        raw = read_regular_file(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    mentions = b"bplint" in raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnreadableToml(f"{path}: not valid UTF-8 (line {line}); save it as UTF-8", mentions) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnreadableToml(f"{path}: not valid TOML: {exc}", mentions) from None
    except RecursionError:
        raise UnreadableToml(f"{path}: cannot be read: arrays or tables are nested too deeply", mentions) from None


@dataclass
class Settings:
    """The configuration as written (file table and command line), before it is checked against the rules.

    A scan can be answered from the last run's result with these alone, so
    they are read without loading any rule.
    """

    table: dict[str, Any]
    root: Path
    source: Path | None = None
    where: str = "configuration"
    overrides: dict[str, Any] = field(default_factory=dict)

    def general(self) -> "GeneralSettings":
        """The settings that do not name rules (what to scan, when to fail), validated."""
        return general_settings(self.table, self.where, self.overrides)

    def config(self, rules: Sequence[type[Rule]]) -> Config:
        return build_config(self.table, rules, root=self.root, source=self.source, where=self.where,
                            overrides=self.overrides)


@dataclass
class GeneralSettings:
    exclude: list[str]
    test_paths: list[str]
    role_paths: dict[str, list[str]] = field(default_factory=dict)
    fail_on: Severity = Severity.INFO
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT


def read_settings(paths: Sequence[Path], config_file: Path | None = None,
                  overrides: dict[str, Any] | None = None) -> Settings:
    """Find and read the configuration for a scan of ``paths``, without checking it against the rules."""
    start = paths[0] if paths else Path(".")
    table: dict[str, Any] = {}
    source: Path | None = None
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: no such configuration file")
        data = read_toml(config_file)
        table = data.get("tool", {}).get("bplint", {}) if config_file.name == "pyproject.toml" else data
        source = config_file
    else:
        source = find_config_file(start)
        if source is not None:
            table = read_toml(source)["tool"]["bplint"]
    root = source.parent.resolve() if source is not None else find_project_root(start)
    if source is None:
        where = "configuration"
    else:
        where = f"{source}: [tool.bplint]" if source.name == "pyproject.toml" else str(source)
    return Settings(table, root, source, where, dict(overrides or {}))


def build_config(table: dict[str, Any], rules: Sequence[type[Rule]], *, root: Path,
                 source: Path | None = None, where: str = "configuration",
                 overrides: dict[str, Any] | None = None) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; allowed keys: {', '.join(sorted(KEYS))}")
    general = general_settings(table, where, overrides or {})
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    # Each value is checked where it came from, so messages name the file or the option.
    cli_ignore = overrides.pop("extend-ignore", [])
    overrides.pop("extend-exclude-cli", None)
    merged = {**table, **overrides}
    config = Config(root=root, source=source, rules=tuple(rules), exclude=general.exclude,
                    test_paths=general.test_paths, role_paths=general.role_paths, fail_on=general.fail_on, max_file_size=general.max_file_size,
                    file_timeout=general.file_timeout)
    strings = _strings_reader(merged, overrides, where)
    config.target = resolve_target(merged.get("target-version"), root, where)

    def origin(key: str) -> str:
        return "command line" if key in overrides else where

    preview = merged.get("preview", False)
    if not isinstance(preview, bool):
        raise ConfigError(f"{origin('preview')}: 'preview' must be true or false")
    config.preview = preview
    select = (resolve_selectors(strings("select"), rules, origin("select"), "select", preview=preview)
              if "select" in merged else None)
    extend = resolve_selectors(strings("extend-select"), rules, origin("extend-select"), "extend-select",
                               preview=preview)
    ignore = resolve_selectors(strings("ignore"), rules, where, "ignore", include_opt_in=True)
    ignore |= resolve_selectors(cli_ignore, rules, "command line", "--ignore", include_opt_in=True)
    base = select if select is not None else {r.code for r in rules if is_default(r, preview)}
    config.enabled = frozenset((base | extend) - ignore)

    pfi = merged.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of pattern = [codes]")
    for pattern, codes in pfi.items():
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: per-file-ignores {pattern!r} must be a list of codes")
        resolved = resolve_selectors(codes, rules, where, f"per-file-ignores {pattern!r}", include_opt_in=True)
        config.per_file_ignores.append((pathspec.GitIgnoreSpec.from_lines([pattern]), frozenset(resolved)))

    severities = merged.get("severity", {})
    if not isinstance(severities, dict):
        raise ConfigError(f"{where}: 'severity' must be a table of code = \"error\" | \"warning\" | \"info\"")
    for selector, level in severities.items():
        sev = _severity(level, where, f"severity.{selector}")
        for code in resolve_selectors([selector], rules, where, "severity", include_opt_in=True):
            config.severity[code] = sev
    options = merged.get("rules", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: 'rules' must be a table of per-rule tables, e.g. [tool.bplint.rules.BP101]")
    by_key = {r.code.upper(): r for r in rules} | {r.name: r for r in rules}
    for rule_key, values in options.items():
        rule = by_key.get(rule_key.upper()) or by_key.get(rule_key)
        if rule is None:
            raise ConfigError(f"{where}: rules.{rule_key}: unknown rule code or name")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: rules.{rule_key} must be a table of options")
        for opt, value in values.items():
            spec = rule.options.get(opt)
            if spec is None:
                allowed = ", ".join(sorted(rule.options)) or "none"
                raise ConfigError(f"{where}: rules.{rule_key}: unknown option {opt!r}; {rule.code} takes: {allowed}")
            problem = spec.check(value)
            if problem:
                raise ConfigError(f"{where}: rules.{rule_key}.{opt} must be {problem}")
            config.rule_options.setdefault(rule.code, {})[opt] = value
    return config


def general_settings(table: dict[str, Any], where: str, overrides: dict[str, Any]) -> GeneralSettings:
    """The settings that name no rule. ``overrides["extend-exclude-cli"]`` adds --exclude patterns."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    cli_exclude = overrides.pop("extend-exclude-cli", [])
    merged = {**table, **overrides}
    strings = _strings_reader(merged, overrides, where)
    general = GeneralSettings(exclude=list(DEFAULT_EXCLUDE), test_paths=list(DEFAULT_TEST_PATHS))
    if "exclude" in merged:
        general.exclude = strings("exclude")
    general.exclude = [*general.exclude, *strings("extend-exclude"), *cli_exclude]
    if "test-paths" in merged:
        general.test_paths = strings("test-paths")
    general.role_paths = {key: strings(key) for key in ("script-paths", "migration-paths", "example-paths")
                          if key in merged}
    if "fail-on" in merged:
        general.fail_on = _severity(merged["fail-on"], "command line" if "fail-on" in overrides else where,
                                    "fail-on")
    elif "default-fail-on" in overrides:  # a caller's default (the pre-commit hook's), below the configuration
        general.fail_on = _severity(overrides["default-fail-on"], "command line", "--default-fail-on")
    for key, kind in (("max-file-size", int), ("file-timeout", (int, float))):
        if key in merged:
            value = merged[key]
            if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
                raise ConfigError(f"{where}: {key!r} must be a positive number")
            setattr(general, key.replace("-", "_"), value)
    return general


def _strings_reader(merged: dict[str, Any], overrides: dict[str, Any], where: str):
    def strings(key: str, value: Any = None) -> list[str]:
        value = merged.get(key, []) if value is None else value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            origin = "command line" if key in overrides else where
            raise ConfigError(f"{origin}: {key!r} must be a list of strings")
        return value

    return strings


def _severity(value: Any, where: str, key: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(f"{where}: {key} must be one of error, warning, info (got {value!r})") from None


def is_default(rule: type[Rule], preview: bool) -> bool:
    """Whether the rule is on when nothing selects it: not opt-in, and not in preview unless preview is on."""
    return not rule.opt_in and (preview or not rule.preview)


def resolve_selectors(selectors: Iterable[str], rules: Sequence[type[Rule]], where: str, key: str,
                      include_opt_in: bool = False, preview: bool = False) -> set[str]:
    """Codes matched by selectors: ALL, a prefix (BP1, BP10), a code, or a rule name.

    Opt-in rules are matched only by their exact code or name (or ALL), so
    that `select = ["BP0"]` does not switch them on unasked. Preview rules are
    matched by ALL and prefixes only when ``preview`` is on, and always by
    their exact code or name. ``include_opt_in`` (for ignore lists) matches both.
    """
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if selector.upper() == "ALL":
            codes |= {r.code for r in rules if include_opt_in or preview or not r.preview}
            continue
        exact = [r for r in rules if r.code.upper() == selector.upper() or r.name == selector.lower()]
        if exact:
            codes |= {r.code for r in exact}
            continue
        if _PREFIX.match(selector):
            matched = [r for r in rules if r.code.upper().startswith(selector.upper())]
            if matched:
                codes |= {r.code for r in matched
                          if include_opt_in or (not r.opt_in and (preview or not r.preview))}
                continue
        raise ConfigError(f"{where}: {key}: unknown rule code, prefix or name {raw!r} "
                          f"(see `bplint rules` for the list)")
    return codes
