"""`captionls serve --tcp`: the same server on a socket (for debugging with a client that connects)."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_over_tcp(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("captionls")),
        "serve",
        "--tcp",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        length = 0
        while (line := await asyncio.wait_for(reader.readline(), 20)) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        answer = json.loads(await reader.readexactly(length))
        assert answer["result"]["serverInfo"]["name"] == "captionls"
        assert answer["result"]["capabilities"]["completionProvider"]["resolveProvider"] is True
        writer.close()
    finally:
        server.terminate()
        await server.wait()
