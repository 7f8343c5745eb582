"""A started language server session for the fault tests, and a deadline for its answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import pytest_asyncio
from pytest_lsp import LanguageClient

from .datasets import make_dataset
from .lsp import Session, start_session
from .vocabularies import build_vocabulary

T = TypeVar("T")
# Every request must be answered within this; a hung server fails the test instead of the run.
DEADLINE = 10.0


async def answered(request: Awaitable[T], deadline: float = DEADLINE) -> T:
    return await asyncio.wait_for(request, deadline)


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send a request as raw JSON (the typed client cannot even build invalid params) and await its answer."""
    msg_id = f"raw-{uuid.uuid4()}"
    future: Future[Any] = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await answered(asyncio.wrap_future(future))


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[Session]:
    """A VS Code session on a small dataset, shut down (if still alive) afterwards."""
    vocabulary = build_vocabulary(tmp_path / "vocabulary.sqlite")
    started = await start_session(make_dataset(tmp_path / "dataset"), vocabulary, "visual-studio-code")
    yield started
    process = started.client._server
    try:
        if process is not None and process.returncode is None:
            await asyncio.wait_for(started.client.shutdown_session(), DEADLINE)
    finally:
        if process is not None and process.returncode is None:
            process.kill()  # a hung server must not outlive its test
        await started.client.stop()
