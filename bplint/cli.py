"""The command line: `bplint check`, `bplint rules`, `bplint explain`.

Exit codes: 0 no failing findings, 1 failing findings, 2 usage, configuration
or internal error.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

import click

from bplint import __version__
from bplint.config import ConfigError, load_config
from bplint.findings import ScanResult, Severity
from bplint.registry import RegistryError, all_rules, find_rule
from bplint.reporters import FORMATS, ReportOptions, get_reporter

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="bplint")
def cli() -> None:
    """bplint: best-practice linter and security auditor for Python web backends."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Rule codes, prefixes or names to enable (comma-separated); replaces the configured selection.")
@click.option("--extend-select", multiple=True, help="Rule codes, prefixes or names to enable on top of the selection.")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to disable (comma-separated).")
@click.option("--exclude", multiple=True, help="Path patterns (gitignore syntax) to skip, on top of the configured ones.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="Read configuration from this file instead of the nearest pyproject.toml.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file instead of stdout.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), help="The lowest severity that fails the run (default: any finding).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when findings are reported.")
@click.option("--no-color", is_flag=True, help="Never color the output (NO_COLOR is respected too).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only: no summary, no notes on skipped files.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
def check(paths: tuple[Path, ...], select, extend_select, ignore, exclude, config_file, output_format, output,
          fail_on, exit_zero, no_color, quiet, statistics) -> None:
    """Scan PATHS (default: the current directory) and report findings."""
    from bplint.engine import scan

    targets = list(paths) or [Path(".")]
    overrides: dict = {}
    if select:
        overrides["select"] = _split(select)
    if extend_select:
        overrides["extend-select"] = _split(extend_select)
    if ignore:
        overrides["extend-ignore"] = _split(ignore)
    if fail_on:
        overrides["fail-on"] = fail_on
    try:
        rules = all_rules()
        config = load_config(targets, rules, config_file=config_file, overrides=overrides)
        if exclude:
            config.exclude = [*config.exclude, *_split(exclude)]
        result = scan(targets, config)
    except (ConfigError, RegistryError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug in bplint itself
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")

    _print_errors(result, quiet)
    with _open_output(output) as out:
        color = _use_color(out, no_color) and output_format == "text"
        get_reporter(output_format)(result, out, ReportOptions(color=color, quiet=quiet, statistics=statistics))

    if any(e.internal for e in result.errors):
        sys.exit(EXIT_ERROR)
    failing = [f for f in result.findings if f.severity.rank >= config.fail_on.rank]
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_OK)


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
                 "summary": r.summary, "opt_in": r.opt_in, "cwe": list(r.cwe)} for r in rules]
        click.echo(json.dumps({"version": __version__, "rules": rows}, indent=2))
        return
    for r in rules:
        flag = " (opt-in)" if r.opt_in else ""
        click.echo(f"{r.code}  {r.name:<32} {r.category:<14} {r.severity.value:<8} {r.summary}{flag}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show the documentation of the rule CODE (a code such as BP101, or a rule name)."""
    from bplint.docs import render_rule

    rule = find_rule(code)
    if rule is None:
        _fail(f"unknown rule {code!r}; `bplint rules` lists them")
    click.echo(render_rule(rule))


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


@contextmanager
def _open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")
    with handle:
        yield handle


def main() -> None:
    cli(prog_name="bplint")


if __name__ == "__main__":
    main()
