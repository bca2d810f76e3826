"""Workflow-command annotations, shown inline on a pull request's files."""

from __future__ import annotations

from typing import TextIO

from bplint.report.findings import ScanResult, Severity
from bplint.report.reporters import ReportOptions

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    for finding in result.findings:
        props = [f"file={_escape_property(options.root_path(finding.path))}", f"line={finding.line}", f"endLine={finding.end_line}"]
        if finding.end_line == finding.line:  # columns on a multi-line span make the runner drop it
            props += [f"col={finding.column}", f"endColumn={max(finding.end_column, finding.column + 1)}"]
        props.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
        out.write(f"::{COMMAND[finding.severity]} {','.join(props)}::{_escape_data(finding.message)}\n")
    for error in result.errors:
        if error.internal:
            out.write(f"::error title=bplint internal error::{_escape_data(f'{options.root_path(error.path)}: {error.message}')}\n")
