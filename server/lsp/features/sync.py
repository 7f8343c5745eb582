"""Document sync: keeping the dataset index and everyone's diagnostics in step with documents and files.

An edited caption's own diagnostics are published at once. What it contributes to the dataset index (a
tag added, removed or re-phrased) is updated once the typing pauses: a half-typed tag is not a tag of the
dataset, and re-indexing on every keystroke would churn every cache keyed on the dataset's tag set. After
that update every open caption is refreshed (`inconsistent-tag` counts the whole dataset). Watched-file
events and a 2-second poll notice captions, captionls.toml and vocabularies changed on disk.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path

from captionls.server.caption.config import CONFIG_NAME
from captionls.server.caption.files import CaptionReadError, read_caption_file

from ..workspace import CaptionView, Dataset, file_stamp

if TYPE_CHECKING:
    from ..server import CaptionServer

# How long typing must pause before an edited caption's tags count in the dataset index.
INDEX_DELAY = 0.3
POLL_INTERVAL = 2.0
_WATCHERS_ID = "captionls-files"


def register(server: CaptionServer) -> None:
    sync = DocumentSync(server)
    server.handle(types.TEXT_DOCUMENT_DID_OPEN, sync.opened)
    server.handle(types.TEXT_DOCUMENT_DID_CHANGE, sync.changed)
    server.handle(types.TEXT_DOCUMENT_DID_SAVE, sync.saved)
    server.handle(types.TEXT_DOCUMENT_DID_CLOSE, sync.closed)
    server.handle(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, sync.files_changed)
    server.on_initialized.append(sync.start_watching)


def _signature(view: CaptionView) -> frozenset[tuple[str, str]]:
    """What a caption contributes to the dataset: (key, written form) of each tag."""
    return frozenset((tag.key, tag.name) for tag in view.caption.tags)


class DocumentSync:
    def __init__(self, server: CaptionServer) -> None:
        self.server = server
        self.captions = server.captions
        self.diagnostics = server.diagnostics
        self._signatures: dict[Path, frozenset[tuple[str, str]]] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._poller: asyncio.Task[None] | None = None

    # Documents ------------------------------------------------------------------------------

    def opened(self, params: types.DidOpenTextDocumentParams) -> None:
        if not self.index_document(params.text_document.uri):
            self.diagnostics.document_changed(params.text_document.uri)

    def changed(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.diagnostics.document_changed(uri)
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self._pending[uri] = asyncio.get_event_loop().call_later(INDEX_DELAY, self.index_document, uri)

    def saved(self, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith(CONFIG_NAME):
            self.config_changed()

    def closed(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.captions.forget(uri)
        fs_path = to_fs_path(uri)
        if fs_path is not None:
            path = Path(fs_path)
            dataset = self.captions.dataset_for(path)
            if dataset is not None:
                # The file on disk is the truth again (the buffer may have been closed unsaved).
                self.reindex_file(dataset, path)
        self.diagnostics.document_closed(uri)

    def index_document(self, uri: str) -> bool:
        """Count an open caption's current tags in its dataset; True when that changed it (and everyone
        was refreshed)."""
        self._pending.pop(uri, None)
        try:
            view = self.captions.view(uri)
            if view is None:
                return False
            signature = _signature(view)
            if self._signatures.get(view.path) == signature:
                return False
            self._signatures[view.path] = signature
            view.dataset.index.update(view.path, view.caption)
            self.captions.dataset_changed(view.dataset)
            self.diagnostics.refresh_all_soon()
            return True
        except Exception as error:  # also a timer callback: nobody else would report it
            self.server.log(f"indexing {uri} failed: {error}")
            return False

    def reindex_file(self, dataset: Dataset, path: Path) -> None:
        try:
            text = read_caption_file(path).text
        except (CaptionReadError, OSError):
            dataset.index.remove(path)
        else:
            dataset.index.update(path, text)
        self._signatures.pop(path, None)
        self.diagnostics.dataset_changed(dataset)

    # Files and settings ---------------------------------------------------------------------

    def files_changed(self, params: types.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            fs_path = to_fs_path(change.uri)
            if fs_path is None:
                continue
            path = Path(fs_path)
            if path.name == CONFIG_NAME:
                self.config_changed()
                continue
            if unquote(path.as_uri()) in self.server.workspace.text_documents:
                continue  # the editor's buffer is the truth while it is open
            dataset = self.captions.dataset_for(path) if change.type != types.FileChangeType.Deleted else None
            if dataset is not None:
                self.reindex_file(dataset, path)
            elif change.type == types.FileChangeType.Deleted:
                for known in self.captions.datasets.values():
                    if path.is_relative_to(known.root) and known.index.keys_of(path):
                        known.index.remove(path)
                        self.diagnostics.dataset_changed(known)

    def config_changed(self) -> None:
        self.captions.reload_configs()
        self.diagnostics.refresh_all()

    async def start_watching(self) -> None:
        """Poll, and ask the client to watch captions and captionls.toml when it can."""
        self.start_polling()
        caps = self.server.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps else None
        if not (watched and watched.dynamic_registration):
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[
                types.FileSystemWatcher(glob_pattern=f"**/{CONFIG_NAME}"),
                types.FileSystemWatcher(glob_pattern="**/*.{txt,caption}"),
            ]
        )
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=_WATCHERS_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=options,
                        )
                    ]
                )
            )
        except Exception as error:  # a client may refuse; the 2-second poll still notices captionls.toml
            self.server.log(f"file watching not registered: {error}", types.MessageType.Info)

    def start_polling(self) -> None:
        """Notice vocabulary imports and captionls.toml edits even when the client watches no files."""
        if self._poller is None:
            self._poller = asyncio.ensure_future(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                self.poll_once()
            except Exception as error:
                self.server.log(f"polling failed: {error}")

    def poll_once(self) -> None:
        changed = self.captions.refresh_vocabularies()
        for path, stamp in list(self.captions.config_files.items()):
            if file_stamp(path) != stamp:
                self.config_changed()
                return
        if changed:
            self.diagnostics.refresh_all()
