"""End-to-end: a real client (Neovim's and VS Code's capability sets) against `captionls serve` over stdio."""

from __future__ import annotations

from lsprotocol import types

from tests.kit.lsp import Session, with_item_defaults


def position(text: str, needle: str, after: int = 0) -> types.Position:
    """The position just after `after` characters of the first `needle` on a one-line text."""
    return types.Position(line=0, character=text.index(needle) + after)


async def complete(session: Session, uri: str, pos: types.Position) -> types.CompletionList:
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri=uri), pos)
    )
    assert isinstance(result, types.CompletionList)
    return with_item_defaults(result)


async def test_completion_offers_contrapposto_for_contra(session: Session) -> None:
    text = "ohwxStyle, anime, 1girl, contra, couch\n"
    uri = session.open("a1.txt", text)
    result = await complete(session, uri, position(text, "contra", 6))
    assert result.is_incomplete
    assert 0 < len(result.items) <= 50
    labels = [item.label for item in result.items]
    assert labels[0] == "contrapposto", labels
    edit = result.items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    start = text.index("contra")
    assert (edit.range.start.character, edit.range.end.character) == (start, start + len("contra"))
    assert edit.new_text == "contrapposto"
    assert "30,005 posts" in (result.items[0].detail or "")


async def test_readme_gets_nothing(session: Session) -> None:
    text = (session.root / "README.txt").read_text(encoding="utf-8")
    uri = session.open("README.txt", text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 3))
    )
    assert result is None
    hover = await session.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 3))
    )
    assert hover is None


async def test_hover_names_the_canonical_tag(session: Session) -> None:
    text = "ohwxStyle, anime, sole female, solo, couch\n"
    uri = session.open("a1.txt", text)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), position(text, "sole female", 3))
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert "1girl" in hover.contents.value
    assert "sole female" in hover.contents.value


async def test_duplicate_tag_diagnostic(session: Session) -> None:
    text = "ohwxStyle, anime, 1girl, solo, 1girl, couch\n"
    uri = session.open("a1.txt", text)
    diagnostics = await session.diagnostics(uri)
    codes = [d.code for d in diagnostics]
    assert "duplicate-tag" in codes, diagnostics
