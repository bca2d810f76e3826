"""Reporters turn a ScanResult into text for people or data for machines."""

from __future__ import annotations

from typing import Callable, TextIO

from bplint.findings import ScanResult
from bplint.sources import SourceLines

Reporter = Callable[[ScanResult, TextIO, "ReportOptions"], None]


class ReportOptions:
    def __init__(self, color: bool = False, quiet: bool = False, statistics: bool = False,
                 sources: SourceLines | None = None, enabled_rules: tuple = ()) -> None:
        self.color = color
        self.quiet = quiet
        self.statistics = statistics
        # source lines of reported files, shared by every report of one scan
        self.sources = sources if sources is not None else SourceLines()
        # the rules of the scan, for formats that describe them (SARIF)
        self.enabled_rules = enabled_rules


def get_reporter(name: str) -> Reporter:
    from bplint.reporters import github, gitlab, json_report, sarif, text

    return {"text": text.report, "json": json_report.report, "sarif": sarif.report, "github": github.report,
            "gitlab": gitlab.report}[name]


FORMATS = ("text", "json", "sarif", "github", "gitlab")
