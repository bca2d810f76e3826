"""The command line: `bplint check`, `bplint rules`, `bplint explain`.

Exit codes: 0 no failing findings, 1 failing findings, 2 usage, configuration
or internal error.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

import click

from bplint import __version__
from bplint.config import ConfigError, read_settings
from bplint.report.findings import ScanResult, Severity, displayable, printable
from bplint.report.reporters import FORMATS, ReportOptions, get_reporter
from bplint.report.sources import SourceLines
from bplint.scan.registry import RegistryError, all_rules, find_rule, tier

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# the formats that --statistics can print (the others are one entry per finding by definition)
STATISTICS_FORMATS = ("text", "json")
# the formats whose paths are relative to the repository's top, whatever the working directory (the text
# and JSON reports' are relative to the working directory)
ROOT_RELATIVE_FORMATS = ("sarif", "github", "gitlab")


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="bplint")
def cli() -> None:
    """bplint: best-practice linter and security auditor for Python web backends."""


def scan_options(func):
    """The options that choose what a scan checks, shared by `check` and `baseline`."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable (comma-separated); "
                                                     "replaces the configured selection."),
        click.option("--extend-select", multiple=True, help="Rule codes, prefixes or names to enable on top of "
                                                            "the selection."),
        click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable (comma-separated)."),
        click.option("--preview/--no-preview", default=None,
                     help="Turn on (or off) the rules of the preview tier, which are not yet precise enough on real "
                          "code to be on by default."),
        click.option("--exclude", multiple=True, help="Path patterns (gitignore syntax) to skip, on top of the "
                                                      "configured ones."),
        click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="Read the configuration of every file from this file (a pyproject.toml, a bplint.toml, or "
                          "any file with a [tool.bplint] table) instead of the nearest ones; the project root stays "
                          "where it is."),
        click.option("--project-root", type=click.Path(path_type=Path, file_okay=False, exists=True),
                     help="The project's top folder (default: the folder of the nearest configuration file above the "
                          "paths, else the nearest folder that looks like a project's top). SARIF, GitHub and "
                          "GitLab reports give paths relative to it (default: the git repository's top level)."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Worker processes for the per-file pass (default: the number of CPUs; 1 runs in-process)."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the cache."),
        click.option("--cache-dir", type=click.Path(path_type=Path),
                     help="Where to keep the cache (default: .bplint_cache at the project root, or BPLINT_CACHE_DIR)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass
class ScanOutcome:
    result: ScanResult
    enabled: frozenset[str]  # the codes the scan ran
    fail_on: Severity
    root: Path | None = None  # the project root: `--fix` writes no file outside it


def _overrides(select, extend_select, ignore, preview, exclude, fail_on, default_fail_on) -> dict:
    """The command line's settings, which hold over every file's configuration."""
    overrides: dict = {}
    if select:
        overrides["select"] = _split(select)
    if extend_select:
        overrides["extend-select"] = _split(extend_select)
    if ignore:
        overrides["extend-ignore"] = _split(ignore)
    if preview is not None:
        overrides["preview"] = preview
    if exclude:
        overrides["extend-exclude-cli"] = _split(exclude)
    if fail_on:
        overrides["fail-on"] = fail_on
    if default_fail_on:
        overrides["default-fail-on"] = default_fail_on
    return overrides


def _show_settings(path, select, extend_select, ignore, preview, exclude, config_file, project_root, fail_on,
                   default_fail_on) -> None:
    """The settings one file gets, a line per key with the file it came from."""
    from bplint.config import describe_settings

    if not os.path.exists(path):
        _fail(f"{printable(os.fsdecode(path))}: no such file or directory")
    overrides = _overrides(select, extend_select, ignore, preview, exclude, fail_on, default_fail_on)
    try:
        settings = read_settings([path], config_file=config_file, overrides=overrides, project_root=project_root)
        lines = describe_settings(settings.settings_for(path), path, all_rules(), Path.cwd().resolve())
    except (ConfigError, RegistryError) as exc:
        _fail(str(exc))
    for line in lines:
        click.echo(printable(line))


def _run_scan(paths, select, extend_select, ignore, preview, exclude, config_file, jobs, no_cache, cache_dir,
              fail_on=None, quiet=False, default_fail_on=None, project_root=None) -> ScanOutcome:
    from bplint.discover.workset import gather

    targets = list(paths) or [Path(".")]
    for target in targets:
        if not os.path.exists(target):  # a mistyped path in CI must not pass the gate
            what = "a symbolic link whose target does not exist" if os.path.islink(target) else \
                "no such file or directory"
            _fail(f"{printable(os.fsdecode(target))}: {what}")
    overrides = _overrides(select, extend_select, ignore, preview, exclude, fail_on, default_fail_on)
    try:
        settings = read_settings(targets, config_file=config_file, overrides=overrides, project_root=project_root)
        general = settings.general()
        cwd = Path.cwd().resolve()
        workset = gather(targets, settings.root, general.exclude, general.max_file_size, cwd, not no_cache)
        settings.find_nested(workset.project_files)
        if no_cache:
            return _scan_afresh(settings, targets, cwd, workset, jobs, None, None, quiet)
        from bplint.scan.cache import cache_directory
        from bplint.scan.cache_store import CacheStore
        from bplint.scan.last_scan import LastScan, scan_key

        store = CacheStore(cache_directory(settings.root, cache_dir), settings.root)
        last = LastScan(store, scan_key(settings, targets, cwd, workset))
        recalled = last.recall()
        if recalled is not None:
            import dataclasses

            # nothing was indexed or checked: the whole result is the last scan's
            result = dataclasses.replace(recalled.result, work={"last_scan_reused": 1})
            return ScanOutcome(result, recalled.enabled, general.fail_on, settings.root)
        if not store.usable:  # said why on stderr: a scan as with --no-cache
            return _scan_afresh(settings, targets, cwd, workset, jobs, None, None, quiet)
        return _scan_afresh(settings, targets, cwd, workset, jobs, store, last, quiet)
    except (ConfigError, RegistryError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug in bplint itself
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")
    raise AssertionError("unreachable")


def _scan_afresh(settings, targets, cwd, workset, jobs, store, last, quiet) -> ScanOutcome:
    from bplint.scan.cache import ScanCache
    from bplint.scan.engine import scan
    from bplint.scan.progress import ProgressBar
    from bplint.scan.workers import default_jobs

    config = settings.config(all_rules())
    cache = ScanCache(store.directory, config, store) if store is not None else None
    progress = ProgressBar() if ProgressBar.wanted(quiet) else None
    try:
        result = scan(targets, config, cwd, jobs=jobs or default_jobs(), cache=cache, progress=progress,
                      workset=workset)
    finally:
        if progress is not None:
            progress.close()
    if last is not None and cache is not None:
        last.remember(result, config, cache.outside_answers())
    return ScanOutcome(result, config.all_enabled, config.fail_on, settings.root)


@dataclass
class StdinText:
    """`check --stdin-filename PATH -`: the text read from standard input, reported as the file at PATH."""

    path: Path
    text: str
    relpath: str = ""  # as reported (set by the scan)


def _read_stdin(stdin_filename: Path) -> StdinText:
    from bplint.discover.files import DecodeError, FileKind, classify, decode_python, decode_text

    stream = sys.stdin.buffer if sys.stdin is not None and not _STANDARD_STREAMS_CLOSED.get(0) else None
    if stream is None:
        _fail("standard input is closed: pipe the file's text to `bplint check --stdin-filename PATH -`")
    raw = stream.read()
    try:
        python = classify(stdin_filename.name) is FileKind.PYTHON
        text = decode_python(raw) if python else decode_text(raw, replace=True)
    except DecodeError as exc:
        _fail(f"{printable(os.fsdecode(stdin_filename))} (standard input): {exc.message} at line {exc.line}")
    return StdinText(stdin_filename, text)


def _run_stdin_check(stdin: StdinText, select, extend_select, ignore, preview, exclude, config_file, jobs,
                     no_cache, cache_dir, fail_on=None, default_fail_on=None, project_root=None) -> ScanOutcome:
    """Check the text read from standard input as the file at its path, against the project's index
    built from disk (the file's own facts taken from the text)."""
    from bplint.scan.engine import LiveProject, run_with_deep_stack
    from bplint.scan.workers import default_jobs

    overrides = _overrides(select, extend_select, ignore, preview, exclude, fail_on, default_fail_on)
    try:
        settings = read_settings([stdin.path], config_file=config_file, overrides=overrides,
                                 project_root=project_root)
        from bplint.scan.cache import cache_for

        caches = None if no_cache else cache_for(settings.root, cache_dir)
        project = LiveProject.load(settings, all_rules(), Path.cwd(), caches, jobs or default_jobs())
        config = project.config
        checked = run_with_deep_stack(lambda: project.check(stdin.path, stdin.text))
        stdin.relpath = project.source_file(stdin.path).relpath
    except (ConfigError, RegistryError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug in bplint itself
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")
    return ScanOutcome(checked.result, config.all_enabled, config.fail_on, settings.root)


def _show_files(paths, exclude, config_file, project_root, jobs) -> None:
    """One line per scanned file: its role, its kind and its path, sorted by path."""
    from bplint.discover.workset import gather
    from bplint.scan.engine import build_index
    from bplint.scan.workers import default_jobs

    targets = list(paths) or [Path(".")]
    overrides = {"extend-exclude-cli": _split(exclude)} if exclude else {}
    try:
        settings = read_settings(targets, config_file=config_file, overrides=overrides, project_root=project_root)
        general = settings.general()
        cwd = Path.cwd().resolve()
        workset = gather(targets, settings.root, general.exclude, general.max_file_size, cwd, False)
        settings.find_nested(workset.project_files)
        index = build_index(workset, settings.config(all_rules()), cwd, None, jobs or default_jobs())
    except (ConfigError, RegistryError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug in bplint itself
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")
    from bplint.project.regions import describe

    for file in sorted(workset.found.files, key=lambda f: f.relpath):
        if file.relpath in index.files.raw():
            regions = index.regions_of(file.relpath)
            detail = f" ({describe(regions)})" if regions else ""
            click.echo(f"{index.role_of(file.relpath).value:<11} {file.kind.value:<12} {file.relpath}{detail}")


def _parse_report(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition(":")
    if not sep or name not in FORMATS or not path:
        raise click.BadParameter(f"expected FORMAT:PATH with FORMAT one of {', '.join(FORMATS)} "
                                 f"(e.g. sarif:bplint.sarif), got {value!r}", param_hint="--report")
    return name, Path(path)


@cli.command()
@scan_options
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format on stdout (or --output).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of stdout.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:PATH",
              help="Also write a report in FORMAT to PATH (repeatable), e.g. --report sarif:bplint.sarif.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]),
              help="The lowest severity that fails the run (default: any finding).")
@click.option("--default-fail-on", type=click.Choice([s.value for s in Severity]),
              help="The fail-on to use when neither --fail-on nor the configuration sets one (the pre-commit "
                   "hook passes warning).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when findings are reported.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Report only findings not recorded in this baseline file (see `bplint baseline`).")
@click.option("--diff", "--changed-since", "diff_ref", metavar="REF",
              help="Report only findings on lines added or changed since the git REF (the whole project is "
                   "still read).")
@click.option("--no-color", is_flag=True, help="Never color the output (NO_COLOR is respected too).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only: no summary, no notes on skipped files.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings "
                                                 "(with --format text or json).")
@click.option("--show-files", is_flag=True, help="List the files a scan would check, with their kind and role, "
                                                 "and exit without running any rule.")
@click.option("--show-settings", is_flag=True, help="Print the settings the one file given gets, with the file each "
                                                    "value came from, and exit without running any rule.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes of the reported findings, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --fix-diff: apply the unsafe fixes too (they may "
                                                   "change behaviour: review them).")
@click.option("--fix-diff", is_flag=True, help="Print the unified diff that --fix (with --unsafe-fixes, if given) "
                                               "would apply, and write nothing.")
@click.option("--add-noqa", is_flag=True, help="Add a `# bplint: ignore[CODE]` comment for each reported finding, "
                                               "on the line that suppresses it, and write nothing else.")
@click.option("--stdin-filename", type=click.Path(path_type=Path), metavar="PATH",
              help="With the path `-`: read one file's text from standard input and report it as the file at PATH "
                   "(the rest of the project is read from disk).")
def check(paths, select, extend_select, ignore, preview, exclude, config_file, project_root, jobs, no_cache,
          cache_dir, output_format, output, reports, fail_on, default_fail_on, exit_zero, baseline_file, diff_ref,
          no_color, quiet, statistics, show_files, show_settings, fix, unsafe_fixes, fix_diff, add_noqa,
          stdin_filename) -> None:
    """Scan PATHS (default: the current directory) and report findings.

    `bplint check --stdin-filename PATH -` checks the text on standard input as the file at PATH."""
    if show_settings:
        if len(paths) != 1:
            raise click.UsageError("--show-settings shows the settings of one file: give its path")
        _show_settings(paths[0], select, extend_select, ignore, preview, exclude, config_file, project_root,
                       fail_on, default_fail_on)
        sys.exit(EXIT_OK)
    stdin = None
    if stdin_filename is not None or "-" in map(str, paths):
        if stdin_filename is None:
            raise click.UsageError("the path - reads standard input: give --stdin-filename PATH to say which "
                                   "file's text it is")
        if [str(p) for p in paths] not in ([], ["-"]):
            raise click.UsageError("--stdin-filename checks one text from standard input: give the path - alone")
        if show_files or fix or fix_diff or add_noqa:
            raise click.UsageError("--show-files, --fix, --fix-diff and --add-noqa work on files on disk, "
                                   "not on standard input")
        stdin = _read_stdin(stdin_filename)
    if show_files:
        _show_files(paths, exclude, config_file, project_root, jobs)
        sys.exit(EXIT_OK)
    if sum((fix, fix_diff, add_noqa)) > 1:
        raise click.UsageError("--fix, --fix-diff and --add-noqa are different runs: give one of them")
    if unsafe_fixes and not (fix or fix_diff):
        raise click.UsageError("--unsafe-fixes goes with --fix or --fix-diff")
    if statistics and output_format not in STATISTICS_FORMATS:
        raise click.BadParameter(f"--statistics prints counts as text or json, not {output_format}; write the "
                                 f"{output_format} report with --report {output_format}:FILE beside it",
                                 param_hint="--statistics")
    extra_reports = [_parse_report(r) for r in reports]
    if output is None and _stdout_closed():
        _fail("standard output is closed: give --output FILE, or run bplint with its output open")

    def run_scan() -> tuple[ScanOutcome, Reported]:
        if stdin is not None:
            outcome = _run_stdin_check(stdin, select, extend_select, ignore, preview, exclude, config_file, jobs,
                                       no_cache, cache_dir, fail_on, default_fail_on, project_root)
            return outcome, _reported(outcome, diff_ref, baseline_file, {stdin.relpath: stdin.text})
        outcome = _run_scan(paths, select, extend_select, ignore, preview, exclude, config_file, jobs, no_cache,
                            cache_dir, fail_on, quiet, default_fail_on, project_root)
        return outcome, _reported(outcome, diff_ref, baseline_file)

    scanned, reported = run_scan()
    if fix_diff:
        _preview_fixes(scanned, reported, unsafe_fixes, quiet)
    if add_noqa:
        _add_noqa(scanned, reported, quiet)
    if fix:
        scanned, reported = _apply_fixes(scanned, reported, unsafe_fixes, run_scan, quiet)
    result, sources = reported.result, reported.sources
    if reported.baseline_note and not quiet:
        click.echo(reported.baseline_note, err=True)

    _print_errors(result, quiet)
    formats = {output_format, *(name for name, _ in extra_reports)}
    report_root = _report_root(project_root, scanned.root) if formats & set(ROOT_RELATIVE_FORMATS) else None
    cwd = Path.cwd().resolve()
    for name, path in extra_reports:
        _write_report(path, lambda out, name=name: get_reporter(name)(
            result, out, ReportOptions(sources=sources, enabled_codes=scanned.enabled,
                                       report_root=report_root if name in ROOT_RELATIVE_FORMATS else None, cwd=cwd)))

    def main_report(out: TextIO) -> None:
        color = _use_color(out, no_color) and output_format == "text"
        root = report_root if output_format in ROOT_RELATIVE_FORMATS else None
        get_reporter(output_format)(result, out, ReportOptions(color=color, quiet=quiet, statistics=statistics,
                                                               sources=sources, enabled_codes=scanned.enabled,
                                                               report_root=root, cwd=cwd))

    _write_report(output, main_report)

    if any(e.internal for e in result.errors):
        sys.exit(EXIT_ERROR)
    failing = [f for f in result.findings if f.severity.rank >= scanned.fail_on.rank]
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_OK)


def _report_root(project_root: Path | None, root: Path | None) -> Path | None:
    """What the paths of SARIF, GitHub and GitLab reports are relative to: --project-root, else the
    top of the git work tree the project is in, else the project root."""
    if project_root is not None:
        return project_root.resolve()
    if root is None:
        return None
    from bplint.discover.safegit import top_level

    top = top_level(root)
    return top.resolve() if top is not None else root


@dataclass
class Reported:
    """What a check reports of a scan: the findings kept by --diff and --baseline, as printed
    (``result``), and the same findings as the scan found them (``raw``, what fixes apply to)."""

    result: ScanResult
    raw: list
    sources: SourceLines
    baseline_note: str | None = None


def _reported(scanned: ScanOutcome, diff_ref: str | None, baseline_file: Path | None,
              texts: dict[str, str] | None = None) -> Reported:
    """``texts``: report path -> the text of a file not read from disk (standard input)."""
    result, real_paths = displayable(scanned.result)
    raw_of = {id(shown): raw for shown, raw in zip(result.findings, scanned.result.findings)}
    sources = SourceLines(secrets=result.secret_spans(), real_paths=real_paths)
    shown_as = {real: shown for shown, real in real_paths.items()}
    for path, text in (texts or {}).items():
        sources.provide(shown_as.get(path, path), text)
    note = None
    if diff_ref:
        from bplint.discover.changes import changed_lines, only_changed

        try:
            result.findings = only_changed(result.findings, changed_lines(diff_ref, Path.cwd()))
        except ConfigError as exc:
            _fail(str(exc))
    if baseline_file is not None:
        from bplint.report.baseline import apply_baseline, read_baseline

        try:
            outcome = apply_baseline(result.findings, read_baseline(baseline_file), sources)
        except ConfigError as exc:
            _fail(str(exc))
        result.findings = outcome.findings
        note = (f"bplint: baseline {baseline_file}: {outcome.matched} known findings not shown; "
                f"{outcome.fixed} baseline entries are fixed")
    raw = [raw_of[id(f)] for f in result.findings if id(f) in raw_of]
    return Reported(result, raw, sources, note)


def _preview_fixes(scanned: ScanOutcome, reported: Reported, unsafe: bool, quiet: bool) -> None:
    """`--fix-diff`: the diff of one round of fixes on stdout; exit 1 when it is not empty."""
    from bplint.report.fixes import plan_round, unified_diff

    assert scanned.root is not None
    round_ = plan_round(reported.raw, scanned.result.errors, scanned.root, Path.cwd().resolve(), unsafe)
    result = reported.result
    result.errors = _merge_errors(result.errors, round_.errors)
    _print_errors(result, quiet)
    _write_report(None, lambda out: out.write("".join(printable_diff(unified_diff(p)) for p in round_.plans)))
    if not quiet:
        files = len(round_.plans)
        click.echo(f"bplint: --fix{' --unsafe-fixes' if unsafe else ''} would fix {round_.applied} "
                   f"finding{'' if round_.applied == 1 else 's'} in {files} file{'' if files == 1 else 's'} "
                   f"(fixes that overlap another are left to a next round)", err=True)
    if any(e.internal for e in result.errors):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if round_.plans else EXIT_OK)


def printable_diff(diff: str) -> str:
    """A diff with each line made printable (a control character in the file is shown escaped)."""
    return "".join(printable(line.rstrip("\r\n")) + "\n" for line in diff.splitlines(keepends=True))


def _apply_fixes(scanned: ScanOutcome, reported: Reported, unsafe: bool, run_scan, quiet: bool):
    """`--fix`: apply, scan again, until nothing is left to fix (at most MAX_ROUNDS rounds)."""
    from collections import Counter

    from bplint.report.fixes import MAX_ROUNDS, plan_round, write_round

    cwd = Path.cwd().resolve()
    fixed: Counter = Counter()
    files: set[str] = set()
    errors: list = []
    for _ in range(MAX_ROUNDS):
        assert scanned.root is not None
        round_ = plan_round(reported.raw, scanned.result.errors, scanned.root, cwd, unsafe)
        errors = _merge_errors(errors, round_.errors)
        errors = _merge_errors(errors, write_round(round_))
        applied = [f for plan in round_.plans for f in plan.applied]
        if not applied:
            break
        fixed.update(f.code for f in applied)
        files.update(plan.path for plan in round_.plans if plan.applied)
        scanned, reported = run_scan()
    reported.result.errors = _merge_errors(reported.result.errors, errors)
    if not quiet:
        total = sum(fixed.values())
        by_rule = ", ".join(f"{code}: {count}" for code, count in sorted(fixed.items()))
        click.echo(f"bplint: fixed {total} finding{'' if total == 1 else 's'}"
                   + (f" in {len(files)} file{'' if len(files) == 1 else 's'} ({by_rule})" if total else ""),
                   err=True)
    return scanned, reported


def _merge_errors(errors: list, more: list) -> list:
    seen = {(e.path, e.message) for e in errors}
    return [*errors, *(e for e in more if (e.path, e.message) not in seen)]


def _add_noqa(scanned: ScanOutcome, reported: Reported, quiet: bool) -> None:
    """`--add-noqa`: a suppression comment for every reported finding; exit 0 unless it had an error."""
    from bplint.report.noqa import add_noqa

    assert scanned.root is not None
    outcome = add_noqa(reported.raw, scanned.result.errors, scanned.root, Path.cwd().resolve())
    result = reported.result
    result.errors = _merge_errors(result.errors, outcome.errors)
    _print_errors(result, quiet)
    if not quiet:
        click.echo(f"bplint: added {outcome.added} suppression{'' if outcome.added == 1 else 's'} in "
                   f"{outcome.files} file{'' if outcome.files == 1 else 's'}"
                   + (f"; {outcome.left} finding{'' if outcome.left == 1 else 's'} could not be marked "
                      f"(see above)" if outcome.left else ""), err=True)
    sys.exit(EXIT_ERROR if any(e.internal for e in result.errors) else EXIT_OK)


@cli.command()
@scan_options
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=".bplint-baseline.json",
              show_default=True, help="The baseline file to write.")
def baseline(paths, select, extend_select, ignore, preview, exclude, config_file, project_root, jobs, no_cache,
             cache_dir, output) -> None:
    """Record today's findings in a baseline file; `check --baseline FILE` then reports only new ones."""
    from bplint.report.baseline import write_baseline

    result, real_paths = displayable(
        _run_scan(paths, select, extend_select, ignore, preview, exclude, config_file, jobs, no_cache,
                  cache_dir, project_root=project_root).result)
    _print_errors(result, quiet=False)
    try:
        count = write_baseline(output, result.findings, SourceLines(secrets=result.secret_spans(),
                                                                    real_paths=real_paths))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"wrote {count} findings to {output}")
    sys.exit(EXIT_ERROR if any(e.internal for e in result.errors) else EXIT_OK)


@cli.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--docs", "docs_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write one Markdown page per rule and an index into this folder.")
def rules_command(output_format: str, docs_dir: Path | None) -> None:
    """List the rules bplint implements."""
    try:
        rules = all_rules()
    except RegistryError as exc:
        _fail(str(exc))
    if docs_dir is not None:
        from bplint.docs import write_docs

        written = write_docs(docs_dir, rules)
        click.echo(f"wrote {len(written)} pages to {docs_dir}")
        return
    if output_format == "json":
        rows = [{"code": r.code, "name": r.name, "category": r.category, "severity": r.severity.value,
                 "summary": r.summary, "opt_in": r.opt_in, "tier": tier(r), "cwe": list(r.cwe)} for r in rules]
        click.echo(json.dumps({"version": __version__, "rules": rows}, indent=2))
        return
    for r in rules:
        flag = " (opt-in)" if r.opt_in else ""
        click.echo(f"{r.code}  {r.name:<32} {r.category:<14} {r.severity.value:<8} {tier(r):<8} {r.summary}{flag}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show the documentation of the rule CODE (a code such as BP101, or a rule name)."""
    from bplint.docs import render_rule

    rule = find_rule(code)
    if rule is None:
        _fail(f"unknown rule {code!r}; `bplint rules` lists them")
    click.echo(render_rule(rule))


@cli.command()
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from this file instead of the nearest pyproject.toml.")
def server(config_file: Path | None) -> None:
    """Run the language server over standard input and output (needs `pip install "bplint[lsp]"`)."""
    try:
        from bplint.server import serve
    except ImportError as exc:
        _fail(f"the language server needs pygls ({exc.name} is not installed): pip install \"bplint[lsp]\"")
    serve(config_file)


def _fail(message: str) -> None:
    click.echo(f"bplint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _print_errors(result: ScanResult, quiet: bool) -> None:
    for error in result.errors:
        if quiet and not error.internal:
            continue
        where = f"{error.path}: " if error.path else ""
        click.echo(f"bplint: {where}{error.message}", err=True)


def _use_color(out: TextIO, no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(out, "isatty") and out.isatty()


def _stdout_closed() -> bool:
    return sys.stdout is None or _STANDARD_STREAMS_CLOSED.get(1, False)


def _write_report(path: Path | None, write: Callable[[TextIO], None]) -> None:
    """Write one report to ``path`` (standard output when None); a failed write is one error line.

    A reader that went away (``bplint check | head``) is not an error: the
    rest of the report is dropped and the exit code still says what was found.
    """
    if path is None:
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            _discard_stdout()
        except OSError as exc:
            _fail(f"cannot write the report to standard output: {exc.strerror}")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            write(handle)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")


def _discard_stdout() -> None:
    """After a broken pipe: what is still buffered, and all that follows, goes nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


# fd -> True when a standard stream was closed when bplint started (see main)
_STANDARD_STREAMS_CLOSED: dict[int, bool] = {}


def _plug_closed_streams() -> None:
    """Open the null device on closed standard descriptors, so no file bplint opens takes their place."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            _STANDARD_STREAMS_CLOSED[fd] = True
            try:
                os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: this one
            except OSError:
                pass


def main() -> None:
    """The console script: runs one command, then leaves without tearing the heap down."""
    from bplint.scan.collector import for_this_process

    _plug_closed_streams()
    for_this_process()
    try:
        cli(prog_name="bplint")
        code = EXIT_OK
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or EXIT_OK
        else:
            click.echo(str(exc.code), err=True)
            code = EXIT_ERROR
    # Freeing a large project's index object by object takes longer than a
    # whole warm scan; the operating system reclaims it at once. Every report
    # file is closed by now, so only the standard streams need flushing.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # broken, closed, or None (closed at start)
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
