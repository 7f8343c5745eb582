"""Issue 15, item 15: an import holding the vocabulary's write lock must not freeze the language server."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.kit.datasets import make_dataset
from tests.kit.lsp import start_session
from tests.kit.lsp_faults import answered
from tests.kit.vocabularies import build_vocabulary


async def test_add_to_personal_during_an_import_answers_at_once(tmp_path: Path) -> None:
    vocabulary = build_vocabulary(tmp_path / "vocabulary.sqlite")
    session = await start_session(make_dataset(tmp_path / "dataset"), vocabulary, "visual-studio-code")
    client = session.client
    uri = session.open("a1.txt")
    # Another process's import: a write transaction held open on the same file.
    importer = sqlite3.connect(vocabulary, isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        added = await answered(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="captionls.addToPersonal", arguments=[{"name": "ohwxStyle", "uri": uri}]
                )
            ),
            deadline=5,
        )
        assert added is False
        hover = await answered(
            client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 19))
            ),
            deadline=5,
        )
        assert hover is not None
        assert time.monotonic() - started < 5
        for _ in range(50):
            if client.messages:
                break
            await asyncio.sleep(0.05)
        assert any("another import is writing" in message.message for message in client.messages)
    finally:
        importer.execute("ROLLBACK")
        importer.close()
    # Once the import is over, the same command works.
    assert await answered(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="captionls.addToPersonal", arguments=[{"name": "ohwxStyle", "uri": uri}]
            )
        )
    )
    await client.shutdown_session()
    await client.stop()


async def test_add_to_personal_refuses_a_name_with_a_line_break(tmp_path: Path) -> None:
    vocabulary = build_vocabulary(tmp_path / "vocabulary.sqlite")
    session = await start_session(make_dataset(tmp_path / "dataset"), vocabulary, "visual-studio-code")
    uri = session.open("a1.txt")
    with pytest.raises(JsonRpcInvalidParams, match="control character"):
        await answered(
            session.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="captionls.addToPersonal", arguments=[{"name": "x\ny", "uri": uri}]
                )
            )
        )
    with sqlite3.connect(vocabulary) as connection:
        assert connection.execute("SELECT count(*) FROM tags WHERE name LIKE 'x%y'").fetchone() == (0,)
    await session.client.shutdown_session()
    await session.client.stop()
