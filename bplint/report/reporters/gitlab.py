"""A Code Quality report: a JSON array of issues with stable fingerprints."""

from __future__ import annotations

import json
from typing import TextIO

from bplint.report.findings import ScanResult, Severity
from bplint.report.reporters import ReportOptions
from bplint.report.sources import fingerprints

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _category(finding) -> str:
    from bplint.scan.registry import rules_by_code

    rule = rules_by_code().get(finding.code)
    if rule is not None and rule.cwe:
        return "Security"
    return "Style" if finding.severity is Severity.INFO else "Bug Risk"


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    options.sources.know_secrets(result.secret_spans())  # fingerprints hash lines with secrets masked
    prints = fingerprints(result.findings, options.sources, options.root_path)
    issues = [{
        "description": f"{finding.code} {finding.message}",
        "check_name": f"{finding.code} {finding.name}",
        "fingerprint": prints[finding],
        "severity": SEVERITY[finding.severity],
        "categories": [_category(finding)],
        "location": {"path": options.root_path(finding.path), "lines": {"begin": finding.line, "end": finding.end_line}},
    } for finding in result.findings]
    json.dump(issues, out, indent=2, ensure_ascii=False)
    out.write("\n")
