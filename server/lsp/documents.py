"""pygls' protocol with three repairs: documents that count lines like the client, an answer to every
request, and no Future kept per notification; messages written by orjson (`wire.py`); and a shorter way
for the message every keystroke sends.

pygls splits a document with `str.splitlines`, which also breaks at form feeds, `\\x85`, `\\u2028` and
friends; a client does not, so after an edit containing one of those the server's text would drift
from the editor's. These subclasses keep pygls' incremental sync but count lines like the client.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    FeatureNotificationError,
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
)
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path
from pygls.workspace import PositionCodec, TextDocument, Workspace

from .positions import ClientCodec, split_lines
from .wire import message_bytes


class CaptionDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return split_lines(self.source)


class CaptionWorkspaceDocuments(Workspace):
    def __init__(
        self,
        root_uri: str | None,
        sync_kind: types.TextDocumentSyncKind,
        workspace_folders: Sequence[types.WorkspaceFolder],
        position_encoding: types.PositionEncodingKind | str | None,
    ) -> None:
        super().__init__(root_uri, sync_kind, workspace_folders, position_encoding)
        self._client_codec = ClientCodec(position_encoding)

    @property
    def position_codec(self) -> PositionCodec:
        """Every document and every LineIndex made from the workspace count positions with it."""
        return self._client_codec

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return CaptionDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=types.TextDocumentSyncKind.Incremental,
            position_codec=self.position_codec,
        )


@dataclass(frozen=True)
class RefusedRequest:
    """A request whose params did not fit its method: answered with `error` instead of being handled."""

    id: int | str
    method: str
    error: JsonRpcException


class CaptionProtocol(LanguageServerProtocol):
    """pygls' protocol, with documents that count lines like the client."""

    def _send_data(self, data: Any) -> None:
        """pygls' `_send_data` with the body written by orjson (UTF-8, so Content-Length counts bytes).
        Both transports `serve` offers, stdio and TCP, write at once (no awaitable, unlike a websocket)."""
        if not data or self.writer is None:
            return
        try:
            body = message_bytes(data, self._serialize_message)
            header = (
                f"Content-Length: {len(body)}\r\n"
                f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
                if self._include_headers
                else ""
            )
            self.writer.write(header.encode("ascii") + body)
        except BrokenPipeError:
            raise
        except Exception as error:
            self._server._report_server_error(error, JsonRpcInternalError)

    def use_protocol_lines(self, params: types.InitializeParams) -> None:
        """Replace the workspace pygls made during `initialize` (it holds no documents yet)."""
        root_uri = params.root_uri
        if root_uri is None and params.root_path is not None:
            root_uri = from_fs_path(params.root_path)
        self._workspace = CaptionWorkspaceDocuments(
            root_uri,
            types.TextDocumentSyncKind.Incremental,
            params.workspace_folders or [],
            self.workspace.position_encoding,
        )

    def structure_message(self, data: dict[str, Any]) -> Any:
        """pygls raises out of its reader loop when params do not structure, and the request is never
        answered (a negative line, a line of 2^31, null params): keep such a request to refuse it."""
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if "jsonrpc" in data and "method" in data and isinstance(data.get("id"), int | str):
                message = f"Invalid params for {data['method']}"
                return RefusedRequest(data["id"], str(data["method"]), JsonRpcInvalidParams(message))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, RefusedRequest):
            self._send_response(message.id, None, message.error.to_response_error())
            return
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and getattr(message, "id", None) is not None:
            # pygls drops requests after `shutdown` unanswered; the protocol says: InvalidRequest.
            refused = JsonRpcInvalidRequest(f"{method}: the server is shutting down")
            self._send_response(message.id, None, refused.to_response_error())
            return
        if message.jsonrpc != self.VERSION or (self._shutdown and method != types.EXIT):
            super().handle_message(message)  # pygls says why it drops the message
            return
        # pygls' dispatch, its runtime Protocol checks (`RPCRequest`, ...) written as the attribute tests
        # they make: typing's `isinstance` on a Protocol took 10 to 20 us a message.
        context = contextvars.copy_context()
        if _has(message, "id", "method", "params"):
            context.run(self._handle_request, message.id, message.method, message.params)
        elif _has(message, "method", "params"):
            context.run(self._handle_notification, message.method, message.params)
        elif _has(message, "id", "result"):
            context.run(self._handle_response, message.id, message.result)
        else:
            context.run(self._handle_response, message.id, None, message.error)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        if method_name == types.TEXT_DOCUMENT_DID_CHANGE:
            self._document_changed(params)
        else:
            super()._handle_notification(method_name, params)

    def _document_changed(self, params: types.DidChangeTextDocumentParams) -> None:
        """pygls' didChange (`lsp_text_document__did_change`: apply the changes, then the server's handler,
        a plain function, `sync.changed`) called directly: through its generator pygls made two Futures,
        two uuids and five callbacks for each keystroke, about 60 us. A failure is reported as pygls
        reports it."""
        try:
            for change in params.content_changes:
                self.workspace.update_text_document(params.text_document, change)
            handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
            if handler is not None:
                handler(params)
        except Exception:
            error = JsonRpcInternalError.of(sys.exc_info())  # type: ignore[no-untyped-call]  # pygls leaves it unannotated
            self._server._report_server_error(error, FeatureNotificationError)

    def in_flight(self) -> list[asyncio.Future[Any]]:
        """The async handlers' answers not sent yet (sync handlers answer before the next message)."""
        # pygls types them as concurrent Futures; an async handler's is an asyncio Task.
        futures: list[Any] = list(self._request_futures.values())
        return [future for future in futures if isinstance(future, asyncio.Future)]

    def _execute_handler(
        self,
        msg_id: int | str,
        handler: Callable[..., Any],
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Forget each handler's Future once it is done.

        pygls files the Future of every generator or async handler in `_request_futures` (so a request
        can be cancelled) but removes it only when answering a request: a notification run by one of its
        built-in generator handlers (didOpen, didChange, didClose, ...) and every step such a generator
        delegates to an async handler stay there for good, about 2 KB per keystroke.
        """

        def forget_then_call(future: Future[Any]) -> None:
            # A cancelled one is left alone: `shutdown` cancels them while iterating over the dict.
            if not future.cancelled() and self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, forget_then_call, args, kwargs)


def _has(message: Any, *names: str) -> bool:
    return all(hasattr(message, name) for name in names)
