"""Per-rule cost on a codebase (not a test): how many files each Python rule makes bplint parse
with libcst, and how long a scan with only that rule takes.

    python benchmarks/bench_rules.py PATH [CODE-PREFIX]

A rule whose ast trigger and pre-check are selective parses few files; one that
lets every file through pays a libcst parse and walk per file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import libcst as cst

from bplint.config import build_config
from bplint.rule import PythonRule
from bplint.scan import engine
from bplint.scan.registry import all_rules


def main(argv: list[str]) -> None:
    root = Path(argv[0]).resolve()
    prefix = argv[1] if len(argv) > 1 else "BP"
    parsed: list[int] = []
    real_parse = cst.parse_module

    def counting_parse(text: str):
        parsed.append(1)
        return real_parse(text)

    cst.parse_module = counting_parse
    baseline = build_config({"select": ["BP001"]}, all_rules(), root=root)
    started = time.perf_counter()
    engine.scan([root], baseline, cwd=root)
    floor = time.perf_counter() - started
    print(f"{root}: index phase and engine alone {floor:.2f} s")
    print(f"{'rule':<8}{'files parsed':>14}{'seconds':>9}{'findings':>10}")
    rows = []
    for rule in all_rules():
        if not issubclass(rule, PythonRule) or not rule.code.startswith(prefix):
            continue
        parsed.clear()
        config = build_config({"select": [rule.code]}, all_rules(), root=root)
        started = time.perf_counter()
        result = engine.scan([root], config, cwd=root)
        rows.append((rule.code, len(parsed), time.perf_counter() - started, len(result.findings)))
    for code, files, seconds, findings in sorted(rows, key=lambda r: -r[2]):
        print(f"{code:<8}{files:>14}{seconds:>9.2f}{findings:>10}")


if __name__ == "__main__":
    main(sys.argv[1:])
