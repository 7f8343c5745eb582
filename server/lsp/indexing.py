"""Background indexing of the workspace's datasets, with work-done progress.

The scan runs in its own thread on a fresh `DatasetIndex`; requests keep being answered from the old one.
When it finishes, the open documents' (possibly unsaved) text is laid over it and it replaces the old one.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from captionls.server.caption.dataset import DatasetIndex

from .workspace import Dataset

if TYPE_CHECKING:
    from .server import CaptionServer

REPORT_INTERVAL = 0.25
SCAN_SWITCH_INTERVAL = 0.001


class Indexer:
    def __init__(self, server: CaptionServer) -> None:
        self.server = server
        # One thread of its own: pygls reads stdin on its pool, which must never wait for a scan.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="captionls-index")
        self.tasks: dict[Path, asyncio.Future[None]] = {}
        self.active = 0
        self.switch_interval = sys.getswitchinterval()
        server.captions.on_new_dataset = self.index_dataset

    def index_workspace_folders(self) -> None:
        workspace = self.server.workspace
        roots = [folder.uri for folder in workspace.folders.values()]
        if not roots and workspace.root_uri:
            roots = [workspace.root_uri]
        for uri in roots:
            fs_path = to_fs_path(uri)
            if fs_path is not None and Path(fs_path).is_dir():
                self.server.captions.dataset_at(Path(fs_path))  # a new dataset starts indexing

    def folders_changed(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.added:
            fs_path = to_fs_path(folder.uri)
            if fs_path is not None and Path(fs_path).is_dir():
                self.server.captions.dataset_at(Path(fs_path))  # a new dataset starts indexing

    def index_dataset(self, dataset: Dataset) -> None:
        if dataset.root in self.tasks:
            return
        self.tasks[dataset.root] = asyncio.ensure_future(self._index(dataset))

    async def _index(self, dataset: Dataset) -> None:
        progress = await self._begin(dataset.root)
        fresh = DatasetIndex(dataset.root, dataset.config)
        self._scanning(+1)
        scan = asyncio.get_running_loop().run_in_executor(self.executor, fresh.scan)
        try:
            while not scan.done():
                await asyncio.wait([scan], timeout=REPORT_INTERVAL)
                if progress is not None and not scan.done():
                    self._report(progress, f"{len(fresh)} captions")
            scan.result()
        except Exception as error:
            self.server.log(f"indexing {dataset.root} failed: {error}")
            self._end(progress, "failed")
            return
        finally:
            self._scanning(-1)
        for view in self.server.captions.open_views():
            if view.dataset is dataset:
                fresh.update(view.path, view.caption)
        for _path, message in sorted(fresh.errors.items()):
            self.server.log(message, types.MessageType.Info)
        dataset.index = fresh
        self._end(progress, f"{len(fresh)} captions indexed")
        self.server.sync.dataset_changed(dataset)

    def _scanning(self, change: int) -> None:
        """Tune the interpreter while any scan runs, and put it back after the last one."""
        self.active += change
        if change > 0 and self.active == 1:
            # A scan allocates millions of objects, and each full collection they trigger walks them all
            # holding the GIL, stalling requests; the scan makes no cycles worth collecting.
            gc.disable()
            # The scan thread holds the GIL for whole switch intervals; short ones let requests through.
            self.switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SCAN_SWITCH_INTERVAL)
        elif change < 0 and self.active == 0:
            sys.setswitchinterval(self.switch_interval)
            # The index is long-lived: freeze it out of the collector's walks before collecting again.
            gc.freeze()
            gc.enable()

    async def _begin(self, root: Path) -> str | None:
        caps = self.server.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return None
        token = f"captionls-index-{uuid.uuid4()}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as error:
            self.server.log(f"work done progress refused: {error}", types.MessageType.Info)
            return None
        self.server.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(title="Indexing captions", message=str(root), cancellable=False),
        )
        return token

    def _report(self, token: str, message: str) -> None:
        self.server.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    def _end(self, token: str | None, message: str) -> None:
        if token is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
