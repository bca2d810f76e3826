"""Baselines: record today's findings so that only new ones are reported.

An entry is a fingerprint (see ``bplint.report.sources.fingerprints``): code, path,
the flagged line's text and its occurrence, hashed. Moving code up or down
keeps fingerprints; editing the flagged line makes a new finding. The file
holds hashes, codes and paths only, never a secret.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bplint.config import ConfigError
from bplint.discover.files import read_regular_file
from bplint.report.findings import Finding
from bplint.report.sources import SourceLines, fingerprints

FORMAT_VERSION = 1


def write_baseline(path: Path, findings: list[Finding], sources: SourceLines) -> int:
    prints = fingerprints(findings, sources)
    entries = sorted(({"code": f.code, "path": f.path, "fingerprint": prints[f]} for f in findings),
                     key=lambda e: (e["path"], e["code"], e["fingerprint"]))
    data = {"bplint-baseline": FORMAT_VERSION, "findings": entries}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(entries)


@dataclass
class BaselineOutcome:
    findings: list[Finding]
    matched: int
    fixed: int


def read_baseline(path: Path) -> Counter[str]:
    """The fingerprints of a baseline file; ConfigError (one line, naming the file) when it is not one."""
    try:
        raw = read_regular_file(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such baseline file (create it with `bplint baseline -o {path}`)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the baseline ({exc.strerror})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a bplint baseline (not valid UTF-8)") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a bplint baseline (nested too deeply)") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not a bplint baseline (not valid JSON: {exc})") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise ConfigError(f"{path}: not a bplint baseline (expected an object whose \"findings\" list holds "
                          f"entries with a \"fingerprint\"; write one with `bplint baseline -o {path}`)")
    return Counter(entry["fingerprint"] for entry in entries)


def apply_baseline(findings: list[Finding], baseline: Counter[str], sources: SourceLines) -> BaselineOutcome:
    remaining = Counter(baseline)
    prints = fingerprints(findings, sources)
    kept = []
    matched = 0
    for finding in findings:
        fingerprint = prints[finding]
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            matched += 1
        else:
            kept.append(finding)
    return BaselineOutcome(kept, matched, sum(remaining.values()))
