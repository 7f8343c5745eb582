"""A real client talking to `captionls serve` over stdio, with the capabilities of real editors."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import JsonRPCResponseMessage
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities


def server_command() -> list[str]:
    return [str(Path(sys.executable).with_name("captionls")), "serve"]


def server_env(vocabulary: Path) -> dict[str, str]:
    """The server's environment: its default vocabulary is the test file, never the user's."""
    return {**os.environ, "CAPTIONLS_DB": str(vocabulary)}


@dataclass
class Session:
    """A started client, what it was started with, and helpers to talk about files."""

    client: LanguageClient
    root: Path
    capabilities: str
    result: types.InitializeResult
    # Each document's last version sent, and the version of its last published diagnostics.
    sent: dict[str, int] = field(default_factory=dict)
    published: dict[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        features = self.client.protocol.fm.features
        keep = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def record(params: types.PublishDiagnosticsParams) -> None:
            keep(params)
            self.published[params.uri] = params.version

        features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
        send = self.client.protocol.notify

        def notify(method: str, params: Any = None) -> None:
            if method in (types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE):
                self.sent[params.text_document.uri] = params.text_document.version
            elif method == types.TEXT_DOCUMENT_DID_CLOSE:
                self.sent.pop(params.text_document.uri, None)
                self.published.pop(params.text_document.uri, None)
            send(method, params)

        # Every version the client sends, however a test sends it (the helpers below or the client itself).
        self.client.protocol.notify = notify  # type: ignore[method-assign]

    @property
    def pull(self) -> bool:
        """Whether the server chose pull diagnostics for this client."""
        return self.result.capabilities.diagnostic_provider is not None

    async def indexed(self, timeout: float = 20.0) -> None:
        """Until the server reported the end of its background indexing (work-done progress)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(
            isinstance(report, types.WorkDoneProgressEnd)
            for reports in self.client.progress_reports.values()
            for report in reports
        ):
            assert asyncio.get_running_loop().time() < deadline, "indexing never finished"
            await asyncio.sleep(0.02)

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str | None = None, version: int = 1) -> str:
        path = self.root / name
        if text is None:
            text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="text", version=version, text=text)
            )
        )
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The document's diagnostics the way this client gets them (pulled, or the last published)."""
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            return list(report.items)
        # The server publishes once it has answered what came with the change: wait for this version's.
        deadline = asyncio.get_running_loop().time() + 10
        while uri in self.sent and self.published.get(uri, -1) != self.sent[uri]:
            assert asyncio.get_running_loop().time() < deadline, (
                f"no diagnostics for version {self.sent[uri]}"
            )
            await asyncio.sleep(0.01)
        return list(self.client.diagnostics.get(uri, []))

    async def wait_diagnostics(
        self, uri: str, predicate: Callable[[list[types.Diagnostic]], bool], timeout: float = 10.0
    ) -> list[types.Diagnostic]:
        """Until the document's diagnostics satisfy `predicate` (refreshes come a moment after a change)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            diagnostics = await self.diagnostics(uri)
            if predicate(diagnostics):
                return diagnostics
            assert asyncio.get_running_loop().time() < deadline, f"diagnostics never matched: {diagnostics}"
            await asyncio.sleep(0.05)


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """A request's result as the JSON the server sent. lsprotocol reads a code action carrying a
    `command` as a bare Command (its kind and diagnostics lost); editors read the JSON."""
    msg_id = str(uuid.uuid4())
    future = client.protocol.send_request(method, params, msg_id=msg_id)
    # Read before the response can arrive (same event loop): the result stays plain JSON.
    client.protocol._result_types[msg_id] = JsonRPCResponseMessage
    return await asyncio.wrap_future(future)


PULL_CLIENT = "visual-studio-code+pull"
NO_APPLY_EDIT_CLIENT = "neovim-applyEdit"


def capabilities_of(name: str) -> types.ClientCapabilities:
    """pytest-lsp's recorded capabilities; `+pull` adds pull diagnostics with refresh (newer VS Code),
    `-applyEdit` takes workspace/applyEdit away (a client that cannot apply a server's edits)."""
    if name == NO_APPLY_EDIT_CLIENT:
        caps = client_capabilities("neovim")
        assert caps.workspace is not None
        caps.workspace.apply_edit = False
        return caps
    if name != PULL_CLIENT:
        return client_capabilities(name)
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(related_document_support=True)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def start_session(
    root: Path,
    vocabulary: Path,
    capabilities: str,
    initialization_options: Any = None,
    settings: dict[str, Any] | None = None,
) -> Session:
    config = ClientServerConfig(server_command=server_command(), server_env=server_env(vocabulary))
    client = await config.start()
    assert isinstance(client, LanguageClient)
    if settings is not None:
        client.set_configuration(settings, section="captionls")
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities_of(capabilities),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=initialization_options,
        )
    )
    return Session(client, root, capabilities, result)


def with_item_defaults(result: types.CompletionList) -> types.CompletionList:
    """Items as a client sees them: `itemDefaults.editRange` + `textEditText` become each item's text edit,
    and `itemDefaults.insertTextFormat` each item's format."""
    defaults = result.item_defaults
    if defaults is None:
        return result
    for item in result.items:
        if item.insert_text_format is None:
            item.insert_text_format = defaults.insert_text_format
    if defaults.edit_range is None:
        return result
    assert isinstance(defaults.edit_range, types.Range)
    for item in result.items:
        assert item.text_edit is None and item.text_edit_text is not None
        item.text_edit = types.TextEdit(range=defaults.edit_range, new_text=item.text_edit_text)
    return result


def inserted(item: types.CompletionItem) -> str:
    """The text accepting `item` puts in the document (a snippet's escapes undone; captionls snippets have
    no placeholders)."""
    assert isinstance(item.text_edit, types.TextEdit)
    text = item.text_edit.new_text
    if item.insert_text_format != types.InsertTextFormat.Snippet:
        return text
    assert re.search(r"(?<!\\)[$}]", text.replace("\\\\", "")) is None, f"unescaped in {text!r}"
    return re.sub(r"\\([\\$}])", r"\1", text)
