"""The last scan's result, served whole when nothing it depended on has changed.

A re-run on an unchanged tree (a pre-commit hook, a CI retry, an editor on
save) should cost little more than finding and hashing the files. Each scan
that uses the cache leaves its result here, under a key over everything that
decided it: bplint's code and the installed rule packs, the configuration as
written, the paths given, the working directory, and every project file's
path, kind and content hash. The result is served only if, besides, every
path a rule asked about beyond the scanned files (a README, an included
requirement file, a .gitignore) still gives the same answer, and the rule
packs' own files are unchanged. A hit loads no rule and parses nothing. Like the
cache's other files it holds plain data, authenticated and checked on the way
in (``cache_store``); anything else is ignored and the tree scanned afresh.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from bplint import __version__
from bplint.discover.filesystem import ask, fingerprint
from bplint.discover.pyversion import resolve_target
from bplint.report.findings import ScanResult
from bplint.scan.cache import WRITE_ERRORS, canonical, digest, dump, file_stats, own_modules, rule_modules
from bplint.scan.cache_codec import DecodeError, decode, encode
from bplint.scan.cache_store import CacheStore
from bplint.scan.registry import rule_pack_signature

if TYPE_CHECKING:
    from bplint.config import Config, Settings
    from bplint.discover.workset import Workset

FORMAT = 2
FILE_NAME = "last-scan.cache"


@dataclass
class Recalled:
    result: ScanResult
    enabled: frozenset[str]  # the codes the scan ran, for reports that describe its rules


def scan_key(settings: Settings, paths: Sequence[Path], cwd: Path, workset: Workset) -> str:
    inputs = digest((
        FORMAT, __version__, sys.version_info[:2], file_stats(own_modules()), rule_pack_signature(),
        canonical(settings.table), canonical(settings.overrides), str(settings.root), str(settings.source),
        canonical(settings.description()),  # the nested folders' configuration files
        [str(p) for p in paths], str(cwd),
        # requires-python may change in a file the scan does not read
        canonical(resolve_target(settings.table.get("target-version"), settings.root, settings.where)),
    ))
    # the files' description holds only strings, booleans and tuples: its repr is canonical as it is
    return hashlib.sha256(f"{inputs}:{workset.description()!r}".encode("utf-8", "surrogatepass")).hexdigest()


class LastScan:
    def __init__(self, store: CacheStore, key: str) -> None:
        self.store = store
        self.path = store.directory / FILE_NAME
        self.key = key

    def recall(self) -> Recalled | None:
        """The last result, if it was made from the same inputs; None otherwise (or unreadable)."""
        body = self.store.read(FILE_NAME, "last-scan")
        if body is None:
            return None
        try:
            data = json.loads(body)
            if type(data) is not dict or data.get("format") != FORMAT or data.get("key") != self.key:
                return None
            stats = _stats_in(data["rule_modules"])
            answers, enabled = data["answers"], data["enabled"]
            if type(answers) is not dict or not all(type(a) is str for a in answers.values()):
                return None
            if type(enabled) is not list or not all(type(code) is str for code in enabled):
                return None
            result = decode(data["result"], ScanResult)
        except (DecodeError, ValueError, TypeError, KeyError, RecursionError):
            return None
        if file_stats([path for path, _, _ in stats]) != stats:
            return None
        for question, answer in answers.items():
            try:
                if fingerprint(ask(question)) != answer:
                    return None
            except KeyError:  # not a question bplint asks
                return None
        return Recalled(result, frozenset(enabled))

    def remember(self, result: ScanResult, config: Config, answers: dict[str, str]) -> None:
        try:
            payload = {
                "format": FORMAT, "key": self.key, "result": encode(result, ScanResult),
                "enabled": sorted(config.all_enabled),
                "rule_modules": file_stats(sorted(rule_modules(config) - set(own_modules()))), "answers": answers,
            }
            self.store.write(FILE_NAME, "last-scan", dump(payload))
        except WRITE_ERRORS:
            pass


def _stats_in(data: Any) -> list[tuple[str, int, int]]:
    """``file_stats``' rows, as written."""
    if type(data) is not list:
        raise DecodeError("expected file stats")
    stats = []
    for row in data:
        if type(row) is not list or len(row) != 3 or type(row[0]) is not str or \
                type(row[1]) is not int or type(row[2]) is not int:
            raise DecodeError("expected a file's stats")
        stats.append((row[0], row[1], row[2]))
    return stats
