"""Completion by translation, as BooruDatasetTagManager does: typing `长发` offers `long hair` once the zh-CN
translations are imported."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.kit.lsp import start_session
from tests.kit.vocabularies import writing
from tests.lsp.test_completion import complete, edit_of


async def test_typing_a_translation_offers_its_tag(dataset: Path, vocabulary_db: Path) -> None:
    with writing(vocabulary_db) as writer:
        long_hair = writer.tag_id("long hair")
        assert long_hair is not None
        writer.translation(long_hair, "zh-CN", "长发")
    session = await start_session(dataset, vocabulary_db, "neovim")
    try:
        text = "ohwxStyle, anime, 长发"
        uri = session.open("a2.txt", text)
        utf8 = session.result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
        result = await complete(session, uri, 0, len(text.encode("utf-8")) if utf8 else len(text))
        first = result.items[0]
        # The menu shows the translation typed and the tag that goes in, in the dataset's style.
        assert first.label == "长发 → long hair"
        assert edit_of(first).new_text == "long hair"
        assert first.filter_text == "长发"
    finally:
        await session.client.shutdown_session()
        await session.client.stop()
