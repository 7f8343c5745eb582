#!/usr/bin/env python3
"""Language server speed figures quoted in the README (### Language server). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_lsp.py [--keep DIR] [--quick]

A real client over stdio (Neovim 0.11's capabilities: UTF-8, published diagnostics; JSON decoding only, as
editors do) starts `captionls serve` exactly as an editor does, on a 200-caption dataset:

1. initialize -> first completion answer, and process start -> first completion (target <= 500 ms).
2. Completion round trip while typing tag prefixes, multi-word and typo queries (`typed_rounds`: ten
   rounds of eight words, no word typed twice, so nothing keyed on the typed text is ever reused), with
   danbooru.csv imported, with list.tag (140,782 lines, the list the captioning guide starts from) as the
   personal list on top of it, and with a 2,000,000-tag vocabulary. Targets: p99 <= 2x the floor's p99
   (aim 1.5x), <= 3.5 ms with 2M tags, and >= 20x faster than one tagcomplete-style scan over the same
   rows (`bench_vocab.LinearScan`, timed in the same run on the same typed prefixes). Also the server's
   CPU per keystroke (didChange + completion, from /proc), which the machine's load moves less.
3. Hover on a tag after an edit, and diagnostics after an edit (didChange sent -> publishDiagnostics
   of that version received), of a 30-tag caption; within the same bound. Also the server's CPU per edit
   (didChange, diagnostics, hover).
4. Server memory (VmRSS, VmHWM from /proc) with the 2M vocabulary after the runs (target <= 150 MB).
5. Indexing 100,000 captions in the background: initialized -> progress end (target <= 30 s), and the
   slowest completion answered while it runs (requests must not wait for the scan; only the first one with
   nothing typed waits for it, at most 0.3 s).

The floor: a bare pygls server (`BARE_SERVER`) gets exactly the same messages from the same client at the
same pace: each keystroke a ranged didChange that pygls' own workspace applies (it publishes empty
diagnostics for it, as ours publishes the caption's), then a completion request answered with one fixed
item; a hover answered with fixed Markdown. Each figure of ours is printed beside the floor's p50/p99
measured just before it, with the ratio.

Pacing: keystrokes are `KEY_INTERVAL` (20 ms) apart, for ours and the floor alike. A fast typist's keys
are 60 to 100 ms apart (120 to 200 words a minute), so 20 ms is still faster than any person, and key
repeat (30 a second) is slower too. Sending the next key the moment an answer arrives would measure a
server that is never idle, which no editor produces: work a server leaves for idle moments (diagnostics
after the answer, index updates once typing pauses) would land on the next round trip instead. The
server's CPU per keystroke counts all of it, wherever it ran.

`--quick`: 200,000 synthetic tags and 20,000 captions (a fast look, not for the README).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol.converters import get_converter
from pytest_lsp import client_capabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from as_installed import load_modules_from_bytecode
from bench_check import make_dataset, tag_pool
from bench_vocab import (
    DANBOORU,
    REPO,
    LinearScan,
    fresh_db,
    import_in_child,
    import_once,
    percentile,
    write_synthetic,
)

from captionls.vocab.importers import Source, import_files
from captionls.vocab.store import Store

SERVER = [str(Path(sys.executable).with_name("captionls")), "serve"]
LIST_TAG = REPO.parent / "shared" / "data" / "bdtm" / "list.tag"
BARE_SERVER = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer
server = LanguageServer("bare", "1")
@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def publish(params):
    document = server.workspace.get_text_document(params.text_document.uri)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=document.uri, diagnostics=[], version=document.version)
    )
@server.feature(types.TEXT_DOCUMENT_COMPLETION)
def complete(params: types.CompletionParams) -> types.CompletionList:
    return types.CompletionList(is_incomplete=True, items=[types.CompletionItem(label="contrapposto")])
@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(params: types.HoverParams) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, "**contrapposto**"))
server.start_io()
"""
# What a user types, one character at a time, after `ohwxStyle, `: the first round of `typed_rounds`.
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
ROUNDS = 10
# Seconds between keystrokes (see the module's doc on pacing).
KEY_INTERVAL = 0.02
PREFIX = "ohwxStyle, "
CAPTION_30 = (
    "ohwxStyle, anime, 1girl, solo, full body, from side, sitting, head tilt, looking at viewer, smile, "
    "long hair, brown hair, blue eyes, white shirt, pleated skirt, black thighhighs, hair ribbon, "
    "sunlight, light rays, indoors, couch, wooden floor, window, curtains, potted plant, bookshelf, "
    "lamp, cup, dreary, 1girl"
)


def typed_rounds(rounds: int) -> list[list[str]]:
    """`TYPED`, then rounds of eight other words: popular general tags of danbooru.csv, typed up to 14
    characters, every fourth with two neighbouring letters swapped (a typo). No word comes twice."""
    rng = random.Random(13)
    with DANBOORU.open(encoding="utf-8") as source:
        general = [row[0].replace("_", " ") for row in csv.reader(source) if row[1] == "0"][:3000]
    seen = set(TYPED)
    words: list[str] = []
    for name in rng.sample(general, len(general)):
        word = name[:14].strip()
        middle = len(word) // 2
        if len(words) % 4 == 3 and len(word) >= 6 and word[middle - 1 : middle + 1].isalpha():
            word = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
        if word.isascii() and word.replace(" ", "").isalpha() and len(word) >= 3 and word not in seen:
            seen.add(word)
            words.append(word)
        if len(words) == 8 * (rounds - 1):
            break
    return [TYPED] + [words[i : i + 8] for i in range(0, len(words), 8)]


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.2f} ms  p99 {percentile(values, 0.99) * 1000:.2f} ms"


def beside(values: list[float], floor: list[float]) -> str:
    """Ours, the floor, and ours over the floor at p50 and p99."""
    ours50, ours99 = statistics.median(values), percentile(values, 0.99)
    floor50, floor99 = statistics.median(floor), percentile(floor, 0.99)
    return (
        f"{summary(values)}; floor {summary(floor)};"
        f" ratio p50 {ours50 / floor50:.2f}x, p99 {ours99 / floor99:.2f}x"
    )


class BenchClient:
    """A minimal JSON-RPC client over the server's stdio, as editors are: it decodes JSON and nothing more
    (Neovim and VS Code parse messages in native code; a Python LSP client would time its own parsing).
    It answers what the server asks (progress tokens, configuration, registrations) with null."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.diagnostics: dict[str, asyncio.Event] = {}
        # The version of each document's latest published diagnostics.
        self.diagnosed: dict[str, int | None] = {}
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
            uri = message["params"]["uri"]
            self.diagnosed[uri] = message["params"].get("version")
            self.diagnostics.setdefault(uri, asyncio.Event()).set()
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

    async def hover(self, uri: str, character: int) -> dict[str, Any]:
        position = {"line": 0, "character": character}
        result = await self.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": position}
        )
        assert isinstance(result, dict) and "contents" in result, result
        return result

    async def diagnosed_at(self, uri: str, version: int) -> None:
        """Until the diagnostics of `version` of the document are published."""
        event = self.diagnostics.setdefault(uri, asyncio.Event())
        while self.diagnosed.get(uri) != version:
            event.clear()
            await event.wait()

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Typing:
    """Round trips of one typing session: completion (each keystroke), hover and diagnostics after an
    edit, and the server's CPU per keystroke and per edit."""

    def __init__(self) -> None:
        self.completion: list[float] = []
        self.hover: list[float] = []
        self.diagnostics: list[float] = []
        self.cpu_per_keystroke = 0.0
        self.cpu_per_edit = 0.0


async def typing_round_trips(bench: BenchClient, uri: str, rounds: list[list[str]], typing: Typing) -> None:
    """Type each word one character at a time after `PREFIX`, a ranged didChange then a completion
    request per keystroke, `KEY_INTERVAL` apart; time each completion request."""
    pid = server_pid(bench)
    cpu_before, keystrokes = cpu_seconds(pid), 0
    prefix = len(PREFIX)
    version = 2
    for words in rounds:
        for word in words:
            for length in range(1, len(word) + 1):
                await asyncio.sleep(KEY_INTERVAL)
                bench.change(uri, version, prefix + length - 1, prefix + length - 1, word[length - 1])
                version += 1
                started = time.perf_counter()
                await bench.complete(uri, prefix + length)
                typing.completion.append(time.perf_counter() - started)
                keystrokes += 1
            bench.change(uri, version, prefix, prefix + len(word), "")
            version += 1
    typing.cpu_per_keystroke = (cpu_seconds(pid) - cpu_before) / keystrokes
    await bench.diagnosed_at(uri, version - 1)


async def after_edits(bench: BenchClient, uri: str, edits: int, typing: Typing) -> None:
    """In the 30-tag caption, toggle the last tag between `1girl` and `2girl`: time didChange ->
    publishDiagnostics of that version, then a hover on one of the other tags (each in turn)."""
    column = CAPTION_30.rindex("1girl")
    tags = [CAPTION_30.index(name) + 1 for name in CAPTION_30[:column].split(", ")]
    pid = server_pid(bench)
    cpu_before = cpu_seconds(pid)
    for version in range(2, edits + 2):
        await asyncio.sleep(KEY_INTERVAL)
        started = time.perf_counter()
        bench.change(uri, version, column, column + 1, "2" if version % 2 == 0 else "1")
        await bench.diagnosed_at(uri, version)
        typing.diagnostics.append(time.perf_counter() - started)
        started = time.perf_counter()
        await bench.hover(uri, tags[version % len(tags)])
        typing.hover.append(time.perf_counter() - started)
    typing.cpu_per_edit = (cpu_seconds(pid) - cpu_before) / edits


async def session(bench: BenchClient, root: Path, rounds: list[list[str]]) -> Typing:
    """A typing session in caption 0 and edits in caption 1 of the dataset (the server started)."""
    typing = Typing()
    uri = bench.open(root / "000" / "000000.txt", PREFIX)
    await typing_round_trips(bench, uri, rounds, typing)
    diagnostics_uri = bench.open(root / "000" / "000001.txt", CAPTION_30)
    await bench.diagnosed_at(diagnostics_uri, 1)
    await after_edits(bench, diagnostics_uri, 300, typing)
    return typing


async def bench_bare(root: Path, db: Path, rounds: list[list[str]]) -> Typing:
    bench = BenchClient()
    await bench.start([sys.executable, "-c", BARE_SERVER], root, db)
    typing = await session(bench, root, rounds)
    await bench.stop()
    return typing


def scan_seconds(db: Path, rounds: list[list[str]]) -> list[float]:
    """One tagcomplete-style scan (`bench_vocab.LinearScan`) for each word of the first round, typed to
    three characters and in full (a scan of 2,000,000 rows takes seconds: not one per keystroke)."""
    store = Store.open(db)
    scan = LinearScan(store)
    timings = []
    for word in rounds[0]:
        for typed in (word[:3], word):
            started = time.perf_counter()
            scan.search(typed)
            timings.append(time.perf_counter() - started)
    store.close()
    return timings


def read_through(path: Path) -> None:
    """Read `path` once, so that it is in the system's file cache as a vocabulary in daily use is: a kept
    2M-tag file (1.1 GB) that other jobs pushed out of the cache made the first look-up of each prefix wait
    for the disk (completion p99 95.6 ms and 5.25 ms of CPU per keystroke; read through first, in the
    next run: 6.5 ms and 2.67 ms). This host also pages out file pages left idle for about a minute (a
    DAMON reclaim scheme, /sys/kernel/mm/damon), which the floor's run is long enough for: so the file is
    read just before our server starts, after the floor."""
    with path.open("rb") as file:
        while file.read(1 << 20):
            pass


async def bench_vocabulary(label: str, db: Path, root: Path, rounds: list[list[str]], memory: bool) -> None:
    floor = await bench_bare(root, db, rounds)
    read_through(db)
    bench = BenchClient()
    spawned, requested = await bench.start(SERVER, root, db)
    caption = root / "000" / "000002.txt"
    uri = bench.open(caption, PREFIX)
    bench.change(uri, 2, len(PREFIX), len(PREFIX), "c")
    await bench.complete(uri, len(PREFIX + "c"))
    first = time.perf_counter()
    print(
        f"[{label}] initialize -> first completion {(first - requested) * 1000:.0f} ms;"
        f" process start -> first completion {(first - spawned) * 1000:.0f} ms"
    )
    await asyncio.wait_for(bench.indexed.wait(), 120)
    bench.change(uri, 3, len(PREFIX), len(PREFIX + "c"), "")
    await bench.complete(uri, len(PREFIX))
    typing = await session(bench, root, rounds)
    print(f"[{label}] completion round trip while typing: {beside(typing.completion, floor.completion)}")
    scans = scan_seconds(db, rounds)
    print(
        f"[{label}]   tagcomplete-style scan of the same rows: {summary(scans)};"
        f" scan / completion p50 {statistics.median(scans) / statistics.median(typing.completion):.1f}x,"
        f" p99 {percentile(scans, 0.99) / percentile(typing.completion, 0.99):.1f}x"
    )
    print(
        f"[{label}]   server CPU per keystroke (didChange + completion)"
        f" {typing.cpu_per_keystroke * 1000:.2f} ms; floor {floor.cpu_per_keystroke * 1000:.2f} ms"
    )
    print(f"[{label}] hover on a tag after an edit: {beside(typing.hover, floor.hover)}")
    print(
        f"[{label}]   server CPU per edit (didChange + diagnostics + hover)"
        f" {typing.cpu_per_edit * 1000:.2f} ms; floor {floor.cpu_per_edit * 1000:.2f} ms"
    )
    print(
        f"[{label}] diagnostics of a 30-tag caption after an edit:"
        f" {beside(typing.diagnostics, floor.diagnostics)}"
    )
    if memory:
        rss, peak = memory_mb(server_pid(bench))
        print(f"[{label}] server memory: VmRSS {rss:.0f} MB, peak VmHWM {peak:.0f} MB")
    await bench.stop()


async def bench_indexing(root: Path, db: Path, size: int) -> None:
    bench = BenchClient()
    _, requested = await bench.start(SERVER, root, db)
    uri = bench.open(root / "000" / "000000.txt", PREFIX)
    slowest = 0.0
    answered = 0
    while not bench.indexed.is_set():
        started = time.perf_counter()
        await bench.complete(uri, len(PREFIX))
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
    personal = directory / "danbooru-personal.sqlite"
    if not personal.exists():
        store = Store.open(fresh_db(directory, "danbooru-personal.sqlite"))
        import_files(store, [Source.file(DANBOORU)], skip_bad=True)
        import_files(store, [Source.file(LIST_TAG)], list_name="personal")
        store.close()
    synthetic = directory / f"synthetic-{total}.sqlite"
    if not synthetic.exists():
        source = directory / f"synthetic-{total}.csv"
        if not source.exists():
            write_synthetic(source, total, DANBOORU)
        import_in_child(fresh_db(directory, synthetic.name), source)
    pool = tag_pool(danbooru)
    small = directory / "dataset-200"
    if not small.exists():
        make_dataset(small, 200, pool)
    big = directory / f"dataset-{captions}"
    if not big.exists():
        make_dataset(big, captions, pool)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rounds = typed_rounds(ROUNDS)
    await bench_vocabulary("danbooru.csv, 140,782 tags", danbooru, small, rounds, memory=True)
    await bench_vocabulary(
        "danbooru.csv, list.tag as the personal list", personal, small, rounds, memory=False
    )
    await bench_vocabulary(f"synthetic, {total:,} tags", synthetic, small, rounds, memory=True)
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
    load_modules_from_bytecode()
    asyncio.run(run(directory, args.quick))


if __name__ == "__main__":
    main()
