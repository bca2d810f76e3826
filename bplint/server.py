"""`bplint server`: a Language Server Protocol server over standard input and output.

Each project (the root its configuration gives a file) keeps its index in memory
(``engine.LiveProject``); an open document's text, saved or not, is checked with
``engine.check_text`` against it, which replaces that file's facts only. The other open
documents whose findings read the changed facts (a model's, for the N+1 findings of a view
that uses it) are checked again. Changes are checked after a short pause in typing; a
change to a configuration file reloads the configuration and checks every open document.

Needs pygls: ``pip install "bplint[lsp]"``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from bplint import RULES_URL, __version__
from bplint.config import CONFIG_NAMES, ConfigError, read_settings
from bplint.discover.files import FileKind, classify
from bplint.report.findings import Finding, Severity
from bplint.scan.engine import LiveProject, TextCheck
from bplint.scan.registry import RegistryError, all_rules, find_rule

# seconds without a change before a document is checked again. Short: while a check runs, the changes
# that come in wait, and the next check takes the last of them, so a fast typist is never behind
DEBOUNCE = 0.05
# the kinds of file the server publishes diagnostics for
CHECKED_KINDS = frozenset({FileKind.PYTHON, FileKind.REQUIREMENTS, FileKind.DOTENV, FileKind.CONFIG,
                           FileKind.PYPROJECT, FileKind.PIPFILE})
SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
              Severity.INFO: types.DiagnosticSeverity.Information}
SOURCE = "bplint"

log = logging.getLogger("bplint.server")


@dataclasses.dataclass
class OpenFile:
    uri: str
    path: Path
    project: LiveProject | None = None
    findings: list[Finding] = dataclasses.field(default_factory=list)
    reads: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    derived: frozenset[str] = frozenset()  # the derived views its last check used
    pending: asyncio.Task | None = None


class BplintServer(LanguageServer):
    def __init__(self, config_file: Path | None = None) -> None:
        super().__init__("bplint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.config_file = config_file
        self.projects: dict[tuple[Path, Path | None], LiveProject] = {}
        self.open: dict[str, OpenFile] = {}

    # --- projects -----------------------------------------------------------------------
    def project_for(self, path: Path) -> LiveProject:
        """The live project of the file at ``path``, loaded from disk on first use."""
        settings = read_settings([path], config_file=self.config_file)
        key = (settings.root, settings.source)
        project = self.projects.get(key)
        if project is None:
            from bplint.scan.cache import cache_for
            from bplint.scan.workers import default_jobs

            project = self.projects[key] = LiveProject.load(settings, all_rules(), settings.root,
                                                            cache_for(settings.root), default_jobs())
        return project

    def reload(self) -> None:
        """Read the configuration again: every project is loaded afresh, every open file checked."""
        self.projects.clear()
        for state in self.open.values():
            state.project = None
        for uri in list(self.open):
            self.check(uri)

    # --- checking -----------------------------------------------------------------------
    def text_of(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def check(self, uri: str, dependents: bool = True) -> None:
        """Check the open document ``uri`` now and publish its diagnostics; then the other open
        documents whose findings read what this text changed."""
        state = self.open.get(uri)
        if state is None:
            return
        try:
            if state.project is None:
                state.project = self.project_for(state.path)
            outcome = state.project.check(state.path, self.text_of(uri))
        except (ConfigError, RegistryError) as exc:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"bplint: {exc}"))
            return
        except Exception as exc:  # a bug in bplint itself: say so, keep serving
            log.exception("checking %s", uri)
            self.window_log_message(types.LogMessageParams(types.MessageType.Error,
                                                           f"bplint: internal error on {state.path}: {exc}"))
            return
        self.publish(state, outcome)
        if dependents and outcome.changed:
            for other in self.dependents(state, outcome):
                self.check(other.uri, dependents=False)

    def dependents(self, state: OpenFile, outcome: TextCheck) -> list[OpenFile]:
        """The other open files of the project whose last check read facts the text changed."""
        project = state.project
        assert project is not None
        names = {project.index.modules.raw()[p].module for p in outcome.changed if p in project.index.modules.raw()}
        python_changed = any(p in project.index.modules.raw() for p in outcome.changed)
        found = []
        for other in self.open.values():
            if other is state or other.project is not project:
                continue
            relpath = project.source_file(other.path).relpath
            if relpath in outcome.changed or _reads_any(other.reads, outcome.changed, names) or \
                    (other.derived and python_changed) or \
                    (classify(relpath) is not FileKind.PYTHON and any(
                        classify(p) is not FileKind.PYTHON for p in outcome.changed)):
                found.append(other)
        return found

    def publish(self, state: OpenFile, outcome: TextCheck) -> None:
        assert state.project is not None
        relpath = state.project.source_file(state.path).relpath
        state.findings = [f for f in outcome.result.findings if f.path == relpath]
        state.reads = outcome.reads
        state.derived = outcome.derived
        document = self.workspace.get_text_document(state.uri)
        diagnostics = [self.diagnostic(document, finding) for finding in state.findings]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=state.uri, diagnostics=diagnostics, version=document.version))

    def diagnostic(self, document, finding: Finding) -> types.Diagnostic:
        return types.Diagnostic(
            range=self.range_of(document, finding.line, finding.column, finding.end_line, finding.end_column),
            message=finding.message,
            severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
            code=finding.code,
            code_description=types.CodeDescription(href=RULES_URL.format(code=finding.code)),
            source=SOURCE,
            data={"name": finding.name, "fixable": finding.fix is not None},
        )

    @staticmethod
    def range_of(document, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        """A finding's 1-based span (in characters) as an LSP range in the client's units."""
        span = types.Range(types.Position(max(line - 1, 0), max(column - 1, 0)),
                           types.Position(max(end_line - 1, 0), max(end_column - 1, 0)))
        lines = document.lines
        if span.start.line >= len(lines):
            return span
        return document.position_codec.range_to_client_units(lines, span)

    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds unless another change comes first."""
        state = self.open.get(uri)
        if state is None:
            return
        if state.pending is not None:
            state.pending.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            state.pending = None
            self.check(uri)

        state.pending = asyncio.get_running_loop().create_task(later())

    # --- code actions ---------------------------------------------------------------------
    def finding_for(self, state: OpenFile, diagnostic: types.Diagnostic) -> Finding | None:
        document = self.workspace.get_text_document(state.uri)
        for finding in state.findings:
            if finding.code == diagnostic.code and self.range_of(
                    document, finding.line, finding.column, finding.end_line, finding.end_column) == diagnostic.range:
                return finding
        return None

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        from bplint.report.noqa import mark_file, mark_lines

        state = self.open.get(params.text_document.uri)
        if state is None:
            return []
        document = self.workspace.get_text_document(state.uri)
        text = document.source
        kind = classify(state.path.name)
        commentable = kind is not FileKind.CONFIG or state.path.suffix.lower() != ".json"
        actions: list[types.CodeAction] = []
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != SOURCE:
                continue
            finding = self.finding_for(state, diagnostic)
            if finding is None:
                continue
            if finding.fix is not None:
                edits = [types.TextEdit(self.range_of(document, e.line, e.column, e.end_line, e.end_column),
                                        e.content) for e in finding.fix.edits]
                actions.append(self._action(f"bplint: {finding.fix.message.rstrip('.')}", diagnostic, state.uri,
                                            edits, preferred=finding.fix.applicability.value == "safe"))
            if not commentable:
                continue
            marked, added, _ = mark_lines(text, [finding], kind is FileKind.PYTHON, str(state.path))
            if added and marked != text:
                actions.append(self._action(f"bplint: suppress {finding.code} on this line", diagnostic, state.uri,
                                            [self.whole_edit(document, marked)]))
            actions.append(self._action(f"bplint: suppress {finding.code} in this file", diagnostic, state.uri,
                                        [self.whole_edit(document, mark_file(text, [finding.code]))]))
        return actions

    @staticmethod
    def whole_edit(document, new: str) -> types.TextEdit:
        """The smallest edit of whole lines that turns the document's text into ``new``."""
        old_lines, new_lines = document.source.splitlines(keepends=True), new.splitlines(keepends=True)
        start = 0
        while start < min(len(old_lines), len(new_lines)) and old_lines[start] == new_lines[start]:
            start += 1
        end_old, end_new = len(old_lines), len(new_lines)
        while end_old > start and end_new > start and old_lines[end_old - 1] == new_lines[end_new - 1]:
            end_old, end_new = end_old - 1, end_new - 1
        replaced = types.Range(types.Position(start, 0), types.Position(end_old, 0))
        if end_old == len(old_lines) and old_lines and not old_lines[-1].endswith(("\n", "\r")):
            last = end_old - 1  # the last line has no line end: the range ends at its end
            replaced = types.Range(types.Position(start, 0), types.Position(
                last, len(old_lines[last].encode("utf-16-le")) // 2))
        return types.TextEdit(replaced, "".join(new_lines[start:end_new]))

    @staticmethod
    def _action(title: str, diagnostic: types.Diagnostic, uri: str, edits: list[types.TextEdit],
                preferred: bool = False) -> types.CodeAction:
        return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                                edit=types.WorkspaceEdit(changes={uri: edits}), is_preferred=preferred or None)

    # --- hover ------------------------------------------------------------------------------
    def hover(self, params: types.HoverParams) -> types.Hover | None:
        state = self.open.get(params.text_document.uri)
        if state is None:
            return None
        document = self.workspace.get_text_document(state.uri)
        where = params.position
        parts = []
        for finding in state.findings:
            span = self.range_of(document, finding.line, finding.column, finding.end_line, finding.end_column)
            if (span.start.line, span.start.character) <= (where.line, where.character) <= \
                    (span.end.line, span.end.character):
                rule = find_rule(finding.code)
                summary = f"{rule.summary}. {_first_sentence(rule.why)}" if rule is not None else ""
                parts.append(f"**{finding.code} {finding.name}** ({finding.severity.value}): {summary}\n\n"
                             f"[{finding.code} rule page]({RULES_URL.format(code=finding.code)})")
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value="\n\n---\n\n".join(dict.fromkeys(parts))))


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[:end + 1]


def _reads_any(reads: set[tuple[str, str]], paths: frozenset[str], modules: set[str]) -> bool:
    """Whether recorded index reads touch these files (by path or module name) or a project-wide view."""
    for label, name in reads:
        if label == "view" or name == "*" or name in paths or (label == "name" and name in modules):
            return True
        if label == "package" and any(m.split(".", 1)[0] == name for m in modules):
            return True
    return False


def make_server(config_file: Path | None = None) -> BplintServer:
    server = BplintServer(config_file)

    def path_of(uri: str) -> Path | None:
        path = to_fs_path(uri)
        return Path(path) if path else None

    def is_config(path: Path) -> bool:
        return path.name in CONFIG_NAMES

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BplintServer, params: types.DidOpenTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is None or classify(path.name) not in CHECKED_KINDS:
            return
        ls.open[params.text_document.uri] = OpenFile(params.text_document.uri, path)
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BplintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: BplintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None and is_config(path):
            ls.reload()
            return
        state = ls.open.get(params.text_document.uri)
        if state is not None and state.pending is not None:
            state.pending.cancel()
            state.pending = None
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BplintServer, params: types.DidCloseTextDocumentParams) -> None:
        state = ls.open.pop(params.text_document.uri, None)
        if state is None:
            return
        if state.pending is not None:
            state.pending.cancel()
        if state.project is not None:
            try:  # what is on disk is the file again
                text = state.path.read_text(encoding="utf-8")
                state.project.check(state.path, text)
            except (OSError, UnicodeDecodeError):
                pass
            except Exception:
                log.exception("restoring %s", state.path)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=state.uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: BplintServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any((p := path_of(change.uri)) is not None and is_config(p) for change in params.changes):
            ls.reload()

    @server.feature(types.INITIALIZED)
    def initialized(ls: BplintServer, params: types.InitializedParams) -> None:
        watched = ls.client_capabilities.workspace
        dynamic = watched is not None and watched.did_change_watched_files is not None and \
            watched.did_change_watched_files.dynamic_registration
        if dynamic:
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="bplint-configuration", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: BplintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: BplintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    return server


def serve(config_file: Path | None = None) -> None:
    """Serve over standard input and output until the client says exit."""
    from bplint.scan.engine import run_with_deep_stack

    logging.basicConfig(level=logging.WARNING, format="bplint server: %(message)s")
    server = make_server(config_file)
    # the whole server on a deep stack: libcst's visitors recurse per level of nesting
    run_with_deep_stack(lambda: server.start_io())
