"""The editor on sd-scripts' caption syntax: hover on kept tags and wildcard choices, completion inside a
wildcard, no diagnostics on the syntax itself; through a real client over stdio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types

from tests.kit.datasets import write_dataset
from tests.kit.lsp import Session, start_session, with_item_defaults

CONFIG = """\
trigger = ["ohwxStyle"]
keep_tokens = 2
shuffle_caption = true
secondary_separator = ";;;"
enable_wildcard = true
min_tags = 2
"""
CAPTIONS = {
    "a": "ohwxStyle, 1girl, smile, sitting\n",
    "b": "ohwxStyle, 1girl ||| {smile|grin}, sky;;;cloud\n",
}


@pytest_asyncio.fixture
async def sd_session(tmp_path: Path, vocabulary_db: Path) -> AsyncIterator[Session]:
    root = write_dataset(tmp_path / "dataset", CAPTIONS, CONFIG)
    started = await start_session(root, vocabulary_db, "visual-studio-code")
    yield started
    await started.client.shutdown_session()
    await started.client.stop()


async def hover_text(session: Session, uri: str, character: int) -> str:
    hover = await session.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, character))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def test_hover_says_a_tag_is_kept_and_what_keep_tokens_counts(sd_session: Session) -> None:
    text = CAPTIONS["a"]
    uri = sd_session.open("a.txt", text)
    kept = await hover_text(sd_session, uri, text.index("1girl"))
    assert "Kept in place when shuffling: tag 2 of the first `keep_tokens = 2`" in kept
    assert "comma-separated tags, not CLIP tokens" in kept
    shuffled = await hover_text(sd_session, uri, text.index("smile"))
    assert "Kept in place" not in shuffled


async def test_hover_on_the_keep_separator_prefix_a_unit_and_a_choice(sd_session: Session) -> None:
    text = CAPTIONS["b"]
    uri = sd_session.open("b.txt", text)
    assert "it is before `|||`" in await hover_text(sd_session, uri, text.index("1girl"))
    choice = await hover_text(sd_session, uri, text.index("grin"))
    assert "**" in choice and "Choice 2 of a wildcard: sd-scripts picks one per epoch." in choice
    unit = await hover_text(sd_session, uri, text.index("cloud"))
    assert "One unit with 1 more (`sky`, `cloud`): shuffled and dropped together." in unit


async def complete(session: Session, uri: str, character: int) -> list[types.CompletionItem]:
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, character))
    )
    assert isinstance(result, types.CompletionList)
    return with_item_defaults(result).items


async def test_completion_inside_a_wildcard_choice(sd_session: Session) -> None:
    # A closed wildcard, and one being typed (no `}` yet): the choice's word is replaced, no space added.
    for text, cursor in (("ohwxStyle, 1girl, {smile|sit}", 28), ("ohwxStyle, 1girl, {smile|sit", 28)):
        uri = sd_session.open("a.txt", text)
        items = await complete(sd_session, uri, cursor)
        assert items and items[0].label == "sitting", text
        edit = items[0].text_edit
        assert isinstance(edit, types.TextEdit)
        assert (edit.range.start.character, edit.range.end.character, edit.new_text) == (25, 28, "sitting")


async def test_the_syntax_itself_has_no_diagnostics(sd_session: Session) -> None:
    uri = sd_session.open("b.txt", CAPTIONS["b"])
    diagnostics = await sd_session.diagnostics(uri)
    assert [(d.code, d.message) for d in diagnostics] == []


async def test_semantic_tokens_and_hints_leave_wildcards_alone(sd_session: Session) -> None:
    text = "ohwxStyle, {simple|white} background, {sitting|standing}, 1girl\n"
    uri = sd_session.open("a.txt", text)
    tokens = await sd_session.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(types.TextDocumentIdentifier(uri=uri))
    )
    assert tokens is not None
    starts = [tokens.data[i + 1] for i in range(0, len(tokens.data), 5)]
    # Tokens never overlap: an expansion spans its segment twice over and gets none.
    assert all(delta > 0 for delta in starts[1:]), tokens.data
    hints = await sd_session.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri=uri), types.Range(types.Position(0, 0), types.Position(1, 0))
        )
    )
    inside = range(text.index("{sitting"), text.index("}, 1girl"))
    assert all(hint.position.character not in inside for hint in hints or [])


async def test_an_expansion_cannot_be_renamed_a_choice_can(sd_session: Session) -> None:
    text = "ohwxStyle, {simple|white} background, {smile|grin}\n"
    uri = sd_session.open("a.txt", text)

    async def prepare(character: int) -> object:
        return await sd_session.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, character))
        )

    assert await prepare(text.index("background")) is None
    choice = await prepare(text.index("grin"))
    assert isinstance(choice, types.PrepareRenamePlaceholder) and choice.placeholder == "grin"
