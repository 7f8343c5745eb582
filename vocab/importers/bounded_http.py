"""HTTP answers with a total deadline and a size cap, whatever the server does.

httpx's timeouts bound each socket operation, not a response: a server dripping its headers or body
a byte a second never trips a 30 s read timeout, and a small gzip body may expand to gigabytes. Here
every socket read, write and connect gets at most the time left until the response's deadline
(a network backend under httpx's own connection pool), and bodies are decompressed by hand with
`max_length`, so memory never holds more than the cap.
"""

from __future__ import annotations

import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

# Content encodings we ask for and decode ourselves (with a bound); no brotli or zstd surprises.
ACCEPT_ENCODING = "gzip, deflate"
# The most a compressed body is decoded in one go.
_PIECE = 1 << 20


class _Deadline:
    """The moment the response being fetched must be complete by; None between requests."""

    def __init__(self) -> None:
        self.at: float | None = None

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the response's deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self.inner = inner
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self.deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self.deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self.deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname, timeout), self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self.inner = httpcore.SyncBackend()
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self.deadline.clamp(timeout, httpcore.ConnectTimeout)
        stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = self.deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.connect_unix_socket(path, timeout, socket_options), self.deadline)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class TooLarge(Exception):
    """The decoded body passed the cap."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding we did not ask for."""


class _BoundedDecoder:
    """Decodes a body chunk by chunk, never producing more than `limit` bytes in all."""

    def __init__(self, encoding: str, limit: int) -> None:
        encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self.zlib: Any = None
        if encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self.zlib = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise UnsupportedEncoding(encoding)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw chunk, each at most _PIECE bytes when decompressing."""
        if self.zlib is None:
            yield self._counted(data)
            return
        while data:
            try:
                # A few KB of compressed input may stand for gigabytes: take at most a piece at a
                # time, and the rest stays compressed in `unconsumed_tail` until it is asked for.
                piece = self.zlib.decompress(data, _PIECE)
            except zlib.error as error:
                raise UnsupportedEncoding(f"corrupt compressed body ({error})") from None
            yield self._counted(piece)
            data = self.zlib.unconsumed_tail

    def _counted(self, piece: bytes) -> bytes:
        self.size += len(piece)
        if self.size > self.limit:
            raise TooLarge()
        return piece


@dataclass(frozen=True)
class Answer:
    """A whole response: status, headers and the decoded body."""

    status: int
    headers: httpx.Headers
    body: bytes


class BoundedClient:
    """GET with a total deadline per response (redirects included) and a cap on the decoded body.

    A passed deadline raises httpx.TimeoutException (as httpx's own timeouts do), a body over the
    cap TooLarge, an encoding other than gzip or deflate UnsupportedEncoding.
    """

    def __init__(self, *, deadline_s: float, max_body: int, **client_options: Any) -> None:
        self.deadline_s = deadline_s
        self.max_body = max_body
        self._deadline = _Deadline()
        headers = {**client_options.pop("headers", {}), "Accept-Encoding": ACCEPT_ENCODING}
        self.client = httpx.Client(headers=headers, **client_options)
        # httpx does not take a network backend; its connection pools do: the direct one and those
        # for proxies named in the environment. Without this swap the deadline would bind nothing
        # (tests/faults/test_danbooru_faults.py drips headers to check).
        backend = _DeadlineBackend(self._deadline)
        for transport in [self.client._transport, *self.client._mounts.values()]:
            if isinstance(transport, httpx.HTTPTransport):
                transport._pool._network_backend = backend

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: list[tuple[str, str]]) -> Answer:
        """The answer to GET `path`. Error answers are read whole too (within the same bounds): a
        connection closed with a body unread cannot be reused, and the server sees it reset."""
        self._deadline.at = time.monotonic() + self.deadline_s
        try:
            with self.client.stream("GET", path, params=tuple(params)) as response:
                decoder = _BoundedDecoder(response.headers.get("Content-Encoding", ""), self.max_body)
                body = b"".join(piece for chunk in response.iter_raw() for piece in decoder.feed(chunk))
                return Answer(response.status_code, response.headers, body)
        finally:
            self._deadline.at = None
