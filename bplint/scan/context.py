"""What a rule sees: the file (or project) under check, and where it reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bplint.discover.files import SourceFile
from bplint.discover.files import split_lines
from bplint.project import names
from bplint.project.bindings import Bindings
from bplint.project.index import ModuleFacts, ProjectIndex
from bplint.report.findings import Finding, Fix, Severity, Span

if TYPE_CHECKING:
    from bplint.config import Config
    from bplint.report.fixes import NodeFix
    from bplint.rule import Rule

# What this process did for the per-file pass, by kind ("libcst_parsed", "positions_resolved"):
# read around each file's check and summed into the scan's work figures (--statistics).
WORK: Counter = Counter()


@dataclass
class _Pending:
    rule: type["Rule"]
    node: cst.CSTNode
    message: str
    fix: "NodeFix | Fix | None"
    secret: bool
    severity: "Severity | None" = None


class FileContext:
    def __init__(self, file: SourceFile, config: "Config", index: ProjectIndex,
                 facts: ModuleFacts | None = None, is_test: bool = False, role: Any = None) -> None:
        self.file = file
        self.config = config
        self.index = index
        self.facts = facts
        self.is_test = is_test
        self.role = role  # bplint.project.roles.Role, as decided in the index
        self.module: cst.Module | None = None
        # set by the engine when an active rule has ``uses_bindings``
        self.bindings: Bindings | None = None
        self.findings: list[Finding] = []
        self._pending: list[_Pending] = []
        self._metadata: dict[type, Any] = {}
        self._wrapper: MetadataWrapper | None = None
        self._shared: dict[str, Any] = {}

    # --- file facts -----------------------------------------------------
    @property
    def relpath(self) -> str:
        return self.file.relpath

    @property
    def text(self) -> str:
        return self.file.text()

    @property
    def filename(self) -> str:
        return self.file.relpath.rsplit("/", 1)[-1]

    def option(self, code: str, key: str) -> Any:
        return self.config.option(code, key)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """A helper made once for this file (``make()``) and shared by a rule's ``applies_to`` and its
        visitor, or by several rules."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    # --- names ----------------------------------------------------------
    def qualified_name(self, node: cst.CSTNode) -> str | None:
        return names.qualified_name(node, self.facts)

    def instance_of(self, node: cst.CSTNode) -> str | None:
        return names.instance_of(node, self.facts)

    def imports_any(self, *modules: str) -> bool:
        return self.facts is not None and self.facts.imports_any(*modules)

    def role_at(self, node: cst.CSTNode) -> Any:
        """The role of the code at ``node``: its innermost region's (a command, a test configuration
        class inside an application module) or the file's. Positions are resolved only in files
        that have regions."""
        from bplint.project.regions import role_at

        regions = self.index.regions_of(self.relpath) if self.index is not None else ()
        if not regions:
            return self.role
        position = self.get_metadata(PositionProvider, node)
        return self.role if position is None else role_at(regions, position.start.line, self.role)

    # --- metadata, computed once per file and only when a rule asks --------
    def get_metadata(self, key: type, node: cst.CSTNode, default: Any = None) -> Any:
        if key not in self._metadata:
            assert self.module is not None, "metadata is only available in Python files"
            if self._wrapper is None:
                # unsafe_skip_copy keeps node identity, so rules can look up
                # the very nodes they visit.
                self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._metadata[key] = self._wrapper.resolve(key)
            if key is PositionProvider:
                WORK["positions_resolved"] += 1
        return self._metadata[key].get(node, default)

    # --- reporting ------------------------------------------------------
    def report_node(self, rule: "Rule", node: cst.CSTNode, message: str, *, fix: "NodeFix | Fix | None" = None,
                    secret: bool = False, severity: "Severity | None" = None) -> None:
        # Positions are resolved once, after the traversal, and only in files
        # with findings: most files have none and never pay for them.
        self._pending.append(_Pending(type(rule), node, message, fix, secret, severity))

    def report_span(self, rule: "Rule", span: Span, message: str, *, fix: Fix | None = None,
                    secret: bool = False, severity: "Severity | None" = None) -> None:
        self.findings.append(make_finding(type(rule), self.relpath, span, message, fix, secret, severity))

    def resolve_pending(self) -> None:
        if not self._pending:
            return
        lines: list[str] | None = None
        for item in self._pending:
            code_range = self.get_metadata(PositionProvider, item.node)
            if code_range is None:
                span = Span(1, 1, 1, 1)
            else:
                span = Span(code_range.start.line, code_range.start.column + 1,
                            code_range.end.line, code_range.end.column + 1)
            fix = item.fix
            if fix is not None and not isinstance(fix, Fix):
                from bplint.report.fixes import resolve

                lines = split_lines(self.text) if lines is None else lines
                assert self.module is not None
                fix = resolve(fix, self.module, lines, lambda node: self.get_metadata(PositionProvider, node))
            self.findings.append(make_finding(item.rule, self.relpath, span, item.message, fix, item.secret,
                                              item.severity))
        self._pending.clear()


def make_finding(rule: type["Rule"], path: str, span: Span, message: str, fix: Fix | None = None,
                 secret: bool = False, severity: "Severity | None" = None, project_level: bool = False) -> Finding:
    return Finding(code=rule.code, name=rule.name, severity=severity or rule.severity, category=rule.category,
                   message=message, path=path, line=span.line, column=span.column,
                   end_line=span.end_line, end_column=span.end_column, fix=fix, secret=secret,
                   project_level=project_level)


@dataclass
class ProjectContext:
    index: ProjectIndex
    config: "Config"
    files: list[SourceFile]
    findings: list[Finding] = field(default_factory=list)
    # state that the project rules of one family build once and share (keyed by
    # the family); it lives as long as this scan, so nothing leaks between scans
    shared: dict[str, Any] = field(default_factory=dict)

    def option(self, code: str, key: str) -> Any:
        return self.config.option(code, key)

    def relpath_of_root_file(self, name: str) -> str:
        """The report path of a file at the project root (it need not exist)."""
        return self.index.root_relpath(name)

    def report(self, rule: "Rule", path: str, span: Span, message: str, *, fix: Fix | None = None,
               secret: bool = False, severity: "Severity | None" = None, project_level: bool = False) -> None:
        self.findings.append(make_finding(type(rule), path, span, message, fix, secret, severity, project_level))
