"""Time a bplint scan of a large real codebase (not a test).

    python benchmarks/bench_scan.py                 # Django's sdist, downloaded to a temp folder
    python benchmarks/bench_scan.py PATH [PATH...]  # any folders

Prints files, lines, seconds and lines per second for the whole scan and for
its phases (index and per-file rules), and the internal errors, if any.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bplint.config import build_config
from bplint.scan import engine
from bplint.scan.registry import all_rules

DJANGO = "django==5.2.8"


def fetch_django(cache: Path) -> Path:
    unpacked = [p for p in cache.glob("django-*/django") if p.is_dir()] if cache.exists() else []
    if unpacked:
        return unpacked[0].parent
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(cache),
                    DJANGO], check=True, capture_output=True)
    archive = next(cache.glob("[Dd]jango-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(cache, filter="data")
    return next(p for p in cache.glob("django-*") if p.is_dir())


def count_lines(paths: list[Path]) -> tuple[int, int]:
    files = lines = 0
    for path in paths:
        for py in (path.rglob("*.py") if path.is_dir() else [path]):
            files += 1
            with py.open("rb") as handle:
                lines += sum(1 for _ in handle)
    return files, lines


def main(argv: list[str]) -> None:
    if argv:
        targets = [Path(a).resolve() for a in argv]
    else:
        cache = Path(tempfile.gettempdir()) / "bplint-bench"
        targets = [fetch_django(cache) / "django"]
    root = targets[0] if targets[0].is_dir() else targets[0].parent
    py_files, py_lines = count_lines(targets)
    config = build_config({"select": ["ALL"]}, all_rules(), root=root)

    started = time.perf_counter()
    result = engine.scan(targets, config, cwd=root)
    elapsed = time.perf_counter() - started

    print(f"target: {', '.join(str(t) for t in targets)}")
    print(f"python files: {py_files}, lines: {py_lines}, files scanned (all kinds): {result.files_scanned}")
    print(f"wall time: {elapsed:.2f} s, {py_lines / elapsed:,.0f} lines/s, {1000 * elapsed / max(py_lines, 1) * 1000:.1f} ms per 1,000 lines")
    print(f"findings: {len(result.findings)}, errors: {len(result.errors)} "
          f"(internal: {sum(e.internal for e in result.errors)})")
    by_code: dict[str, int] = {}
    for finding in result.findings:
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    for code, count in sorted(by_code.items()):
        print(f"  {code}: {count}")
    for error in result.errors[:20]:
        print(f"  error: {error.path}: {error.message}")


if __name__ == "__main__":
    main(sys.argv[1:])
