"""Finding the files to scan: walk the given paths, skip what the project ignores."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pathspec

from bplint.discover.files import FileKind, SourceFile, classify, special_kind, read_regular_file
from bplint.report.findings import ScanError

# Files of these kinds take part in a scan; everything else is passed over.
SCANNED_KINDS = frozenset(FileKind) - {FileKind.OTHER}


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    # what the walk went through, so that a part of it can be taken for a walk of that part alone
    # (see ``part``): the folders it listed, whether it met a symbolic link to a file
    walked: set[str] = field(default_factory=set)
    links: bool = False
    root: Path | None = None  # the project root the walk was made for

    def part(self, folder: Path) -> list[SourceFile] | None:
        """The files a walk of ``folder`` alone would find, when this walk of the whole project
        went through it the same way: the same .gitignore files apply, nothing went wrong, no
        link was met (one may name a file found earlier). None when that is not known."""
        folder_str = os.path.normpath(str(folder))
        if self.errors or self.links or self.root is None or folder_str not in self.walked or \
                _gitignore_boundary(Path(folder_str), self.root) != _gitignore_boundary(self.root, self.root):
            return None
        inside = folder_str + os.sep
        return [f for f in self.files if str(f.path).startswith(inside)]


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
        # (folder, stop) -> the .gitignore specs that apply in folder, nearest first
        self._chains: dict[tuple[str, str], list[tuple[str, pathspec.GitIgnoreSpec]]] = {}

    def listed(self, folder: str, has_ignore_file: bool) -> None:
        """What the walk saw in a folder's listing, which spares a look for .gitignore there."""
        if not has_ignore_file:
            self._specs.setdefault(folder, None)

    def _spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            spec = None
            ignore_file = os.path.join(folder, ".gitignore")
            if os.path.isfile(ignore_file):
                try:
                    text = read_regular_file(ignore_file).decode("utf-8", errors="replace")
                    spec = pathspec.GitIgnoreSpec.from_lines(text.splitlines())
                except Exception:  # an unreadable .gitignore ignores nothing
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def _chain(self, folder: str, stop: str) -> list[tuple[str, pathspec.GitIgnoreSpec]]:
        key = (folder, stop)
        chain = self._chains.get(key)
        if chain is None:
            spec = self._spec(folder)
            parent = os.path.dirname(folder)
            above = [] if folder == stop or parent == folder else self._chain(parent, stop)
            chain = self._chains[key] = [(folder, spec), *above] if spec is not None else above
        return chain

    def ignored(self, path: str, is_dir: bool, stop: str) -> bool:
        """``path`` and ``stop`` are absolute, normalized strings."""
        for folder, spec in self._chain(os.path.dirname(path), stop):
            rel = path[len(folder):].lstrip(os.sep).replace(os.sep, "/") + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                return bool(result.include)
        return False


def _gitignore_boundary(top: Path, root: Path) -> Path:
    """Where .gitignore files stop applying: the repository's top, else the project root."""
    for folder in (top, *top.parents):
        if (folder / ".git").exists():
            return folder
    return root if top == root or root in top.parents else top


class _Excluded:
    """Exclude patterns (gitignore syntax), matched in one regular expression when none negates.

    A scan tests every folder and candidate file against them, twice (its
    path and its name); one combined expression does that in one search
    instead of one per pattern. With a `!` pattern, order decides, and
    pathspec's own matching is used.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(lines)
        self._combined = None
        patterns = [p for p in self._spec.patterns if p.include is not None]
        if all(p.include and isinstance(getattr(p, "regex", None), re.Pattern) for p in patterns):
            # The named groups only tell pathspec which kind of pattern matched.
            parts = [_NAMED_GROUP.sub("(?:", p.regex.pattern) for p in patterns]
            self._combined = re.compile("|".join(f"(?:{part})" for part in parts) or r"(?!)")

    def match(self, path: str) -> bool:
        if self._combined is not None:
            return self._combined.match(path) is not None
        return self._spec.match_file(path)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def discover(paths: Sequence[Path], root: Path, exclude: Sequence[str], cwd: Path | None = None) -> Discovery:
    cwd = (cwd or Path.cwd()).resolve()
    cwd_str = str(cwd)
    root = root.resolve()
    excluded = _Excluded(exclude)
    gitignores = _GitIgnores()
    found = Discovery(root=root)
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

    def report(path: str) -> str:
        # report_path without pathlib: this runs for every file of the project
        if path.startswith(cwd_str + os.sep):
            return path[len(cwd_str) + 1:].replace(os.sep, "/")
        return report_path(Path(path), cwd)

    def skip(path: str, name: str, is_dir: bool, stop: str) -> bool:
        suffix = "/" if is_dir else ""
        if excluded.match(rel_to_root(path, is_dir)) or excluded.match(name + suffix):
            return True
        return gitignores.ignored(path, is_dir, stop)

    def add(path: str, rootpath: str, kind: FileKind, is_link: bool, regular: bool = False) -> None:
        if not regular:  # not known to be a regular file (a listing says so for most): look
            try:
                mode = os.stat(path).st_mode
            except FileNotFoundError:
                message = "a symbolic link whose target does not exist" if is_link else "no such file"
                found.errors.append(ScanError(report(path), f"skipped: {message}"))
                return
            except OSError as exc:
                found.errors.append(ScanError(report(path), f"skipped: cannot read ({exc.strerror})"))
                return
            special = special_kind(mode)
            if special is not None:  # reading a FIFO or a device would never end
                found.errors.append(ScanError(report(path), f"skipped: {special}, not a regular file"))
                return
        if is_link:
            found.links = True
        key = os.path.realpath(path) if is_link else path
        if key in seen:
            return
        seen.add(key)
        found.files.append(SourceFile(path=Path(path), relpath=report(path), kind=kind, rootpath=rootpath))

    def walk(top: str, stop: str) -> None:
        # top-down and depth-first in name order, a folder's files before its subfolders
        # (as os.walk goes); a stack, not recursion, for arbitrarily deep trees
        pending = [top]
        while pending:
            folder = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                found.errors.append(ScanError(report(folder), f"skipped: cannot list this folder ({exc.strerror})"))
                continue
            if folder != top and any(e.name == "pyvenv.cfg" for e in entries):
                continue  # a virtualenv
            found.walked.add(folder)
            gitignores.listed(folder, any(e.name == ".gitignore" for e in entries))
            folders: list[tuple[str, str]] = []
            files: list[tuple[str, str, os.DirEntry]] = []
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not entry.is_symlink():  # links to folders are not followed
                        folders.append((entry.name, entry.path))
                else:
                    files.append((entry.name, entry.path, entry))
            for name, path, entry in sorted(files, key=lambda item: item[:2]):
                rootpath = rel_to_root(path, False)
                kind = classify(rootpath)
                # most files of a repository are none of ours: classify before the costlier checks
                if kind in SCANNED_KINDS and not skip(path, name, False, stop):
                    try:
                        regular = entry.is_file()
                    except OSError:
                        regular = False
                    add(path, rootpath, kind, entry.is_symlink(), regular)
            kept = [path for name, path in sorted(folders) if not skip(path, name, True, stop)]
            pending.extend(reversed(kept))

    for given in paths:
        absolute = os.path.normpath(os.path.join(cwd_str, str(given)))
        if not os.path.exists(absolute) and not os.path.islink(absolute):
            found.errors.append(ScanError(report_path(Path(absolute), cwd), "no such file or directory"))
            continue
        if not os.path.isdir(absolute):
            resolved = os.path.realpath(absolute)
            if not excluded.match(rel_to_root(resolved, False)):
                rootpath = rel_to_root(absolute, False)
                kind = classify(rootpath)
                if kind in SCANNED_KINDS:
                    add(absolute, rootpath, kind, os.path.islink(absolute))
            continue
        walk(absolute, str(_gitignore_boundary(Path(absolute), root)))
    found.files.sort(key=lambda f: f.relpath)
    return found
