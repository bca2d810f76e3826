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
    return declared if declared is not None else running_target()


def declared_python(root: Path) -> PythonTarget | None:
    """The lowest Python version the project at ``root`` declares it supports, if it says."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        from bplint.config import ConfigError, read_toml

        try:
            project = read_toml(pyproject).get("project")
        except ConfigError:
            project = None  # the project's own file: a broken one is reported elsewhere
        spec = project.get("requires-python") if isinstance(project, dict) else None
        version = lowest_allowed(spec) if isinstance(spec, str) else None
        if version is not None:
            return PythonTarget(version, "requires-python")
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
            spec = parser.get("options", "python_requires", fallback=None)
        except (configparser.Error, OSError, UnicodeDecodeError):
            spec = None
        version = lowest_allowed(spec) if spec else None
        if version is not None:
            return PythonTarget(version, "python_requires")
    return None


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
