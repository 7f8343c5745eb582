"""The selection commands (`captionls.tagsAdd`, `tagsRemove`, `tagsMove`, `tagsList`) over a real client."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.kit.datasets import write_dataset
from tests.kit.lsp import NO_APPLY_EDIT_CLIENT, Session, start_session
from tests.lsp.test_dataset import apply, changes_of


async def run(session: Session, command: str, **argument: Any) -> Any:
    return await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )


def applied_edits(session: Session) -> list[types.ApplyWorkspaceEditParams]:
    """Record the server's workspace/applyEdit requests and accept them, as an editor does."""
    received: list[types.ApplyWorkspaceEditParams] = []

    @session.client.feature(types.WORKSPACE_APPLY_EDIT)
    def accept(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        received.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    return received


async def test_tags_list_counts_inside_the_selection(session: Session) -> None:
    await session.indexed()
    listed = await run(session, "captionls.tagsList", uri=session.root.as_uri(), where='"long hair" OR smile')
    assert listed["captions"] == 3
    tags = {row["tag"]: row["captions"] for row in listed["tags"]}
    assert listed["tags"][:3] == [
        {"tag": "1girl", "captions": 3},
        {"tag": "ohwxStyle", "captions": 3},
        {"tag": "solo", "captions": 3},
    ]
    assert tags["long hair"] == 2 and tags["smile"] == 2 and "short hair" not in tags


async def test_tags_add_is_one_applied_workspace_edit_of_the_selected_captions(session: Session) -> None:
    received = applied_edits(session)
    await session.indexed()
    # An open buffer is edited as the editor has it, not as the file on disk.
    a3 = "ohwxStyle, drawing, 1girl, solo, from side, sitting, head tilt, long hair, smile, couch, lamp"
    uri3 = session.open("a3.txt", a3)
    result = await run(
        session, "captionls.tagsAdd", uri=uri3, tags=["hat", "smile"], at="after:1girl", where="smile"
    )
    assert result == {"captions": 2, "applied": True}
    assert len(received) == 1 and received[0].label == "captionls: add hat, smile (2 captions)"
    changes = changes_of(received[0].edit)
    assert sorted(changes) == [uri3, session.uri("a4.txt")]
    assert apply(a3, changes[uri3]) == a3.replace("1girl,", "1girl, hat,")
    a4 = (session.root / "a4.txt").read_text()
    assert apply(a4, changes[session.uri("a4.txt")]) == a4.replace("1girl,", "1girl, hat,")


async def test_preview_remove_and_move_without_applying(vscode: Session) -> None:
    received = applied_edits(vscode)
    await vscode.indexed()
    removed = await run(
        vscode, "captionls.tagsRemove", tags=["wooden_floor"], where='"brown hair"', apply=False
    )
    assert removed["captions"] == 1 and not received
    assert list(removed["edit"]["changes"]) == [vscode.uri("a4.txt")]
    (edit,) = removed["edit"]["changes"][vscode.uri("a4.txt")]
    assert edit["newText"] == "" and edit["range"]["start"] == {"line": 0, "character": 80}
    moved = await run(vscode, "captionls.tagsMove", tag="solo", at="start", where="path:a1.txt", apply=False)
    ((uri, (change,)),) = moved["edit"]["changes"].items()
    assert uri == vscode.uri("a1.txt") and change["newText"] == "solo, anime, 1girl"


async def test_utf16_positions_and_crlf(tmp_path: Path, vocabulary_db: Path) -> None:
    root = write_dataset(
        tmp_path / "set", {"a": codecs.BOM_UTF8 + "ohwxStyle, 少女🐱, smile\r\nsecond, line\r\n".encode()}
    )
    started = await start_session(root, vocabulary_db, "visual-studio-code")
    try:
        await started.indexed()
        result = await run(started, "captionls.tagsAdd", tags=["hat"], apply=False)
        (edit,) = result["edit"]["changes"][started.uri("a.txt")]
        # UTF-16 columns (the cat is two code units), the BOM not counted, the CRLF kept; the variant too.
        assert edit["range"] == {"start": {"line": 0, "character": 22}, "end": {"line": 1, "character": 12}}
        assert edit["newText"] == ", hat\r\nsecond, line, hat"
    finally:
        await started.client.shutdown_session()
        await started.client.stop()


async def test_a_client_without_apply_edit_gets_the_edit(dataset: Path, vocabulary_db: Path) -> None:
    started = await start_session(dataset, vocabulary_db, NO_APPLY_EDIT_CLIENT)
    try:
        received = applied_edits(started)
        await started.indexed()
        result = await run(started, "captionls.tagsAdd", tags=["hat"], where="path:a1.txt")
        assert result["captions"] == 1 and list(result["edit"]["changes"]) == [started.uri("a1.txt")]
        assert not received
    finally:
        await started.client.shutdown_session()
        await started.client.stop()


async def test_paths_narrow_the_selection_to_the_named_captions(vscode: Session) -> None:
    await vscode.indexed()
    uris = [vscode.uri("a1.txt"), vscode.uri("a3.txt")]
    # `where` and `paths` together: a3 has no "arms up", so only a1 of the two is changed.
    result = await run(vscode, "captionls.tagsAdd", tags=["hat"], where='"arms up"', paths=uris, apply=False)
    assert list(result["edit"]["changes"]) == [vscode.uri("a1.txt")]
    result = await run(vscode, "captionls.tagsRemove", tags=["couch"], paths=uris, apply=False)
    assert sorted(result["edit"]["changes"]) == uris


async def test_captions_list_gives_text_and_findings_of_the_selection(vscode: Session) -> None:
    (vscode.root / "a2.txt").write_text("ohwxStyle, anime, 1girl, solo, smile, smile\n")
    await vscode.indexed()
    listed = await run(vscode, "captionls.captionsList", where="smile OR path:a1.txt", findings=True)
    rows = {row["uri"]: row for row in listed["captions"]}
    assert list(rows) == [vscode.uri(f"a{number}.txt") for number in (1, 2, 3, 4)]
    assert rows[vscode.uri("a2.txt")]["text"] == "ohwxStyle, anime, 1girl, solo, smile, smile\n"
    # The duplicate smile is a finding of a2; the count is the diagnostics the editor shows.
    assert rows[vscode.uri("a2.txt")]["findings"] > rows[vscode.uri("a1.txt")]["findings"]
    # Without findings: the text only (no check), as a gallery lists thousands of captions.
    narrowed = await run(vscode, "captionls.captionsList", paths=[vscode.uri("a4.txt")])
    a4 = (vscode.root / "a4.txt").read_text()
    assert narrowed["captions"] == [{"uri": vscode.uri("a4.txt"), "text": a4}]


@pytest.mark.parametrize(
    ("command", "argument", "message"),
    [
        ("captionls.tagsAdd", {"tags": ["hat"], "where": "smile AND"}, "where: column 10: the query ends"),
        ("captionls.tagsAdd", {"tags": ["hat"], "at": "middle"}, 'at: "middle" is not a place for tags'),
        ("captionls.tagsAdd", {"tags": []}, "tags must be a non-empty list"),
        ("captionls.tagsMove", {"tag": "solo"}, "at is required"),
        ("captionls.tagsList", {"where": "tokens>three"}, "a count is a whole number"),
        ("captionls.tagsAdd", {"tags": ["hat"], "paths": "a1.txt"}, "paths must be a list of caption URIs"),
        ("captionls.captionsList", {"where": "smile AND"}, "where: column 10"),
    ],
)
async def test_bad_arguments_are_invalid_params(
    vscode: Session, command: str, argument: dict[str, Any], message: str
) -> None:
    with pytest.raises(JsonRpcInvalidParams, match=message):
        await run(vscode, command, **argument)
