"""Finding the files to scan: walk the given paths, skip what the project ignores."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pathspec

from bplint.files import FileKind, SourceFile, classify
from bplint.findings import ScanError

# Files of these kinds take part in a scan; everything else is passed over.
SCANNED_KINDS = frozenset(FileKind) - {FileKind.OTHER}


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def report_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory with '/' separators (absolute when elsewhere)."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return path.as_posix()
    return Path(rel).as_posix()


class _GitIgnores:
    """The .gitignore files met on the walk, deepest taking precedence, as in git."""

    def __init__(self) -> None:
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            spec = None
            ignore_file = folder / ".gitignore"
            if ignore_file.is_file():
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except Exception:  # an unreadable .gitignore ignores nothing
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: Path, is_dir: bool, stop: Path) -> bool:
        for folder in (path.parent, *path.parent.parents):
            spec = self._spec(folder)
            if spec is not None:
                rel = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
                result = spec.check_file(rel)
                if result.include is not None:
                    return bool(result.include)
            if folder == stop:
                break
        return False


def _gitignore_boundary(top: Path, root: Path) -> Path:
    """Where .gitignore files stop applying: the repository's top, else the project root."""
    for folder in (top, *top.parents):
        if (folder / ".git").exists():
            return folder
    return root if top == root or root in top.parents else top


def discover(paths: Sequence[Path], root: Path, exclude: Sequence[str], cwd: Path | None = None) -> Discovery:
    cwd = (cwd or Path.cwd()).resolve()
    root = root.resolve()
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    gitignores = _GitIgnores()
    found = Discovery()
    seen: set[Path] = set()

    def rel_to_root(path: Path, is_dir: bool) -> str:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = path.name
        return rel + "/" if is_dir else rel

    def skip(path: Path, is_dir: bool, stop: Path) -> bool:
        if excluded.match_file(rel_to_root(path, is_dir)) or excluded.match_file(path.name + ("/" if is_dir else "")):
            return True
        if is_dir and (path / "pyvenv.cfg").is_file():  # a virtualenv
            return True
        return gitignores.ignored(path, is_dir, stop)

    def add(path: Path, explicit: bool) -> None:
        rel = report_path(path, cwd)
        if path.is_symlink() and not path.exists():
            found.errors.append(ScanError(rel, "skipped: a symbolic link whose target does not exist"))
            return
        kind = classify(rel_to_root(path, False))
        if kind not in SCANNED_KINDS:
            return
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        found.files.append(SourceFile(path=path, relpath=rel, kind=kind, rootpath=rel_to_root(path, False)))

    for given in paths:
        absolute = (cwd / given) if not given.is_absolute() else given
        absolute = Path(os.path.normpath(absolute))
        if not absolute.exists() and not absolute.is_symlink():
            found.errors.append(ScanError(report_path(absolute, cwd), "no such file or directory"))
            continue
        if not absolute.is_dir():
            if not excluded.match_file(rel_to_root(absolute.resolve(), False)):
                add(absolute, explicit=True)
            continue
        stop = _gitignore_boundary(absolute, root)
        for folder, dirnames, filenames in os.walk(absolute, followlinks=False):
            here = Path(folder)
            dirnames[:] = sorted(d for d in dirnames if not skip(here / d, True, stop))
            for name in sorted(filenames):
                path = here / name
                if not skip(path, False, stop):
                    add(path, explicit=False)
    found.files.sort(key=lambda f: f.relpath)
    return found
