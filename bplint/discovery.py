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
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            spec = None
            ignore_file = os.path.join(folder, ".gitignore")
            if os.path.isfile(ignore_file):
                try:
                    with open(ignore_file, encoding="utf-8", errors="replace") as handle:
                        spec = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
                except Exception:  # an unreadable .gitignore ignores nothing
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool, stop: str) -> bool:
        """``path`` and ``stop`` are absolute, normalized strings."""
        folder = os.path.dirname(path)
        while True:
            spec = self._spec(folder)
            if spec is not None:
                rel = path[len(folder):].lstrip(os.sep).replace(os.sep, "/") + ("/" if is_dir else "")
                result = spec.check_file(rel)
                if result.include is not None:
                    return bool(result.include)
            if folder == stop:
                return False
            parent = os.path.dirname(folder)
            if parent == folder:
                return False
            folder = parent


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
    seen: set[str] = set()

    root_str = str(root)

    def rel_to_root(path: str, is_dir: bool) -> str:
        if path == root_str:
            rel = ""
        elif path.startswith(root_str + os.sep):
            rel = path[len(root_str) + 1:].replace(os.sep, "/")
        else:
            rel = os.path.basename(path)
        return rel + "/" if is_dir else rel

    def skip(path: str, is_dir: bool, stop: str) -> bool:
        name = os.path.basename(path) + ("/" if is_dir else "")
        if excluded.match_file(rel_to_root(path, is_dir)) or excluded.match_file(name):
            return True
        if is_dir and os.path.isfile(os.path.join(path, "pyvenv.cfg")):  # a virtualenv
            return True
        return gitignores.ignored(path, is_dir, stop)

    def add(path: str, rootpath: str, kind: FileKind) -> None:
        if os.path.islink(path) and not os.path.exists(path):
            found.errors.append(ScanError(report_path(Path(path), cwd), "skipped: a symbolic link whose target does not exist"))
            return
        key = os.path.realpath(path) if os.path.islink(path) else path
        if key in seen:
            return
        seen.add(key)
        found.files.append(SourceFile(path=Path(path), relpath=report_path(Path(path), cwd), kind=kind, rootpath=rootpath))

    for given in paths:
        absolute = os.path.normpath(os.path.join(str(cwd), str(given)))
        if not os.path.exists(absolute) and not os.path.islink(absolute):
            found.errors.append(ScanError(report_path(Path(absolute), cwd), "no such file or directory"))
            continue
        if not os.path.isdir(absolute):
            resolved = os.path.realpath(absolute)
            if not excluded.match_file(rel_to_root(resolved, False)):
                rootpath = rel_to_root(absolute, False)
                kind = classify(rootpath)
                if kind in SCANNED_KINDS:
                    add(absolute, rootpath, kind)
            continue
        stop = str(_gitignore_boundary(Path(absolute), root))
        for folder, dirnames, filenames in os.walk(absolute, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not skip(os.path.join(folder, d), True, stop))
            for name in sorted(filenames):
                path = os.path.join(folder, name)
                rootpath = rel_to_root(path, False)
                kind = classify(rootpath)
                # most files of a repository are none of ours: classify before the costlier checks
                if kind in SCANNED_KINDS and not skip(path, False, stop):
                    add(path, rootpath, kind)
    found.files.sort(key=lambda f: f.relpath)
    return found
