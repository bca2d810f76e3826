"""A project's dependency picture, built once per scan and shared by the BP2 rules.

What it reads:

* requirement files (discovered ones and every file they reach by `-r`/`-c`),
  through ``bplint.project.requirements``;
* ``pyproject.toml`` dependency tables (`[project]`, `[project.optional-dependencies]`,
  `[dependency-groups]`, Poetry and PDM sections) and ``Pipfile`` package tables;
* which lock files exist.

What it decides:

* whether a requirement file or table is for production or development;
* whether a ``pyproject.toml`` belongs to an application or a library.

Everything is computed from the scanned files and the files they include; the
installed environment is never consulted, so results are the same on every machine.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from bplint.discover.files import FileKind, SourceFile
from bplint.project.requirements import (
    ParseProblem,
    Reached,
    RequirementFile,
    RequirementGraph,
    RequirementLine,
    decode_requirement_bytes,
    exact_version,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from bplint.scan.context import ProjectContext

SHARED_KEY = "bp2.dependencies"

# --- production or development ----------------------------------------------------

PRODUCTION_WORDS = {"prod", "production", "base", "common", "main", "deploy", "deployment", "runtime", "release",
                    "install"}
DEVELOPMENT_WORDS = {"dev", "devel", "develop", "development", "test", "tests", "testing", "lint", "linting", "ci",
                     "doc", "docs", "local", "typing", "types", "mypy", "format", "qa", "style", "debug", "tox",
                     "bench", "benchmark", "benchmarks", "coverage", "check", "checks", "pre-commit", "precommit",
                     "e2e", "integration", "functional", "unit", "build", "tools", "extra", "extras", "optional",
                     # a kind of test written as one word: unittest_requirements.txt, functest-requirements.txt
                     "unittest", "unittests", "functest", "functests", "systest", "systests", "smoketest",
                     "smoketests", "e2etest", "e2etests", "perftest", "perftests", "acceptance",
                     # documentation builds: readthedocs.txt, requirements-rtd.txt, sphinx-requirements.txt
                     "readthedocs", "rtd", "sphinx", "mkdocs"}
REQUIREMENT_FOLDERS = {"requirements", "reqs", "requirements.d"}
# requirement files below these folders serve documentation builds, CI or tests
DEVELOPMENT_FOLDERS = {"docs", "doc", "tests", "test", "testing", "ci", ".github", ".gitlab", "benchmarks",
                       "tools", "dev", "devtools"}
EXAMPLE_FOLDERS = {"examples", "example", "samples", "sample", "demo", "demos"}


def requirement_file_role(rootpath: str) -> bool | None:
    """True for a production requirement file, False for development, None when the name does not say."""
    path = PurePosixPath(rootpath.lower())
    folders = set(path.parent.parts)
    if folders & DEVELOPMENT_FOLDERS:
        return False
    if folders & EXAMPLE_FOLDERS:
        return None
    stem = path.name
    for suffix in (".txt", ".in", ".pip"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem in ("requirements", "reqs", "requirement"):
        return True
    words = [w for w in re.split(r"[-_.]", stem) if w and w not in ("requirements", "requirement", "reqs")]
    in_folder = path.parent.name in REQUIREMENT_FOLDERS
    first = words[0] if words else ""
    if in_folder:
        # requirements/base.txt, requirements/prod-py3.txt, requirements/dev.txt, requirements/tests.txt
        if any(first.startswith(w) for w in ("base", "prod", "common", "deploy", "runtime")):
            return True
        if any(first.startswith(w) for w in ("dev", "test", "lint", "local", "doc", "ci", "typ", "qa", "bench")):
            return False
    if any(w in DEVELOPMENT_WORDS for w in words):
        return False
    if any(w in PRODUCTION_WORDS for w in words):
        return True
    return None


# --- TOML positions -----------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")


def _normalize_key_path(text: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', text)
    return ".".join(next(p for p in group if p) if any(group) else "" for group in parts)


class TomlLines:
    """Line numbers of tables, keys and string values in a TOML text (the parser keeps none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (table name, first line of its body, last line), 1-based
        self.sections: list[tuple[str, int, int]] = []
        current, start = "", 1
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match and not line.lstrip().startswith("#"):
                self.sections.append((current, start, number - 1))
                current, start = _normalize_key_path(match.group(1)), number + 1
        self.sections.append((current, start, len(self.lines)))

    def _key_line(self, table: str, key: str) -> int | None:
        pattern = re.compile(r"^\s*(?:" + re.escape(key) + r"|\"" + re.escape(key) + r"\"|'" + re.escape(key)
                             + r"')\s*=")
        for name, start, end in self.sections:
            if name == table:
                for number in range(start, end + 1):
                    if pattern.match(self.lines[number - 1]):
                        return number
        return None

    def section_span(self, table: str) -> tuple[int, int] | None:
        """Lines of a table: its header, or the `key =` line that defines it inline."""
        for name, start, end in self.sections:
            if name == table:
                return start - 1 if start > 1 else 1, end
        parts = table.split(".")
        for cut in range(len(parts) - 1, -1, -1):
            parent, key = ".".join(parts[:cut]), ".".join(parts[cut:])
            line = self._key_line(parent, key)
            if line is not None:
                end = next((e for n, s, e in self.sections if s <= line <= e), len(self.lines))
                return line, end
        return None

    def table_line(self, table: str) -> int:
        span = self.section_span(table)
        return span[0] if span else 1

    def value_line(self, table: str, value: str) -> int:
        """The line of the string literal `value` within a table (its `key =` line when not found)."""
        span = self.section_span(table)
        if span is None:
            return 1
        start, end = span
        quoted = (f'"{value}"', f"'{value}'")
        for number in range(start, min(end, len(self.lines)) + 1):
            line = self.lines[number - 1]
            if any(q in line for q in quoted):
                return number
        for number in range(start, min(end, len(self.lines)) + 1):
            if value in self.lines[number - 1]:
                return number
        return start

    def key_line(self, table: str, key: str) -> int:
        line = self._key_line(table, key)
        if line is not None:
            return line
        return self.table_line(table)


# --- declared dependencies in pyproject.toml and Pipfile ----------------------------


@dataclass
class Declared:
    name: str
    spec: str  # the version constraint as written ("^1.2", ">=2", "==1.0", "*")
    exact: bool
    line: int
    marker: str | None = None

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


@dataclass
class DependencyTable:
    title: str  # "[project].dependencies", "[tool.poetry.group.dev.dependencies]"
    line: int
    production: bool
    dependencies: list[Declared] = field(default_factory=list)
    listed: bool = False  # a list of PEP 508 strings (duplicates possible)


@dataclass
class Manifest:
    file: SourceFile
    kind: FileKind  # PYPROJECT or PIPFILE
    data: dict[str, Any] | None = None
    problems: list[ParseProblem] = field(default_factory=list)
    tables: list[DependencyTable] = field(default_factory=list)
    # [[source]] / index URLs with their lines: (line, url, verify_ssl)
    sources: list[tuple[int, str, bool]] = field(default_factory=list)

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath(self.file.rootpath).parent

    @property
    def build_backend(self) -> str | None:
        system = (self.data or {}).get("build-system")
        if isinstance(system, dict):
            backend = system.get("build-backend")
            if isinstance(backend, str) and backend:
                return backend
        return None

    @property
    def project_name(self) -> str | None:
        data = self.data or {}
        for table in (data.get("project"), _dig(data, "tool", "poetry")):
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                return table["name"]
        return None


def is_test_file(index: Any, relpath: str) -> bool:
    """Whether a scanned file is test code (by the `test-paths` setting)."""
    return index.is_test_file(relpath)


def _normal_spec(spec: str) -> str:
    """A version constraint with its clauses sorted and spaces dropped (`<2, >=1` is `>=1,<2`)."""
    return ",".join(sorted(part.strip() for part in spec.replace(" ", "").split(",") if part.strip()))


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


_TOML_LINE = re.compile(r"at line (\d+)(?:, column (\d+))?")


def load_manifest(file: SourceFile) -> Manifest:
    manifest = Manifest(file=file, kind=file.kind)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        manifest.problems.append(ParseProblem(1, f"cannot read the file ({exc.strerror or exc})"))
        return manifest
    text, problem = decode_requirement_bytes(raw)
    if text is None:
        manifest.problems.append(problem)  # type: ignore[arg-type]
        return manifest
    try:
        manifest.data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else 1
        column = int(match.group(2)) if match and match.group(2) else 1
        reason = _TOML_LINE.sub("", message).strip(" ()")
        manifest.problems.append(ParseProblem(line, f"the file is not valid TOML ({reason})", column))
        return manifest
    except RecursionError:
        manifest.problems.append(ParseProblem(1, "the file cannot be read as TOML (arrays or tables are nested "
                                                 "too deeply)"))
        return manifest
    except ValueError as exc:
        manifest.problems.append(ParseProblem(1, f"the file cannot be read as TOML ({exc})"))
        return manifest
    positions = TomlLines(text)
    if file.kind is FileKind.PIPFILE:
        _read_pipfile(manifest, positions)
    else:
        _read_pyproject(manifest, positions)
    return manifest


def _pep508_table(manifest: Manifest, positions: TomlLines, title: str, table: str, items: Any,
                  production: bool) -> None:
    if not isinstance(items, list):
        return
    result = DependencyTable(title, positions.table_line(table), production, listed=True)
    for item in items:
        if not isinstance(item, str):
            continue  # {include-group = "..."} and other tables
        line = positions.value_line(table, item)
        try:
            parsed = Requirement(item)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "invalid"
            manifest.problems.append(ParseProblem(line, f"invalid requirement {item!r} in {title}: {reason}"))
            continue
        exact = parsed.url is not None or exact_version(str(parsed.specifier)) is not None
        result.dependencies.append(Declared(parsed.name, str(parsed.specifier) or parsed.url or "", exact, line,
                                            str(parsed.marker) if parsed.marker else None))
    manifest.tables.append(result)


_POETRY_EXACT = re.compile(r"^\s*(==|===)?\s*v?\d[\w.!+]*\s*$")


def _poetry_exact(spec: Any) -> tuple[str, bool]:
    if isinstance(spec, str):
        return spec, bool(_POETRY_EXACT.match(spec)) and "*" not in spec
    if isinstance(spec, dict):
        if any(k in spec for k in ("path", "file")):
            return str(spec.get("path") or spec.get("file")), True
        if "git" in spec:
            rev = str(spec.get("rev") or "")
            return f"git {rev}".strip(), bool(re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", rev))
        if "url" in spec:
            return str(spec["url"]), False
        return _poetry_exact(spec.get("version", "*"))
    if isinstance(spec, list):
        parts = [_poetry_exact(s) for s in spec]
        return " | ".join(p[0] for p in parts), bool(parts) and all(p[1] for p in parts)
    return str(spec), False


def _mapping_table(manifest: Manifest, positions: TomlLines, title: str, table: str, items: Any,
                   production: bool, pipfile: bool = False) -> None:
    if not isinstance(items, dict):
        return
    result = DependencyTable(title, positions.table_line(table), production)
    for name, spec in items.items():
        if not isinstance(name, str) or name.lower() == "python":
            continue
        if pipfile:
            text, exact = _pipfile_exact(spec)
        else:
            text, exact = _poetry_exact(spec)
        result.dependencies.append(Declared(name, text, exact, positions.key_line(table, name)))
    manifest.tables.append(result)


def _pipfile_exact(spec: Any) -> tuple[str, bool]:
    if isinstance(spec, str):
        return spec, exact_version(spec) is not None
    if isinstance(spec, dict):
        if any(k in spec for k in ("path", "file")):
            return str(spec.get("path") or spec.get("file")), True
        for vcs in ("git", "hg", "svn", "bzr"):
            if vcs in spec:
                ref = str(spec.get("ref") or "")
                return f"{vcs} {ref}".strip(), bool(re.fullmatch(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", ref))
        return _pipfile_exact(spec.get("version", "*"))
    return str(spec), False


def _read_pyproject(manifest: Manifest, positions: TomlLines) -> None:
    data = manifest.data or {}
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    _pep508_table(manifest, positions, "[project].dependencies", "project.dependencies",
                  project.get("dependencies"), True)
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for group, items in optional.items():
            _pep508_table(manifest, positions, f"[project.optional-dependencies].{group}",
                          f"project.optional-dependencies.{group}", items, False)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group, items in groups.items():
            _pep508_table(manifest, positions, f"[dependency-groups].{group}", f"dependency-groups.{group}",
                          items, False)
    poetry = _dig(data, "tool", "poetry")
    if isinstance(poetry, dict):
        _mapping_table(manifest, positions, "[tool.poetry.dependencies]", "tool.poetry.dependencies",
                       poetry.get("dependencies"), True)
        _mapping_table(manifest, positions, "[tool.poetry.dev-dependencies]", "tool.poetry.dev-dependencies",
                       poetry.get("dev-dependencies"), False)
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            for group, body in poetry_groups.items():
                if isinstance(body, dict):
                    _mapping_table(manifest, positions, f"[tool.poetry.group.{group}.dependencies]",
                                   f"tool.poetry.group.{group}.dependencies", body.get("dependencies"), False)
        for source in poetry.get("source", []) if isinstance(poetry.get("source"), list) else []:
            if isinstance(source, dict) and isinstance(source.get("url"), str):
                manifest.sources.append((positions.value_line("tool.poetry.source", source["url"]),
                                         source["url"], True))
    pdm_dev = _dig(data, "tool", "pdm", "dev-dependencies")
    if isinstance(pdm_dev, dict):
        for group, items in pdm_dev.items():
            _pep508_table(manifest, positions, f"[tool.pdm.dev-dependencies].{group}",
                          f"tool.pdm.dev-dependencies.{group}", items, False)
    uv = _dig(data, "tool", "uv")
    if isinstance(uv, dict):
        _pep508_table(manifest, positions, "[tool.uv].dev-dependencies", "tool.uv.dev-dependencies",
                      uv.get("dev-dependencies"), False)
        for index in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
            if isinstance(index, dict) and isinstance(index.get("url"), str):
                manifest.sources.append((positions.value_line("tool.uv.index", index["url"]), index["url"], True))
    for source in _dig(data, "tool", "pdm", "source") or []:
        if isinstance(source, dict) and isinstance(source.get("url"), str):
            manifest.sources.append((positions.value_line("tool.pdm.source", source["url"]), source["url"],
                                     source.get("verify_ssl", True) is not False))


def _read_pipfile(manifest: Manifest, positions: TomlLines) -> None:
    data = manifest.data or {}
    _mapping_table(manifest, positions, "[packages]", "packages", data.get("packages"), True, pipfile=True)
    _mapping_table(manifest, positions, "[dev-packages]", "dev-packages", data.get("dev-packages"), False,
                   pipfile=True)
    sources = data.get("source")
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict) and isinstance(source.get("url"), str):
            manifest.sources.append((positions.value_line("source", source["url"]), source["url"],
                                     source.get("verify_ssl", True) is not False))


# --- application or library ---------------------------------------------------------

APPLICATION_FILES = ("Dockerfile", "Procfile", "app.yaml", "fly.toml", "render.yaml", "vercel.json",
                     "zappa_settings.json", "serverless.yml", "docker-compose.yml", "docker-compose.yaml",
                     "compose.yml", "compose.yaml")
APPLICATION_MODULES = ("wsgi.py", "asgi.py")
# the servers that run a web application (a requirement on one is an application signal)
APPLICATION_SERVERS = frozenset({"gunicorn", "uvicorn"})
_NOT_APPLICATION_CODE = {"tests", "test", "testing", "example", "examples", "demo", "docs", "doc", "sample",
                         "samples", "testproject", "test_project"}


def manifest_signals(manifest: Manifest) -> list[str]:
    """Application signals written in a pyproject.toml / Pipfile itself."""
    if manifest.kind is FileKind.PIPFILE:
        return ["a Pipfile"]
    data = manifest.data or {}
    signals = []
    if _dig(data, "tool", "poetry", "package-mode") is False:
        signals.append("package-mode = false")
    if _dig(data, "tool", "uv", "package") is False:
        signals.append("[tool.uv] package = false")
    if _dig(data, "tool", "pdm", "distribution") is False:
        signals.append("[tool.pdm] distribution = false")
    classifiers = _dig(data, "project", "classifiers")
    if isinstance(classifiers, list) and any(str(c).startswith("Private ::") for c in classifiers):
        signals.append("a `Private ::` classifier")
    return signals


def deployment_signals(folder: Path, project: "ProjectContext") -> list[str]:
    """Deployment files in a project folder (the project is deployed from here)."""
    return [f"a {name}" for name in APPLICATION_FILES if project.index.fs.is_file(folder / name)]


def code_signals(rootfolder: str, project: "ProjectContext") -> list[str]:
    """Application code below a project folder: a WSGI/ASGI entry module, an application object
    (`Flask(...)`, `FastAPI(...)`), a Django site (`manage.py`, a settings module with `ROOT_URLCONF`).

    Only the files whose role is application code (or a command-line program, for `manage.py`)
    count: tests, examples and documentation build applications of their own.
    """
    from bplint.project.roles import Role, role_facts

    index = project.index
    prefix = "" if rootfolder in ("", ".") else f"{rootfolder}/"
    modules = index.modules.raw()
    for relpath, kind in sorted(index.files.items()):
        if kind is not FileKind.PYTHON:
            continue
        rootpath = relpath[len(index.root_prefix):]
        if not rootpath.startswith(prefix):
            continue
        role = index.role_of(relpath)
        if role not in (Role.APPLICATION, Role.SCRIPT, Role.DEV):
            continue
        parts = PurePosixPath(rootpath[len(prefix):]).parts
        if parts and parts[-1] in APPLICATION_MODULES and _is_entry_module(project, relpath, parts[:-1]):
            return [f"a {parts[-1]} ({rootpath})"]
        facts = modules.get(relpath)
        if facts is None:
            continue
        if role is Role.APPLICATION:
            built = next((q for q in facts.instances.values() if _is_application_class(q)), None)
            if built is not None:
                return [f"a {built.rsplit('.', 1)[-1]} application ({rootpath})"]
        found = role_facts(facts)
        if role is Role.SCRIPT and parts and parts[-1] == "manage.py" and found.settings_defaults:
            return [f"a Django manage.py ({rootpath})"]
        if role is not Role.SCRIPT and "ROOT_URLCONF" in found.names:
            return [f"a Django settings module ({rootpath})"]
    return []


def _is_application_class(qualified: str | None) -> bool:
    """`flask.Flask`, `fastapi.applications.FastAPI`: a web framework's application class."""
    from bplint.project.roles import APPLICATION_CLASSES, framework_class

    return framework_class(qualified, APPLICATION_CLASSES)


def _is_entry_module(project: "ProjectContext", relpath: str, folders: tuple[str, ...]) -> bool:
    """A wsgi.py/asgi.py that serves an app: it binds a module-level `application` or `app`.

    Frameworks ship modules of these names that only define helpers
    (`django/core/asgi.py`), and project generators ship templates of them.
    """
    lowered = {p.lower() for p in folders}
    if _NOT_APPLICATION_CODE & lowered or any("template" in p for p in lowered):
        return False
    source = next((f for f in project.files if f.relpath == relpath), None)
    try:
        text = source.text() if source is not None else ""
    except Exception:
        return False
    return _BINDS_APP.search(text) is not None


# `application = get_wsgi_application()`, `app: FastAPI = ...`, `from shop import app`, `def app(...)`
_BINDS_APP = re.compile(r"^(?:(?:application|app)\b\s*(?::[^=\n]*)?=|from\s+\S+\s+import\s+[^\n]*\b(?:app|application)\b"
                        r"|(?:async\s+)?def\s+(?:app|application)\s*\()", re.MULTILINE)


@dataclass(frozen=True)
class ProjectKind:
    """What a project folder is.

    ``library``: a package and no application signal at all (its users pick the versions).
    ``distributed``: a package (build configuration) that nothing deploys from this folder: its
    dependency table is the package's metadata, resolved by whoever installs the package, so a
    lock in the repository would not reach them. A library is distributed; so is an application
    published as a package (installed with the installer, with no deployment file here).
    """

    library: bool
    reason: str
    distributed: bool = False


# --- the project's picture --------------------------------------------------------


@dataclass
class RequirementContext:
    """How one requirement file is read in the project."""

    file: RequirementFile
    report_path: str | None  # None: outside the project (never reported)
    rootpath: str | None
    production: bool | None
    as_constraint_only: bool  # reached only through -c
    compile_input: bool  # a `.in` file
    constraint_pins: dict[str, str] = field(default_factory=dict)  # key -> version, from -c files in effect
    roots: list[Path] = field(default_factory=list)  # discovered files whose reading reaches this one


class ProjectDependencies:
    def __init__(self, project: "ProjectContext") -> None:
        self.project = project
        index = project.index
        self.root = Path(os.path.normpath(index.root.absolute()))
        self.graph = RequirementGraph(max_size=project.config.max_file_size, fs=project.index.fs)
        self._report_paths: dict[Path, str] = {}
        self.requirement_roots: list[Path] = []
        self.manifests: list[Manifest] = []
        self.lock_files: list[str] = []  # rootpaths
        # folders (root-relative) that hold a package build configuration
        self.build_configs: dict[str, list[str]] = {}
        self._kinds: dict[str, ProjectKind] = {}
        self.tests: set[Path] = set()
        for file in project.files:
            path = Path(os.path.normpath(file.path.absolute()))
            self._report_paths[path] = file.relpath
            if is_test_file(index, file.relpath):
                self.tests.add(path)
                continue
            if file.kind is FileKind.REQUIREMENTS:
                self.requirement_roots.append(path)
                self._read_discovered(path, file)
            elif file.kind in (FileKind.PYPROJECT, FileKind.PIPFILE):
                self.manifests.append(load_manifest(file))
            elif file.kind is FileKind.LOCKFILE or _is_pylock(file.rootpath):
                self.lock_files.append(file.rootpath)
            if file.rootpath.rsplit("/", 1)[-1] in ("setup.py", "setup.cfg", "pyproject.toml", "Pipfile"):
                folder = str(PurePosixPath(file.rootpath).parent)
                self.build_configs.setdefault(folder, []).append(file.rootpath.rsplit("/", 1)[-1])
        self.walks: dict[Path, list[Reached]] = {root: self.graph.walk(root) for root in self.requirement_roots}
        self.contexts: dict[Path, RequirementContext] = {}
        self._build_contexts()
        self._known_versions: dict[str, dict[str, set[Path]]] | None = None
        self._locks: list[tuple[Path, dict[str, set[str]]]] | None = None
        self._lock_pins_read: list[tuple[SourceFile, list[tuple[str, str]]]] | None = None
        self._pins_by_folder: dict[Path, dict[str, str]] = {}
        self._metadata_files: dict[str, set[str]] = {}

    # --- requirement files ---------------------------------------------------------
    def _read_discovered(self, path: Path, file: SourceFile) -> None:
        try:
            raw = file.read_bytes()
        except OSError:
            self.graph.read(path)  # records the problem
            return
        text, problem = decode_requirement_bytes(raw)
        if text is None:
            parsed = RequirementFile(path)
            parsed.add_problem(problem)  # type: ignore[arg-type]
            self.graph.add(parsed)
        else:
            self.graph.add_text(path, text)

    def report_path(self, path: Path) -> str | None:
        key = Path(os.path.normpath(path))
        if key in self._report_paths:
            return self._report_paths[key]
        try:
            rel = key.relative_to(self.root).as_posix()
        except ValueError:
            return None
        return self.project.index.root_relpath(rel)

    def rootpath(self, path: Path) -> str | None:
        try:
            return Path(os.path.normpath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _build_contexts(self) -> None:
        reached_as_requirement: dict[Path, set[Path]] = {}
        reached_as_constraint: set[Path] = set()
        pins_by_root: dict[Path, dict[str, str]] = {}
        for root, walk in self.walks.items():
            pins: dict[str, str] = {}
            for item in walk:
                key = Path(os.path.normpath(item.file.path))
                if item.constraint:
                    reached_as_constraint.add(key)
                    for key, version in _exact_pins(item.file.requirements):
                        pins.setdefault(key, version)
                else:
                    reached_as_requirement.setdefault(key, set()).add(root)
            pins_by_root[root] = pins
        production_roots = {p for p in self.requirement_roots if self._role(p) is True}
        inputs = self._compile_inputs()
        for path, parsed in self.graph.files.items():
            roots = sorted(reached_as_requirement.get(path, set()))
            role = self._role(path)
            if role is None and any(r in production_roots for r in roots):
                role = True  # included by a production file
            pins: dict[str, str] = {}
            for root in roots:
                for key, version in pins_by_root.get(root, {}).items():
                    pins.setdefault(key, version)
            self.contexts[path] = RequirementContext(
                file=parsed, report_path=self.report_path(path), rootpath=self.rootpath(path), production=role,
                as_constraint_only=_named_constraints(path) or (
                    path in reached_as_constraint and not (set(roots) - {path})),
                compile_input=path in inputs, constraint_pins=pins, roots=roots)

    def _compile_inputs(self) -> set[Path]:
        """The files a compiler reads to write a pinned file: `*.in`, the inputs a compiled file's
        header or `# via -r FILE` notes name, and files that only such inputs include."""
        files = self.graph.files
        inputs = {p for p in files if p.name.lower().endswith(".in")}
        for path, parsed in files.items():
            named = list(parsed.compiled_from)
            for requirement in parsed.requirements:
                named += [v[2:].strip() for v in requirement.via or () if v.startswith(("-r ", "-c "))]
            for name in set(named):
                # written as the compiler was called: relative to the compiled file or to the project root
                for candidate in (path.parent / name, self.root / name):
                    key = Path(os.path.normpath(candidate))
                    if key != path and key in files:
                        inputs.add(key)
        includers: dict[Path, set[Path]] = {}
        for path, parsed in files.items():
            for include in parsed.includes:
                if include.path is not None and include.path != path:
                    includers.setdefault(Path(os.path.normpath(include.path)), set()).add(path)
        changed = True
        while changed:
            changed = False
            for path, by in includers.items():
                if path not in inputs and path in files and by <= inputs:
                    inputs.add(path)
                    changed = True
        return inputs

    def _role(self, path: Path) -> bool | None:
        rootpath = self.rootpath(path)
        if rootpath is None:
            return None
        return requirement_file_role(rootpath)

    def checked_requirement_files(self) -> list[RequirementContext]:
        """The requirement files to report on: in the project, not test code, not a list of another
        format named like one (``_another_format``), in path order."""
        result = [c for p, c in self.contexts.items()
                  if c.report_path is not None and p not in self.tests and not _another_format(c.file)]
        return sorted(result, key=lambda c: c.report_path or "")

    def fully_pinned(self, root: Path) -> bool:
        """True when a requirement file (with its includes) pins every requirement exactly."""
        walk = self.walks.get(root, [])
        count = 0
        for item in walk:
            if item.constraint:
                continue
            pins = self.contexts[Path(os.path.normpath(item.file.path))].constraint_pins
            for requirement in item.file.requirements:
                count += 1
                if not requirement.immutable and not (requirement.key and requirement.key in pins):
                    return False
        return count > 0

    # --- locks ------------------------------------------------------------------
    def lock_for(self, folder: PurePosixPath) -> str | None:
        """A lock (lock file or fully pinned requirement file) that covers a manifest's folder."""
        folders = {str(folder), *(str(p) for p in folder.parents)}
        for lock in sorted(self.lock_files):
            if str(PurePosixPath(lock).parent) in folders:
                return lock
        for root in self.requirement_roots:
            rootpath = self.rootpath(root)
            if rootpath is None or rootpath.lower().endswith(".in"):
                continue
            parent = PurePosixPath(rootpath).parent
            in_place = str(parent) == str(folder) or (
                parent.name in REQUIREMENT_FOLDERS and str(parent.parent) == str(folder))
            if in_place and self.fully_pinned(root):
                return rootpath
        return None

    # --- the pinned form of a file of ranges --------------------------------------
    def pins_next_to(self, path: Path) -> dict[str, str]:
        """Exact pins of the fully pinned requirement files next to a file (in its folder, the
        `requirements/` folder below it or the folder above its `requirements/` folder): the compiled
        or frozen form of a file of ranges, whatever tool or script wrote it."""
        folder = Path(os.path.normpath(path)).parent
        if folder not in self._pins_by_folder:
            near = {folder, *(folder / name for name in REQUIREMENT_FOLDERS)}
            if folder.name in REQUIREMENT_FOLDERS:
                near.add(folder.parent)
            pins: dict[str, str] = {}
            for other, parsed in self.graph.files.items():
                if other.parent in near and other not in self.tests and self.rootpath(other) is not None:
                    own = _own_pins(parsed)
                    for key, version in (own or {}).items():
                        pins.setdefault(key, version)
            self._pins_by_folder[folder] = pins
        return self._pins_by_folder[folder]

    # --- the version a lock decides (for fixes) -------------------------------------
    def locked_version(self, key: str, path: Path) -> str | None:
        """The one version that the locks covering a requirement file give a package: lock files
        (`poetry.lock`, `uv.lock`, `pdm.lock`, `Pipfile.lock`) in its folder or a folder above it,
        and compiler output (a file with a `pip-compile` header or `# via` notes, not a development
        file) there or next to it. None when none of them has the package, or they disagree (one lock with two versions
        for two environments too)."""
        if self._locks is None:
            self._locks = self._collect_locks()
        folder = Path(os.path.normpath(path)).parent
        near = {folder, *folder.parents, *(folder / name for name in REQUIREMENT_FOLDERS)}
        if folder.name in REQUIREMENT_FOLDERS:
            near.add(folder.parent)
        versions = {version for where, locked in self._locks if where != path
                    and where.parent in near and self.rootpath(where) is not None
                    for version in locked.get(key, ())}
        return next(iter(versions)) if len(versions) == 1 else None

    def _lock_pins(self) -> list[tuple[SourceFile, list[tuple[str, str]]]]:
        """Each lock file outside test code with the (normalized name, version) pairs it pins,
        read once for the fixes and the messages."""
        if self._lock_pins_read is None:
            self._lock_pins_read = [
                (file, [(canonicalize_name(name), version) for name, version in _lock_versions(file)])
                for file in self.project.files
                if file.kind is FileKind.LOCKFILE and not is_test_file(self.project.index, file.relpath)]
        return self._lock_pins_read

    def _collect_locks(self) -> list[tuple[Path, dict[str, set[str]]]]:
        locks: list[tuple[Path, dict[str, set[str]]]] = []
        for file, pins in self._lock_pins():
            locked: dict[str, set[str]] = {}
            for name, version in pins:
                locked.setdefault(name, set()).add(version)
            locks.append((Path(os.path.normpath(file.path.absolute())), locked))
        for path, parsed in self.graph.files.items():
            compiled = bool(parsed.compiled_from) or any(r.via is not None for r in parsed.requirements)
            # a development file's compiled pins (test tools, docs builds) are not what production installs
            if compiled and path not in self.tests and self._role(path) is not False:
                locked = {}
                for key, version in _exact_pins(parsed.requirements):
                    locked.setdefault(key, set()).add(version)
                locks.append((path, locked))
        return locks

    # --- versions the project itself pins (for messages) ---------------------------
    def known_version(self, key: str, elsewhere_than: Path | None = None) -> str | None:
        """The one version the project pins or locks for a package, from files other than
        `elsewhere_than` (a suggestion never comes from the file it is made for)."""
        if self._known_versions is None:
            self._known_versions = self._collect_versions()
        sources = self._known_versions.get(key, {})
        versions = {v for v, where in sources.items() if where - {elsewhere_than}}
        return next(iter(versions)) if len(versions) == 1 else None  # one version everywhere: safe to suggest

    def _collect_versions(self) -> dict[str, dict[str, set[Path]]]:
        versions: dict[str, dict[str, set[Path]]] = {}
        for path, parsed in self.graph.files.items():
            for key, version in _exact_pins(r for r in parsed.requirements if not r.marker):
                versions.setdefault(key, {}).setdefault(version, set()).add(path)
        locked: dict[str, dict[str, set[Path]]] = {}
        for file, pins in self._lock_pins():
            for name, version in pins:
                locked.setdefault(name, {}).setdefault(version, set()).add(file.path)
        return {**versions, **locked}

    # --- what the project is ---------------------------------------------------
    def kind_of_folder(self, folder: str) -> ProjectKind:
        """Application or library, for the package that holds a root-relative folder."""
        path = PurePosixPath(folder)
        candidates = [str(path), *(str(p) for p in path.parents)]
        home = next((c for c in candidates if c in self.build_configs), None)
        if home is None:
            return ProjectKind(False, "no package build configuration")
        if home not in self._kinds:
            self._kinds[home] = self._classify(home)
        return self._kinds[home]

    def _classify(self, folder: str) -> ProjectKind:
        names = self.build_configs.get(folder, [])
        manifests = [m for m in self.manifests if str(m.folder) == folder]
        built = "setup.py" in names or "setup.cfg" in names or any(
            m.kind is FileKind.PYPROJECT and m.build_backend for m in manifests)
        if not built:
            return ProjectKind(False, "no build backend")
        deployed = [s for m in manifests for s in manifest_signals(m)]
        deployed += deployment_signals(self.root / folder if folder != "." else self.root, self.project)
        if deployed:
            return ProjectKind(False, deployed[0])
        signals = code_signals(folder, self.project) or self._server_requirement(folder)
        if signals:
            return ProjectKind(False, signals[0], distributed=True)
        return ProjectKind(True, "a package build configuration and no application signal", distributed=True)

    def feeds_metadata(self, path: Path) -> bool:
        """Whether the package build configuration of the file's folder reads this requirement file
        into the package's metadata: `[tool.setuptools.dynamic]` `{file = [...]}`, the requirements
        hook of Hatch, `file:` in setup.cfg, or the file's name as a string in setup.py."""
        rootpath = self.rootpath(path)
        if rootpath is None:
            return False
        candidates = [str(p) for p in PurePosixPath(rootpath).parents]
        home = next((c for c in candidates if c in self.build_configs), None)
        if home is None:
            return False
        if home not in self._metadata_files:
            self._metadata_files[home] = self._read_metadata_files(home)
        relative = rootpath if home == "." else rootpath[len(home) + 1:]
        named = self._metadata_files[home]
        if relative in named or PurePosixPath(rootpath).name in named:
            return True
        # package data: a copy inside the package's code, not a list beside the build configuration
        folder = str(PurePosixPath(rootpath).parent)
        inside_code = folder != home and any(f.rootpath == f"{folder}/__init__.py" for f in self.project.files)
        return inside_code and self._copies_metadata(path, home)

    def _copies_metadata(self, path: Path, home: str) -> bool:
        """Whether every requirement of the file is one of the package's published dependencies,
        with the same constraint: a copy of the metadata kept beside the code (that the application
        reads to check what is installed, say), not a list that something installs from."""
        context = self.contexts.get(path)
        requirements = [r for r in context.file.requirements if r.kind == "named"] if context else []
        if not requirements:
            return False
        published = {(d.key, _normal_spec(d.spec)) for manifest in self.manifests
                     if str(manifest.folder) == home and manifest.kind is FileKind.PYPROJECT
                     for table in manifest.tables if table.title.startswith("[project")
                     for d in table.dependencies}
        return all((r.key, _normal_spec(r.specifier)) in published for r in requirements)

    def _read_metadata_files(self, folder: str) -> set[str]:
        """The requirement files a folder's build configuration names (paths as written, and names)."""
        named: set[str] = set()
        for manifest in self.manifests:
            if str(manifest.folder) != folder or manifest.kind is not FileKind.PYPROJECT:
                continue
            data = manifest.data or {}
            dynamic = _dig(data, "tool", "setuptools", "dynamic")
            values = list(dynamic.values()) if isinstance(dynamic, dict) else []
            optional = dynamic.get("optional-dependencies") if isinstance(dynamic, dict) else None
            values += list(optional.values()) if isinstance(optional, dict) else []
            if (manifest.build_backend or "").split(".", 1)[0] == "pbr":
                named.add(PBR_REQUIREMENTS)
            hook = _dig(data, "tool", "hatch", "metadata", "hooks", "requirements_txt")
            for value in [*values, hook]:
                files = value.get("file", value.get("files")) if isinstance(value, dict) else None
                for item in [files] if isinstance(files, str) else files if isinstance(files, list) else []:
                    if isinstance(item, str):
                        named.add(str(PurePosixPath(item)))
        for file in self.project.files:
            name = file.rootpath.rsplit("/", 1)[-1]
            if name not in ("setup.py", "setup.cfg") or str(PurePosixPath(file.rootpath).parent) != folder:
                continue
            try:
                text = file.text()
            except Exception:  # unreadable: other rules report it
                continue
            pattern = _SETUP_PY_FILE if name == "setup.py" else _SETUP_CFG_FILE
            named.update(match.group(1) for match in pattern.finditer(text))
            if name == "setup.py" and _USES_PBR.search(text):
                named.add(PBR_REQUIREMENTS)
        return named

    def _server_requirement(self, folder: str) -> list[str]:
        """A production requirement on an application server (gunicorn, uvicorn) below the folder."""
        prefix = "" if folder in ("", ".") else f"{folder}/"
        for context in self.checked_requirement_files():
            if context.production is False or not (context.rootpath or "").startswith(prefix):
                continue
            for requirement in context.file.requirements:
                if requirement.key in APPLICATION_SERVERS:
                    return [f"a {requirement.name} requirement ({context.rootpath})"]
        for manifest in self.manifests:
            if not str(manifest.file.rootpath).startswith(prefix):
                continue
            for table in manifest.tables:
                server = next((d for d in table.dependencies if d.key in APPLICATION_SERVERS), None)
                if table.production and server is not None:
                    return [f"a {server.name} requirement ({manifest.file.rootpath})"]
        return []

    def own_names(self) -> set[str]:
        return {canonicalize_name(m.project_name) for m in self.manifests if m.project_name}


# `open("requirements.txt")`, `"requirements/base.txt"` in setup.py; `install_requires = file: requirements.txt`
_SETUP_PY_FILE = re.compile(r"""["']([^"'\s]*?(?:requirements|reqs)[^"'\s]*?\.(?:txt|in))["']""", re.IGNORECASE)
_SETUP_CFG_FILE = re.compile(r"file:\s*([^\s,;]+)")
# pbr (`setup(setup_requires=["pbr"], pbr=True)`, or its PEP 517 backend) reads requirements.txt into
# install_requires itself: the file is the package's metadata without being named anywhere
_USES_PBR = re.compile(r"\bpbr\s*=\s*True\b")
PBR_REQUIREMENTS = "requirements.txt"


def _another_format(parsed: RequirementFile) -> bool:
    """A file only the loose `*reqs*.txt` name pattern takes for a requirement file (`VERSION_REQS.txt`)
    in which not one line is a requirement, an option or an include: a list of some other format
    that its own program reads, which no installer could read."""
    return "requirement" not in parsed.path.name.lower() and \
        parsed.path.parent.name.lower() not in REQUIREMENT_FOLDERS and \
        not (parsed.requirements or parsed.options or parsed.includes)


def _own_pins(parsed: RequirementFile) -> dict[str, str] | None:
    """The exact pins of a file whose own named requirements are all pinned (None when one is not;
    VCS and URL lines do not decide it: BP201 reports those where they are)."""
    if any(r.kind == "named" and not r.immutable for r in parsed.requirements):
        return None
    pins: dict[str, str] = {}
    for key, version in _exact_pins(parsed.requirements):
        pins.setdefault(key, version)
    return pins or None


def _exact_pins(requirements: Iterable[RequirementLine]) -> Iterator[tuple[str, str]]:
    """(normalized name, version) of each requirement pinned to one exact version."""
    for requirement in requirements:
        version = requirement.exact_version
        if requirement.key and version:
            yield requirement.key, version


def _named_constraints(path: Path) -> bool:
    """`constraints.txt`, `requirements/constraints-py3.txt`: files meant for `-c`."""
    return "constraint" in path.name.lower()


def _is_pylock(rootpath: str) -> bool:
    name = rootpath.rsplit("/", 1)[-1]
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def _lock_versions(file: SourceFile) -> Iterable[tuple[str, str]]:
    try:
        text = file.text()
    except Exception:
        return []
    if file.path.name == "Pipfile.lock":
        try:
            data = json.loads(text)
        except ValueError:
            return []
        found = []
        for section in ("default", "develop"):
            for name, body in (data.get(section) or {}).items() if isinstance(data, dict) else []:
                version = body.get("version") if isinstance(body, dict) else None
                if isinstance(version, str) and version.startswith("=="):
                    found.append((name, version[2:]))
        return found
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return []
    packages = data.get("package")
    return [(p["name"], p["version"]) for p in packages if isinstance(p, dict)
            and isinstance(p.get("name"), str) and isinstance(p.get("version"), str)] \
        if isinstance(packages, list) else []


def project_dependencies(project: "ProjectContext") -> ProjectDependencies:
    """The dependency picture of this scan, built on first use and shared by the BP2 rules."""
    model = project.shared.get(SHARED_KEY)
    if not isinstance(model, ProjectDependencies):
        model = ProjectDependencies(project)
        project.shared[SHARED_KEY] = model
    return model
