"""SARIF 2.1.0, as code-scanning services consume it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from bplint import HOMEPAGE, RULES_URL, __version__
from bplint.docs import render_rule
from bplint.findings import Finding, ScanResult, Severity
from bplint.reporters import ReportOptions
from bplint.rule import Rule
from bplint.sources import fingerprints

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# security-severity of security rules (a CWE is named), by default severity
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "3.0"}
SRCROOT = "%SRCROOT%"
MAX_DESCRIPTION = 1024


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def rule_descriptor(rule: type[Rule]) -> dict:
    tags = [rule.category]
    properties: dict = {"precision": "high"}
    if rule.cwe:
        tags = ["security", *tags, *(f"external/cwe/cwe-{n}" for n in rule.cwe)]
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    properties["tags"] = tags[:20]
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _clip(rule.summary)},
        "fullDescription": {"text": _clip(rule.what)},
        "help": {"text": _clip(f"{rule.why} {rule.how_to_fix}"), "markdown": render_rule(rule)},
        "helpUri": RULES_URL.format(code=rule.code),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _region(finding: Finding) -> dict:
    end_column = finding.end_column
    if finding.end_line == finding.line and end_column <= finding.column:
        end_column = finding.column + 1
    return {"startLine": finding.line, "startColumn": finding.column, "endLine": finding.end_line,
            "endColumn": end_column}


def as_sarif(result: ScanResult, options: ReportOptions) -> dict:
    rules = sorted({*options.enabled_rules}, key=lambda r: r.code)
    known = {r.code for r in rules}
    # a finding's rule is always described, even if it came from outside the selection
    from bplint.registry import rules_by_code

    by_code = rules_by_code()
    for finding in result.findings:
        if finding.code not in known and finding.code in by_code:
            rules.append(by_code[finding.code])
            known.add(finding.code)
    rules.sort(key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(rules)}
    prints = fingerprints(result.findings, options.sources)
    results = []
    for finding in result.findings:
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(finding.path), "uriBaseId": SRCROOT},
                "region": _region(finding),
            }}],
            "partialFingerprints": {"primaryLocationLineHash": prints[finding]},
        })
    notifications = [{
        "level": "error" if error.internal else "warning",
        "message": {"text": f"{error.path}: {error.message}" if error.path else error.message},
        **({"associatedRule": {"id": error.rule}} if error.rule else {}),
    } for error in result.errors]
    cwd = Path.cwd().resolve().as_uri() + "/"
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bplint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [rule_descriptor(rule) for rule in rules],
            }},
            "automationDetails": {"id": "bplint/"},
            "originalUriBaseIds": {SRCROOT: {"uri": cwd}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": not any(e.internal for e in result.errors),
                "toolExecutionNotifications": notifications,
                "workingDirectory": {"uri": cwd},
            }],
            "results": results,
        }],
    }


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    json.dump(as_sarif(result, options), out, indent=2, ensure_ascii=False)
    out.write("\n")
