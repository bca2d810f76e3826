"""Latency of `bplint server` after a keystroke, and its memory with many files open.

    python benchmarks/lsp_latency.py PROJECT FILE [--edits 20] [--open 50] [--config FILE] [--cache-dir DIR]

Starts `bplint server` in PROJECT, opens FILE, then types: each edit adds a character to a
comment at the end of a line in the middle of the unsaved buffer (with --newlines: a new line
there, which moves every position below it in the index facts) and the time is taken from the change notification to the diagnostics of that
version (the server's pause before checking, ``bplint.server.DEBOUNCE``, included). Then opens
up to --open more Python files of the project, one after the other, and reads the server's
resident memory. Not a test: figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

TIMEOUT = 300.0


def cpu_ms(pid: int) -> float:
    """The CPU time the process has used (user and system), in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(args: argparse.Namespace) -> None:
    project = Path(args.project).resolve()
    target = (project / args.file).resolve()
    client = LanguageClient("bplint-benchmark", "1")
    published: dict[str, asyncio.Future] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        waiting = published.get(f"{params.uri}#{params.version}")
        if waiting is not None and not waiting.done():
            waiting.set_result((time.perf_counter(), len(params.diagnostics)))

    def expect(uri: str, version: int) -> asyncio.Future:
        future = published[f"{uri}#{version}"] = asyncio.get_running_loop().create_future()
        return future

    command = [sys.executable, "-m", "bplint", "server", *(["--config", args.config] if args.config else [])]
    env = {**os.environ, **({"BPLINT_CACHE_DIR": args.cache_dir} if args.cache_dir else {})}
    await client.start_io(*command, cwd=str(project), env=env)
    pid = client._server.pid
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=project.as_uri()))
    client.initialized(types.InitializedParams())
    try:
        text = target.read_text(encoding="utf-8")
        uri = target.as_uri()
        started = time.perf_counter()
        first = expect(uri, 1)
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        at, count = await asyncio.wait_for(first, TIMEOUT)
        print(f"open (project loaded, index built): {at - started:.2f} s, {count} diagnostics, "
              f"{len(text.splitlines())} lines")
        lines = text.splitlines(keepends=True)
        times, cpu = [], []
        for version in range(2, args.edits + 2):
            # a keystroke: one character more in a comment at the end of a line in the middle of the file
            row = len(lines) // 2
            column = len(lines[row].rstrip("\r\n"))
            if args.newlines:  # Enter: every line below moves, and with it the index facts' positions
                insert = "\n"
            else:
                insert = "  # x" if version == 2 else "x"
            done = expect(uri, version)
            before = cpu_ms(pid)
            sent = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(row, column), types.Position(row, column)), text=insert)]))
            lines[row] = lines[row][:column] + insert + lines[row][column:]
            lines = "".join(lines).splitlines(keepends=True)
            at, _ = await asyncio.wait_for(done, TIMEOUT)
            times.append((at - sent) * 1000)
            cpu.append(cpu_ms(pid) - before)
            await asyncio.sleep(0.05)
        print(f"after a keystroke: median {statistics.median(times):.0f} ms, min {min(times):.0f}, "
              f"max {max(times):.0f} over {len(times)} edits (pause before checking included)")
        print(f"the server's CPU time per edit: median {statistics.median(cpu):.0f} ms (what a machine not "
              f"shared with other work would wait, plus the pause)")
        print(f"memory with 1 file open: {rss_mib(pid):.0f} MiB")
        others = sorted(p for p in project.rglob("*.py") if p != target and ".bplint_cache" not in p.parts)
        opened = 1
        for path in others[: max(args.open - 1, 0)]:
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            done = expect(path.as_uri(), 1)
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=content)))
            await asyncio.wait_for(done, TIMEOUT)
            opened += 1
        print(f"memory with {opened} files open: {rss_mib(pid):.0f} MiB")
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project")
    parser.add_argument("file")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--open", type=int, default=50)
    parser.add_argument("--config")
    parser.add_argument("--newlines", action="store_true",
                        help="each edit is a new line in the middle of the file (its facts change) instead of a "
                             "character typed in a comment")
    parser.add_argument("--cache-dir", help="where the server keeps its cache (BPLINT_CACHE_DIR)")
    asyncio.run(main(parser.parse_args()))
