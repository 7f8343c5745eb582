"""`captionls serve` over stdio, byte for byte: what an editor sends together is answered before the
diagnostics of the edit that came with it, and those diagnostics still come without another message."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from tests.kit.datasets import make_dataset
from tests.kit.lsp import server_command, server_env
from tests.kit.vocabularies import build_vocabulary


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class RawClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    def send(self, *messages: dict[str, Any]) -> None:
        """All in one write, as an editor sends an edit and the request that follows it."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"".join(frame(message) for message in messages))

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while (line := await asyncio.wait_for(self.process.stdout.readline(), 20)) != b"\r\n":
            assert line, "the server closed its output"
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        message: dict[str, Any] = json.loads(await self.process.stdout.readexactly(length))
        if "id" in message and "method" in message:
            # The server asks (configuration, progress, registration): null answers everything.
            items = message["params"].get("items") if message["method"] == "workspace/configuration" else None
            self.send({"id": message["id"], "result": None if items is None else [None for _ in items]})
        return message

    async def until(self, wanted: Any) -> list[dict[str, Any]]:
        """Messages up to and including the first for which `wanted(message)` holds."""
        seen = []
        while True:
            seen.append(await self.receive())
            if wanted(seen[-1]):
                return seen


def diagnostics_of(version: int) -> Any:
    return lambda m: (
        m.get("method") == "textDocument/publishDiagnostics" and m["params"]["version"] == version
    )


async def started(tmp_path: Path) -> tuple[RawClient, str]:
    root = make_dataset(tmp_path / "dataset", {"edited": "ohwxStyle, "})
    process = await asyncio.create_subprocess_exec(
        *server_command(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=server_env(build_vocabulary(tmp_path / "vocabulary.sqlite")),
    )
    client = RawClient(process)
    client.send(
        {
            "id": 1,
            "method": "initialize",
            "params": {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}},
        }
    )
    await client.until(lambda m: m.get("id") == 1)
    uri = (root / "edited.txt").as_uri()
    document = {"uri": uri, "languageId": "text", "version": 1, "text": "ohwxStyle, "}
    client.send(
        {"method": "initialized", "params": {}},
        {"method": "textDocument/didOpen", "params": {"textDocument": document}},
    )
    await client.until(diagnostics_of(1))
    return client, uri


def change(uri: str, version: int, text: str) -> dict[str, Any]:
    end = {"line": 0, "character": len("ohwxStyle, ")}
    return {
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": end, "end": end}, "text": text}],
        },
    }


async def stop(client: RawClient) -> int:
    client.send({"id": 99, "method": "shutdown"})
    await client.until(lambda m: m.get("id") == 99)
    client.send({"method": "exit"})
    return await asyncio.wait_for(client.process.wait(), 20)


async def test_the_completion_sent_with_an_edit_is_answered_before_the_edits_diagnostics(
    tmp_path: Path,
) -> None:
    client, uri = await started(tmp_path)
    position = {"line": 0, "character": len("ohwxStyle, lo")}
    completion = {
        "id": 2,
        "method": "textDocument/completion",
        "params": {"textDocument": {"uri": uri}, "position": position},
    }
    client.send(change(uri, 2, "lo"), completion)
    seen = await client.until(diagnostics_of(2))
    published = [m for m in seen if m.get("method") == "textDocument/publishDiagnostics"]
    assert published == [seen[-1]], "diagnostics came before the answer"
    assert any(m.get("id") == 2 and m["result"]["items"] for m in seen)
    assert await stop(client) == 0


async def test_an_edit_alone_gets_its_diagnostics(tmp_path: Path) -> None:
    client, uri = await started(tmp_path)
    client.send(change(uri, 2, "sitting, sitting"))
    seen = await client.until(diagnostics_of(2))
    assert "duplicate-tag" in [d["code"] for d in seen[-1]["params"]["diagnostics"]]
    assert await stop(client) == 0


async def test_the_server_ends_when_its_input_closes(tmp_path: Path) -> None:
    client, _ = await started(tmp_path)
    assert client.process.stdin is not None
    client.process.stdin.close()
    await asyncio.wait_for(client.process.wait(), 20)


async def test_shutdown_right_after_an_edit_drops_its_diagnostics_quietly(tmp_path: Path) -> None:
    client, uri = await started(tmp_path)
    client.send(change(uri, 2, "lo"), {"id": 3, "method": "shutdown"})
    await client.until(lambda m: m.get("id") == 3)
    client.send({"method": "exit"})
    assert client.process.stdout is not None
    rest = await asyncio.wait_for(client.process.stdout.read(), 20)
    assert await asyncio.wait_for(client.process.wait(), 20) == 0
    assert b"failed" not in rest, rest.decode()
