"""The JSON report: a stable shape, findings ordered by path, line, column, code."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from bplint import __version__
from bplint.report.findings import ScanResult, Severity
from bplint.report.reporters import ReportOptions


def as_dict(result: ScanResult) -> dict:
    by_severity = {s.value: 0 for s in Severity}
    for finding in result.findings:
        by_severity[finding.severity.value] += 1
    findings = sorted(result.findings, key=lambda f: (f.path, f.line, f.column, f.code))
    return {
        "version": __version__,
        "findings": [f.to_json() for f in findings],
        "errors": [e.to_json() for e in result.errors],
        "summary": {
            "files_scanned": result.files_scanned,
            "findings": len(result.findings),
            "by_severity": by_severity,
        },
    }


def statistics(result: ScanResult) -> dict:
    """The number of findings per rule, most frequent first (``--statistics``)."""
    counts = Counter((f.code, f.name, f.severity.value) for f in result.findings)
    rows = [{"code": code, "name": name, "severity": severity, "count": count}
            for (code, name, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))]
    data = as_dict(result)
    # what the scan did (files indexed, served from the cache, parsed by libcst, ...): not in the full
    # report, which is the same whatever the cache and jobs
    return {"version": data["version"], "statistics": rows, "errors": data["errors"], "summary": data["summary"],
            "work": result.work}


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    json.dump(statistics(result) if options.statistics else as_dict(result), out, indent=2, ensure_ascii=False)
    out.write("\n")
