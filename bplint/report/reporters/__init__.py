"""Reporters turn a ScanResult into text for people or data for machines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, TextIO

from bplint.report.findings import ScanResult
from bplint.report.sources import SourceLines

Reporter = Callable[[ScanResult, TextIO, "ReportOptions"], None]


class ReportOptions:
    def __init__(self, color: bool = False, quiet: bool = False, statistics: bool = False,
                 sources: SourceLines | None = None, enabled_rules: tuple = (),
                 enabled_codes: frozenset[str] = frozenset(), report_root: Path | None = None,
                 cwd: Path | None = None) -> None:
        self.color = color
        # what the paths of SARIF, GitHub and GitLab reports are relative to (the repository's top);
        # None: the working directory, as in the text and JSON reports
        self.report_root = report_root
        self.cwd = cwd
        self.quiet = quiet
        self.statistics = statistics
        # source lines of reported files, shared by every report of one scan
        self.sources = sources if sources is not None else SourceLines()
        self._enabled_rules = enabled_rules
        self._enabled_codes = enabled_codes

    def root_path(self, path: str) -> str:
        """A finding's path (relative to the working directory) relative to ``report_root``; as it is
        when there is no report root or the file is outside it."""
        relative = self._below_root(path)
        return path if relative is None else relative

    def outside_root(self, path: str) -> str | None:
        """The absolute path of a file outside ``report_root`` (None for one inside it, or no root)."""
        if self.report_root is None or not path or self._below_root(path) is not None:
            return None
        return os.path.normpath(os.path.join(self.cwd or os.getcwd(), path))

    def _below_root(self, path: str) -> str | None:
        if self.report_root is None or not path:
            return None
        absolute = os.path.normpath(os.path.join(self.cwd or os.getcwd(), path))
        relative = os.path.relpath(absolute, self.report_root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return None
        return relative.replace(os.sep, "/")

    @property
    def enabled_rules(self) -> tuple:
        """The rules of the scan, for formats that describe them (SARIF).

        Given as codes, they are looked up only when a format asks: a scan
        served from the last run's result loads no rule otherwise.
        """
        if not self._enabled_rules and self._enabled_codes:
            from bplint.scan.registry import all_rules

            self._enabled_rules = tuple(r for r in all_rules() if r.code in self._enabled_codes)
        return self._enabled_rules


_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "github": "github", "gitlab": "gitlab"}


def get_reporter(name: str) -> Reporter:
    import importlib

    # only the format asked for is imported: SARIF's pulls in every rule's documentation
    return importlib.import_module(f"bplint.report.reporters.{_MODULES[name]}").report


FORMATS = ("text", "json", "sarif", "github", "gitlab")
