"""The real server driven in this process, its messages kept as objects and as the bytes it wrote.

A client over stdio sees only bytes; a test of how messages are written needs the objects too. The
server here is `create_server()` with its own protocol; messages reach it as the server's stdio reader
hands them over (`wire.read_message` with the protocol's `structure_message`), and it writes into a
`RecordingWriter`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from captionls.server.lsp.server import CaptionServer, create_server
from captionls.server.lsp.wire import read_message


@dataclass
class RecordingWriter:
    """pygls' writer interface; keeps each body after checking its header counts its bytes."""

    bodies: list[bytes] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        header, separator, body = data.partition(b"\r\n\r\n")
        assert separator, data
        lengths = [line for line in header.split(b"\r\n") if line.startswith(b"Content-Length: ")]
        assert lengths == [b"Content-Length: %d" % len(body)], header
        self.bodies.append(body)

    def close(self) -> None:
        return None


@dataclass
class InProcessServer:
    server: CaptionServer
    writer: RecordingWriter
    sent: list[Any]
    next_id: int = 0
    answered: int = 0

    def receive(self, message: dict[str, Any]) -> None:
        protocol = self.server.protocol
        raw = json.dumps({"jsonrpc": "2.0", **message}).encode()
        protocol.handle_message(read_message(raw, protocol.structure_message))

    def notify(self, method: str, params: Any) -> None:
        self.receive({"method": method, "params": params})

    async def request(self, method: str, params: Any) -> dict[str, Any]:
        """Send a request; its answer as JSON (answering the server's own requests with null meanwhile)."""
        self.next_id += 1
        msg_id = self.next_id
        self.receive({"id": msg_id, "method": method, "params": params})
        return await self._first(
            lambda message: message.get("id") == msg_id and "method" not in message,
            f"no answer to {method}",
            500,
        )

    async def until_sent(self, method: str, kind: str | None = None) -> None:
        """Until the server sent a message of `method` (a `$/progress` one of value `kind`)."""
        await self._first(
            lambda message: (
                message.get("method") == method
                and (kind is None or message["params"]["value"].get("kind") == kind)
            ),
            f"no {method} {kind or ''}",
        )

    async def until_diagnosed(self, uri: str, version: int) -> dict[str, Any]:
        """The params of the diagnostics published for `version` of the document, once they are."""
        published = await self._first(
            lambda message: (
                message.get("method") == "textDocument/publishDiagnostics"
                and (message["params"]["uri"], message["params"]["version"]) == (uri, version)
            ),
            f"no diagnostics of version {version}",
        )
        params: dict[str, Any] = published["params"]
        return params

    async def _first(
        self, wanted: Callable[[dict[str, Any]], bool], missing: str, tries: int = 1000
    ) -> dict[str, Any]:
        """The first message written that is `wanted`, looked for every 10 ms, `tries` times at most."""
        for _ in range(tries):
            for message in self.messages():
                if wanted(message):
                    return message
            await asyncio.sleep(0.01)
        raise AssertionError(missing)

    def messages(self) -> list[dict[str, Any]]:
        """Everything written so far, as JSON; the server's requests are answered once each."""
        written = [json.loads(body) for body in self.writer.bodies]
        for message in [m for m in written if "method" in m and "id" in m][self.answered :]:
            self.answered += 1
            items = message["params"].get("items") if message["method"] == "workspace/configuration" else None
            self.receive({"id": message["id"], "result": None if items is None else [None for _ in items]})
        return written


def in_process_server(monkeypatch: pytest.MonkeyPatch, vocabulary: Any) -> InProcessServer:
    """A server on `vocabulary` whose `_send_data` also keeps each message object it is given."""
    monkeypatch.setenv("CAPTIONLS_DB", str(vocabulary))
    server = create_server()
    writer = RecordingWriter()
    server.protocol.set_writer(writer)
    sent: list[Any] = []
    send_data = server.protocol._send_data

    def keep_then_send(data: Any) -> None:
        sent.append(data)
        send_data(data)

    monkeypatch.setattr(server.protocol, "_send_data", keep_then_send)
    return InProcessServer(server, writer, sent)
