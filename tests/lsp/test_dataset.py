"""Dataset-wide behaviour: refreshes, code actions, commands, rename, references, symbols, formatting."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from tests.kit.datasets import make_dataset
from tests.kit.lsp import Session, raw_request, start_session


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply text edits to an ASCII text (columns are characters)."""
    lines = text.splitlines(keepends=True) or [""]
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[min(position.line, len(lines))] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def changes_of(edit: types.WorkspaceEdit | None) -> dict[str, list[types.TextEdit]]:
    assert edit is not None and edit.changes is not None
    return {uri: list(edits) for uri, edits in edit.changes.items()}


async def actions(
    session: Session, uri: str, character: int, only: list[str] | None = None
) -> list[types.CodeAction]:
    diagnostics = await session.diagnostics(uri)
    result = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, character), types.Position(0, character)),
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),  # type: ignore[arg-type]
        )
    )
    return [action for action in result or [] if isinstance(action, types.CodeAction)]


async def formatted(session: Session, name: str, text: str) -> str:
    """`text` opened as the caption `name` and formatted by the server."""
    uri = session.open(name, text)
    document = types.TextDocumentIdentifier(uri=uri)
    edits = await session.client.text_document_formatting_async(
        types.DocumentFormattingParams(document, types.FormattingOptions(2, True))
    )
    assert edits is not None
    return apply(text, list(edits))


async def commands(
    session: Session, uri: str, character: int, only: list[str] | None = None
) -> list[types.Command]:
    """The commands a position's code actions run, read from the JSON (lsprotocol would take a code
    action carrying a command for a bare Command and lose the command)."""
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, character), types.Position(0, character)),
        context=types.CodeActionContext(diagnostics=[], only=only),  # type: ignore[arg-type]
    )
    found = await raw_request(session.client, types.TEXT_DOCUMENT_CODE_ACTION, params) or []
    return [
        types.Command(title=action["title"], command=run["command"], arguments=run.get("arguments"))
        for action in found
        for run in [action["command"] if isinstance(action.get("command"), dict) else action]
        if "command" in run
    ]


async def test_other_captions_refresh_when_the_majority_changes(session: Session) -> None:
    await session.indexed()
    a3 = "ohwxStyle, drawing, 1girl, solo, from side, sitting, arms_up, long hair, smile, couch"
    uri3 = session.open("a3.txt", a3)
    diagnostics = await session.wait_diagnostics(
        uri3, lambda ds: any(d.code == "inconsistent-tag" for d in ds)
    )
    message = next(d.message for d in diagnostics if d.code == "inconsistent-tag")
    assert '"arms up" in 3 captions' in message
    for name in ("a1.txt", "a2.txt", "a4.txt"):
        text = (session.root / name).read_text(encoding="utf-8")
        uri = session.open(name, text)
        session.change(uri, 2, text.replace("arms up", "arms_up"))
    await session.wait_diagnostics(uri3, lambda ds: not any(d.code == "inconsistent-tag" for d in ds))
    if session.pull:
        # The client is also told to re-pull everything (debounced after the burst of edits).
        for _ in range(100):
            if session.client.diagnostic_refresh_count:
                break
            await asyncio.sleep(0.05)
        assert session.client.diagnostic_refresh_count > 0


async def test_quickfix_and_fix_all(session: Session) -> None:
    text = "ohwxStyle, anime, 1girl, solo,, 1girl, full body, sitting, couch"
    uri = session.open("a1.txt", text)
    diagnostics = await session.diagnostics(uri)
    assert {"duplicate-tag", "empty-tag"} <= {d.code for d in diagnostics}
    duplicate = next(d for d in diagnostics if d.code == "duplicate-tag")
    found = await actions(session, uri, duplicate.range.start.character, ["quickfix"])
    preferred = [
        a for a in found if a.is_preferred and a.diagnostics and a.diagnostics[0].code == "duplicate-tag"
    ]
    assert preferred, [a.title for a in found]
    fixed = apply(text, changes_of(preferred[0].edit)[uri])
    assert fixed == "ohwxStyle, anime, 1girl, solo,, full body, sitting, couch"
    fix_all = [a for a in await actions(session, uri, 0, ["source.fixAll"]) if a.kind == "source.fixAll"]
    assert len(fix_all) == 1
    assert (
        apply(text, changes_of(fix_all[0].edit)[uri])
        == "ohwxStyle, anime, 1girl, solo, full body, sitting, couch"
    )


async def test_sort_tags_into_structure_order(vscode: Session) -> None:
    text = "ohwxStyle, couch, sitting, 1girl, anime"
    uri = vscode.open("a1.txt", text)
    found = await actions(vscode, uri, 0, ["source.sortTags"])
    assert [a.title for a in found] == ["Sort tags into structure order"]
    # Stable inside a section: `1girl` stays before `anime` (both "type").
    assert apply(text, changes_of(found[0].edit)[uri]) == "ohwxStyle, 1girl, anime, sitting, couch"


async def test_use_everywhere_spreads_the_majority_never_a_flagged_spelling(vscode: Session) -> None:
    await vscode.indexed()
    text = "ohwxStyle, anime, 1girl, solo, arms_up, couch"
    uri = vscode.open("a1.txt", text)
    found = await actions(vscode, uri, text.index("arms_up"), ["refactor.rewrite"])
    # `arms_up` here is the minority spelling `inconsistent-tag` flags: never spread over the dataset.
    assert [a.title for a in found] == ["Use `arms up` in all captions (1 file)"]
    assert apply(text, changes_of(found[0].edit)[uri]) == text.replace("arms_up", "arms up")
    # From a caption writing the majority phrasing, it is offered for every other caption.
    a2 = (vscode.root / "a2.txt").read_text(encoding="utf-8")
    uri2 = vscode.open("a2.txt", a2)
    found = await actions(vscode, uri2, a2.index("arms up"), ["refactor.rewrite"])
    assert [a.title for a in found] == ["Use `arms up` in all captions (1 file)"]
    assert set(changes_of(found[0].edit)) == {uri}


async def test_add_to_personal_vocabulary_clears_unknown_tag(session: Session) -> None:
    # "head tilted" looks like a typo of "head tilt" until it is in the personal vocabulary.
    text = "ohwxStyle, anime, 1girl, solo, head tilted, couch"
    uri = session.open("a1.txt", text)
    diagnostics = await session.diagnostics(uri)
    assert "unknown-tag" in {d.code for d in diagnostics}
    found = await commands(session, uri, text.index("head tilted"))
    add = [a for a in found if a.command == "captionls.addToPersonal"]
    assert add and add[0].title == "Add `head tilted` to the personal vocabulary", [a.title for a in found]
    command = add[0]
    assert await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    await session.wait_diagnostics(uri, lambda ds: "unknown-tag" not in {d.code for d in ds})
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            types.TextDocumentIdentifier(uri=uri), types.Position(0, text.index("head tilted") + 7)
        )
    )
    assert isinstance(result, types.CompletionList)
    assert "personal" in (next(i.detail for i in result.items if i.label == "head tilted") or "")


async def test_rename_references_symbols_and_formatting(vscode: Session) -> None:
    await vscode.indexed()
    a1 = (vscode.root / "a1.txt").read_text(encoding="utf-8")
    uri = vscode.open("a1.txt", a1)
    at_couch = types.Position(0, a1.index("couch") + 2)
    document = types.TextDocumentIdentifier(uri=uri)
    prepared = await vscode.client.text_document_prepare_rename_async(
        types.PrepareRenameParams(document, at_couch)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder) and prepared.placeholder == "couch"
    renamed = await vscode.client.text_document_rename_async(types.RenameParams(document, at_couch, "sofa"))
    changes = changes_of(renamed)
    assert set(changes) == {vscode.uri("a1.txt"), vscode.uri("a2.txt"), vscode.uri("a3.txt")}
    assert "sofa" in apply(a1, changes[uri]) and "couch" not in apply(a1, changes[uri])

    at_arms = types.Position(0, a1.index("arms up") + 1)
    references = await vscode.client.text_document_references_async(
        types.ReferenceParams(
            text_document=document, position=at_arms, context=types.ReferenceContext(include_declaration=True)
        )
    )
    assert references is not None
    assert sorted(location.uri for location in references) == sorted(
        vscode.uri(n) for n in ("a1.txt", "a2.txt", "a4.txt")
    )

    symbols = await vscode.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="girl"))
    assert symbols is not None
    assert [symbol.name for symbol in symbols] == ["1girl (4)"]

    messy = "ohwxStyle ,anime,,  1girl,solo"
    assert await formatted(vscode, "a2.txt", messy) == "ohwxStyle, anime, 1girl, solo"


async def test_indexing_reports_progress(session: Session) -> None:
    await session.indexed()
    reports = [report for reports in session.client.progress_reports.values() for report in reports]
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "Indexing captions"
    assert isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "4 captions indexed"


async def inlay_hints(session: Session, text: str) -> list[tuple[str, int]]:
    uri = session.open("a1.txt", text)
    hints = await session.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(1, 0)),
        )
    )
    assert hints is not None
    # Section labels only: each line's token count (tests/lsp/test_token_hints.py) is no section.
    return [(str(hint.label), hint.position.character) for hint in hints if str(hint.label).endswith(":")]


async def test_inlay_hints_mark_where_sections_begin(vscode: Session) -> None:
    text = (
        "ohwxStyle, anime, 1girl, solo, full body, sitting, smile, head tilt, long hair, wooden floor, couch"
    )
    # None before the trigger; `background` once, where it begins.
    assert await inlay_hints(vscode, text) == [
        ("type:", text.index("anime")),
        ("action:", text.index("sitting")),
        ("subject:", text.index("long hair")),
        ("background:", text.index("wooden floor")),
    ]
    # Tags out of order: a section met again gets no second label (`structure-order` reports it).
    mixed = "ohwxStyle, anime, 1girl, solo, couch, full body, sitting, smile, wooden floor, long hair"
    assert await inlay_hints(vscode, mixed) == [
        ("type:", mixed.index("anime")),
        ("background:", mixed.index("couch")),
        ("action:", mixed.index("sitting")),
        ("subject:", mixed.index("long hair")),
    ]


async def test_a_short_caption_gets_no_inlay_hints(vscode: Session) -> None:
    assert await inlay_hints(vscode, "ohwxStyle, anime, 1girl, sitting, smile, couch, wooden floor") == []


async def test_without_captionls_toml_the_workspace_folder_is_the_dataset(
    tmp_path: Path, vocabulary_db: Path
) -> None:
    root = tmp_path / "kohya"
    make_dataset(root / "10_alice", {"x1": "1girl, couch", "x2": "1girl, sitting"})
    make_dataset(root / "5_bob", {"y1": "1girl, standing"})
    for folder in ("10_alice", "5_bob"):
        (root / folder / "captionls.toml").unlink()
    session = await start_session(root, vocabulary_db, "neovim")
    try:
        await session.indexed()
        symbols = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="1girl"))
        assert symbols is not None and [symbol.name for symbol in symbols] == ["1girl (3)"]
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_watched_file_events_update_the_index(session: Session) -> None:
    await session.indexed()
    new = session.root / "a5.txt"
    (session.root / "a5.png").write_bytes((session.root / "a1.png").read_bytes())
    new.write_text("ohwxStyle, lone tree, 1girl\n", encoding="utf-8")
    (session.root / "a4.txt").unlink()
    session.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=new.as_uri(), type=types.FileChangeType.Created),
                types.FileEvent(uri=session.uri("a4.txt"), type=types.FileChangeType.Deleted),
            ]
        )
    )
    symbols = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    names = [symbol.name for symbol in symbols or []]
    assert "lone tree (1)" in names and "1girl (4)" in names, names


async def test_editor_commands(session: Session) -> None:
    await session.indexed()
    checked = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="captionls.checkDataset", arguments=[{"uri": session.root.as_uri()}]
        )
    )
    assert checked["captions"] == 4 and checked["findings"] > 0
    every_caption = {session.uri(f"a{i}.txt") for i in range(1, 5)}
    if session.pull:
        # Closed captions are in the workspace pull from now on, so the problem list shows them.
        report = await session.client.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[])
        )
        assert every_caption <= {item.uri for item in report.items}
    else:
        await session.diagnostics(session.uri("a1.txt"))
        assert every_caption <= set(session.client.diagnostics)
    found = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="captionls.searchVocabulary",
            arguments=[{"query": "raised ar", "uri": session.uri("a1.txt")}],
        )
    )
    assert found[0]["tag"] == "arms up" and found[0]["captions"] == 3
    assert found[0]["alias"] == "raised arms"
    info = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="captionls.vocabularyInfo", arguments=[{"uri": session.uri("a1.txt")}]
        )
    )
    assert info["captions"] == 4 and info["aliases"] >= 5


async def test_fixes_on_a_crlf_variant_line(session: Session) -> None:
    text = "ohwxStyle, anime, 1girl, solo, couch\r\nohwxStyle, anime, solo, solo, couch\r\n"
    uri = session.open("a1.txt", text)
    diagnostics = await session.diagnostics(uri)
    duplicate = next(d for d in diagnostics if d.code == "duplicate-tag")
    assert duplicate.range.start.line == 1
    found = await actions(session, uri, 0, ["source.fixAll"])
    fixed = apply(text, changes_of(found[0].edit)[uri])
    assert fixed == "ohwxStyle, anime, 1girl, solo, couch\r\nohwxStyle, anime, solo, couch\r\n"


async def test_formatting_writes_the_inferred_trigger_as_the_captions_do(
    tmp_path: Path, vocabulary_db: Path
) -> None:
    root = make_dataset(
        tmp_path / "inferred", {f"t{i}": "bk_bini_teen, 1girl, long hair, smile" for i in range(3)}
    )
    (root / "captionls.toml").write_text('tag_style = "spaces"\n', encoding="utf-8")
    session = await start_session(root, vocabulary_db, "visual-studio-code")
    try:
        await session.indexed()
        messy = "bk_bini_teen ,1girl,long_hair"
        assert await formatted(session, "t0.txt", messy) == "bk_bini_teen, 1girl, long hair"
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_remove_from_personal_vocabulary_undoes_add(session: Session) -> None:
    text = "ohwxStyle, anime, 1girl, solo, head tilted, couch"
    uri = session.open("a1.txt", text)
    at = text.index("head tilted")
    add = [c for c in await commands(session, uri, at) if c.command == "captionls.addToPersonal"]
    assert await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=add[0].command, arguments=add[0].arguments)
    )
    await session.wait_diagnostics(uri, lambda ds: "unknown-tag" not in {d.code for d in ds})
    hover = await session.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, at + 2))
    )
    assert hover is not None and "personal" in str(hover.contents)
    # In the list, the tag is known: its Remove is in the refactor menu, not behind a lightbulb.
    assert [c for c in await commands(session, uri, at) if "personal vocabulary" in c.title] == []
    found = await commands(session, uri, at, ["refactor"])
    assert [c.title for c in found if "personal vocabulary" in c.title] == [
        "Remove `head tilted` from the personal vocabulary"
    ]
    remove = next(c for c in found if c.command == "captionls.removeFromPersonal")
    assert await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=remove.command, arguments=remove.arguments)
    )
    # Out of the list, the tag is once more a likely typo of `head tilt`; the action offers Add again.
    await session.wait_diagnostics(uri, lambda ds: "unknown-tag" in {d.code for d in ds})
    titles = [c.title for c in await commands(session, uri, at)]
    assert "Add `head tilted` to the personal vocabulary" in titles, titles
    # Removing what is not in the list changes nothing.
    assert not await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=remove.command, arguments=remove.arguments)
    )
