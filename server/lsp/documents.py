"""Open documents whose lines split where the protocol says they do.

pygls splits a document with `str.splitlines`, which also breaks at form feeds, `\\x85`, `\\u2028` and
friends; a client does not, so after an edit containing one of those the server's text would drift
from the editor's. These subclasses keep pygls' incremental sync but count lines like the client.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument, Workspace

from .positions import split_lines


class CaptionDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return split_lines(self.source)


class CaptionWorkspaceDocuments(Workspace):
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


class CaptionProtocol(LanguageServerProtocol):
    """pygls' protocol, with documents that count lines like the client."""

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
