"""`bplint server`, end to end: the server runs as a subprocess, driven by pygls's language
client over its standard streams, every wait bounded (a hung server fails the test, never CI)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from test_stdin import MODELS, MODELS_WITHOUT_RELATION, SETTINGS, SETTINGS_FIXED, TOKEN, VIEWS, project  # noqa: F401

pygls = pytest.importorskip("pygls", reason="the language server needs pygls (pip install 'bplint[lsp]')")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

STEP = 60.0  # seconds any one answer may take on a loaded machine; the whole test is bounded by them


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


def _apply(text: str, edits: list) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position) -> int:
        return offsets[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


class Session:
    def __init__(self, project: Path) -> None:
        self.project = project
        self.client = LanguageClient("bplint-test", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "bplint", "server", cwd=str(self.project))
        await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=_uri(self.project))), STEP)
        self.client.initialized(types.InitializedParams())

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        except Exception:
            pass
        server = self.client._server
        if server is not None and server.returncode is None:
            try:
                await asyncio.wait_for(server.wait(), 10)
            except asyncio.TimeoutError:
                server.kill()
        await asyncio.wait_for(self.client.stop(), 10)

    def open(self, relpath: str, text: str) -> str:
        uri = _uri(self.project / relpath)
        self.versions[uri], self.texts[uri] = 1, text
        self.diagnostics.pop(uri, None)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def wait_for(self, uri: str, codes: list[str]) -> list[types.Diagnostic]:
        """The document's diagnostics once their codes are ``codes`` (failing after STEP seconds)."""
        async def settled() -> list[types.Diagnostic]:
            while True:
                found = self.diagnostics.get(uri)
                if found is not None and sorted(str(d.code) for d in found) == sorted(codes):
                    return found
                await asyncio.sleep(0.02)

        try:
            return await asyncio.wait_for(settled(), STEP)
        except asyncio.TimeoutError:
            pytest.fail(f"{uri}: expected {codes}, the server published {self.diagnostics.get(uri)}")


def test_server_end_to_end(project: Path) -> None:
    asyncio.run(asyncio.wait_for(_end_to_end(project), 6 * STEP))


async def _end_to_end(project: Path) -> None:
    session = Session(project)
    await session.start()
    try:
        # a hardcoded secret: BP101 on the literal, with its rule page and severity
        settings = session.open("library/settings.py", SETTINGS)
        (diagnostic,) = await session.wait_for(settings, ["BP101"])
        assert diagnostic.range == types.Range(types.Position(3, 12), types.Position(3, 12 + len(TOKEN) + 2))
        assert diagnostic.severity == types.DiagnosticSeverity.Error and diagnostic.source == "bplint"
        assert diagnostic.code_description.href.endswith("/rules/BP101.md")
        hover = await asyncio.wait_for(session.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(settings), position=types.Position(3, 20))), STEP)
        assert "BP101 hardcoded-secret" in hover.contents.value and "/rules/BP101.md" in hover.contents.value

        # fixed in the editor, not saved: the diagnostic goes
        session.change(settings, SETTINGS_FIXED)
        await session.wait_for(settings, [])
        assert (project / "library/settings.py").read_text() == SETTINGS_FIXED

        # the suppress-on-this-line action's edit, applied, leaves no diagnostic
        session.change(settings, SETTINGS)
        (diagnostic,) = await session.wait_for(settings, ["BP101"])
        actions = await asyncio.wait_for(session.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(settings), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]))), STEP)
        titles = [a.title for a in actions]
        assert "bplint: suppress BP101 on this line" in titles and "bplint: suppress BP101 in this file" in titles
        suppress = next(a for a in actions if a.title == "bplint: suppress BP101 on this line")
        suppressed = _apply(session.texts[settings], suppress.edit.changes[settings])
        assert suppressed.splitlines()[3].endswith("# bplint: ignore[BP101]")
        session.change(settings, suppressed)
        await session.wait_for(settings, [])
        # and the suppress-in-this-file action's
        session.change(settings, SETTINGS)
        await session.wait_for(settings, ["BP101"])
        whole_file = next(a for a in actions if a.title == "bplint: suppress BP101 in this file")
        suppressed = _apply(SETTINGS, whole_file.edit.changes[settings])
        assert suppressed.startswith("# bplint: ignore-file[BP101]\n")
        session.change(settings, suppressed)
        await session.wait_for(settings, [])

        # an open view's N+1 finding follows the edits of the models in another open file, unsaved
        views = session.open("library/views.py", VIEWS)
        models = session.open("library/models.py", MODELS)
        await session.wait_for(views, ["BP401"])
        session.change(models, MODELS_WITHOUT_RELATION)
        await session.wait_for(views, [])
        session.change(models, MODELS)
        await session.wait_for(views, ["BP401"])
    finally:
        await session.stop()
