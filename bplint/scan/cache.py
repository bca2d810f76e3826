"""The scan cache: per-file facts and findings, reused while their inputs are unchanged.

An entry is keyed by the file's path and the hash of its content. Its index
facts are reused whenever the content is the same; its findings only while
the project facts its rules read (recorded by ``ProjectIndex.reading``) have
the same digests as when they were computed. The cache file as a whole is
keyed by bplint's code, the rule packs' code and the resolved configuration,
so an upgrade or a configuration change starts afresh. The files hold plain
data, authenticated and checked on the way in (``cache_store``, ``cache_codec``):
a corrupt, foreign, forged or unreadable cache is ignored and rewritten, never
an error.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bplint import __version__
from bplint.config import Config
from bplint.discover.filesystem import fingerprint
from bplint.project.index import VIEW_BUILDERS, VIEW_PART, ModuleFacts, ProjectIndex
from bplint.scan.cache_codec import DecodeError, EncodeError, decoder, encoder, set_repair
from bplint.scan.cache_store import CacheStore
from bplint.scan.collector import no_collections

CACHE_DIR_NAME = ".bplint_cache"
FORMAT = 6


def canonical(value: Any) -> Any:
    """A representation that is the same for equal facts in any process (sets sorted, etc.)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, canonical(getattr(value, f.name)))
                                            for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((repr(canonical(k)), canonical(v)) for k, v in value.items()),
                                     key=lambda kv: kv[0])))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(canonical(v)) for v in value)))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (str, int, float, bool, bytes, type(None))):
        return value
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def digest(value: Any) -> str:
    return hashlib.sha256(repr(canonical(value)).encode("utf-8", "surrogatepass")).hexdigest()[:24]


def code_fingerprint(config: Config) -> str:
    """bplint's own modules and every rule pack's, by path, size and modification time."""
    return digest((__version__, sys.version_info[:2], file_stats(sorted({*own_modules(), *rule_modules(config)}))))


def own_modules() -> list[str]:
    return sorted(str(p) for p in Path(__file__).parent.parent.rglob("*.py"))


def rule_modules(config: Config) -> set[str]:
    """The files of the modules that define the configured rules."""
    found = {getattr(sys.modules.get(rule.__module__), "__file__", None) for rule in config.rules}
    return {path for path in found if path}


def file_stats(paths: list[str]) -> list[tuple[str, int, int]]:
    stats = []
    for path in paths:
        try:
            st = os.stat(path)
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((path, 0, 0))
    return stats


def config_fingerprint(config: Config) -> str:
    """Everything of a configuration that can change a finding, the nested folders' configurations too."""
    return digest((
        str(config.root), sorted(config.enabled), sorted((k, v.value) for k, v in config.severity.items()),
        config.test_paths, sorted(config.role_paths.items()), config.exclude, sorted(config.bases.items()),
        [([str(getattr(p, "pattern", p)) for p in spec.patterns], sorted(codes), base)
         for spec, codes, base in config.per_file_ignores],
        canonical(config.rule_options), config.max_file_size, config.file_timeout, canonical(config.target),
        sorted(f"{r.__module__}.{r.__qualname__}" for r in config.rules),
        sorted((folder, config_fingerprint(scoped)) for folder, scoped in config.scoped.items()),
    ))


@dataclass
class Entry:
    content: str  # sha256 of the file's bytes
    rootpath: str
    facts: ModuleFacts | None = None
    result: Any = None  # engine.FileResult
    reads: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Names the version of ``facts``: an edit that leaves the facts equal (a
    # comment, a changed string) keeps it, so files that read this module's
    # facts need no re-check.
    facts_version: str = ""


@dataclass
class ViewRecord:
    """What a project-wide view was built from, and the digests of the parts files read."""

    inputs: dict[tuple[str, str], str | None]
    digests: dict[str, str] = field(default_factory=dict)  # recorded read name -> digest of that part


class ScanCache:
    def __init__(self, directory: Path, config: Config, store: CacheStore | None = None) -> None:
        self.directory = directory
        self.store = store if store is not None else CacheStore(directory, config.root)
        self.key = digest((code_fingerprint(config), config_fingerprint(config)))
        self.path = directory / f"scan-{self.key[:20]}.cache"
        self._loaded: dict[str, Entry] | None = None
        self._old_views: dict[str, ViewRecord] = {}
        # the base file's identity, and the entries the changes file added to it (see save)
        self._base_id: str | None = None
        self._changes: dict[str, Entry] = {}
        self._new_views: dict[str, ViewRecord] = {}
        self._new: dict[str, Entry] = {}
        self._digests: dict[tuple[str, str], str | None] = {}
        # relpath -> version of the module's facts (see Entry.facts_version)
        self.versions: dict[str, str] = {}
        self._shared_reads: dict[frozenset, dict] = {}
        # the paths beyond the scanned files that project rules asked about, with their answers
        self.project_answers: dict[str, str] = {}
        self.hits = 0
        self._roles_to_write: tuple[str, dict, dict] | None = None
        self.damaged = False  # a family of cached facts did not read back: the base file is rewritten

    @property
    def _old(self) -> dict[str, Entry]:
        return self._read()[0]

    def _views_loaded(self) -> dict[str, ViewRecord]:
        return self._read()[1]

    def _read(self) -> tuple[dict[str, Entry], dict[str, ViewRecord]]:
        # read on first use, inside the scan (see collector.fewer_collections)
        if self._loaded is None:
            self._loaded, self._old_views = self._load()
        return self._loaded, self._old_views

    def _load(self) -> tuple[dict[str, Entry], dict[str, ViewRecord]]:
        base = self._read_file(self.path, "scan")
        if base is None:
            return {}, {}
        entries, views = base["entries"], base["views"]
        self._base_id = base["id"]
        changes = self._read_file(self.changes_path, "changes")
        if changes is not None and changes["base"] == self._base_id:
            self._changes = changes["entries"]
            entries = {**entries, **self._changes}
            views = changes["views"]
        return entries, views

    def _read_file(self, path: Path, purpose: str) -> dict | None:
        """The file's entries and views, if this user's bplint wrote it with this cache's key
        and every value is what it should be; None otherwise (missing, corrupt, foreign...)."""
        def entries_and_views(data: dict) -> dict:
            reads = _ReadsIn(data["reads"], data["tables"])
            return {"entries": _decode_entries(data["entries"], reads),
                    "views": _decode_views(data["views"], reads),
                    "id": _text(data.get("id", "")), "base": _text(data.get("base", ""))}

        return self._read_json(path.name, purpose, entries_and_views)

    def _read_json(self, name: str, purpose: str, decode: Callable[[dict], Any]) -> Any:
        """``decode`` of the cache file ``name``'s object, if this user's bplint wrote it for
        ``purpose`` with this cache's format and key; None when it is not so or does not decode."""
        body = self.store.read(name, purpose)
        if body is None:
            return None
        try:
            with no_collections():
                data = json.loads(body)
                if type(data) is not dict or data.get("format") != FORMAT or data.get("key") != self.key:
                    return None
                return decode(data)
        except (DecodeError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            return None

    # --- facts ----------------------------------------------------------------
    def facts(self, relpath: str, rootpath: str, content: str,
              rebuild: Callable[[], ModuleFacts | None] | None = None) -> ModuleFacts | None:
        """The module's facts from the cache, if its content is the one they were made from.
        ``rebuild`` makes them again from the file: a family of them that does not read back
        (``cache_codec.set_repair``) is taken from there, and the cache is rewritten."""
        entry = self._old.get(relpath)
        if entry is not None and entry.content == content and entry.rootpath == rootpath and entry.facts is not None:
            new = self._entry(relpath, rootpath, content)
            new.facts, new.facts_version = entry.facts, entry.facts_version or entry.content
            self.versions[relpath] = new.facts_version
            if rebuild is not None:
                set_repair(entry.facts.extra, lambda key: self._repaired(key, rebuild))
            return entry.facts
        return None

    def _repaired(self, key: str, rebuild: Callable[[], ModuleFacts | None]) -> Any:
        self.damaged = True
        fresh = rebuild()
        if fresh is None or key not in fresh.extra:
            raise KeyError(key)
        return fresh.extra[key]

    def store_facts(self, relpath: str, rootpath: str, content: str, facts: ModuleFacts) -> None:
        entry = self._entry(relpath, rootpath, content)
        entry.facts = facts
        old = self._old.get(relpath)
        try:
            same = old is not None and old.facts is not None and old.rootpath == rootpath and old.facts == facts
        except Exception:  # facts a rule pack made uncomparable: treat as changed
            same = False
        entry.facts_version = (old.facts_version or old.content) if same else content  # type: ignore[union-attr]
        self.versions[relpath] = entry.facts_version

    def _entry(self, relpath: str, rootpath: str, content: str) -> Entry:
        entry = self._new.get(relpath)
        if entry is None or entry.content != content:
            entry = self._new[relpath] = Entry(content, rootpath)
        return entry

    def _changed_entries(self) -> dict[str, Entry]:
        """This run's entries that the cache files do not hold yet."""
        changed = {}
        for relpath, entry in self._new.items():
            old = self._old.get(relpath)
            if old is None or old.content != entry.content or old.reads != entry.reads or \
                    old.result is not entry.result or old.facts is not entry.facts:
                changed[relpath] = entry
        return changed

    # --- findings -------------------------------------------------------------
    def result(self, relpath: str, rootpath: str, content: str, index: ProjectIndex) -> Any:
        entry = self._old.get(relpath)
        if entry is None or entry.content != content or entry.rootpath != rootpath or entry.result is None:
            return None
        for key, expected in entry.reads.items():
            if self.read_digest(index, key) != expected:
                return None
        new = self._entry(relpath, rootpath, content)
        new.result, new.reads = entry.result, entry.reads
        self.hits += 1
        return entry.result

    def store_result(self, relpath: str, rootpath: str, content: str, result: Any,
                     reads: set[tuple[str, str]], index: ProjectIndex) -> None:
        entry = self._entry(relpath, rootpath, content)
        entry.result = result
        # Files often read the same facts; sharing one dict per distinct set
        # keeps the cache file (and its load time) small.
        shape = frozenset(reads)
        shared = self._shared_reads.get(shape)
        if shared is None:
            shared = self._shared_reads[shape] = {key: self.read_digest(index, key) for key in sorted(reads)}
        entry.reads = shared

    def read_digest(self, index: ProjectIndex, key: tuple[str, str]) -> str | None:
        """The current digest of one fact a rule read."""
        if key in self._digests:
            return self._digests[key]
        label, name = key
        if label == "package":
            value = "present" if index.has_package(name) else None
        elif label == "name":
            facts = index.module_by_name(name)
            value = None if facts is None else self.read_digest(index, ("modules", facts.relpath))
        elif label == "fs":
            value = fingerprint(index.fs.answer(name))
        elif label == "view":
            value = self._view_digest(index, name)
        elif label == "modules" and name != "*" and name in self.versions:
            # A module's facts are a function of its content (and the
            # configuration, which keys the whole cache); the version names them
            # without hashing them, and survives edits that leave them equal.
            value = self.versions[name] if name in index.modules.raw() else None
        else:
            table = {"modules": index.modules, "files": index.files, "roles": index.roles,
                     "regions": index.regions}.get(label)
            if table is None:
                value = None
            elif name == "*":
                contents = table.raw()
                value = digest(sorted((k, self.read_digest(index, (label, k))) for k in contents))
            else:
                item = table.raw().get(name)
                value = None if item is None else digest(item)
        self._digests[key] = value
        return value

    def _view_digest(self, index: ProjectIndex, key: str) -> str | None:
        """The digest of a project-wide view (or of one part), built only when its inputs changed."""
        name, _, part = key.partition(VIEW_PART)
        if name not in VIEW_BUILDERS:
            return None
        record = self._new_views.get(name)
        if record is None:
            old = self._views_loaded().get(name)
            if old is not None and all(self.read_digest(index, k) == d for k, d in old.inputs.items()):
                record = ViewRecord(old.inputs, dict(old.digests))
            else:
                _, inputs = index.view_and_inputs(name)
                record = ViewRecord({k: self.read_digest(index, k) for k in sorted(inputs)})
            self._new_views[name] = record
        if key not in record.digests:
            value, _ = index.view_and_inputs(name)
            record.digests[key] = digest(value.part(part) if part else value)  # type: ignore[attr-defined]
        return record.digests[key]

    def note_project_reads(self, index: ProjectIndex, reads: set[tuple[str, str]]) -> None:
        """What the project rules read: their questions about paths beyond the scan are kept
        (with those asked while building the views they read) for the last scan's result."""
        keys = set(reads)
        for label, name in reads:
            if label == "view":
                keys |= index.view_and_inputs(name.partition(VIEW_PART)[0])[1]
        self.project_answers = {name: self.read_digest(index, (label, name)) for label, name in sorted(keys)
                                if label == "fs"}  # type: ignore[misc]

    def outside_answers(self) -> dict[str, str]:
        """Every question this scan's rules asked about paths beyond the scanned files, with
        the answers' fingerprints (see ``filesystem``)."""
        answers = dict(self.project_answers)
        for reads in [*(entry.reads for entry in self._new.values()),
                      *(record.inputs for record in self._new_views.values())]:
            answers.update((name, value) for (label, name), value in reads.items() if label == "fs")
        return answers

    # --- roles ----------------------------------------------------------------
    # Every file's role and the regions of application files are decided from all the project's
    # facts at once (roles.assign_roles): a quarter of a re-check after a one-file edit of Django's
    # source. They are a function of the files' paths, kinds and facts, so they are kept with the
    # digest of those inputs, and an edit that leaves every module's facts equal reuses them.
    @property
    def roles_path(self) -> Path:
        return self.path.with_name(self.path.stem + "-roles.cache")

    def remembered_roles(self, inputs: str) -> tuple[dict, dict] | None:
        """The roles and regions last decided from these inputs (``role_inputs``), or None."""
        from bplint.project.regions import Region
        from bplint.project.roles import Role

        def roles_and_regions(data: dict) -> tuple[dict, dict] | None:
            if data.get("inputs") != inputs:
                return None
            roles = {path: Role(value) for path, value in decoder(dict[str, str])(data["roles"]).items()}
            regions = {path: tuple(Region(start, end, Role(role), kind, name) for start, end, role, kind, name in found)
                       for path, found in decoder(dict[str, list[_REGION]])(data["regions"]).items()}
            return roles, regions

        return self._read_json(self.roles_path.name, "roles", roles_and_regions)

    def remember_roles(self, inputs: str, roles: dict, regions: dict) -> None:
        self._roles_to_write = (inputs, roles, regions)

    def _write_roles(self) -> None:
        if self._roles_to_write is None:
            return
        inputs, roles, regions = self._roles_to_write
        self._roles_to_write = None
        try:
            self.store.write(self.roles_path.name, "roles", dump({
                "format": FORMAT, "key": self.key, "inputs": inputs,
                "roles": {path: role.value for path, role in roles.items()},
                "regions": {path: [[r.start, r.end, r.role.value, r.kind, r.name] for r in found]
                            for path, found in regions.items()}}))
        except WRITE_ERRORS:
            pass

    # --- writing --------------------------------------------------------------
    @property
    def changes_path(self) -> Path:
        return self.path.with_name(self.path.stem + "-changes.cache")

    def save(self) -> None:
        """Write what this run learned.

        Rewriting the whole cache after a one-file edit cost more than the
        re-check itself on a large project, so a small change goes to a
        second file that holds every entry changed since the base file was
        written; the base is rewritten (and the changes file dropped) once the
        changes reach a quarter of it. Entries of files not seen in this run
        are kept (a scan of some files leaves the others' entries).
        """
        self._write_roles()
        changed = self._changed_entries()
        views = {**self._views_loaded(), **self._new_views}
        if self._old and not changed and views == self._views_loaded() and not self.damaged:
            return
        store = self.store
        try:
            entries = {**self._old, **self._new}
            changes = {**self._changes, **changed}
            if self._base_id is not None and len(changes) * 4 <= len(entries) and not self.damaged:
                store.write(self.changes_path.name, "changes",
                            _payload(self.key, {"base": self._base_id}, changes, views))
                return
            base_id = os.urandom(8).hex()
            store.write(self.path.name, "scan", _payload(self.key, {"id": base_id}, entries, views))
            store.remove(self.changes_path.name)
            for stale in store.names("scan-*"):
                if stale not in (self.path.name, self.changes_path.name, self.roles_path.name):
                    store.remove(stale)
            store.remove("last-scan.pickle")  # left by earlier versions, never read
        except WRITE_ERRORS:
            pass


# What a cache write can fail with: a full or unwritable disk, or facts a rule pack made
# that JSON cannot hold. The cache is lost then, never the scan.
WRITE_ERRORS = (OSError, EncodeError, ValueError, TypeError, RecursionError)


def dump(payload: dict) -> bytes:
    """JSON text for a cache file (ASCII: strings that are not valid UTF-8 survive)."""
    return json.dumps(payload, separators=(",", ":"), check_circular=False).encode("ascii")


def _text(value: Any) -> str:
    if type(value) is not str:
        raise DecodeError("expected a str")
    return value


# --- entries and views as plain data -------------------------------------------------------
# An entry is [content, rootpath, facts, result, reads, facts_version]. Recorded reads are
# written once each, as [label, name, digest] in the file's list of reads; a file's reads
# (and a view's inputs) are then a list of indexes into it, in the file's list of tables,
# which files with the same reads share (as they share one dict in memory, see
# store_result): most reads recur in many files.


class _ReadsOut:
    def __init__(self) -> None:
        self.reads: list[list] = []
        self.tables: list[list[int]] = []
        self._read_index: dict[tuple[tuple[str, str], str | None], int] = {}
        self._table_index: dict[int, int] = {}

    def table(self, reads: dict[tuple[str, str], str | None]) -> int:
        found = self._table_index.get(id(reads))
        if found is None:
            found = self._table_index[id(reads)] = len(self.tables)
            self.tables.append(self.indexes(reads))
        return found

    def indexes(self, reads: dict[tuple[str, str], str | None]) -> list[int]:
        out = []
        for item in reads.items():
            index = self._read_index.get(item)
            if index is None:
                index = self._read_index[item] = len(self.reads)
                (label, name), value = item
                self.reads.append([label, name, value])
            out.append(index)
        return out


def _payload(key: str, extra: dict, entries: dict[str, Entry], views: dict[str, ViewRecord]) -> bytes:
    from bplint.scan.engine import FileResult

    facts_out, result_out = encoder(ModuleFacts), encoder(FileResult)
    reads = _ReadsOut()
    out = {}
    for relpath, entry in entries.items():
        try:
            facts = None if entry.facts is None else facts_out(entry.facts)
            result = None if entry.result is None else result_out(entry.result)
        except EncodeError:  # facts a rule pack made that the cache cannot hold: not cached
            continue
        table = None if entry.result is None else reads.table(entry.reads)
        out[relpath] = [entry.content, entry.rootpath, facts, result, table, entry.facts_version]
    views_out = {name: [reads.indexes(record.inputs), record.digests] for name, record in views.items()}
    return dump({"format": FORMAT, "key": key, **extra, "entries": out, "views": views_out,
                 "reads": reads.reads, "tables": reads.tables})


_STR_OR_NONE = frozenset({str, type(None)})
_INT = frozenset({int})


class _ReadsIn:
    def __init__(self, reads: Any, tables: Any) -> None:
        if type(reads) is not list or type(tables) is not list:
            raise DecodeError("expected reads and tables")
        self._reads = []
        for item in reads:
            if type(item) is not list or len(item) != 3:
                raise DecodeError("expected a read")
            label, name, value = item
            if type(label) is not str or type(name) is not str or type(value) not in _STR_OR_NONE:
                raise DecodeError("expected a read")
            self._reads.append(((label, name), value))
        self._tables = [self.reads(table) for table in tables]

    def reads(self, indexes: Any) -> dict[tuple[str, str], str | None]:
        if type(indexes) is not list or not _INT.issuperset(map(type, indexes)) or \
                (indexes and not 0 <= min(indexes) <= max(indexes) < len(self._reads)):
            raise DecodeError("expected indexes of reads")
        return dict(map(self._reads.__getitem__, indexes))

    def table(self, index: Any) -> dict[tuple[str, str], str | None]:
        if type(index) is not int or not 0 <= index < len(self._tables):
            raise DecodeError("expected the index of a table of reads")
        return self._tables[index]


def _decode_entries(data: Any, reads: _ReadsIn) -> dict[str, Entry]:
    from bplint.scan.engine import FileResult

    if type(data) is not dict:
        raise DecodeError("expected entries")
    facts_in, result_in = decoder(ModuleFacts), decoder(FileResult)
    entries = {}
    for relpath, item in data.items():
        if type(item) is not list or len(item) != 6:
            raise DecodeError("expected an entry")
        content, rootpath, facts, result, table, version = item
        if type(content) is not str or type(rootpath) is not str or type(version) is not str:
            raise DecodeError("expected an entry")
        entry = Entry(content, rootpath, None if facts is None else facts_in(facts),
                      None if result is None else result_in(result), facts_version=version)
        if result is not None:
            entry.reads = reads.table(table)
        elif table is not None:
            raise DecodeError("reads without a result")
        entries[relpath] = entry
    return entries


def _decode_views(data: Any, reads: _ReadsIn) -> dict[str, ViewRecord]:
    if type(data) is not dict:
        raise DecodeError("expected views")
    views = {}
    for name, item in data.items():
        if type(item) is not list or len(item) != 2 or type(item[1]) is not dict:
            raise DecodeError("expected a view")
        digests = item[1]
        if not all(type(v) is str for v in digests.values()):
            raise DecodeError("expected a view's digests")
        views[name] = ViewRecord(reads.reads(item[0]), digests)
    return views


_REGION = tuple[int, int, str, str, str]  # a Region: start, end, role, kind, name


def role_inputs(files: list, hashes: dict[str, str], versions: dict[str, str]) -> str:
    """The digest of what decides the roles: each file's paths and kind, and its facts' version
    (a Python file) or its content (the others: a `pyproject.toml` names console scripts)."""
    return digest(sorted((f.relpath, f.rootpath, f.kind.value, versions.get(f.relpath) or hashes.get(f.relpath))
                         for f in files))


def cache_for(root: Path, override: Path | None = None) -> Callable[[Config], ScanCache] | None:
    """What gives the cache of the project at ``root`` for a configuration (a live project loads
    its index with it), or None when the cache folder cannot be used (the store says why)."""
    store = CacheStore(cache_directory(root, override), root)
    if not store.usable:
        return None
    return lambda config: ScanCache(store.directory, config, store)


def cache_directory(root: Path, override: Path | None = None) -> Path:
    if override is not None:
        return override
    from_env = os.environ.get("BPLINT_CACHE_DIR")
    if from_env:
        return Path(from_env)
    return root / CACHE_DIR_NAME
