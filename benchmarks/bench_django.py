"""Benchmark bplint against bandit on Django 5.2.8's `django/` package (not a test).

    python benchmarks/bench_django.py [--repeat N]

Downloads Django's sdist into a temp folder if needed, installs bandit into
the current environment if it is missing, then times in one run:
bandit; bplint cold (--no-cache) with the default jobs and with --jobs 1;
bplint warm (cache filled, unchanged tree); bplint after one file changed (a comment
edited in db/models/base.py, and a function added to utils/text.py).
Prints wall times, ratios to bandit and peak memory (the main process, and
the largest worker; workers are forked and share most of their memory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import count_lines, fetch_django  # noqa: E402

# Runs bplint as its console script does (main(), which leaves through
# os._exit), and reports peak memory on the way out.
RUNNER = r"""
import os, resource, sys
leave, main_pid = os._exit, os.getpid()

def report_and_leave(code):
    if os.getpid() != main_pid:  # a forked worker leaving
        leave(code)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"MAXRSS {own} {kids}", file=sys.stderr)
    sys.stderr.flush()
    leave(code)

os._exit = report_and_leave
from bplint.cli import main
main()
"""


# Both tools run as installed tools do: with bytecode caches allowed.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> tuple[float, str, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV)
    return time.perf_counter() - started, done.stdout, done.stderr


def bplint(args: list[str], cwd: Path) -> tuple[float, int, int, str]:
    seconds, out, err = timed([sys.executable, "-c", RUNNER, "check", "--quiet", "--statistics", *args], cwd)
    own = kids = 0
    for line in err.splitlines():
        if line.startswith("MAXRSS"):
            own, kids = (int(x) for x in line.split()[1:])
    return seconds, own // 1024, kids // 1024, out


def ensure_bandit() -> str:
    """bandit's console script beside this python (installed there when missing), else on PATH."""
    beside = Path(sys.executable).parent / "bandit"
    if not beside.exists() and shutil.which("bandit") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "bandit"], check=True)
    return str(beside) if beside.exists() else shutil.which("bandit") or "bandit"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N runs for each figure")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "bplint-bench"
    sdist = fetch_django(cache)
    work = Path(tempfile.mkdtemp(prefix="bplint-django-"))
    target = work / "django"
    shutil.copytree(sdist / "django", target)
    files, lines = count_lines([target])
    bandit = ensure_bandit()
    cache_dir = work / "cache"

    def best(func):
        return min((func() for _ in range(args.repeat)), key=lambda r: r[0])

    bandit_s = best(lambda: timed([bandit, "-r", "django", "-q", "-f", "json", "-o", os.devnull], work))[0]
    cold = best(lambda: bplint(["--no-cache", "django"], work))
    cold1 = best(lambda: bplint(["--no-cache", "--jobs", "1", "django"], work))
    bplint(["--cache-dir", str(cache_dir), "django"], work)  # fill the cache
    warm = best(lambda: bplint(["--cache-dir", str(cache_dir), "django"], work))
    touched = target / "db" / "models" / "base.py"

    def after_edit():
        with touched.open("a") as handle:
            handle.write(f"\n# edited {time.time()}\n")
        return bplint(["--cache-dir", str(cache_dir), "django"], work)

    edited = best(after_edit)
    helper = target / "utils" / "text.py"

    def after_new_function():
        # changes the module's facts (a new definition), unlike a comment
        with helper.open("a") as handle:
            handle.write(f"\n\ndef _bench_{time.time_ns()}():\n    return 1\n")
        return bplint(["--cache-dir", str(cache_dir), "django"], work)

    added = best(after_new_function)
    print(f"Django 5.2.8 django/: {files} Python files, {lines:,} lines; {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"{'run':<34}{'wall s':>8}{'x bandit':>10}{'main MB':>9}{'worker MB':>11}")
    print(f"{'bandit -r':<34}{bandit_s:>8.2f}{1:>10.2f}")
    for name, (seconds, own, kids, _) in [("bplint cold, default jobs", cold), ("bplint cold, --jobs 1", cold1),
                                          ("bplint warm (unchanged tree)", warm),
                                          ("bplint warm, a comment edited", edited),
                                          ("bplint warm, a function added", added)]:
        print(f"{name:<34}{seconds:>8.2f}{seconds / bandit_s:>10.2f}{own:>9}{kids:>11}")
    print("\nfindings (cold run):")
    print(cold[3].rstrip())
    # the same findings whatever the jobs and the cache state (on the edited tree)
    reports = {}
    for name, args in [("--jobs 1", ["--no-cache", "--jobs", "1"]), ("--jobs 2", ["--no-cache", "--jobs", "2"]),
                       ("per-file cache", ["--cache-dir", str(cache_dir)]),
                       ("last scan", ["--cache-dir", str(cache_dir)])]:
        if name == "per-file cache":  # served from the per-file entries, not the last scan's result
            (cache_dir / "last-scan.cache").unlink(missing_ok=True)
        command = [sys.executable, "-m", "bplint", "check", "--format", "json", *args, "django"]
        reports[name] = timed(command, work)[1]
    same = len(set(reports.values())) == 1
    print(f"\nJSON reports identical for --jobs 1, --jobs 2, the per-file cache and the last scan: {'yes' if same else 'NO'}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
