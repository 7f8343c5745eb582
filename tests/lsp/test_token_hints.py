"""Token counts in the editor (issue 11): the count at the end of each caption line, a mark where each
75-token chunk ends, and each tag's cost in the hover; for every client's capabilities."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.kit.lsp import Session, start_session

GUIDE_EXAMPLE = (
    (Path(__file__).resolve().parent.parent / "data" / "realstyle" / "guide" / "01.txt")
    .read_text(encoding="utf-8")
    .strip()
)


async def hints_of(session: Session, uri: str, lines: int = 2) -> list[types.InlayHint]:
    hints = await session.client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(lines, 0)),
        )
    )
    assert hints is not None
    return [hint for hint in hints if not str(hint.label).endswith(":")]


async def test_each_line_shows_its_count_and_where_its_chunks_end(session: Session) -> None:
    text = GUIDE_EXAMPLE + "\nohwxStyle, 1girl, smile"
    uri = session.open("a1.txt", text)
    hints = await hints_of(session, uri)
    assert [(hint.label, hint.position.line, hint.position.character) for hint in hints] == [
        # A1111's first chunk ends at the comma after `wooden floor`: 75 tokens before it.
        ("|75", 0, GUIDE_EXAMPLE.index(", white water")),
        ("127/75", 0, len(GUIDE_EXAMPLE)),
        ("8/75", 1, len("ohwxStyle, 1girl, smile")),
    ]
    # Per keystroke: the count follows the text.
    session.change(uri, 2, "ohwxStyle, 1girl, smile, long hair")
    hints = await hints_of(session, uri)
    assert [hint.label for hint in hints] == ["11/75"]


async def test_the_count_follows_the_datasets_limit_and_model(dataset: Path, vocabulary_db: Path) -> None:
    (dataset / "captionls.toml").write_text('[rules]\ntoken-limit = { model = "flux" }\n', encoding="utf-8")
    session = await start_session(dataset, vocabulary_db, "neovim")
    try:
        uri = session.open("a1.txt", "ohwxStyle, 1girl, smile")
        hints = await hints_of(session, uri)
        assert [hint.label for hint in hints] == ["~8/512 T5"]
        assert "estimate" in str(hints[0].tooltip)
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_hover_shows_a_tags_token_cost(vscode: Session) -> None:
    text = "ohwxStyle, (white water-stained paint:1.1), smile"
    uri = vscode.open("a1.txt", text)
    hover = await vscode.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, text.index("water")))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "- CLIP tokens: 5 (of 11 in this line)" in hover.contents.value
