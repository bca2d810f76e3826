"""Configuration: ``[tool.bplint]`` in pyproject.toml, a bplint.toml, or a file given with --config.

The project's configuration is found by walking up from the scanned paths.
Below the project root each file gets the settings of the nearest
configuration file above it (``settings_for``); a file may ``extend`` another.
Everything is validated against the registry before the scan starts: an
unknown key, an unknown rule code or a value of the wrong type stops bplint
with exit code 2 and a message naming the file and the key.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import pathspec

from bplint.discover.pyversion import PythonTarget, resolve_target, running_target
from bplint.report.findings import Severity

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
    "extend": "the path of a configuration file to inherit from (relative to this file); this file's keys win",
}
# The keys that hold for the whole project: a nested configuration file's values for them
# apply only when its folder is scanned as a project of its own.
PROJECT_WIDE = ("exclude", "extend-exclude", "fail-on", "max-file-size", "file-timeout", "target-version")
# tables merged entry by entry along `extend` (the other keys are replaced whole)
MERGED_TABLES = ("severity", "per-file-ignores", "rules")
# keys whose patterns match paths relative to the folder of the file that sets them
PATTERN_KEYS = ("test-paths", "script-paths", "migration-paths", "example-paths")
# in one folder, the first of these that holds bplint's configuration is the one
CONFIG_NAMES = (".bplint.toml", "bplint.toml", "pyproject.toml")

_PREFIX = re.compile(r"^BP\d{0,3}$", re.IGNORECASE)


@dataclass
class Config:
    root: Path
    source: Path | None = None
    rules: tuple[type[Rule], ...] = ()
    enabled: frozenset[str] = frozenset()
    # (pattern, codes, the folder the pattern is relative to: "" or "svc/")
    per_file_ignores: list[tuple[pathspec.PathSpec, frozenset[str], str]] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.INFO
    test_paths: list[str] = field(default_factory=lambda: list(DEFAULT_TEST_PATHS))
    # "script-paths" / "migration-paths" / "example-paths" -> patterns (see bplint.project.roles)
    role_paths: dict[str, list[str]] = field(default_factory=dict)
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    preview: bool = False
    # the Python the project's code is parsed as (see bplint.discover.pyversion)
    target: PythonTarget = field(default_factory=running_target)
    # key of PATTERN_KEYS -> the folder (below the root, "" or "svc/") its patterns are relative to
    bases: dict[str, str] = field(default_factory=dict)
    # the configurations of folders below the root that have their own ("svc" -> Config)
    scoped: dict[str, "Config"] = field(default_factory=dict)
    _test_spec: pathspec.PathSpec | None = field(default=None, repr=False)
    _by_folder: dict[str, "Config"] = field(default_factory=dict, repr=False)

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

    @property
    def all_runs(self) -> frozenset[str]:
        """The codes any file of the project runs: for project rules and the index's triggers."""
        return self.runs.union(*(scoped.runs for scoped in self.scoped.values()))

    @property
    def all_enabled(self) -> frozenset[str]:
        """The codes enabled in any file of the project (the rules a report describes)."""
        return self.enabled.union(*(scoped.enabled for scoped in self.scoped.values()))

    def for_path(self, root_relpath: str | None) -> "Config":
        """The configuration of the file at ``root_relpath``: its nearest folder's with one, else this one."""
        if not self.scoped or not root_relpath:
            return self
        folder = root_relpath.rsplit("/", 1)[0] if "/" in root_relpath else ""
        found = self._by_folder.get(folder)
        if found is None:
            found, here = self, folder
            while here:
                if here in self.scoped:
                    found = self.scoped[here]
                    break
                here = here.rsplit("/", 1)[0] if "/" in here else ""
            self._by_folder[folder] = found
        return found

    def relative(self, key: str, root_relpath: str) -> str | None:
        """``root_relpath`` as the patterns of ``key`` see it; None when the file is outside their folder."""
        return below(self.bases.get(key, ""), root_relpath)

    def is_test_path(self, root_relpath: str) -> bool:
        if self._test_spec is None:
            self._test_spec = pathspec.GitIgnoreSpec.from_lines(self.test_paths)
        path = self.relative("test-paths", root_relpath)
        return path is not None and self._test_spec.match_file(path)

    def ignored_codes(self, root_relpath: str) -> frozenset[str]:
        codes: set[str] = set()
        for spec, ignored, base in self.per_file_ignores:
            path = below(base, root_relpath)
            if path is not None and spec.match_file(path):
                codes |= ignored
        return frozenset(codes)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)


def below(base: str, root_relpath: str) -> str | None:
    """The path below the folder ``base`` ("" or "svc/"), or None when it is not below it."""
    if not base:
        return root_relpath
    return root_relpath[len(base):] if root_relpath.startswith(base) else None


PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git", "requirements.txt", "manage.py", "Pipfile")


def find_config_file(start: Path) -> Path | None:
    """The nearest configuration file (see ``folder_config``) at or above ``start``."""
    here = start.resolve()
    if not here.is_dir():  # a file, or a FIFO or device named on the command line
        here = here.parent
    for folder in (here, *here.parents):
        found = folder_config(folder)
        if found is not None:
            return found
    return None


def folder_config(folder: Path) -> Path | None:
    """The file of ``folder`` that holds bplint's configuration: the first of CONFIG_NAMES there
    (a pyproject.toml only with a [tool.bplint] table); None when there is none."""
    for name in CONFIG_NAMES:
        candidate = folder / name
        if not candidate.is_file():
            continue
        if name != "pyproject.toml":
            return candidate
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
    from bplint.discover.files import read_regular_file

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
class GeneralSettings:
    exclude: list[str]
    test_paths: list[str]
    role_paths: dict[str, list[str]] = field(default_factory=dict)
    fail_on: Severity = Severity.INFO
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT


@dataclass
class Layer:
    """One configuration file's own table, as written."""

    path: Path
    table: dict[str, Any]
    where: str  # how messages name it: "pyproject.toml: [tool.bplint]", "bplint.toml"


def config_table(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """bplint's table in a file read as TOML: its [tool.bplint] table if it has one, else (but for a
    pyproject.toml) its top-level keys; None when a pyproject.toml has no [tool.bplint] table."""
    tool = data.get("tool")
    if isinstance(tool, dict) and "bplint" in tool:
        return tool["bplint"], f"{path}: [tool.bplint]"
    if path.name == "pyproject.toml":
        return None, str(path)
    return data, str(path)


def config_chain(path: Path, required: bool = True) -> list[Layer]:
    """The configuration file ``path`` and, in order, every file it extends (``extend``).

    A pyproject.toml without [tool.bplint] is an empty configuration when it is the first
    file and ``required`` is false (it was named with --config); anywhere else it is an error.
    """
    chain: list[Layer] = []
    seen: list[Path] = []
    current = path
    while True:
        real = current.resolve()
        if real in seen:
            loop = " -> ".join(str(p) for p in [*(layer.path for layer in chain), current])
            raise ConfigError(f"{chain[-1].where}: 'extend' makes a cycle ({loop}); remove one of these 'extend' "
                              f"keys")
        seen.append(real)
        table, where = config_table(current, read_toml(current))
        if table is None:
            if chain or required:
                by = f"{chain[-1].where}: extend: " if chain else ""
                raise ConfigError(f"{by}{current} has no [tool.bplint] table")
            table = {}
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        chain.append(Layer(current, table, where))
        target = table.get("extend")
        if target is None:
            return chain
        if not isinstance(target, str) or not target.strip():
            raise ConfigError(f"{where}: 'extend' must be the path of a configuration file, relative to this one")
        current = Path(os.path.normpath(current.parent / target))
        if not current.is_file():
            raise ConfigError(f"{where}: extend: no such configuration file {current}")


def merge_layers(chain: Sequence[Layer]) -> tuple[dict[str, Any], dict[str, Layer]]:
    """The table a chain of files gives (the first file's keys win over those it extends), and the
    file each value came from: by key, and for MERGED_TABLES by entry ("severity.BP101",
    "rules.BP101.max-length")."""
    table: dict[str, Any] = {}
    origins: dict[str, Layer] = {}
    for layer in reversed(chain):
        for key, value in layer.table.items():
            if key == "extend":
                continue
            origins[key] = layer
            if key in MERGED_TABLES and isinstance(value, dict):
                merged = dict(table[key]) if isinstance(table.get(key), dict) else {}
                if not isinstance(table.get(key), dict):  # replaced whole: forget the old entries' files
                    for entry in [k for k in origins if k.startswith(f"{key}.")]:
                        del origins[entry]
                for entry, item in value.items():
                    if key == "rules" and isinstance(item, dict):
                        old = merged.get(entry)
                        merged[entry] = {**old, **item} if isinstance(old, dict) else dict(item)
                        for option in item:
                            origins[f"rules.{entry}.{option}"] = layer
                    else:
                        merged[entry] = item
                        origins[f"{key}.{entry}"] = layer
                table[key] = merged
            else:
                table[key] = value
    return table, origins


@dataclass
class FileSettings:
    """The settings the files of one folder get: the configuration file nearest to them and those
    it extends, merged; the command line's options on top. Checked against the rules by ``config``."""

    root: Path
    chain: list[Layer]  # the nearest file first, then what it extends, in order
    folder: str = ""  # the folder below the root they hold from ("" = the root, "svc/api")
    overrides: dict[str, Any] = field(default_factory=dict)
    # the project root's settings, whose PROJECT_WIDE keys hold here too (None: these are the root's)
    project: "FileSettings | None" = None
    table: dict[str, Any] = field(init=False)
    origins: dict[str, Layer] = field(init=False)

    def __post_init__(self) -> None:
        self.table, self.origins = merge_layers(self.chain)
        if self.project is not None:
            self.table = {k: v for k, v in self.table.items() if k not in PROJECT_WIDE}
            self.table.update((k, v) for k, v in self.project.table.items() if k in PROJECT_WIDE)

    @property
    def source(self) -> Path | None:
        return self.chain[0].path if self.chain else None

    @property
    def where(self) -> str:
        return self.chain[0].where if self.chain else "configuration"

    def origin(self, key: str) -> Layer | None:
        """The file that set ``key`` (or an entry: "severity.BP101"), None for a default."""
        if self.project is not None and key.split(".", 1)[0] in PROJECT_WIDE:
            return self.project.origin(key)
        return self.origins.get(key)

    def general(self) -> "GeneralSettings":
        """The settings that do not name rules (what to scan, when to fail), validated."""
        return general_settings(self.table, self.where, self.overrides)

    def bases(self) -> dict[str, str]:
        """The folder (below the root) that each pattern key's patterns are relative to: the folder of
        the file that set them when it is this folder or one above it; else (a file beside, elsewhere,
        or given with --config) this folder, as if this file had written them."""
        own = f"{self.folder}/" if self.folder else ""
        bases = {}
        for key, layer in self.origins.items():
            if key not in PATTERN_KEYS and not key.startswith("per-file-ignores."):
                continue
            try:
                relative = layer.path.parent.resolve().relative_to(self.root).as_posix()
            except ValueError:  # outside the project
                bases[key] = own
                continue
            folder = "" if relative == "." else f"{relative}/"
            bases[key] = folder if own.startswith(folder) else own
        return bases

    def config(self, rules: Sequence[type[Rule]]) -> Config:
        if len(self.chain) > 1:  # each file checked alone first, so that a message names the file at fault
            for layer in self.chain:
                build_config({k: v for k, v in layer.table.items() if k != "extend"}, rules, root=self.root,
                             source=layer.path, where=layer.where)
        return build_config(self.table, rules, root=self.root, source=self.source, where=self.where,
                            overrides=self.overrides, bases=self.bases())


class Resolver:
    """The settings of files below one project root: each file gets those of the nearest folder at or
    above it, up to the root, that has a configuration file (the root's own when none has); with a
    --config file, that file's for every file. Remembers each folder's answer."""

    def __init__(self, root: Path, config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> None:
        self.root = root.resolve()
        self.config_file = config_file
        self.overrides = dict(overrides or {})
        if config_file is not None:
            chain = config_chain(config_file, required=False)
        else:
            source = find_config_file(self.root)
            chain = config_chain(source) if source is not None else []
        self.project = FileSettings(self.root, chain, "", self.overrides)
        self._folders: dict[Path, Path | None] = {}
        self._settings: dict[Path, FileSettings] = {}

    def settings_for(self, path: Path) -> FileSettings:
        """The settings of the file (or folder) at ``path``."""
        absolute = Path(os.path.abspath(path))
        folder = absolute if absolute.is_dir() else absolute.parent
        if folder != self.root and self.root not in folder.parents:  # named through a link to the project
            folder = folder.resolve()
        return self.settings_of_folder(folder)

    def settings_of_folder(self, folder: Path) -> FileSettings:
        """The settings of the files in ``folder`` (absolute)."""
        if self.config_file is not None:
            return self.project
        source = self._nearest(folder)
        if source is None:
            return self.project
        settings = self._settings.get(source)
        if settings is None:
            folder = source.parent.relative_to(self.root).as_posix()
            settings = FileSettings(self.root, config_chain(source), folder, self.overrides, self.project)
            self._settings[source] = settings
        return settings

    def _nearest(self, folder: Path) -> Path | None:
        """The configuration file of the nearest folder strictly below the root, at or above ``folder``."""
        if folder in self._folders:
            return self._folders[folder]
        if folder == self.root or self.root not in folder.parents:
            found = None
        else:
            found = folder_config(folder)
            if found is None:
                found = self._nearest(folder.parent)
        self._folders[folder] = found
        return found


def settings_for(path: Path, *, root: Path | None = None, config_file: Path | None = None,
                 overrides: dict[str, Any] | None = None) -> FileSettings:
    """The settings of the file at ``path``, as a scan of its project gives them (what
    ``Settings.settings_for`` answers for the project's settings, which the scan and the language
    server read). ``root``: the project root (default: found from ``path``)."""
    if root is None:
        return read_settings([path], config_file, overrides).settings_for(path)
    return Resolver(root, config_file, overrides).settings_for(path)


class Settings:
    """The configuration of a scan as written (files and command line), before it is checked against
    the rules: the project root's settings and, once ``find_nested`` has seen the project's files,
    those of the folders below it that have their own. A scan can be answered from the last run's
    result with these alone, so they are read without loading any rule."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.project = resolver.project
        self.nested: dict[str, FileSettings] = {}  # folder below the root -> its settings

    root = property(lambda self: self.resolver.root)
    overrides = property(lambda self: self.project.overrides)
    table = property(lambda self: self.project.table)
    source = property(lambda self: self.project.source)
    where = property(lambda self: self.project.where)

    def general(self) -> GeneralSettings:
        return self.project.general()

    def settings_for(self, path: Path) -> FileSettings:
        return self.resolver.settings_for(path)

    def find_nested(self, files: Iterable[Any]) -> None:
        """Note the settings of every folder of ``files`` (SourceFiles) that has its own."""
        folders = {file.rootpath.rsplit("/", 1)[0] for file in files if file.rootpath and "/" in file.rootpath}
        for folder in sorted(folders):
            found = self.resolver.settings_of_folder(self.root / folder)
            if found is not self.project:
                self.nested[found.folder] = found

    def description(self) -> list:
        """Every nested configuration file and its table, for the last scan's key."""
        return [(folder, [(str(layer.path), layer.table) for layer in s.chain])
                for folder, s in sorted(self.nested.items())]

    def config(self, rules: Sequence[type[Rule]]) -> Config:
        config = self.project.config(rules)
        config.scoped = {folder: s.config(rules) for folder, s in sorted(self.nested.items())}
        return config


def _common_start(paths: Sequence[Path]) -> Path:
    """Where to look for the project root from: the one path, or the folder all the paths are in."""
    if len(paths) <= 1:
        return paths[0] if paths else Path(".")
    try:
        return Path(os.path.commonpath([os.path.abspath(p) for p in paths]))
    except ValueError:  # on different drives
        return paths[0]


def read_settings(paths: Sequence[Path], config_file: Path | None = None,
                  overrides: dict[str, Any] | None = None, project_root: Path | None = None) -> Settings:
    """Find and read the configuration for a scan of ``paths``, without checking it against the rules.

    The project root: ``project_root`` if given; else (without ``config_file``) the folder of the
    nearest configuration file above the paths (above the folder they are all in, when there are
    several: the files of two services named by a pre-commit hook are one project); else the
    nearest folder that looks like a project's top (PROJECT_MARKERS). The --config file's place
    does not move it.
    """
    start = _common_start(paths)
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: no such configuration file")
    if project_root is not None:
        if not project_root.is_dir():
            raise ConfigError(f"{project_root}: --project-root must be a folder")
        root = project_root.resolve()
    elif config_file is not None:  # no other configuration file is read: it may well be one --config avoids
        root = find_project_root(start)
    else:
        source = find_config_file(start)
        root = source.parent.resolve() if source is not None else find_project_root(start)
    return Settings(Resolver(root, config_file, overrides))


def build_config(table: dict[str, Any], rules: Sequence[type[Rule]], *, root: Path,
                 source: Path | None = None, where: str = "configuration",
                 overrides: dict[str, Any] | None = None, bases: dict[str, str] | None = None) -> Config:
    """The configuration ``table`` gives, checked against ``rules``. ``bases``: the folder that the
    patterns of each key of PATTERN_KEYS, and of each "per-file-ignores.PATTERN", are relative to."""
    bases = bases or {}
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
                    file_timeout=general.file_timeout,
                    bases={key: bases[key] for key in PATTERN_KEYS if bases.get(key)})
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
        config.per_file_ignores.append((pathspec.GitIgnoreSpec.from_lines([pattern]), frozenset(resolved),
                                        bases.get(f"per-file-ignores.{pattern}", "")))

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


def describe_settings(settings: FileSettings, path: Path, rules: Sequence[type[Rule]], cwd: Path) -> list[str]:
    """`check --show-settings`: the settings of the file at ``path``, one line per key (an entry of a
    table: one line each), with the file that set it: a configuration file, the command line, or
    bplint's default."""
    import json

    config = settings.config(rules)
    overrides = {k: v for k, v in settings.overrides.items() if v is not None}
    bases = settings.bases()

    def shown(file: Path) -> str:
        return os.path.relpath(os.path.abspath(file), cwd)

    def origin(key: str) -> str:
        layer = settings.origin(key)
        if layer is None:
            return "default"
        label = shown(layer.path)
        if settings.project is not None and key.split(".", 1)[0] in PROJECT_WIDE:
            label += " (project-wide: the project root's configuration)"
        base = bases.get(key, "")
        return f"{label} (patterns relative to {base})" if base else label

    rows: list[tuple[str, str]] = []

    def row(name: str, value: Any, where: str) -> None:
        rows.append((f"{name} = {json.dumps(value, ensure_ascii=False)}", where))

    defaults: dict[str, Any] = {"exclude": DEFAULT_EXCLUDE, "test-paths": DEFAULT_TEST_PATHS,
                                "max-file-size": DEFAULT_MAX_FILE_SIZE, "file-timeout": DEFAULT_FILE_TIMEOUT,
                                "preview": False, "fail-on": Severity.INFO.value}
    if "default-fail-on" in overrides:
        defaults["fail-on"] = overrides["default-fail-on"]
    table = settings.table
    for key in KEYS:
        if key in ("extend", *MERGED_TABLES):
            continue
        if key in overrides:
            row(key, overrides[key], "command line")
        elif key in table:
            row(key, table[key], origin(key))
        elif key == "select":
            rows.append(("select = (the default rules)", "default"))
        elif key == "target-version":
            rows.append((f"target-version = {json.dumps(config.target.label)}", config.target.origin))
        elif key in defaults:
            row(key, defaults[key], "default")
        else:
            row(key, [], "default")
        if key == "ignore" and overrides.get("extend-ignore"):
            row("ignore +", overrides["extend-ignore"], "command line (--ignore)")
        if key == "extend-exclude" and overrides.get("extend-exclude-cli"):
            row("extend-exclude +", overrides["extend-exclude-cli"], "command line (--exclude)")
    for key in ("severity", "per-file-ignores"):
        entries = table.get(key)
        for entry, value in (entries.items() if isinstance(entries, dict) else ()):
            row(f"{key}.{json.dumps(entry)}" if key == "per-file-ignores" else f"{key}.{entry}", value,
                origin(f"{key}.{entry}"))
    options = table.get("rules")
    for rule_key, values in (options.items() if isinstance(options, dict) else ()):
        for option, value in (values.items() if isinstance(values, dict) else ()):
            row(f"rules.{rule_key}.{option}", value, origin(f"rules.{rule_key}.{option}"))

    chain = [shown(layer.path) for layer in settings.chain]
    lines = [f"settings of {shown(path)}", f"project root: {shown(settings.root)}",
             "configuration: " + (" extends ".join(chain) if chain else "none (bplint's defaults)")]
    width = min(max(len(text) for text, _ in rows), 48)
    lines += [f"{text:<{width}}  # {where}" for text, where in rows]
    absolute = Path(os.path.abspath(path))
    try:
        rootpath = absolute.relative_to(settings.root).as_posix()
    except ValueError:
        rootpath = None
    if rootpath is not None:
        ignored = sorted(config.ignored_codes(rootpath) & config.enabled)
        if ignored:
            lines.append(f"ignored in this file (per-file-ignores): {', '.join(ignored)}")
        if config.is_test_path(rootpath):
            lines.append("this file matches test-paths")
    enabled = sorted(config.enabled)
    lines.append(f"enabled rules ({len(enabled)}): {', '.join(enabled)}")
    return lines
