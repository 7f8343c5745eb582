"""Completion and hover details: ranking, aliases, slots, styles, encodings."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.kit.datasets import make_dataset
from tests.kit.lsp import Session, inserted, start_session, with_item_defaults
from tests.kit.vocabularies import make_vocabulary


async def complete(session: Session, uri: str, line: int, character: int) -> types.CompletionList:
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri=uri), types.Position(line, character))
    )
    assert isinstance(result, types.CompletionList)
    return with_item_defaults(result)


def edit_of(item: types.CompletionItem) -> types.TextEdit:
    assert isinstance(item.text_edit, types.TextEdit)
    return item.text_edit


async def test_alias_item_inserts_the_canonical_tag(session: Session) -> None:
    text = "ohwxStyle, anime, raised ar"
    uri = session.open("a1.txt", text)
    result = await complete(session, uri, 0, len(text))
    items = {item.label: item for item in result.items}
    assert "raised arms → arms up" in items, list(items)
    item = items["raised arms → arms up"]
    assert inserted(item) == "arms up"
    # Every item filters on what was typed, so no editor-side filter drops or reorders the server's ranking.
    assert {item.filter_text for item in result.items} == {"raised ar"}


async def test_dataset_tags_come_first_and_present_tags_are_not_offered(vscode: Session) -> None:
    await vscode.indexed()
    text = "ohwxStyle, anime, solo, s"
    uri = vscode.open("a1.txt", text)
    result = await complete(vscode, uri, 0, len(text))
    labels = [item.label for item in result.items]
    # This caption replaced a1's tags: `smile` and `standing` are in 2 other captions, `short hair`,
    # `sitting` and `from side` in 1; `solo` is already here; `arms up` only matches inside a word.
    assert "solo" not in labels
    assert labels[:2] == ["smile", "standing"], labels
    assert set(labels[2:5]) == {"short hair", "sitting", "from side"}, labels
    assert labels.index("arms up") > 4
    assert labels.index("arms up") < labels.index("simple background")  # dataset tags before the vocabulary
    # The detail is short, the dataset's use first; the group path is in the resolved documentation.
    sitting = next(item for item in result.items if item.label == "sitting")
    assert sitting.detail == "in 1 caption"
    resolved = await vscode.client.completion_item_resolve_async(sitting)
    assert isinstance(resolved.documentation, types.MarkupContent)
    assert "posture > sitting" in resolved.documentation.value


async def test_slot_after_separator_start_of_file_and_inside_a_tag(vscode: Session) -> None:
    uri = vscode.open("a1.txt", "ohwxStyle,")
    result = await complete(vscode, uri, 0, len("ohwxStyle,"))
    assert result.items and all(inserted(item).startswith(" ") for item in result.items)
    uri = vscode.open("a2.txt", "")
    result = await complete(vscode, uri, 0, 0)
    assert result.items and not inserted(result.items[0]).startswith(" ")
    # Inside `long ha|ir`: the edit replaces the whole tag, not one word.
    text = "ohwxStyle, (long hair:1.2), couch"
    uri = vscode.open("a3.txt", text)
    result = await complete(vscode, uri, 0, text.index("hair") + 1)
    first = edit_of(result.items[0])
    assert (first.range.start.character, first.range.end.character) == (
        text.index("long"),
        text.index(":1.2"),
    )


async def test_attention_being_typed_completes_the_name_inside(vscode: Session) -> None:
    text = "ohwxStyle, (long ha"
    uri = vscode.open("a1.txt", text)
    result = await complete(vscode, uri, 0, len(text))
    assert "long hair" in [item.label for item in result.items[:3]]
    first = edit_of(result.items[0])
    # The bracket stays: accepting gives `(long hair`, ready for `:1.2)`.
    assert (first.range.start.character, first.range.end.character) == (text.index("long"), len(text))
    assert not inserted(result.items[0]).startswith(" ")


async def test_typo_and_multi_word_queries(vscode: Session) -> None:
    for typed, expected in [
        ("lokking at", "looking at viewer"),
        ("long ha", "long hair"),
        ("contra", "contrapposto"),
    ]:
        uri = vscode.open("a1.txt", f"ohwxStyle, {typed}")
        result = await complete(vscode, uri, 0, len(f"ohwxStyle, {typed}"))
        labels = [item.label for item in result.items]
        assert expected in labels[:3], (typed, labels)


async def test_documentation_is_resolved_lazily(vscode: Session) -> None:
    text = "ohwxStyle, contrap"
    uri = vscode.open("a1.txt", text)
    result = await complete(vscode, uri, 0, len(text))
    item = result.items[0]
    assert item.documentation is None
    resolved = await vscode.client.completion_item_resolve_async(item)
    assert isinstance(resolved.documentation, types.MarkupContent)
    assert "posture > sitting" in resolved.documentation.value


async def test_underscore_datasets_get_underscores_and_escapes(tmp_path: Path, vocabulary_db: Path) -> None:
    root = tmp_path / "underscored"
    captions = {
        "u1": "long_hair, looking_at_viewer, arms_up",
        "u2": "short_hair, full_body",
        "u3": "very_long_hair, from_side, head_tilt",
    }
    make_dataset(root, captions)
    (root / "captionls.toml").write_text("escape_parentheses = true\n", encoding="utf-8")
    session = await start_session(root, vocabulary_db, "visual-studio-code")
    try:
        await session.indexed()
        uri = session.open("u1.txt", "long_hair, wooden fl")
        result = await complete(session, uri, 0, len("long_hair, wooden fl"))
        assert inserted(result.items[0]) == "wooden_floor"
        uri = session.open("u2.txt", "short_hair, fate (se")
        result = await complete(session, uri, 0, len("short_hair, fate (se"))
        assert r"fate_\(series\)" in [inserted(item) for item in result.items]
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_positions_in_the_clients_encoding(session: Session) -> None:
    """CJK, emoji and a CRLF line before the tag: the range lands on the tag in UTF-8 and UTF-16 alike."""
    text = "ohwxStyle, 猫耳 🎨, 1girl\r\n🎨🎨 ねこ, contra"
    uri = session.open("a1.txt", text)
    second = text.split("\r\n")[1]
    encoding = session.result.capabilities.position_encoding or types.PositionEncodingKind.Utf16

    def units(s: str) -> int:
        if encoding == types.PositionEncodingKind.Utf8:
            return len(s.encode("utf-8"))
        if encoding == types.PositionEncodingKind.Utf32:
            return len(s)
        return len(s.encode("utf-16-le")) // 2

    column = units(second)
    result = await complete(session, uri, 1, column)
    assert result.items[0].label == "contrapposto"
    edit = edit_of(result.items[0])
    start = units(second[: second.index("contra")])
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (1, start, column)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(1, start + 1))
    )
    assert hover is not None and hover.range is not None
    assert (hover.range.start.character, hover.range.end.character) == (start, column)


async def test_hover_details_and_unknown_tags(vscode: Session) -> None:
    await vscode.indexed()
    text = "ohwxStyle, contrapposto, very long hair, cat ears, contrpposto, arms up"
    uri = vscode.open("a1.txt", text)

    async def hover_at(needle: str) -> str:
        result = await vscode.client.text_document_hover_async(
            types.HoverParams(
                types.TextDocumentIdentifier(uri=uri), types.Position(0, text.index(needle) + 1)
            )
        )
        assert result is not None and isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    assert "posture > sitting" in await hover_at("contrapposto,")
    assert "Section: action" in await hover_at("contrapposto,")
    assert "`long hair`" in await hover_at("very long hair")
    assert "ja: 猫耳" in await hover_at("cat ears")
    unknown = await hover_at("contrpposto")
    assert "not in the vocabulary" in unknown and "`contrapposto`" in unknown
    arms = await hover_at("arms up")
    assert "`raised arms`" in arms and "This dataset: 3 captions" in arms


# One caption writes the alias `raised arms`, two the canonical `arms up`; one has the typo `contraposto`.
ALIAS_CAPTIONS = {
    "c1": "ohwxStyle, 1girl, raised arms, smile",
    "c2": "ohwxStyle, 1girl, arms up, sitting",
    "c3": "ohwxStyle, 1girl, arms up, standing, contraposto",
    "c4": "ohwxStyle, 1girl, looking at viewer, couch",
}


async def started(root: Path, vocabulary: Path, settings: dict[str, object] | None = None) -> Session:
    session = await start_session(root, vocabulary, "visual-studio-code", settings=settings)
    await session.indexed()
    return session


async def labels_for(session: Session, name: str, text: str) -> list[types.CompletionItem]:
    uri = session.open(name, text)
    return (await complete(session, uri, 0, len(text))).items


async def test_a_dataset_alias_is_offered_as_its_canonical_tag(tmp_path: Path, vocabulary_db: Path) -> None:
    session = await started(make_dataset(tmp_path / "set", ALIAS_CAPTIONS), vocabulary_db)
    try:
        items = await labels_for(session, "c4.txt", "ohwxStyle, 1girl, raised ar")
        first = items[0]
        assert (first.label, inserted(first), first.detail) == (
            "raised arms → arms up",
            "arms up",
            "in 3 captions",
        )
        assert all(inserted(item) != "raised arms" for item in items)
        # Typed as the canonical tag: one item for the concept, counting both phrasings.
        items = await labels_for(session, "c4.txt", "ohwxStyle, 1girl, arms")
        assert (items[0].label, items[0].detail) == ("arms up", "in 3 captions")
        assert not [item.label for item in items if "raised" in item.label]
        found = await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="captionls.searchVocabulary",
                arguments=[{"query": "raised ar", "uri": session.uri("c4.txt")}],
            )
        )
        assert found[0] == {
            "tag": "arms up",
            "insert": "arms up",
            "alias": "raised arms",
            "category": "general",
            "posts": 200_000,
            "captions": 3,
        }
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_a_flagged_dataset_tag_comes_after_the_tag_it_should_be(
    tmp_path: Path, vocabulary_db: Path
) -> None:
    captions = {**ALIAS_CAPTIONS, "c5": "ohwxStyle, 1girl, looking at veiwer, sitting"}
    session = await started(make_dataset(tmp_path / "set", captions), vocabulary_db)
    try:
        items = await labels_for(session, "c4.txt", "ohwxStyle, 1girl, contra")
        labels = [item.label for item in items]
        # `contraposto` is in a caption, `contrapposto` in none: the typo still comes right after it.
        assert labels.index("contraposto") == labels.index("contrapposto") + 1, labels
        typo = items[labels.index("contraposto")]
        assert typo.detail == "in 1 caption · did you mean contrapposto?"
        # A rarer spelling of a dataset tag (`inconsistent-tag`) follows the spelling the dataset uses.
        items = await labels_for(session, "c2.txt", "ohwxStyle, 1girl, looking at ve")
        labels = [item.label for item in items]
        assert labels[:2] == ["looking at viewer", "looking at veiwer"], labels
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_without_non_canonical_tag_the_datasets_majority_phrasing_goes_in(
    tmp_path: Path, vocabulary_db: Path
) -> None:
    captions = {**ALIAS_CAPTIONS, "c2": "ohwxStyle, 1girl, raised arms, sitting"}
    settings: dict[str, object] = {"rules": {"non-canonical-tag": "off"}}
    session = await started(make_dataset(tmp_path / "set", captions), vocabulary_db, settings)
    try:
        items = await labels_for(session, "c4.txt", "ohwxStyle, 1girl, raised ar")
        assert (items[0].label, inserted(items[0]), items[0].detail) == (
            "raised arms",
            "raised arms",
            "in 3 captions",
        )
        items = await labels_for(session, "c4.txt", "ohwxStyle, 1girl, arms u")
        assert (items[0].label, inserted(items[0])) == ("arms up → raised arms", "raised arms")
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_vocabulary_hits_are_written_in_the_datasets_style(tmp_path: Path) -> None:
    vocabulary = make_vocabulary(
        tmp_path / "vocabulary.sqlite",
        tags={"very_long_hair": 900_000, "constricted_pupils": 20_000, "looking_at_viewer": 3_000_000},
        aliases={
            "contracted_pupils": "constricted_pupils",
            "/lav": "looking_at_viewer",
            "eye_contact": "looking_at_viewer",
        },
    )
    captions = {f"c{i}": "ohwxStyle, 1girl, looking at viewer, smile" for i in range(3)}
    session = await started(make_dataset(tmp_path / "set", captions), vocabulary)
    try:
        items = await labels_for(session, "c0.txt", "ohwxStyle, very lo")
        assert (items[0].label, inserted(items[0]), items[0].detail) == (
            "very long hair",
            "very long hair",
            "900,000 posts",
        )
        items = await labels_for(session, "c0.txt", "ohwxStyle, contracted")
        assert (items[0].label, inserted(items[0])) == (
            "contracted pupils → constricted pupils",
            "constricted pupils",
        )
        found = await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="captionls.searchVocabulary",
                arguments=[{"query": "contracted", "uri": session.uri("c0.txt")}],
            )
        )
        assert (found[0]["tag"], found[0]["alias"]) == ("constricted pupils", "contracted pupils")
        # The documentation names real synonyms only, and no "other phrasing" that is the same one.
        items = await labels_for(session, "c0.txt", "ohwxStyle, looking at")
        assert inserted(items[0]) == "looking at viewer"
        resolved = await session.client.completion_item_resolve_async(items[0])
        assert isinstance(resolved.documentation, types.MarkupContent)
        documentation = resolved.documentation.value
        assert "`eye contact`" in documentation and "/lav" not in documentation, documentation
        assert "Also written here as" not in documentation, documentation
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_the_first_completion_offers_the_datasets_tags(dataset: Path, vocabulary_db: Path) -> None:
    """Right after the server starts (its index still loading), not only the personal list."""
    session = await start_session(dataset, vocabulary_db, "visual-studio-code")
    try:
        items = await labels_for(session, "a1.txt", "ohwxStyle, ")
        labels = [item.label for item in items]
        assert {"1girl", "solo", "arms up", "couch"} <= set(labels), labels
    finally:
        await session.client.shutdown_session()
        await session.client.stop()
