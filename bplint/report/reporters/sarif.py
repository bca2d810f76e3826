"""SARIF 2.1.0, as code-scanning services consume it.

GitHub code scanning rejects a file over its limits, so the report stays within
them (see ``LIMITS``): one run, at most 25,000 results (the most severe kept when
there are more, which the run and stderr then say), at most 25,000 rules, 20 tags
per rule, one location per result, no thread flows and no tool extensions, and at
most 10 MB gzip-compressed.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from bplint import HOMEPAGE, RULES_URL, __version__
from bplint.docs import render_rule
from bplint.report.findings import Finding, ScanResult, Severity
from bplint.report.reporters import ReportOptions
from bplint.report.sources import fingerprints
from bplint.rule import Rule

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"
MAX_DESCRIPTION = 1024

# What GitHub code scanning accepts in one SARIF upload (its "SARIF support" documentation).
MAX_RESULTS = 25_000  # per run
MAX_RULES = 25_000  # per run
MAX_TAGS = 20  # per rule
MAX_GZIP_BYTES = 10 * 1024 * 1024  # the whole file, compressed

# security-severity (a CVSS-like score: >= 9 critical, >= 7 high, >= 4 medium, else low) of the
# security rules, from what an attacker gains from a true finding, with the reason.
SECURITY_SEVERITY: dict[str, tuple[float, str]] = {
    "BP101": (8.5, "CWE-798: a live credential, readable by anyone with the repository or its history"),
    "BP102": (8.5, "CWE-798: a database or service password, readable by anyone with the repository"),
    "BP103": (7.5, "CWE-489: a debugger or debug pages in production expose settings and, for the "
                   "Werkzeug console, code execution"),
    "BP104": (4.3, "CWE-614/1004: a session cookie readable by scripts or sent over plain HTTP; needs XSS "
                   "or a network position first"),
    "BP107": (7.5, "CWE-538: a committed .env hands its secrets to every reader of the repository"),
    "BP205": (8.1, "CWE-494/427: dependency confusion or a tampered download runs an attacker's code at "
                   "install time"),
    "BP301": (7.5, "CWE-256/257: one database leak discloses every user's password, reused elsewhere"),
    "BP302": (6.5, "CWE-256: implies passwords stored in plaintext; the comparison also leaks timing"),
    "BP303": (7.0, "CWE-916/328: fast or broken hashes are cracked offline after a leak"),
    "BP304": (9.1, "CWE-347: an unverified JWT lets anyone forge a token: authentication bypass"),
    "BP305": (5.4, "CWE-613: a stolen token stays valid forever"),
    "BP306": (3.1, "CWE-755: an expired or malformed token becomes a server error, not a 401"),
    "BP307": (8.1, "CWE-915: a client sets fields it must not (is_admin, owner): privilege escalation"),
    "BP404": (8.8, "CWE-89: SQL injection reads or changes any data the application can"),
    "BP505": (5.3, "CWE-209: exception text tells an attacker about the code, queries and versions"),
    "BP603": (5.5, "CWE-532: secrets in logs reach everyone who can read the logs"),
}
# a security rule (it names a CWE) that the table does not know, e.g. from a rule pack
FALLBACK_SECURITY_SEVERITY = {Severity.ERROR: 7.0, Severity.WARNING: 5.0, Severity.INFO: 2.0}


def precision_level(precision: float | None) -> str:
    """SARIF's precision from a rule's measured precision (unmeasured: medium)."""
    if precision is None:
        return "medium"
    if precision >= 0.95:
        return "very-high"
    if precision >= 0.9:
        return "high"
    if precision >= 0.7:
        return "medium"
    return "low"


def security_severity(rule: type[Rule]) -> str | None:
    """The security-severity of a security rule (one that names a CWE), else None."""
    if not rule.cwe:
        return None
    known = SECURITY_SEVERITY.get(rule.code)
    score = known[0] if known is not None else FALLBACK_SECURITY_SEVERITY[rule.severity]
    return f"{score:.1f}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def rule_descriptor(rule: type[Rule]) -> dict:
    tags = [rule.category]
    properties: dict = {"precision": precision_level(rule.precision.value if rule.precision else None)}
    severity = security_severity(rule)
    if severity is not None:
        tags = ["security", *tags, *(f"external/cwe/cwe-{n}" for n in rule.cwe)]
        properties["security-severity"] = severity
    properties["tags"] = tags[:MAX_TAGS]
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


def _artifact(path: str, options: ReportOptions) -> dict:
    """Where a file is: relative to %SRCROOT% (the repository's top), or absolute when outside it."""
    outside = options.outside_root(path)
    if outside is not None:
        return {"uri": Path(outside).as_uri()}
    return {"uri": quote(options.root_path(path)), "uriBaseId": SRCROOT}


def _fixes(finding: Finding, artifact: dict) -> list[dict]:
    """The finding's fix as SARIF ``fixes``: one change of its file, one replacement per edit
    (an insertion is an empty region: the end column equals the start column)."""
    fix = finding.fix
    if fix is None:
        return []
    replacements = [{"deletedRegion": {"startLine": e.line, "startColumn": e.column, "endLine": e.end_line,
                                       "endColumn": e.end_column},
                     "insertedContent": {"text": e.content}} for e in fix.edits]
    return [{"description": {"text": f"{fix.message} ({fix.applicability.value} fix)"},
             "artifactChanges": [{"artifactLocation": artifact,
                                  "replacements": replacements}]}]


def _most_severe(findings: list[Finding], limit: int) -> list[Finding]:
    """At most ``limit`` findings, the most severe first kept, in their order."""
    if len(findings) <= limit:
        return findings
    kept = sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))[:limit]
    return [findings[i] for i in sorted(kept)]


def _results_cut_note(shown: int, total: int, reason: str) -> str:
    return (f"{shown:,} of {total:,} results are in this report, the most severe first ({reason}); narrow the "
            f"scan with --select, --exclude or a baseline to see the others.")


def as_sarif(result: ScanResult, options: ReportOptions, limit: int | None = None, reason: str | None = None) -> dict:
    """The SARIF log of ``result``, with at most ``limit`` results (``reason`` says why when cut)."""
    findings = _most_severe(result.findings, MAX_RESULTS if limit is None else min(limit, MAX_RESULTS))
    reason = reason or f"GitHub code scanning accepts at most {MAX_RESULTS:,} results per run"
    rules = sorted({*options.enabled_rules}, key=lambda r: r.code)
    known = {r.code for r in rules}
    # a finding's rule is always described, even if it came from outside the selection
    from bplint.scan.registry import rules_by_code

    by_code = rules_by_code()
    for finding in findings:
        if finding.code not in known and finding.code in by_code:
            rules.append(by_code[finding.code])
            known.add(finding.code)
    if len(rules) > MAX_RULES:  # the rules of the results first
        used = {finding.code for finding in findings}
        rules = sorted(rules, key=lambda r: r.code not in used)[:MAX_RULES]
    rules.sort(key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(rules)}
    # over every finding, so that cutting results never changes the fingerprints of those kept
    options.sources.know_secrets(result.secret_spans())
    prints = fingerprints(result.findings, options.sources, options.root_path)
    results = []
    for finding in findings:
        artifact = _artifact(finding.path, options)
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact,
                "region": _region(finding),
            }}],
            "partialFingerprints": {"primaryLocationLineHash": prints[finding]},
            **({"fixes": _fixes(finding, artifact),
                "properties": {"fixApplicability": finding.fix.applicability.value}} if finding.fix else {}),
        })
    notifications = [{
        "level": "error" if error.internal else "warning",
        "message": {"text": f"{options.root_path(error.path)}: {error.message}" if error.path else error.message},
        **({"associatedRule": {"id": error.rule}} if error.rule else {}),
    } for error in result.errors]
    run_properties: dict = {}
    if len(findings) < len(result.findings):
        notifications.append({"level": "warning", "message": {
            "text": _results_cut_note(len(findings), len(result.findings), reason)}})
        run_properties = {"resultsTruncated": True, "resultsTotal": len(result.findings),
                          "resultsShown": len(findings)}
    cwd = Path.cwd().resolve().as_uri() + "/"
    # the uris are relative to the repository's top (see ReportOptions.report_root), whatever the working directory
    base = options.report_root.as_uri() + "/" if options.report_root is not None else cwd
    sarif = {
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
            "originalUriBaseIds": {SRCROOT: {"uri": base}},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": not any(e.internal for e in result.errors),
                "toolExecutionNotifications": notifications,
                "workingDirectory": {"uri": cwd},
            }],
            "results": results,
        }],
    }
    if run_properties:
        sarif["runs"][0]["properties"] = run_properties
    return sarif


def report(result: ScanResult, out: TextIO, options: ReportOptions) -> None:
    sarif = as_sarif(result, options)
    text = json.dumps(sarif, indent=2, ensure_ascii=False)
    # the file must also stay under 10 MB compressed: cut further, in proportion, until it does
    while len(text.encode("utf-8")) > MAX_GZIP_BYTES:
        size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
        shown = len(sarif["runs"][0]["results"])
        if size <= MAX_GZIP_BYTES or shown == 0:
            break
        reason = f"GitHub code scanning accepts at most {MAX_GZIP_BYTES / 2 ** 20:g} MB of compressed SARIF"
        sarif = as_sarif(result, options, min(shown - 1, int(shown * MAX_GZIP_BYTES / size * 0.9)), reason)
        text = json.dumps(sarif, indent=2, ensure_ascii=False)
        if len(sarif["runs"][0]["results"]) >= shown:  # nothing more to cut
            break
    out.write(text)
    out.write("\n")
    shown = len(sarif["runs"][0]["results"])
    if shown < len(result.findings):
        note = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][-1]["message"]["text"]
        sys.stderr.write(f"bplint: SARIF report: {note}\n")
