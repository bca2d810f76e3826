"""Reporters turn a ScanResult into text for people or data for machines."""

from __future__ import annotations

from typing import Callable, TextIO

from bplint.findings import ScanResult

Reporter = Callable[[ScanResult, TextIO, "ReportOptions"], None]


class ReportOptions:
    def __init__(self, color: bool = False, quiet: bool = False, statistics: bool = False,
                 sources: dict[str, list[str]] | None = None) -> None:
        self.color = color
        self.quiet = quiet
        self.statistics = statistics
        # path -> lines, for reporters that show source; filled lazily
        self.sources = sources if sources is not None else {}


def get_reporter(name: str) -> Reporter:
    from bplint.reporters import json_report, text

    return {"text": text.report, "json": json_report.report}[name]


FORMATS = ("text", "json")
