"""stdio for `captionls serve`: pygls' writer, and a reader on an asyncio pipe instead of pygls' stdin
reader, whose messages are read by orjson (`wire.read_message`) in a copy of pygls' message loop
(`run_async`, which reads every message with `json.loads` and has no way to change that).

pygls reads stdin with blocking reads in its thread pool, three hand-offs between threads per message
(about 0.5 ms of CPU per keystroke, a quarter of a completion's). A pipe read by the event loop needs
none, and it knows when everything the client sent has been read, which `IdleWork` waits for. Where
the event loop cannot read stdin as a pipe (Windows, a terminal, a file), pygls' own reader is used.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

from .wire import read_message

if TYPE_CHECKING:
    from .server import CaptionServer

logger = logging.getLogger(__name__)
_CONTENT_LENGTH = re.compile(rb"^Content-Length: (\d+)\r\n$")


class PipeReader(asyncio.Protocol):
    """pygls' AsyncReader (`readline`, `readexactly`) on bytes the event loop reads from a pipe."""

    def __init__(self, received: Callable[[], None], drained: Callable[[], None]) -> None:
        self._buffer = bytearray()
        self._eof = False
        self._waiter: asyncio.Future[None] | None = None
        self._received = received
        self._drained = drained

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._received()
        self._wake()

    def eof_received(self) -> None:
        self._eof = True
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _more(self) -> None:
        self._drained()
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken

    async def readline(self) -> bytes:
        while (end := self._buffer.find(b"\n")) < 0:
            if self._eof:
                return self._take(len(self._buffer))
            await self._more()
        return self._take(end + 1)

    async def readexactly(self, size: int) -> bytes:
        while len(self._buffer) < size and not self._eof:
            await self._more()
        return self._take(size)


def _readable_as_pipe() -> bool:
    if os.name != "posix":
        return False
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    # What editors give a server: a pipe, or a socket pair (Node). A terminal or /dev/null is left to pygls.
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def serve_stdio(server: CaptionServer) -> None:
    """Serve the client on stdin/stdout until it says exit or goes away."""
    if not _readable_as_pipe():
        server.start_io()
        return
    stop = threading.Event()
    # pygls' `shutdown` sets this event to end the message loop, as in its own start_io.
    server._stop_event = stop
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(_serve(server, stop))
    except BrokenPipeError:
        logger.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it unannotated


async def _serve(server: CaptionServer, stop: threading.Event) -> None:
    idle = server.idle
    reader = PipeReader(idle.input_received, idle.input_drained)
    await asyncio.get_running_loop().connect_read_pipe(lambda: reader, sys.stdin.buffer)
    idle.deferring = True
    idle.collect_when_idle()
    await _handle_messages(reader, server, stop)


async def _handle_messages(reader: PipeReader, server: CaptionServer, stop: threading.Event) -> None:
    """pygls' `run_async`, each message read by `read_message` instead of `json.loads`."""
    protocol = server.protocol
    content_length = 0
    while not stop.is_set():
        header = await reader.readline()
        if not header:
            return
        if not content_length and (match := _CONTENT_LENGTH.fullmatch(header)):
            content_length = int(match.group(1))
        # The headers end at an empty line.
        if content_length and not header.strip():
            body = await reader.readexactly(content_length)
            if not body:
                return
            try:
                protocol.handle_message(read_message(body, protocol.structure_message))
            except Exception as error:
                logger.exception("Unable to handle message")
                server.report_server_error(error, JsonRpcException)
            finally:
                content_length = 0
