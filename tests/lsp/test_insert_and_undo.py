"""`captionls.insertTag` (a picker's insert at the cursor) and `captionls.undo` (the dataset journal) over a
real client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.kit.cli import cli
from tests.kit.lsp import Session


async def run(session: Session, command: str, **argument: Any) -> Any:
    return await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )


async def insert(session: Session, uri: str, line: int, character: int, tag: str) -> Any:
    return await run(
        session, "captionls.insertTag", uri=uri, position={"line": line, "character": character}, tag=tag
    )


async def test_insert_tag_puts_the_dataset_phrasing_after_the_tag_under_the_cursor(vscode: Session) -> None:
    await vscode.indexed()
    text = "ohwxStyle, 少女🐱, 1girl, solo"
    uri = vscode.open("a1.txt", text)
    # UTF-16 columns: the cat is two code units; the cursor is inside `1girl`.
    column = len(text[: text.index("1girl") + 2].encode("utf-16-le")) // 2
    inserted = await insert(vscode, uri, 0, column, "Long_Hair")
    # Before the next tag, which reads the same: `1girl, long hair, solo`.
    solo = len(text[: text.index("solo")].encode("utf-16-le")) // 2
    at_solo = {"line": 0, "character": solo}
    assert inserted == {
        "tag": "long hair",
        "edit": {"range": {"start": at_solo, "end": at_solo}, "newText": "long hair, "},
    }
    assert await insert(vscode, uri, 0, 3, "solo") == {"tag": "solo", "edit": None}  # there already
    uri2 = vscode.open("a2.txt", "ohwxStyle,")
    assert (await insert(vscode, uri2, 0, 10, "smile"))["edit"]["newText"] == " smile"


async def test_insert_tag_needs_an_open_caption_and_a_tag(vscode: Session) -> None:
    with pytest.raises(JsonRpcInvalidParams, match="uri must name a caption"):
        await insert(vscode, vscode.uri("README.md"), 0, 0, "hat")
    uri = vscode.open("a1.txt", "ohwxStyle")
    with pytest.raises(JsonRpcInvalidParams, match="tag must be a tag name"):
        await insert(vscode, uri, 0, 0, " ")


async def test_undo_restores_the_last_cli_write_and_the_index_follows(vscode: Session, dataset: Path) -> None:
    await vscode.indexed()
    before = {path.name: path.read_bytes() for path in dataset.glob("a*.txt")}
    assert cli("tags", "add", "hat", "--where", "smile", dataset).exit_code == 0
    assert (dataset / "a3.txt").read_text().rstrip().endswith(", hat")
    # The editor's file watcher reports the write, so the server counts `hat`.
    vscode.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(vscode.uri(name), types.FileChangeType.Changed) for name in ("a3.txt", "a4.txt")]
        )
    )

    async def hats() -> int:
        listed = await run(vscode, "captionls.tagsList", uri=vscode.root.as_uri())
        return sum(row["captions"] for row in listed["tags"] if row["tag"] == "hat")

    assert await hats() == 2
    undone = await run(vscode, "captionls.undo", uri=vscode.root.as_uri())
    assert undone == {"undone": "tags add hat --where smile", "captions": 2}
    assert {path.name: path.read_bytes() for path in dataset.glob("a*.txt")} == before
    assert await hats() == 0  # without a word from the watcher
    assert await run(vscode, "captionls.undo", uri=vscode.root.as_uri()) == {"undone": None, "captions": 0}


async def test_undo_refuses_when_a_caption_changed_since(vscode: Session, dataset: Path) -> None:
    assert cli("tags", "add", "hat", "--where", "smile", dataset).exit_code == 0
    (dataset / "a3.txt").write_text("edited by hand", encoding="utf-8")
    refused = await run(vscode, "captionls.undo", uri=vscode.root.as_uri())
    assert set(refused) == {"refused"} and "a3.txt: changed since" in refused["refused"]
    assert (dataset / "a3.txt").read_text(encoding="utf-8") == "edited by hand"
