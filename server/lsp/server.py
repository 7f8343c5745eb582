"""The captionls language server: every handler is registered here, once, and delegates to a feature module.

Handlers never raise to the client: `guarded` logs the error through window/logMessage and answers with an
empty result, so a bad position or a broken file costs one answer, never the session.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from . import actions, commands, formatting, hints, navigation, tokens
from .completion import TRIGGER_CHARACTERS, Completer
from .diagnostics import Diagnoser
from .documents import CaptionProtocol
from .hover import hover
from .indexing import Indexer
from .settings import SECTION, Settings, parse_settings
from .sync import DocumentSync
from .workspace import CaptionWorkspace

P = TypeVar("P")
R = TypeVar("R")


def _version() -> str:
    try:
        return version("captionls")
    except PackageNotFoundError:
        return "0"


class CaptionServer(LanguageServer):
    """pygls' server plus the captionls state every feature module receives."""

    def __init__(self) -> None:
        super().__init__(
            "captionls",
            _version(),
            protocol_cls=CaptionProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.captions = CaptionWorkspace(lambda: self.workspace, self.log)
        self.diagnoser = Diagnoser(self.captions)
        self.sync = DocumentSync(self)
        self.completer = Completer(self.captions)
        self.indexer = Indexer(self)
        self.pull_diagnostics = False
        self.refresh_support = False

    def log(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"captionls: {message}"))
        except Exception:
            # No client to tell (not initialized, or gone): nothing else to do.
            return

    def guarded(self, default: R, handler: Callable[[P], R]) -> Callable[[P], R]:
        def run(params: P) -> R:
            try:
                return handler(params)
            except Exception:
                self.log(f"{handler.__qualname__} failed:\n{traceback.format_exc()}", types.MessageType.Error)
                return default

        run.__name__ = handler.__name__
        return run

    def bound(self, default: R, handler: Callable[[CaptionServer, P], R]) -> Callable[[P], R]:
        """A feature module's `handler(server, params)` as a guarded pygls handler."""

        def call(params: P) -> R:
            return handler(self, params)

        call.__qualname__ = handler.__qualname__
        call.__name__ = handler.__name__
        return self.guarded(default, call)

    def guarded_async(self, default: R, handler: Callable[[P], Awaitable[R]]) -> Callable[[P], Awaitable[R]]:
        async def run(params: P) -> R:
            try:
                return await handler(params)
            except Exception:
                self.log(f"{handler.__qualname__} failed:\n{traceback.format_exc()}", types.MessageType.Error)
                return default

        run.__name__ = handler.__name__
        return run

    # Session --------------------------------------------------------------------------------

    def initialize(self, params: types.InitializeParams) -> None:
        assert isinstance(self.protocol, CaptionProtocol)
        self.protocol.use_protocol_lines(params)
        settings, problems = parse_settings(params.initialization_options)
        for problem in problems:
            self.log(problem)
        self.captions.apply_settings(settings)
        caps = params.capabilities
        self.completer.use_client_capabilities(caps)
        text_caps = caps.text_document
        workspace_caps = caps.workspace
        self.refresh_support = bool(
            workspace_caps and workspace_caps.diagnostics and workspace_caps.diagnostics.refresh_support
        )
        # Pull diagnostics only when the client can also be told to re-pull: diagnostics of one caption
        # change when another caption changes, and a pull-only client would keep stale ones.
        self.pull_diagnostics = bool(text_caps and text_caps.diagnostic) and self.refresh_support
        if self.pull_diagnostics:
            options = types.DiagnosticOptions(
                identifier=SECTION, inter_file_dependencies=True, workspace_diagnostics=True
            )
            self.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)(self.guarded(None, self.sync.pull_document))
            self.feature(types.WORKSPACE_DIAGNOSTIC)(
                self.guarded(types.WorkspaceDiagnosticReport(items=[]), self.sync.pull_workspace)
            )

    async def initialized(self, params: types.InitializedParams) -> None:
        # Settings first (they can name the vocabulary), then the scan, then whatever waits on the client.
        await self.load_configuration()
        self.indexer.index_workspace_folders()
        self.sync.start_polling()
        await self.sync.watch_files()

    def shutdown_session(self, params: None) -> None:
        """`shutdown`: stop indexing and close the vocabularies (their WAL is checkpointed)."""
        self.indexer.executor.shutdown(wait=False, cancel_futures=True)
        for live in self.captions.vocabularies.values():
            live.close()

    async def load_configuration(self) -> None:
        caps = self.client_capabilities.workspace
        if not (caps and caps.configuration):
            return
        try:
            values = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception as error:
            self.log(f"workspace/configuration failed: {error}")
            return
        value = values[0] if values else None
        if value is None:
            return
        base = self.captions.settings
        settings, problems = parse_settings(value, base)
        for problem in problems:
            self.log(problem)
        if settings != base:
            self.captions.apply_settings(settings)
            self.sync.refresh_all()

    async def changed_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            parsed, problems = parse_settings(settings[SECTION], Settings())
            for problem in problems:
                self.log(problem)
            self.captions.apply_settings(parsed)
            self.sync.refresh_all()
        else:
            await self.load_configuration()


def create_server() -> CaptionServer:
    """A server with every feature registered."""
    server = CaptionServer()
    feature = server.feature
    guarded = server.guarded
    sync = server.sync
    no_actions: list[types.CodeAction | types.Command] = []

    feature(types.INITIALIZE)(guarded(None, server.initialize))
    feature(types.INITIALIZED)(server.guarded_async(None, server.initialized))
    feature(types.SHUTDOWN)(guarded(None, server.shutdown_session))
    feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(
        server.guarded_async(None, server.changed_configuration)
    )
    feature(types.TEXT_DOCUMENT_DID_OPEN)(guarded(None, sync.opened))
    feature(types.TEXT_DOCUMENT_DID_CHANGE)(guarded(None, sync.changed))
    feature(types.TEXT_DOCUMENT_DID_SAVE)(guarded(None, sync.saved))
    feature(types.TEXT_DOCUMENT_DID_CLOSE)(guarded(None, sync.closed))
    feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(guarded(None, sync.files_changed))
    feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(guarded(None, server.indexer.folders_changed))

    feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )(guarded(None, server.completer.complete))
    feature(types.COMPLETION_ITEM_RESOLVE)(guarded_item(server))
    feature(types.TEXT_DOCUMENT_HOVER)(server.bound(None, hover))

    feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=actions.KINDS, resolve_provider=False),
    )(server.bound(no_actions, actions.code_actions))
    for name, run in commands.commands(server).items():
        server.command(name)(run)

    feature(types.TEXT_DOCUMENT_PREPARE_RENAME)(server.bound(None, navigation.prepare_rename))
    feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))(
        server.bound(None, navigation.rename)
    )
    feature(types.TEXT_DOCUMENT_REFERENCES)(server.bound(None, navigation.references))
    feature(types.WORKSPACE_SYMBOL)(server.bound(None, navigation.workspace_symbols))
    feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, tokens.LEGEND)(
        server.bound(None, tokens.semantic_tokens)
    )
    feature(types.TEXT_DOCUMENT_INLAY_HINT)(server.bound(None, hints.inlay_hints))
    feature(types.TEXT_DOCUMENT_FORMATTING)(server.bound(None, formatting.format_document))
    return server


def guarded_item(server: CaptionServer) -> Callable[[types.CompletionItem], types.CompletionItem]:
    """completionItem/resolve answers with the item itself when anything goes wrong."""

    def resolve(item: types.CompletionItem) -> types.CompletionItem:
        try:
            return server.completer.resolve(item)
        except Exception:
            server.log(f"completionItem/resolve failed:\n{traceback.format_exc()}", types.MessageType.Error)
            return item

    return resolve
