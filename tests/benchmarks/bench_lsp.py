#!/usr/bin/env python3
"""Language server speed figures quoted in the README (### Language server). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_lsp.py [--keep DIR] [--quick]

A real client over stdio (Neovim 0.11's capabilities: UTF-8, published diagnostics; JSON decoding only, as
editors do) starts `captionls serve` exactly as an editor does, on a 200-caption dataset:

1. initialize -> first completion answer, and process start -> first completion (target <= 500 ms).
2. Completion round trip while typing tag prefixes, multi-word and typo queries: p50 / p99 with
   danbooru.csv imported (target p99 <= 3 ms) and with a 2,000,000-tag vocabulary (p99 <= 5 ms).
3. Diagnostics of a 30-tag caption after an edit: didChange sent -> publishDiagnostics received
   (target <= 5 ms).
4. Server memory (VmRSS, VmHWM from /proc) with the 2M vocabulary after the runs (target <= 150 MB).
5. Indexing 100,000 captions in the background: initialized -> progress end (target <= 30 s), and the
   slowest completion answered while it runs (requests must not wait for the scan; only the first one with
   nothing typed waits for it, at most 0.3 s).
6. For comparison: the same completion round trip against a bare pygls server that answers one fixed item.

`--quick`: 200,000 synthetic tags and 20,000 captions (a fast look, not for the README).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol.converters import get_converter
from pytest_lsp import client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import make_dataset, tag_pool
from bench_vocab import DANBOORU, fresh_db, import_in_child, import_once, percentile, write_synthetic

SERVER = [str(Path(sys.executable).with_name("captionls")), "serve"]
BARE_SERVER = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer
server = LanguageServer("bare", "1")
@server.feature(types.TEXT_DOCUMENT_COMPLETION)
def complete(params: types.CompletionParams) -> types.CompletionList:
    return types.CompletionList(is_incomplete=True, items=[types.CompletionItem(label="contrapposto")])
server.start_io()
"""
# What a user types, one character at a time, after `ohwxStyle, `.
TYPED = [
    "contrapposto",
    "long ha",
    "looking at vi",
    "lokking at",
    "sitting",
    "from si",
    "white shi",
    "raised ar",
]
CAPTION_30 = (
    "ohwxStyle, anime, 1girl, solo, full body, from side, sitting, head tilt, looking at viewer, smile, "
    "long hair, brown hair, blue eyes, white shirt, pleated skirt, black thighhighs, hair ribbon, "
    "sunlight, light rays, indoors, couch, wooden floor, window, curtains, potted plant, bookshelf, "
    "lamp, cup, dreary, 1girl"
)


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.2f} ms  p99 {percentile(values, 0.99) * 1000:.2f} ms"


class BenchClient:
    """A minimal JSON-RPC client over the server's stdio, as editors are: it decodes JSON and nothing more
    (Neovim and VS Code parse messages in native code; a Python LSP client would time its own parsing).
    It answers what the server asks (progress tokens, configuration, registrations) with null."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.diagnostics: dict[str, asyncio.Event] = {}
        self.indexed = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    def send(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self.send({"id": self.next_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    async def read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            length = 0
            while (line := await stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.dispatch(json.loads(await stdout.readexactly(length)))

    def dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            future = self.pending.pop(message["id"])
            if "error" in message:
                future.set_exception(RuntimeError(message["error"]))
            else:
                future.set_result(message.get("result"))
        elif "id" in message:
            items = message["params"].get("items", []) if method == "workspace/configuration" else None
            self.send({"id": message["id"], "result": None if items is None else [None for _ in items]})
        elif method == "textDocument/publishDiagnostics":
            self.diagnostics.setdefault(message["params"]["uri"], asyncio.Event()).set()
        elif method == "$/progress" and message["params"]["value"].get("kind") == "end":
            self.indexed.set()
        elif method == "window/logMessage" and message["params"]["type"] == 1:
            print("server error:", message["params"]["message"], file=sys.stderr)

    async def start(self, command: list[str], root: Path, db: Path) -> tuple[float, float]:
        """Start and initialize; (time of the spawn, time the initialize request was sent)."""
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "CAPTIONLS_DB": str(db)},
            limit=2**24,
        )
        self.reader = asyncio.ensure_future(self.read())
        requested = time.perf_counter()
        folder = {"uri": root.as_uri(), "name": root.name}
        await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": get_converter().unstructure(client_capabilities("neovim")),
                "workspaceFolders": [folder],
            },
        )
        self.notify("initialized", {})
        return started, requested

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        document = {"uri": uri, "languageId": "text", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})
        return uri

    def change(self, uri: str, version: int, start: int, end: int, text: str) -> None:
        """Replace characters [start, end) of line 0 (ASCII text: UTF-8 columns are characters)."""
        span = {"start": {"line": 0, "character": start}, "end": {"line": 0, "character": end}}
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": span, "text": text}],
            },
        )

    async def complete(self, uri: str, character: int) -> dict[str, Any]:
        position = {"line": 0, "character": character}
        result = await self.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": position}
        )
        assert isinstance(result, dict) and "items" in result, result
        return result

    async def stop(self) -> None:
        assert self.process is not None
        await self.request("shutdown", None)
        self.notify("exit", None)
        await self.process.wait()
        if self.reader is not None:
            self.reader.cancel()


def server_pid(bench: BenchClient) -> int:
    assert bench.process is not None
    return bench.process.pid


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


async def typing_round_trips(bench: BenchClient, uri: str, rounds: int) -> list[float]:
    """Type each query one character at a time after `ohwxStyle, `; time each completion request."""
    timings: list[float] = []
    prefix = len("ohwxStyle, ")
    version = 2
    for _ in range(rounds):
        for word in TYPED:
            for length in range(1, len(word) + 1):
                bench.change(uri, version, prefix, prefix + length - 1, word[length - 1])
                version += 1
                started = time.perf_counter()
                await bench.complete(uri, prefix + length)
                timings.append(time.perf_counter() - started)
            bench.change(uri, version, prefix, prefix + len(word), "")
            version += 1
    return timings


async def diagnostics_after_edit(bench: BenchClient, uri: str, edits: int) -> list[float]:
    """Toggle the last tag between `1girl` and `2girl`; time didChange -> publishDiagnostics."""
    timings: list[float] = []
    column = CAPTION_30.rindex("1girl")
    for version in range(2, edits + 2):
        event = bench.diagnostics.setdefault(uri, asyncio.Event())
        event.clear()
        started = time.perf_counter()
        bench.change(uri, version, column, column + 1, "2" if version % 2 == 0 else "1")
        await event.wait()
        timings.append(time.perf_counter() - started)
    return timings


async def bench_vocabulary(label: str, db: Path, root: Path, rounds: int, memory: bool) -> None:
    bench = BenchClient()
    spawned, requested = await bench.start(SERVER, root, db)
    caption = root / "000" / "000000.txt"
    uri = bench.open(caption, "ohwxStyle, ")
    bench.change(uri, 2, len("ohwxStyle, "), len("ohwxStyle, "), "c")
    await bench.complete(uri, len("ohwxStyle, c"))
    first = time.perf_counter()
    print(
        f"[{label}] initialize -> first completion {(first - requested) * 1000:.0f} ms;"
        f" process start -> first completion {(first - spawned) * 1000:.0f} ms"
    )
    await asyncio.wait_for(bench.indexed.wait(), 120)
    bench.change(uri, 3, len("ohwxStyle, "), len("ohwxStyle, c"), "")
    await bench.complete(uri, len("ohwxStyle, "))
    typing = await typing_round_trips(bench, uri, rounds)
    print(f"[{label}] completion round trip while typing: {summary(typing)}")
    diagnostics_uri = bench.open(root / "000" / "000001.txt", CAPTION_30)
    await bench.diagnostics.setdefault(diagnostics_uri, asyncio.Event()).wait()
    timings = await diagnostics_after_edit(bench, diagnostics_uri, 300)
    print(f"[{label}] diagnostics of a 30-tag caption after an edit: {summary(timings)}")
    if memory:
        rss, peak = memory_mb(server_pid(bench))
        print(f"[{label}] server memory: VmRSS {rss:.0f} MB, peak VmHWM {peak:.0f} MB")
    await bench.stop()


async def bench_bare(root: Path, db: Path, rounds: int) -> None:
    bench = BenchClient()
    await bench.start([sys.executable, "-c", BARE_SERVER], root, db)
    uri = (root / "bare.txt").as_uri()
    timings = []
    for _ in range(rounds * 80):
        started = time.perf_counter()
        await bench.complete(uri, 0)
        timings.append(time.perf_counter() - started)
    print(f"[bare pygls server] completion round trip: {summary(timings)}")
    await bench.stop()


async def bench_indexing(root: Path, db: Path, size: int) -> None:
    bench = BenchClient()
    _, requested = await bench.start(SERVER, root, db)
    uri = bench.open(root / "000" / "000000.txt", "ohwxStyle, ")
    slowest = 0.0
    answered = 0
    while not bench.indexed.is_set():
        started = time.perf_counter()
        await bench.complete(uri, len("ohwxStyle, "))
        slowest = max(slowest, time.perf_counter() - started)
        answered += 1
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - requested
    rss, peak = memory_mb(server_pid(bench))
    print(
        f"[indexing] {size:,} captions: initialize -> progress end {elapsed:.1f} s;"
        f" {answered} completions answered meanwhile, slowest {slowest * 1000:.0f} ms;"
        f" server VmRSS {rss:.0f} MB (peak {peak:.0f} MB)"
    )
    await bench.stop()


async def run(directory: Path, quick: bool) -> None:
    total = 200_000 if quick else 2_000_000
    captions = 20_000 if quick else 100_000
    danbooru = directory / "danbooru.sqlite"
    if not danbooru.exists():
        import_once(fresh_db(directory, "danbooru.sqlite"), DANBOORU)
    synthetic = directory / f"synthetic-{total}.sqlite"
    if not synthetic.exists():
        source = directory / f"synthetic-{total}.csv"
        if not source.exists():
            write_synthetic(source, total)
        import_in_child(fresh_db(directory, synthetic.name), source)
    pool = tag_pool(danbooru)
    small = directory / "dataset-200"
    if not small.exists():
        make_dataset(small, 200, pool)
    big = directory / f"dataset-{captions}"
    if not big.exists():
        make_dataset(big, captions, pool)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    await bench_bare(small, danbooru, 10)
    await bench_vocabulary("danbooru.csv, 140,782 tags", danbooru, small, 10, memory=True)
    await bench_vocabulary(f"synthetic, {total:,} tags", synthetic, small, 10, memory=True)
    await bench_indexing(big, danbooru, captions)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200,000 tags and 20,000 captions")
    parser.add_argument("--keep", type=Path, help="keep databases and datasets in this folder (re-used)")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="captionls-bench-lsp-"))
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(directory, args.quick))


if __name__ == "__main__":
    main()
