"""Issue 15 item 8 (server side): a FIFO named like a caption never hangs the server, which always exits."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lsprotocol import types

from tests.kit.datasets import PNG, make_dataset
from tests.kit.lsp import Session, start_session
from tests.kit.lsp_faults import DEADLINE, answered
from tests.kit.vocabularies import build_vocabulary


async def with_a_fifo(tmp_path: Path) -> Session:
    """A Neovim session on a dataset holding `pipe.txt`, a FIFO with an image beside it."""
    root = make_dataset(tmp_path / "dataset")
    (root / "pipe.png").write_bytes(PNG)
    os.mkfifo(root / "pipe.txt")
    return await start_session(root, build_vocabulary(tmp_path / "vocabulary.sqlite"), "neovim")


async def test_a_fifo_caption_neither_hangs_requests_nor_the_exit(tmp_path: Path) -> None:
    session = await with_a_fifo(tmp_path)
    process = session.client._server
    assert process is not None
    try:
        # The FIFO itself, asked about while closed (the server would read it from disk).
        fifo = types.TextDocumentIdentifier(uri=session.uri("pipe.txt"))
        hover = await answered(
            session.client.text_document_hover_async(types.HoverParams(fifo, types.Position(0, 0)))
        )
        assert hover is None
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=fifo.uri, type=types.FileChangeType.Changed)]
            )
        )
        await session.indexed()  # the scan reports the FIFO instead of waiting on it
        uri = session.open("a1.txt")
        hover = await answered(
            session.client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 12))
            )
        )
        assert hover is not None
        await answered(session.client.shutdown_async(None))
        session.client.exit(None)
        assert await asyncio.wait_for(process.wait(), DEADLINE) == 0
    finally:
        if process.returncode is None:
            process.kill()
        await session.client.stop()


async def test_the_server_exits_when_its_input_closes(tmp_path: Path) -> None:
    session = await with_a_fifo(tmp_path)
    process = session.client._server
    assert process is not None and process.stdin is not None
    try:
        await asyncio.sleep(0.5)  # indexing has started (and met the FIFO)
        process.stdin.close()
        await asyncio.wait_for(process.wait(), DEADLINE)
    finally:
        if process.returncode is None:
            process.kill()
        await session.client.stop()
