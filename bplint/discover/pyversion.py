"""The Python version a project's code is written for (``target-version``).

The version decides what counts as a syntax error: a file that uses syntax
newer than the Python bplint runs on is still checked when the project's own
Python accepts it (see ``bplint.discover.newer_syntax``). It comes from
``target-version`` in ``[tool.bplint]``, else from the lowest version the
project's ``requires-python`` allows (pyproject.toml ``[project]``, or
setup.cfg ``python_requires``), else it is the running interpreter's.
"""

from __future__ import annotations

import configparser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

# The values `target-version` takes: py37 .. py314.
LOWEST_MINOR, HIGHEST_MINOR = 7, 14
_VALUE = re.compile(r"^py3(\d{1,2})$")
RUNNING = sys.version_info[:2]
RUNNING_ORIGIN = "the running interpreter"


@dataclass(frozen=True)
class PythonTarget:
    version: tuple[int, int]
    origin: str  # where the version comes from, as the BP001 message names it
    # where the project says it is for Python 2 only ("" when it does not): its files are Python 2,
    # which bplint does not read, so their Python 3 syntax errors are no findings
    python2_only: str = ""

    @property
    def label(self) -> str:
        return f"Python {self.version[0]}.{self.version[1]}"

    @property
    def declared(self) -> bool:
        """Whether the project says which Python it is for (else it is the running one)."""
        return self.origin != RUNNING_ORIGIN

    @property
    def newer_than_running(self) -> bool:
        return self.version > RUNNING


def running_target() -> PythonTarget:
    return PythonTarget(RUNNING, RUNNING_ORIGIN)


def target_values() -> str:
    return f"py3{LOWEST_MINOR} .. py3{HIGHEST_MINOR}"


def resolve_target(value: Any, root: Path, where: str) -> PythonTarget:
    """The project's Python: ``value`` (the `target-version` setting) when given, else the
    project's declared requires-python, else the running interpreter's."""
    if value is not None:
        from bplint.config import ConfigError

        match = _VALUE.match(value.strip().lower()) if isinstance(value, str) else None
        if match is None or not LOWEST_MINOR <= int(match.group(1)) <= HIGHEST_MINOR:
            raise ConfigError(f"{where}: 'target-version' must be one of {target_values()} "
                              f"(e.g. \"py312\"), got {value!r}")
        return PythonTarget((3, int(match.group(1))), "target-version")
    declared = declared_python(root)
    if declared is not None:
        return declared
    python2 = declares_python2_only(root)
    return PythonTarget(RUNNING, RUNNING_ORIGIN, python2) if python2 else running_target()


PYTHON2_ONLY = "Programming Language :: Python :: 2 :: Only"
_PYTHON2_CLASSIFIER = re.compile(r"""["']Programming Language :: Python :: 2 :: Only["']""")


def declares_python2_only(root: Path) -> str:
    """Where the project at ``root`` says it runs on Python 2 alone: a requires-python that allows no
    Python 3, or the `Python :: 2 :: Only` classifier (pyproject.toml, setup.cfg, a release's PKG-INFO,
    or written into setup.py, which is read as text, never run). "" when it does not say so."""
    project = _project_table(root)
    spec = project.get("requires-python")
    if isinstance(spec, str) and _python2_only_spec(spec):
        return "requires-python"
    classifiers = project.get("classifiers")
    if isinstance(classifiers, list) and PYTHON2_ONLY in classifiers:
        return "its classifiers"
    spec = _setup_cfg(root, "options", "python_requires")
    if spec and _python2_only_spec(spec):
        return "python_requires"
    if PYTHON2_ONLY in _setup_cfg(root, "metadata", "classifiers"):
        return "its classifiers"
    for name, found in (("PKG-INFO", _pkg_info_python2), ("setup.py", _setup_py_python2)):
        path = root / name
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="replace")[:200_000]
            except OSError:
                continue
            if found(text):
                return "its classifiers"
    return ""


def _pkg_info_python2(text: str) -> bool:
    for line in text.splitlines():
        if line.startswith("Requires-Python:") and _python2_only_spec(line.partition(":")[2]):
            return True
        if line.startswith("Classifier:") and line.partition(":")[2].strip() == PYTHON2_ONLY:
            return True
    return False


def _setup_py_python2(text: str) -> bool:
    return _PYTHON2_CLASSIFIER.search(text) is not None


def _python2_only_spec(spec: str) -> bool:
    """A specifier that allows a Python 2 release and no Python 3 one (`==2.7.*`, `>=2.6,<3`)."""
    try:
        specifiers = SpecifierSet(spec.strip())
    except InvalidSpecifier:
        return False
    if not any(specifiers.contains(f"2.{minor}.{patch}") for minor in range(8) for patch in (0, 18)):
        return False
    return not any(specifiers.contains(f"3.{minor}.{patch}", prereleases=True)
                   for minor in range(0, 40) for patch in (0, 99))


def declared_python(root: Path) -> PythonTarget | None:
    """The lowest Python version the project at ``root`` declares it supports, if it says."""
    project = _project_table(root)
    spec = project.get("requires-python")
    version = lowest_allowed(spec) if isinstance(spec, str) else None
    if version is not None:
        return PythonTarget(version, "requires-python")
    spec = _setup_cfg(root, "options", "python_requires")
    version = lowest_allowed(spec) if spec else None
    if version is not None:
        return PythonTarget(version, "python_requires")
    return None


def _project_table(root: Path) -> dict:
    """pyproject.toml's `[project]` table ({} when there is none or the file is broken: a broken
    one is reported by the rules that read it)."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    from bplint.config import ConfigError, read_toml

    try:
        project = read_toml(pyproject).get("project")
    except ConfigError:
        return {}
    return project if isinstance(project, dict) else {}


def _setup_cfg(root: Path, section: str, key: str) -> str:
    """A value of setup.cfg ("" when the file, the section or the key is missing or unreadable)."""
    setup_cfg = root / "setup.cfg"
    if not setup_cfg.is_file():
        return ""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(setup_cfg, encoding="utf-8")
        return parser.get(section, key, fallback="")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ""


def lowest_allowed(spec: str) -> tuple[int, int] | None:
    """The lowest Python 3 minor version a PEP 440 specifier allows (">=3.12,<4" -> (3, 12)),
    or None when it sets no lower bound, allows none, or cannot be read."""
    try:
        specifiers = SpecifierSet(spec.strip())
    except InvalidSpecifier:
        return None
    if not any(s.operator in (">=", ">", "~=", "==", "===") for s in specifiers):
        return None
    for minor in range(0, 40):
        # a patch release may be the first one allowed (">3.11", ">=3.11.4")
        if any(specifiers.contains(f"3.{minor}.{patch}", prereleases=True) for patch in (0, 1, 99)):
            return 3, minor
    return None
