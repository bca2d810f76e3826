"""The last scan's result, served whole when nothing it depended on has changed.

A re-run on an unchanged tree (a pre-commit hook, a CI retry, an editor on
save) should cost little more than finding and hashing the files. Each scan
that uses the cache leaves its result here, under a key over everything that
decided it: bplint's code and the installed rule packs, the configuration as
written, the paths given, the working directory, and every project file's
path, kind and content hash. The result is served only if, besides, every
path a rule asked about beyond the scanned files (a README, an included
requirement file, a .gitignore) still gives the same answer, and the rule
packs' own files are unchanged. A hit loads no rule and parses nothing.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from bplint import __version__
from bplint.cache import WRITE_ERRORS, canonical, digest, file_stats, own_modules, rule_modules, write_pickle
from bplint.filesystem import ask, fingerprint
from bplint.findings import ScanResult
from bplint.pyversion import resolve_target
from bplint.registry import rule_pack_signature

if TYPE_CHECKING:
    from bplint.config import Config, Settings
    from bplint.workset import Workset

FORMAT = 1
FILE_NAME = "last-scan.pickle"


@dataclass
class Recalled:
    result: ScanResult
    enabled: frozenset[str]  # the codes the scan ran, for reports that describe its rules


def scan_key(settings: Settings, paths: Sequence[Path], cwd: Path, workset: Workset) -> str:
    inputs = digest((
        FORMAT, __version__, sys.version_info[:2], file_stats(own_modules()), rule_pack_signature(),
        canonical(settings.table), canonical(settings.overrides), str(settings.root), str(settings.source),
        [str(p) for p in paths], str(cwd),
        # requires-python may change in a file the scan does not read
        canonical(resolve_target(settings.table.get("target-version"), settings.root, settings.where)),
    ))
    # the files' description holds only strings, booleans and tuples: its repr is canonical as it is
    return hashlib.sha256(f"{inputs}:{workset.description()!r}".encode("utf-8", "surrogatepass")).hexdigest()


class LastScan:
    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / FILE_NAME
        self.key = key

    def recall(self) -> Recalled | None:
        """The last result, if it was made from the same inputs; None otherwise (or unreadable)."""
        try:
            with self.path.open("rb") as handle:
                data = pickle.load(handle)
            if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != self.key:
                return None
            if file_stats([path for path, _, _ in data["rule_modules"]]) != data["rule_modules"]:
                return None
            for question, answer in data["answers"].items():
                if fingerprint(ask(question)) != answer:
                    return None
            result = data["result"]
            if not isinstance(result, ScanResult):
                return None
            return Recalled(result, frozenset(data["enabled"]))
        except Exception:  # missing, corrupt, foreign: scan afresh
            return None

    def remember(self, result: ScanResult, config: Config, answers: dict[str, str]) -> None:
        payload = {
            "format": FORMAT, "key": self.key, "result": result, "enabled": sorted(config.enabled),
            "rule_modules": file_stats(sorted(rule_modules(config) - set(own_modules()))), "answers": answers,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_pickle(self.path, payload)
        except WRITE_ERRORS:
            pass
