"""The trigger stays the trigger when a list imported into the vocabulary names it (issue 10): a BDTM
list.tag holds every tag its owner used, the trigger too; importing it made `ohwxStyle` "general, 0 posts"."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from captionls.vocab.importers import Source, import_files
from captionls.vocab.store import Store
from tests.kit.datasets import make_dataset
from tests.kit.lsp import start_session

CAPTIONS = {
    "t1": "ohwxStyle, anime, 1girl, sitting, couch",
    "t2": "ohwxStyle, anime, 1girl, standing, couch",
    "t3": "ohwxStyle, drawing, 1girl, sitting, wooden floor",
}


def with_list_naming_the_trigger(vocabulary: Path, tmp_path: Path) -> Path:
    listed = tmp_path / "list.tag"
    listed.write_text("ohwxStyle\n1girl\nsitting\n", encoding="utf-8")
    with Store.open(vocabulary) as store:
        import_files(store, [Source.file(listed)], list_name="personal")
    return vocabulary


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "inferred"])
async def test_an_imported_list_leaves_the_trigger_the_trigger(
    tmp_path: Path, vocabulary_db: Path, configured: bool
) -> None:
    root = make_dataset(tmp_path / "dataset", CAPTIONS)
    if not configured:
        (root / "captionls.toml").write_text("min_tags = 3\n", encoding="utf-8")
    vocabulary = with_list_naming_the_trigger(vocabulary_db, tmp_path)
    session = await start_session(root, vocabulary, "visual-studio-code")
    try:
        await session.indexed()
        text = "ohwxStyle, anime, 1girl, sitting, couch\n"
        uri = session.open("t1.txt", text)
        document = types.TextDocumentIdentifier(uri)
        hover = await session.client.text_document_hover_async(
            types.HoverParams(document, types.Position(0, 3))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.value.startswith("**ohwxStyle** — the dataset's trigger"), hover.contents.value
        assert "posts" not in hover.contents.value and "general" not in hover.contents.value
        # Completing `ohw|xStyle`: the item says what the tag is to this dataset.
        result = await session.client.text_document_completion_async(
            types.CompletionParams(document, types.Position(0, 3))
        )
        assert isinstance(result, types.CompletionList)
        item = next(item for item in result.items if item.label == "ohwxStyle")
        assert item.detail == "trigger · in 3 captions · personal", item.detail
        assert item.kind == types.CompletionItemKind.Keyword
        resolved = await session.client.completion_item_resolve_async(item)
        assert isinstance(resolved.documentation, types.MarkupContent)
        assert "the dataset's trigger" in resolved.documentation.value
    finally:
        await session.client.shutdown_session()
        await session.client.stop()
