#!/usr/bin/env python3
"""How long the server takes to write its completion answers, stock pygls against orjson (server/lsp/wire.py).
Not a test: run it by hand after `bench_lsp.py --keep DIR` has built DIR.

    .venv/bin/python tests/benchmarks/bench_lsp_writer.py DIR

The real server runs in this process (tests/kit/inprocess.py) on DIR's danbooru.csv vocabulary and
200-caption dataset; the benchmark's typing (bench_lsp.TYPED, 10 rounds) is replayed as didChange +
completion, and each completion answer's `_send_data` (serialise and write) is timed, then the main
thread's CPU per keystroke. `stock` is pygls' own converter and `json.dumps`; `orjson` the server's
writer. The two alternate, twice each, so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import types as pytypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.protocol import LanguageServerProtocol, default_converter
from pytest_lsp import client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lsp import TYPED

from tests.kit.inprocess import InProcessServer, in_process_server


def stock_writer(served: InProcessServer, monkeypatch: pytest.MonkeyPatch) -> None:
    protocol = served.server.protocol
    protocol._converter = default_converter()
    send = pytypes.MethodType(LanguageServerProtocol._send_data, protocol)
    monkeypatch.setattr(protocol, "_send_data", send)


def timing_completion_answers(
    served: InProcessServer, monkeypatch: pytest.MonkeyPatch, timings: list[float]
) -> None:
    send: Callable[[Any], None] = served.server.protocol._send_data

    def timed(data: Any) -> None:
        started = time.perf_counter()
        send(data)
        if isinstance(getattr(data, "result", None), types.CompletionList):
            timings.append(time.perf_counter() - started)

    monkeypatch.setattr(served.server.protocol, "_send_data", timed)


def change(uri: str, version: int, start: int, end: int, text: str) -> dict[str, Any]:
    span = {"start": {"line": 0, "character": start}, "end": {"line": 0, "character": end}}
    document = {"uri": uri, "version": version}
    return {
        "method": "textDocument/didChange",
        "params": {"textDocument": document, "contentChanges": [{"range": span, "text": text}]},
    }


async def replay(directory: Path, writer: str) -> None:
    monkeypatch = pytest.MonkeyPatch()
    served = in_process_server(monkeypatch, directory / "danbooru.sqlite")
    if writer == "stock":
        stock_writer(served, monkeypatch)
    answers: list[float] = []
    timing_completion_answers(served, monkeypatch, answers)
    root = directory / "dataset-200"
    await served.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": get_converter().unstructure(client_capabilities("neovim")),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        },
    )
    served.notify("initialized", {})
    await served.until_sent("$/progress", "end")
    uri = (root / "000" / "000000.txt").as_uri()
    document = {"uri": uri, "languageId": "text", "version": 1, "text": "ohwxStyle, "}
    served.notify("textDocument/didOpen", {"textDocument": document})
    prefix = len("ohwxStyle, ")
    version = 2
    keystrokes: list[float] = []
    for _ in range(10):
        for word in TYPED:
            for length in range(1, len(word) + 1):
                at = prefix + length
                started = time.thread_time()
                served.receive(change(uri, version, at - 1, at - 1, word[length - 1]))
                served.next_id += 1
                position = {"line": 0, "character": at}
                served.receive(
                    {
                        "id": served.next_id,
                        "method": "textDocument/completion",
                        "params": {"textDocument": {"uri": uri}, "position": position},
                    }
                )
                keystrokes.append(time.thread_time() - started)
                version += 1
                served.writer.bodies.clear()
            served.receive(change(uri, version, prefix, prefix + len(word), ""))
            version += 1
    monkeypatch.undo()
    print(
        f"[{writer}] completion answer serialised and written: p50 {statistics.median(answers) * 1e6:.0f} us"
        f"  p90 {statistics.quantiles(answers, n=10)[-1] * 1e6:.0f} us;"
        f" main-thread CPU per keystroke p50 {statistics.median(keystrokes) * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path, help="the folder bench_lsp.py --keep filled")
    args = parser.parse_args()
    for writer in ("stock", "orjson", "stock", "orjson"):
        asyncio.run(replay(args.directory, writer))


if __name__ == "__main__":
    main()
