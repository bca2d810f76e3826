"""The terminal report: findings grouped by file, each with its source line and a marker."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bplint.report.findings import Applicability, Finding, ScanResult, Severity, mask_span_in_line, printable
from bplint.report.reporters import ReportOptions

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MAX_SHOWN_LINE = 200


class _Console(Console):
    def on_broken_pipe(self) -> None:
        raise BrokenPipeError  # the command decides how to end (with the scan's exit code)


def _console(out: TextIO, color: bool) -> Console:
    return _Console(file=out, color_system="auto" if color else None, force_terminal=color,
                    no_color=not color, highlight=False, soft_wrap=True, width=10_000)


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    console = _console(out, options.color)
    if options.statistics:
        _statistics(console, result)
        return
    # every detected secret masked, whichever finding's line is shown
    options.sources.know_secrets(result.secret_spans())
    findings = result.findings
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, group in by_path.items():
        for finding in group:
            header = Text()
            header.append(f"{finding.path}:{finding.line}:{finding.column}", style="bold")
            header.append(" ")
            header.append(finding.code, style=STYLE[finding.severity])
            header.append(f" [{finding.severity.value}] ", style=STYLE[finding.severity])
            if finding.fix is not None:  # [*]: `--fix` fixes it; [*unsafe]: only with `--unsafe-fixes`
                safe = finding.fix.applicability is Applicability.SAFE
                header.append("[*] " if safe else "[*unsafe] ", style="bold green" if safe else "green")
            header.append(finding.message)
            console.print(header)
            line = options.sources.line(finding.path, finding.line)
            if line is not None:
                _print_source(console, finding, line)
        console.print()
    if not options.quiet:
        _summary(console, result)


def _print_source(console: Console, finding: Finding, line: str) -> None:
    expanded = line.expandtabs(1)  # one column per character, so the marker lines up
    start = finding.column - 1
    end = finding.end_column - 1 if finding.end_line == finding.line else len(expanded.rstrip())
    end = max(end, start + 1)
    if printable(expanded) != expanded:  # control characters shown as escapes; the marker follows them
        start, end = len(printable(expanded[:start])), len(printable(expanded[:end]))
        expanded = printable(expanded)
    if len(expanded) > MAX_SHOWN_LINE:  # very long lines: show a window around the span
        window_start = max(0, start - 40)
        expanded = "…" + expanded[window_start: window_start + MAX_SHOWN_LINE]
        start, end = start - window_start + 1, min(end - window_start + 1, MAX_SHOWN_LINE + 1)
    gutter = f"{finding.line:>5} | "
    console.print(Text(gutter, style="dim") + Text(expanded))
    marker = Text(" " * (len(gutter) - 2) + "| ", style="dim")
    marker.append(" " * start + "^" * max(1, min(end, len(expanded) + 1) - start), style=STYLE[finding.severity])
    console.print(marker)


def _summary(console: Console, result: ScanResult) -> None:
    findings = result.findings
    if not findings:
        console.print(Text(f"No findings in {_plural(result.files_scanned, 'file')} scanned.", style="green"))
        return
    severities = Counter(f.severity for f in findings)
    parts = [f"{_plural(severities[s], s.value)}" for s in Severity if severities[s]]
    files = len({f.path for f in findings})
    console.print(Text(f"Found {_plural(len(findings), 'finding')} ({', '.join(parts)}) in "
                       f"{_plural(files, 'file')}; {_plural(result.files_scanned, 'file')} scanned.", style="bold"))
    fixable = fixable_counts(findings)
    if any(fixable):
        console.print(Text(fixable_note(*fixable), style="green"))
    _statistics(console, result)


def fixable_counts(findings: list[Finding]) -> tuple[int, int]:
    """(findings that `--fix` fixes, findings that only `--fix --unsafe-fixes` fixes)."""
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    return safe, unsafe


def fixable_note(safe: int, unsafe: int) -> str:
    if safe and unsafe:
        return (f"[*] {_plural(safe, 'finding')} fixable with `bplint check --fix` ({unsafe} more with "
                f"`--fix --unsafe-fixes`).")
    if safe:
        return f"[*] {_plural(safe, 'finding')} fixable with `bplint check --fix`."
    return f"[*unsafe] {_plural(unsafe, 'finding')} fixable with `bplint check --fix --unsafe-fixes`."


def _statistics(console: Console, result: ScanResult) -> None:
    counts = Counter((f.code, f.name, f.severity) for f in result.findings)
    for (code, name, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0][0])):
        row = Text(f"{count:>6}  ")
        row.append(code, style=STYLE[severity])
        row.append(f"  {name} [{severity.value}]")
        console.print(row)


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}{'' if count == 1 else 's'}"
