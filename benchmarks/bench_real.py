"""Scan pinned real applications and measure precision finding by finding (not a test).

    python benchmarks/bench_real.py [run] [--dir DIR] [--projects review|held-out|all|NAME,...] [--all-rules]
    python benchmarks/bench_real.py compare [--dir DIR] [--all-rules]
    python benchmarks/bench_real.py sample --per-rule N --seed S --out PACKETS [--projects held-out] [--rules BP101,...]
    python benchmarks/bench_real.py import VERDICTS.jsonl [--ids PACKETS/batch-1.ids.json ...] [--replace]
    python benchmarks/bench_real.py figures [--dir DIR] [--write] [--date YYYY-MM-DD]
    python benchmarks/bench_real.py speed [--dir DIR] [--projects review] [--repeat N]

`run` downloads the sdists pinned in benchmarks/real_projects.txt into DIR/sdists (DIR defaults
to a reusable folder under the system temp dir; nothing is committed), extracts each into
DIR/src, scans each with the installed bplint (`bplint check --format json --no-cache
--exit-zero`, default rules, or every rule with --all-rules) and keeps the reports in
DIR/reports/NAME-VERSION.json (NAME-VERSION.all.json with --all-rules). It prints the
findings per rule per project and the scan time per project.

`compare` reads the kept reports and benchmarks/real_labels.jsonl (judged findings, keyed
by project, version, path, line and code) and prints, per rule, the judged findings still
reported, the judged ones no longer reported, the unjudged ones, and the precision
true / (true + false) over the judged findings still reported. Every judged-true finding
that is no longer reported is listed.

`speed` times, per project and in the same run: bandit -r, bplint cold (--no-cache) with the
default jobs and with --jobs 1, warm (cache filled, tree unchanged), and warm after a one-line
edit in a model module and in a view module; with the ratios to bandit, the peak memory of
the main process and of the largest worker, and what each phase touched (files indexed,
parsed by libcst, with positions resolved, served from the cache). It works on a copy of
each extracted tree.

`figures` reads the all-rule reports and the labels and prints, per rule, the precision on the
judged findings it still reports and on unseen applications (the sections of real_projects.txt
marked "[unseen]", and benchmarks/unseen_before.json for the first rounds); `--write` puts them
into the rule classes' Precision lines and moves each rule to the tier its lower figure gives.

`sample` writes blind review packets of unjudged findings (one Markdown file per batch and
a batch-K.ids.json mapping its ids to finding keys); `import` merges a reviewer's verdicts
back into real_labels.jsonl. benchmarks/README.md describes a review round and
benchmarks/REVIEW_RUBRIC.md is the rubric the reviewer gets.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS_FILE = HERE / "real_projects.txt"
LABELS_FILE = HERE / "real_labels.jsonl"
DEFAULT_DIR = Path(tempfile.gettempdir()) / "bplint-real"
VERDICTS = ("true", "false", "debatable")
GROUPS = ("review", "held-out")
DOWNLOAD_TIMEOUT = 1800
SCAN_TIMEOUT = 3600
# the packages a --no-build-isolation download needs to prepare an sdist's metadata
BUILD_PACKAGES = ["setuptools", "wheel", "tomli", "importlib_metadata"]
# the snippet around a finding in a review packet
LINES_BEFORE, LINES_AFTER, WHOLE_FILE_LINES = 30, 15, 80
BATCH_SIZE = 25
# marks a section of real_projects.txt whose first verdicts were given before any rule work saw it
UNSEEN_MARK = "[unseen]"
# per rule, (true, judged) of the first rounds' unseen verdicts that real_labels.jsonl no longer tells apart
UNSEEN_BEFORE_FILE = HERE / "unseen_before.json"
RULES_DIR = HERE.parent / "bplint" / "rules"


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    group: str
    # first judged blind before any rule work looked at it (its section's comment says "[unseen]")
    unseen: bool = False

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def slug(self) -> str:
        return f"{self.name}-{self.version}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the pinned list -------------------------------------------------------------------------

def read_projects(path: Path = PROJECTS_FILE) -> list[Project]:
    """`name==version` lines; a `## review` or `## held-out` line starts a group."""
    projects, group, unseen = [], "review", False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line.startswith("# added"):  # a section of projects added together
            unseen = UNSEEN_MARK in line
        if line.startswith("##"):
            unseen = False
            heading = line.lstrip("#").strip().lower()
            if heading not in GROUPS:
                raise SystemExit(f"{path}:{number}: unknown group {heading!r} (use one of {', '.join(GROUPS)})")
            group = heading
            continue
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise SystemExit(f"{path}:{number}: expected name==version, got {raw!r}")
        projects.append(Project(name.strip(), version.strip(), group, unseen))
    return projects


def choose_projects(selector: str, projects: list[Project]) -> list[Project]:
    if selector == "all":
        return projects
    if selector in GROUPS:
        return [p for p in projects if p.group == selector]
    wanted = {_normal(s) for s in selector.split(",") if s.strip()}
    chosen = [p for p in projects if _normal(p.name) in wanted or _normal(p.slug) in wanted]
    unknown = wanted - {_normal(p.name) for p in chosen} - {_normal(p.slug) for p in chosen}
    if unknown:
        raise SystemExit(f"not in the pinned list: {', '.join(sorted(unknown))}")
    return chosen


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


# --- download and extract --------------------------------------------------------------------

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")


def find_archive(sdists: Path, project: Project) -> Path | None:
    if not sdists.is_dir():
        return None
    for path in sorted(sdists.iterdir()):
        for suffix in ARCHIVE_SUFFIXES:
            if path.name.lower().endswith(suffix):
                stem = path.name[: -len(suffix)]
                name, _, version = stem.rpartition("-")
                if _normal(name) == _normal(project.name) and version == project.version:
                    return path
    return None


def _stub_bin(root: Path) -> Path:
    """A folder with an `npm` that does nothing but leave the built index page some builds check for.

    An sdist whose metadata step runs its front-end build (open-webui) then prepares without node.
    """
    folder = root / "stubbin"
    folder.mkdir(parents=True, exist_ok=True)
    npm = folder / "npm"
    npm.write_text("#!/bin/sh\nmkdir -p build && touch build/index.html\nexit 0\n", encoding="utf-8")
    npm.chmod(0o755)
    return folder


def _build_venv(root: Path) -> Path:
    """A small venv with the packages a download without build isolation needs; its python."""
    venv = root / "dlvenv"
    python = venv / "bin" / "python"
    marker = venv / ".bplint-ready"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=600)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *BUILD_PACKAGES], check=True,
                       capture_output=True, timeout=DOWNLOAD_TIMEOUT)
        marker.touch()
    return python


def download(root: Path, project: Project) -> tuple[Path | None, str]:
    """The project's sdist in root/sdists, downloaded when missing; (archive, problem)."""
    sdists = root / "sdists"
    found = find_archive(sdists, project)
    if found:
        return found, ""
    sdists.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PATH=f"{_stub_bin(root)}{os.pathsep}{os.environ.get('PATH', '')}")
    args = ["download", "--no-deps", "--no-binary", ":all:", project.spec, "-d", str(sdists)]
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    attempts = [("isolated", lambda: [sys.executable, "-m", "pip", *args]),
                ("no build isolation", lambda: [str(_build_venv(root)), "-m", "pip", *args, "--no-build-isolation"])]
    problem = ""
    for label, command in attempts:
        log(f"  downloading {project.spec} ({label})")
        log_file = logs / f"download-{project.slug}-{label.replace(' ', '-')}.log"
        try:
            with log_file.open("w", encoding="utf-8") as out:
                done = subprocess.run(command(), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                                      timeout=DOWNLOAD_TIMEOUT)
            failed = done.returncode != 0
            problem = f"pip download failed ({label}): {_last_error(log_file)} (see {log_file})" if failed else ""
        except (OSError, subprocess.SubprocessError) as exc:
            failed, problem = True, f"pip download failed ({label}): {exc}"
        found = find_archive(sdists, project)
        if found:
            return found, ""
        if not failed:
            problem = f"pip download left no sdist of {project.spec} in {sdists}"
    return None, problem


def _last_error(log_file: Path) -> str:
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (errors or lines or ["no output"])[-1].strip()[:300]


def extract(root: Path, project: Project, archive: Path) -> Path:
    """The sdist's root folder under root/src/NAME-VERSION, extracted once."""
    target = root / "src" / project.slug
    done = target / ".bplint-extracted"
    if not done.exists():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(target)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")
        done.touch()
    return extract_root(root, project)


def extract_root(root: Path, project: Project) -> Path | None:
    """The extracted sdist's root folder (its one top folder), or None when not extracted."""
    target = root / "src" / project.slug
    if not (target / ".bplint-extracted").exists():
        return None
    entries = [p for p in target.iterdir() if p.name != ".bplint-extracted"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target


# --- scan ------------------------------------------------------------------------------------

def bplint_command() -> list[str]:
    """The console script installed beside this python (never `python -m` with the scanned tree as cwd)."""
    beside = Path(sys.executable).parent / "bplint"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("bplint")
    if not found:
        raise SystemExit("bplint is not installed in this environment")
    return [found]


def report_path(root: Path, project: Project, all_rules: bool) -> Path:
    return root / "reports" / f"{project.slug}{'.all' if all_rules else ''}.json"


def scan(root: Path, project: Project, source: Path, all_rules: bool) -> dict:
    """Scan the sdist; the kept report's summary, or {"problem": ...}."""
    out = report_path(root, project, all_rules)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [*bplint_command(), "check", ".", "--format", "json", "--no-cache", "--exit-zero",
               "--output", str(out)]
    if all_rules:
        command += ["--select", "ALL", "--preview"]
    started, cpu_before = time.perf_counter(), _children_cpu()
    try:
        done = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=SCAN_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"problem": f"scan failed: {exc}"}
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"problem": f"scan exited {done.returncode} without a report ({exc}): {' | '.join(tail)}"}
    meta = {"project": project.name, "version": project.version, "group": project.group, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "exit_code": done.returncode, "bplint": data.get("version"), "all_rules": all_rules,
            "files_scanned": data.get("summary", {}).get("files_scanned"), "findings": len(data.get("findings", [])),
            "errors": len(data.get("errors", [])), "stderr": done.stderr.strip().splitlines()[-5:]}
    out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _children_cpu() -> float:
    """User and system time of the finished child processes (the scan's workers too): less noisy than
    wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cmd_run(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    projects = choose_projects(args.projects, read_projects(Path(args.list)))
    results: dict[Project, dict] = {}
    for project in projects:
        log(f"{project.spec} [{project.group}]")
        try:
            archive, problem = download(root, project)
            if archive is None:
                results[project] = {"problem": problem}
                log(f"  skipped: {problem}")
                continue
            source = extract(root, project, archive)
        except (OSError, tarfile.TarError, zipfile.BadZipFile, subprocess.SubprocessError) as exc:
            results[project] = {"problem": f"download or extraction failed: {exc}"}
            log(f"  skipped: {results[project]['problem']}")
            continue
        log(f"  scanning {source}")
        results[project] = scan(root, project, source, args.all_rules)
        if "problem" in results[project]:
            log(f"  skipped: {results[project]['problem']}")
        else:
            log(f"  {results[project]['findings']} findings in {results[project]['seconds']:.1f} s")
    for group in GROUPS:
        chosen = [p for p in projects if p.group == group and "problem" not in results.get(p, {"problem": ""})]
        if chosen:
            print(f"\n## {group} list{' (all rules)' if args.all_rules else ''}\n")
            print_counts(root, chosen, args.all_rules)
    print("\n## scan times\n")
    print(f"{'project':<28} {'group':<9} {'files':>7} {'findings':>9} {'errors':>7} {'seconds':>8} {'cpu s':>8}")
    for project in projects:
        meta = results.get(project, {})
        if "problem" in meta:
            print(f"{project.slug:<28} {project.group:<9} skipped: {meta['problem']}")
        else:
            print(f"{project.slug:<28} {project.group:<9} {meta['files_scanned'] or 0:>7} {meta['findings']:>9} "
                  f"{meta['errors']:>7} {meta['seconds']:>8.1f} {meta['cpu_seconds']:>8.1f}")
    return 1 if any("problem" in meta for meta in results.values()) else 0


def print_counts(root: Path, projects: list[Project], all_rules: bool) -> None:
    counts: dict[str, Counter] = {}
    for project in projects:
        report = load_report(root, project, all_rules)
        counts[project.slug] = Counter(f["code"] for f in report["findings"]) if report else Counter()
    codes = sorted(set().union(*counts.values()))
    names = [p.slug for p in projects]
    widths = [max(len(n), 5) for n in names]
    print("| rule | " + " | ".join(names) + " | total |")
    print("|---|" + "|".join("---:" for _ in names) + "|---:|")
    for code in codes:
        row = [counts[n][code] for n in names]
        print(f"| {code} | " + " | ".join(f"{c:>{w}}" for c, w in zip(row, widths)) + f" | {sum(row)} |")
    totals = [sum(counts[n].values()) for n in names]
    print("| **all** | " + " | ".join(f"{c:>{w}}" for c, w in zip(totals, widths)) + f" | {sum(totals)} |")


# --- reports, keys and labels ----------------------------------------------------------------

def load_report(root: Path, project: Project, all_rules: bool) -> dict | None:
    try:
        return json.loads(report_path(root, project, all_rules).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def finding_key(project: Project, finding: dict) -> tuple:
    return (project.name, project.version, finding["path"], int(finding["line"]), finding["code"])


def label_key(label: dict) -> tuple:
    return (label["project"], label["version"], label["path"], int(label["line"]), label["code"])


def reported(root: Path, projects: list[Project], all_rules: bool) -> tuple[dict[tuple, dict], list[Project]]:
    """Findings by key across the projects whose report exists, and the projects without one."""
    findings: dict[tuple, dict] = {}
    missing = []
    for project in projects:
        report = load_report(root, project, all_rules)
        if report is None:
            missing.append(project)
            continue
        for finding in report["findings"]:
            findings.setdefault(finding_key(project, finding), finding)
    return findings, missing


def read_labels(path: Path = LABELS_FILE) -> dict[tuple, dict]:
    labels: dict[tuple, dict] = {}
    if not path.exists():
        return labels
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            label = json.loads(raw)
            key = label_key(label)
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: not a label line ({exc})")
        if label.get("verdict") not in VERDICTS:
            raise SystemExit(f"{path}:{number}: verdict must be one of {', '.join(VERDICTS)}")
        labels[key] = label
    return labels


def write_labels(labels: dict[tuple, dict], path: Path = LABELS_FILE) -> None:
    fields = ("project", "version", "path", "line", "code", "verdict", "why", "message")
    lines = [json.dumps({f: labels[k].get(f, "") for f in fields}, ensure_ascii=False) for k in sorted(labels)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def rule_catalog() -> dict[str, dict]:
    """code -> {"name", "opt_in", "summary"} from the installed bplint."""
    done = subprocess.run([*bplint_command(), "rules", "--format", "json"], capture_output=True, text=True,
                          timeout=120, check=True)
    return {r["code"]: r for r in json.loads(done.stdout)["rules"]}


# --- compare ---------------------------------------------------------------------------------

def cmd_compare(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    projects = read_projects(Path(args.list))
    labels = read_labels(Path(args.labels))
    catalog = rule_catalog()
    lost_true = []
    for group in GROUPS:
        chosen = [p for p in choose_projects(args.projects, projects) if p.group == group]
        if not chosen:
            continue
        findings, missing = reported(root, chosen, args.all_rules)
        for project in missing:
            log(f"no report for {project.slug}: run `bench_real.py run --dir {root}` first; its labels are not counted")
        present = {(p.name, p.version) for p in chosen if p not in missing}
        judged = {k: v for k, v in labels.items() if k[:2] in present}
        if not findings and not judged:
            continue
        rows: dict[str, Counter] = defaultdict(Counter)
        for key, finding in findings.items():
            label = judged.get(key)
            rows[key[4]][label["verdict"] if label else "added"] += 1
        for key, label in judged.items():
            if key not in findings:
                rows[key[4]]["removed"] += 1
                rows[key[4]][f"removed-{label['verdict']}"] += 1
                if label["verdict"] == "true":
                    lost_true.append(label)
        print(f"\n## {group} list ({len(present)} projects, {len(judged)} judged findings)\n")
        print("| rule | true | false | debatable | precision (n) | removed (t/f/d) | unjudged |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        overall = Counter()
        for code in sorted(rows):
            row = rows[code]
            opt_in = catalog.get(code, {}).get("opt_in", False)
            preview = catalog.get(code, {}).get("tier") == "preview"
            if not opt_in and not preview:  # the rules a scan runs when nothing is selected
                overall.update({k: row[k] for k in ("true", "false", "debatable")})
            removed = (f"{row['removed']} ({row['removed-true']}/{row['removed-false']}/{row['removed-debatable']})"
                       if row["removed"] else "0")
            print(f"| {code}{' (opt-in)' if opt_in else ''}{' (preview)' if preview else ''} | {row['true']} | {row['false']} | {row['debatable']} | "
                  f"{_precision(row)} | {removed} | {row['added']} |")
        print(f"| **default rules** | {overall['true']} | {overall['false']} | {overall['debatable']} | "
              f"{_precision(overall)} | | |")
    if lost_true:
        print(f"\n## LOST: {len(lost_true)} judged-true finding(s) no longer reported\n")
        for label in sorted(lost_true, key=label_key):
            print(f"- {label['project']}-{label['version']} {label['path']}:{label['line']} {label['code']}: "
                  f"{label.get('message', '')} (why true: {label.get('why', '')})")
    else:
        print("\nNo judged-true finding was lost.")
    return 1 if lost_true else 0


def _precision(row: Counter) -> str:
    n = row["true"] + row["false"]
    return f"{row['true'] / n:.0%} ({n})" if n else "- (0)"


# --- sample ----------------------------------------------------------------------------------

def rule_whats() -> dict[str, str]:
    """code -> the "What it does" section of its docs page, from one `bplint rules --docs`."""
    whats = {}
    with tempfile.TemporaryDirectory() as folder:
        try:
            subprocess.run([*bplint_command(), "rules", "--docs", folder], capture_output=True, timeout=300, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"no rule docs: {exc}")
            return whats
        for page in Path(folder).glob("BP*.md"):
            match = re.search(r"^## What it does\n(.*?)(?=^## |\Z)", page.read_text(encoding="utf-8"), re.S | re.M)
            if match:
                whats[page.stem] = match.group(1).strip()
    return whats


def snippet(source: Path, rel_path: str, line: int) -> tuple[str, str]:
    """(language, numbered text) of the code around the line, the line marked with `>>`."""
    path = source / rel_path
    if not path.is_file():
        return "text", f"(no file at {rel_path}: a finding about the project or a folder)"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        return "text", f"(cannot read {rel_path}: {exc.strerror})"
    python = path.suffix in (".py", ".pyi")
    if not python and len(lines) <= WHOLE_FILE_LINES:
        first, last = 1, len(lines)
    else:
        first, last = max(1, line - LINES_BEFORE), min(len(lines), line + LINES_AFTER)
    width = len(str(last))
    body = [f"{'>>' if n == line else '  '} {n:>{width}}  {lines[n - 1]}" for n in range(first, last + 1)]
    if not body:
        body = ["(empty file)"]
    language = "python" if python else {".toml": "toml", ".cfg": "ini", ".ini": "ini", ".txt": "text",
                                        ".yml": "yaml", ".yaml": "yaml", ".json": "json"}.get(path.suffix, "text")
    return language, "\n".join(body)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def cmd_sample(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    out = Path(args.out)
    projects = choose_projects(args.projects, read_projects(Path(args.list)))
    labels = read_labels(Path(args.labels))
    wanted_rules = {c.strip().upper() for c in args.rules.split(",")} if args.rules else None
    by_rule: dict[str, list[tuple[Project, dict]]] = defaultdict(list)
    for project in projects:
        report = load_report(root, project, args.all_rules)
        if report is None:
            log(f"no report for {project.slug}: skipped (run `bench_real.py run --dir {root}` first)")
            continue
        seen = set()
        for finding in report["findings"]:
            key = finding_key(project, finding)
            if key in labels or key in seen or (wanted_rules and finding["code"] not in wanted_rules):
                continue
            seen.add(key)
            by_rule[finding["code"]].append((project, finding))
    rng = random.Random(args.seed)
    picked = []
    for code in sorted(by_rule):
        pool = sorted(by_rule[code], key=lambda pf: finding_key(*pf))
        picked += rng.sample(pool, min(args.per_rule, len(pool)))
    rng.shuffle(picked)
    if not picked:
        log("nothing to sample: every finding of the chosen projects and rules is judged")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    catalog = rule_catalog()
    whats = rule_whats()
    batches = [picked[i:i + args.batch_size] for i in range(0, len(picked), args.batch_size)]
    for number, batch in enumerate(batches, 1):
        ids, parts = {}, [f"# Review batch {number} of {len(batches)}", "",
                          "Judge each finding with the rubric you were given: `true`, `false` or `debatable`, "
                          "with one sentence why. Answer one JSON line per finding: "
                          '`{"id": "...", "verdict": "...", "why": "..."}`.', ""]
        for index, (project, finding) in enumerate(batch, 1):
            finding_id = f"b{number}-{index:02d}"
            key = finding_key(project, finding)
            ids[finding_id] = {"project": key[0], "version": key[1], "path": key[2], "line": key[3], "code": key[4],
                               "message": finding.get("message", "")}
            source = extract_root(root, project)
            language, text = snippet(source, finding["path"], int(finding["line"])) if source else \
                ("text", "(the sdist is not extracted)")
            fence = _fence(text)
            name = catalog.get(finding["code"], {}).get("name", finding.get("name", ""))
            parts += [f"## {finding_id}", "",
                      f"- project: {project.name} {project.version}",
                      f"- file: `{finding['path']}` line {finding['line']}",
                      f"- rule: {finding['code']} {name}",
                      f"- message: {finding.get('message', '')}", "",
                      "What the rule checks:", "", whats.get(finding["code"], "(no docs)"), "",
                      f"{fence}{language}", text, fence, ""]
        (out / f"batch-{number}.md").write_text("\n".join(parts), encoding="utf-8")
        (out / f"batch-{number}.ids.json").write_text(json.dumps(ids, indent=2) + "\n", encoding="utf-8")
    counts = Counter(f["code"] for _, f in picked)
    print(f"wrote {len(batches)} batch(es), {len(picked)} findings, to {out}: "
          + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())))
    return 0


# --- import ----------------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace) -> int:
    verdicts_path = Path(args.verdicts)
    id_files = [Path(p) for p in args.ids] if args.ids else sorted(verdicts_path.parent.glob("batch-*.ids.json"))
    if not id_files:
        raise SystemExit(f"no batch-*.ids.json beside {verdicts_path}: name them with --ids")
    keys: dict[str, dict] = {}
    for id_file in id_files:
        for finding_id, entry in json.loads(id_file.read_text(encoding="utf-8")).items():
            if finding_id in keys and keys[finding_id] != entry:
                raise SystemExit(f"id {finding_id} means two findings in {', '.join(map(str, id_files))}: "
                                 "import one sample's ids at a time")
            keys[finding_id] = entry
    labels = read_labels(Path(args.labels))
    added = replaced = kept = 0
    problems = []
    for number, raw in enumerate(verdicts_path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            answer = json.loads(raw)
            finding_id = str(answer["id"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"{verdicts_path}:{number}: not a verdict line")
            continue
        verdict = answer.get("verdict")
        verdict = {True: "true", False: "false"}.get(verdict, verdict)
        verdict = verdict.strip().lower() if isinstance(verdict, str) else verdict
        if verdict not in VERDICTS:
            problems.append(f"{verdicts_path}:{number}: verdict of {finding_id} must be one of {', '.join(VERDICTS)}")
            continue
        if finding_id not in keys:
            problems.append(f"{verdicts_path}:{number}: unknown id {finding_id}")
            continue
        label = dict(keys[finding_id], verdict=verdict, why=str(answer.get("why", "")).strip())
        key = label_key(label)
        if key in labels:
            if not args.replace:
                if labels[key]["verdict"] != verdict:
                    problems.append(f"{finding_id}: already judged {labels[key]['verdict']}, now {verdict}; "
                                    "kept the old verdict (--replace takes the new one)")
                kept += 1
                continue
            replaced += 1
        else:
            added += 1
        labels[key] = label
    write_labels(labels, Path(args.labels))
    for problem in problems:
        log(problem)
    print(f"{added} added, {replaced} replaced, {kept} already judged; {len(labels)} labels in {args.labels}")
    return 1 if problems else 0


# --- speed -----------------------------------------------------------------------------------

SPEED_RUNS = [("cold", "bplint cold, default jobs"), ("cold1", "bplint cold, --jobs 1"),
              ("warm", "bplint warm (unchanged tree)"), ("model", "bplint warm, a model module edited"),
              ("view", "bplint warm, a view module edited")]
MODEL_HINTS = re.compile(r"^class \w+\((?:[\w.]*Model|Base|db\.Model|models\.Model)\b", re.M)
VIEW_HINTS = re.compile(r"@\w+(?:\.\w+)*\.(?:route|get|post|api_route)\(|def \w+\(request\b|\(View\)|APIView\)|"
                        r"\(\w*ViewSet\)", re.M)


def _edit_target(tree: Path, pattern: re.Pattern, skip: set[Path]) -> Path | None:
    """The application module with the most matches of ``pattern`` (tests and migrations aside)."""
    best, size = None, -1
    for path in sorted(tree.rglob("*.py")):
        parts = {part.lower() for part in path.relative_to(tree).parts}
        if path in skip or parts & {"tests", "test", "migrations", "alembic", "versions", "node_modules"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        matches = len(pattern.findall(text))
        if matches and matches > size:
            best, size = path, matches
    return best


def _bplint_timed(args: list[str], cwd: Path) -> dict:
    """One bplint run with --statistics --format json: wall time, peak memory, what each phase did."""
    from bench_django import RUNNER, timed

    seconds, out, err = timed([sys.executable, "-c", RUNNER, "check", "--statistics", "--format", "json",
                               "--exit-zero", *args, "."], cwd)
    own = kids = 0
    for line in err.splitlines():
        if line.startswith("MAXRSS"):
            own, kids = (int(x) // 1024 for x in line.split()[1:])
    try:
        data = json.loads(out)
    except ValueError:
        data = {}
    return {"seconds": round(seconds, 2), "main_mb": own, "worker_mb": kids, "work": data.get("work", {}),
            "findings": data.get("summary", {}).get("findings")}


def speed_of(source: Path, repeat: int) -> dict:
    """The timings of one project, on a copy of its tree."""
    from bench_django import ensure_bandit, timed

    work = Path(tempfile.mkdtemp(prefix="bplint-speed-"))
    tree = work / "tree"
    try:
        shutil.copytree(source, tree, symlinks=True)
        cache = str(work / "cache")

        def best(func):
            return min((func() for _ in range(repeat)), key=lambda r: r["seconds"])

        bandit = ensure_bandit()
        figures = {"bandit": best(lambda: {"seconds": round(timed([bandit, "-r", ".", "-q", "-f", "json", "-o",
                                                                   os.devnull], tree)[0], 2)})}
        figures["cold"] = best(lambda: _bplint_timed(["--no-cache"], tree))
        figures["cold1"] = best(lambda: _bplint_timed(["--no-cache", "--jobs", "1"], tree))
        _bplint_timed(["--cache-dir", cache], tree)  # fill the cache
        figures["warm"] = best(lambda: _bplint_timed(["--cache-dir", cache], tree))
        model = _edit_target(tree, MODEL_HINTS, set())
        view = _edit_target(tree, VIEW_HINTS, {model} if model else set())
        for key, target in (("model", model), ("view", view)):
            if target is None:
                continue

            def edited(target=target):
                # one line that changes the module's facts (a new name), not only its text
                with target.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n_bench_edit_{time.time_ns()} = 1\n")
                return _bplint_timed(["--cache-dir", cache], tree)

            figures[key] = dict(best(edited), file=str(target.relative_to(tree)))
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cmd_speed(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(HERE))
    root = Path(args.dir).resolve()
    projects = choose_projects(args.projects, read_projects(Path(args.list)))
    results: dict[str, dict] = {}
    for project in projects:
        source = extract_root(root, project)
        if source is None:
            log(f"{project.slug}: not extracted; run `bench_real.py run --dir {root} --projects {project.name}` first")
            continue
        log(f"timing {project.spec}")
        results[project.slug] = speed_of(source, args.repeat)
    (root / "speed.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}; best of {args.repeat}; wall seconds, "
          f"ratio to bandit -r in brackets\n")
    header = ["project", "bandit", *(key for key, _ in SPEED_RUNS), "peak MB main/worker", "indexed",
              "libcst", "positions"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    totals: Counter = Counter()
    for slug, figures in results.items():
        bandit = figures["bandit"]["seconds"] or 1e-9
        cells = [slug, f"{bandit:.1f}"]
        for key, _ in SPEED_RUNS:
            run = figures.get(key)
            cells.append(f"{run['seconds']:.2f} ({run['seconds'] / bandit:.2f}x)" if run else "-")
            if run:
                totals[key] += run["seconds"]
        totals["bandit"] += bandit
        peak = max((figures[k] for k in ("cold", "cold1")), key=lambda r: r["main_mb"])
        work = figures["cold"]["work"]
        cells += [f"{peak['main_mb']}/{figures['cold']['worker_mb']}", str(work.get("indexed", "?")),
                  str(work.get("libcst_parsed", "?")), str(work.get("positions_resolved", "?"))]
        print("| " + " | ".join(cells) + " |")
    if totals["bandit"]:
        print("| **all** | " + f"{totals['bandit']:.1f} | " + " | ".join(
            f"{totals[key]:.2f} ({totals[key] / totals['bandit']:.2f}x)" for key, _ in SPEED_RUNS) + " | | | | |")
    print("\nedited files: " + "; ".join(f"{slug}: model {f.get('model', {}).get('file', '-')}, "
                                         f"view {f.get('view', {}).get('file', '-')}" for slug, f in results.items()))
    return 0


# --- figures ---------------------------------------------------------------------------------

PRECISION_LINE = re.compile(r"^(?P<indent>\s+)precision = Precision\((?P<args>.*)\)\s*$")
PREVIEW_LINE = re.compile(r"^\s+preview = (True|False)\s*$")


@dataclass
class Figure:
    """A rule's verdict counts: on the judged findings it still reports, and on the first verdicts of
    applications no rule work had seen (``unseen``); ``precision`` makes bplint's own figure of them."""

    code: str
    true: int = 0
    false: int = 0
    debatable: int = 0
    unseen_true: int = 0
    unseen_judged: int = 0

    @property
    def judged(self) -> int:
        return self.true + self.false

    def precision(self, reviewed: str):
        from bplint.rule import Precision

        return Precision(self.true, self.judged, reviewed, debatable=self.debatable,
                         unseen=(self.unseen_true, self.unseen_judged) if self.unseen_judged else None)


def precision_source(precision) -> str:
    """The `Precision(...)` expression a rule class writes for a figure."""
    text = f"Precision({precision.true}, {precision.judged}, \"{precision.reviewed}\""
    if precision.debatable:
        text += f", debatable={precision.debatable}"
    if precision.unseen:
        text += f", unseen=({precision.unseen[0]}, {precision.unseen[1]})"
    return text + ")"


def figures(root: Path, projects: list[Project], labels: dict[tuple, dict]) -> dict[str, Figure]:
    """Per rule code, from the all-rule reports of the projects and the labels."""
    findings, missing = reported(root, projects, True)
    if missing:
        raise SystemExit(f"no all-rule report for {', '.join(p.slug for p in missing)}: "
                         f"run `bench_real.py run --dir {root} --all-rules` first")
    result: dict[str, Figure] = {}

    def figure(code: str) -> Figure:
        return result.setdefault(code, Figure(code))

    for key in findings:
        label = labels.get(key)
        if label is not None:
            entry = figure(key[4])
            setattr(entry, label["verdict"], getattr(entry, label["verdict"]) + 1)
    unseen = {(p.name, p.version) for p in projects if p.unseen}
    for key, label in labels.items():
        if key[:2] in unseen and label["verdict"] != "debatable":
            entry = figure(key[4])
            entry.unseen_judged += 1
            entry.unseen_true += label["verdict"] == "true"
    if UNSEEN_BEFORE_FILE.exists():
        for code, (true, judged) in json.loads(UNSEEN_BEFORE_FILE.read_text(encoding="utf-8"))["rules"].items():
            entry = figure(code)
            entry.unseen_true += true
            entry.unseen_judged += judged
    return result


def rule_sources() -> dict[str, tuple[Path, int, int | None]]:
    """code -> (module, line of its precision, line of its preview flag or None), 0-based lines."""
    found = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            match = re.match(r'^\s+code = "(BP\d+)"\s*$', line)
            if not match:
                continue
            precision = preview = None
            for later in range(number + 1, min(len(lines), number + 12)):
                if re.match(r'^\s+code = "', lines[later]) or lines[later].startswith("class "):
                    break
                if PRECISION_LINE.match(lines[later]):
                    precision = later
                elif PREVIEW_LINE.match(lines[later]):
                    preview = later
            if precision is not None:
                found[match.group(1)] = (path, precision, preview)
    return found


def cmd_figures(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    projects = choose_projects(args.projects, read_projects(Path(args.list)))
    result = figures(root, projects, read_labels(Path(args.labels)))
    catalog = rule_catalog()
    sources = rule_sources()
    from bplint.rule import PREVIEW_BELOW
    print("| rule | tier | still reported: true / judged (debatable) | unseen: true / judged | tier by figures |")
    print("|---|---|---:|---:|---|")
    changes: dict[Path, dict[int, str]] = defaultdict(dict)
    for code in sorted(catalog):
        entry = result.get(code, Figure(code))
        tier = catalog[code].get("tier", "stable")
        if code not in sources:
            print(f"| {code} | {tier} | {entry.true} / {entry.judged} ({entry.debatable}) | "
                  f"{entry.unseen_true} / {entry.unseen_judged} | no figure in its rule class |")
            continue
        wanted = "preview" if entry.precision("").tier_value < PREVIEW_BELOW else "stable"
        print(f"| {code} | {tier} | {entry.true} / {entry.judged} ({entry.debatable}) | "
              f"{entry.unseen_true} / {entry.unseen_judged} | {wanted}{'' if wanted == tier else '  <- changes'} |")
        path, precision_line, preview_line = sources[code]
        lines = path.read_text(encoding="utf-8").splitlines()
        match = PRECISION_LINE.match(lines[precision_line])
        old_args = match.group("args")
        reviewed = re.search(r'"([^"]*)"', old_args).group(1)
        if precision_source(entry.precision(reviewed)) != f"Precision({old_args})":  # new figures: today's date
            changes[path][precision_line] = (f"{match.group('indent')}precision = "
                                             f"{precision_source(entry.precision(args.date))}")
        if wanted != tier:
            if wanted == "preview":
                changes[path][precision_line] = (changes[path].get(precision_line, lines[precision_line])
                                                 + f"\n{match.group('indent')}preview = True")
            elif preview_line is not None:
                changes[path][preview_line] = None
    if args.write:
        for path, edits in changes.items():
            lines = path.read_text(encoding="utf-8").splitlines()
            out = [edits.get(n, line) if n in edits else line for n, line in enumerate(lines)]
            path.write_text("".join(line + "\n" for line in out if line is not None), encoding="utf-8")
        log(f"wrote {sum(len(e) for e in changes.values())} line(s) in {len(changes)} rule module(s)")
    elif changes:
        log(f"{sum(len(e) for e in changes.values())} line(s) differ from the rule classes: --write updates them")
    return 0


# --- command line ----------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")

    def labels_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--labels", default=str(LABELS_FILE), help="the judged findings (default %(default)s)")

    def common(p: argparse.ArgumentParser, projects_default: str) -> None:
        p.add_argument("--dir", default=str(DEFAULT_DIR), help=f"working folder (default {DEFAULT_DIR})")
        p.add_argument("--projects", default=projects_default,
                       help="review, held-out, all, or comma-separated names from real_projects.txt")
        p.add_argument("--list", default=str(PROJECTS_FILE), help="the pinned projects (default %(default)s)")
        p.add_argument("--all-rules", action="store_true", help="every rule, opt-in and preview ones too (--select ALL --preview)")

    run = sub.add_parser("run", help="download, extract, scan; print findings per rule and scan times")
    common(run, "all")
    compare = sub.add_parser("compare", help="reports against the judged findings: precision per rule")
    common(compare, "all")
    labels_option(compare)
    sample = sub.add_parser("sample", help="write blind review packets of unjudged findings")
    common(sample, "review")
    labels_option(sample)
    sample.add_argument("--per-rule", type=int, required=True, help="at most this many findings per rule")
    sample.add_argument("--seed", type=int, required=True)
    sample.add_argument("--out", required=True, help="folder for batch-K.md and batch-K.ids.json")
    sample.add_argument("--rules", help="only these comma-separated rule codes")
    sample.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    imp = sub.add_parser("import", help="merge a reviewer's verdicts into real_labels.jsonl")
    imp.add_argument("verdicts", help="JSON lines of {id, verdict, why}")
    imp.add_argument("--ids", action="append", help="the batch's ids file (default: every batch-*.ids.json "
                                                    "beside the verdicts file)")
    labels_option(imp)
    imp.add_argument("--replace", action="store_true", help="a new verdict replaces an existing label")

    figures_parser = sub.add_parser("figures", help="per-rule precision from the reports and labels; --write "
                                                    "puts it and the tier into the rule classes")
    common(figures_parser, "all")
    labels_option(figures_parser)
    figures_parser.add_argument("--write", action="store_true", help="edit each rule's precision and preview lines")
    figures_parser.add_argument("--date", default=time.strftime("%Y-%m-%d"), help="the review date of changed figures")

    speed = sub.add_parser("speed", help="time bplint (cold, warm, after an edit) against bandit, per project")
    common(speed, "review")
    speed.add_argument("--repeat", type=int, default=1, help="take the best of N runs for each figure")

    if not argv or (argv[0] not in ("run", "compare", "sample", "import", "figures", "speed", "-h", "--help")):
        argv = ["run", *argv]
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "compare": cmd_compare, "sample": cmd_sample, "import": cmd_import,
                "figures": cmd_figures, "speed": cmd_speed}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
