"""The files of one scan, gathered before any rule is loaded.

Discovery finds the files under the given paths; the project index reads the
whole project even when only some of its files are checked (pre-commit, one
file named on the command line), because models, routes and `.env.example`
files live elsewhere. With a cache, each project file's content hash is
taken here too: it keys the cache's entries and the last scan's result.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from bplint.discover.discovery import Discovery, discover
from bplint.discover.files import SourceFile
from bplint.report.findings import ScanError


@dataclass
class Workset:
    found: Discovery  # what the given paths hold: the files checked and reported
    project_files: list[SourceFile]  # what the index reads
    subset: bool  # the checked files are only part of the project
    # relpath -> sha256 of the file's bytes (with a cache; files over max-file-size have none)
    hashes: dict[str, str] = field(default_factory=dict)
    # project files the scan skips, with why (unreadable, over max-file-size)
    skipped: dict[str, ScanError] = field(default_factory=dict)

    @classmethod
    def of(cls, files: list[SourceFile]) -> "Workset":
        """A workset of these files alone (for tools and tests that build an index by hand)."""
        return cls(Discovery(files=list(files)), list(files), False)

    def description(self) -> tuple:
        """Everything about the files that decides a scan's result, for the last-scan key."""
        return (
            tuple((f.relpath, f.rootpath, f.kind.value) for f in self.found.files),
            tuple((e.path, e.message) for e in self.found.errors),
            self.subset,
            tuple((f.relpath, f.rootpath, f.kind.value, self.hashes.get(f.relpath)) for f in self.project_files),
            tuple(sorted((path, error.message) for path, error in self.skipped.items())),
        )


def gather(paths: Sequence[Path], root: Path, exclude: Sequence[str], max_file_size: int, cwd: Path,
           with_hashes: bool) -> Workset:
    found, project_files, subset = _files(paths, root, exclude, cwd)
    workset = Workset(found, project_files, subset)
    for file in project_files:
        try:
            size = file.path.stat().st_size
            if size <= max_file_size and with_hashes:
                workset.hashes[file.relpath] = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            workset.skipped[file.relpath] = ScanError(file.relpath, f"skipped: cannot read ({exc.strerror})")
            continue
        if size > max_file_size:
            workset.skipped[file.relpath] = ScanError(
                file.relpath, f"skipped: {size} bytes is more than max-file-size ({max_file_size})")
    return workset


def _files(paths: Sequence[Path], root: Path, exclude: Sequence[str], cwd: Path
           ) -> tuple[Discovery, list[SourceFile], bool]:
    """What the given paths hold, the files the index reads, and whether the first are a subset
    of the second. When the paths lie inside the project, the project is walked once and a
    folder given is taken from that walk where it went through the folder as a walk of the
    folder alone would (``Discovery.part``)."""
    resolved_root = root.resolve()
    targets = [(cwd / p).resolve() if not p.is_absolute() else p.resolve() for p in paths]
    if any(t == resolved_root for t in targets) or not all(resolved_root in t.parents for t in targets):
        found = discover(paths, root, exclude, cwd)
        return found, found.files, False
    whole = discover([resolved_root], resolved_root, exclude, cwd)
    taken: list[SourceFile] = []
    rest: list[Path] = []
    for given, target in zip(paths, targets):
        part = whole.part(Path(os.path.normpath(os.path.join(cwd, given)))) if target.is_dir() else None
        if part is None:
            rest.append(given)
        else:
            taken.extend(part)
    found = discover(rest, root, exclude, cwd) if rest else Discovery()
    if taken:
        known = {f.relpath: f for f in found.files}
        found.files = list({**{f.relpath: f for f in taken}, **known}.values())
        found.files.sort(key=lambda f: f.relpath)
    by_path = {f.relpath: f for f in whole.files}
    for file in found.files:  # the checked files themselves, as discovered (the same objects)
        by_path[file.relpath] = file
    return found, sorted(by_path.values(), key=lambda f: f.relpath), True
