"""Background indexing of the workspace's datasets, with work-done progress.

The scan runs in its own thread on a fresh `DatasetIndex`; requests keep being answered from the old one.
When it finishes, the open documents' (possibly unsaved) text is laid over it and it replaces the old one.
Scan threads are daemons: a scan stuck on a file (a FIFO named like a caption) must never keep the
process alive after `exit` or a closed stdin.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from lsprotocol import types
from pygls.uris import to_fs_path

from captionls.server.caption.dataset import DatasetIndex

from ..workspace import Dataset

if TYPE_CHECKING:
    from ..server import CaptionServer

REPORT_INTERVAL = 0.25
SCAN_SWITCH_INTERVAL = 0.001
T = TypeVar("T")


def register(server: CaptionServer) -> None:
    indexer = server.indexer
    server.handle(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, indexer.folders_changed)
    server.on_initialized.append(indexer.index_workspace_folders)
    server.on_shutdown.append(indexer.stop)


def in_daemon_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """`work()` in a thread of its own that never holds up the interpreter's exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as raised:
            result, error = None, raised
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            return  # the loop is gone: the server is exiting

    threading.Thread(target=run, name="captionls-index", daemon=True).start()
    return future


class Indexer:
    def __init__(self, server: CaptionServer) -> None:
        self.server = server
        self.tasks: dict[Path, asyncio.Future[None]] = {}
        # One scan at a time: each holds the GIL for most of its run.
        self._scanning_lock: asyncio.Lock | None = None
        self.active = 0
        self.switch_interval = sys.getswitchinterval()
        server.captions.on_new_dataset = self.index_dataset

    def index_workspace_folders(self) -> None:
        for folder in self.server.captions.folders():
            if folder.is_dir():
                self.server.captions.dataset_at(folder)  # a new dataset starts indexing

    def folders_changed(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for folder in params.event.added:
            fs_path = to_fs_path(folder.uri)
            if fs_path is not None and Path(fs_path).is_dir():
                self.server.captions.dataset_at(Path(fs_path))  # a new dataset starts indexing

    def index_dataset(self, dataset: Dataset) -> None:
        if dataset.root in self.tasks:
            return
        self.tasks[dataset.root] = asyncio.ensure_future(self._index(dataset))

    async def indexed(self, dataset: Dataset) -> None:
        """Until the dataset's first scan is over (at once when it never started one)."""
        task = self.tasks.get(dataset.root)
        if task is not None:
            await asyncio.shield(task)

    async def indexed_within(self, dataset: Dataset, seconds: float) -> None:
        """Until the dataset's first scan is over, or `seconds` have passed (the scan goes on)."""
        task = self.tasks.get(dataset.root)
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=seconds)

    def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()

    async def _index(self, dataset: Dataset) -> None:
        if self._scanning_lock is None:
            self._scanning_lock = asyncio.Lock()
        async with self._scanning_lock:
            await self._scan(dataset)

    async def _scan(self, dataset: Dataset) -> None:
        progress = await self._begin(dataset.root)
        # No copy of each caption's text: the server reads a closed caption from disk when it needs it.
        fresh = DatasetIndex(dataset.root, dataset.config, keep_files=False)
        self._scanning(+1)
        scan = in_daemon_thread(fresh.scan)
        try:
            while not scan.done():
                await asyncio.wait([scan], timeout=REPORT_INTERVAL)
                if progress is not None and not scan.done():
                    self._report(progress, f"{len(fresh)} caption{'s' if len(fresh) != 1 else ''}")
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
        self._end(progress, f"{len(fresh)} caption{'s' if len(fresh) != 1 else ''} indexed")
        self.server.diagnostics.dataset_changed(dataset)

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
