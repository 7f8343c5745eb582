"""The captionls language server: the list of features, each registering its own handlers.

Every handler runs behind one guard (`guard.guarded`): an exception becomes a window/logMessage and an
empty answer, so a bad position or a broken file costs one answer, never the session. The state the
features share lives here: the workspace (datasets, views, freshness), diagnostics, document sync,
completion's caches and the indexer. Adding a feature: a module in `features/` with `register(server)`,
and a line in FEATURES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from captionls.vocab.version import VERSION

from .documents import CaptionProtocol
from .features import (
    actions,
    commands,
    completion,
    diagnostics,
    formatting,
    hints,
    hover,
    indexing,
    navigation,
    selection,
    session,
    sync,
    tokens,
)
from .guard import guarded
from .idle import IdleWork
from .wire import converter
from .workspace import CaptionWorkspace

FEATURES = [
    session,
    diagnostics,
    indexing,
    sync,
    completion,
    hover,
    actions,
    commands,
    selection,
    navigation,
    tokens,
    hints,
    formatting,
]


class CaptionServer(LanguageServer):
    """pygls' server plus the captionls state every feature module receives."""

    def __init__(self) -> None:
        super().__init__(
            "captionls",
            VERSION,
            protocol_cls=CaptionProtocol,
            converter_factory=converter,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.on_initialize: list[Callable[[types.InitializeParams], None]] = []
        self.on_initialized: list[Callable[[], Awaitable[None] | None]] = []
        self.on_shutdown: list[Callable[[], None]] = []
        protocol = self.protocol
        assert isinstance(protocol, CaptionProtocol)
        self.idle = IdleWork(protocol.in_flight)
        self.captions = CaptionWorkspace(lambda: self.workspace, self.log)
        self.diagnostics = diagnostics.Diagnostics(self)
        self.indexer = indexing.Indexer(self)
        self.completer = completion.Completer(self.captions, self.indexer)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"captionls: {message}"))
        except Exception:
            # No client to tell (not initialized, or gone): nothing else to do.
            return

    def handle(
        self,
        method: str,
        handler: Callable[[Any], Any],
        options: Any = None,
        *,
        default: Any = None,
        fallback: Callable[[Any], Any] | None = None,
    ) -> None:
        """Register `handler` for `method` behind the guard: on failure it answers `default` (or
        `fallback(params)`)."""
        self.feature(method, options)(
            guarded(self.log, method, handler, fallback or (lambda params: default))
        )


def create_server() -> CaptionServer:
    """A server with every feature registered."""
    server = CaptionServer()
    for feature in FEATURES:
        feature.register(server)
    return server
