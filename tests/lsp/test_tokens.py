"""Semantic tokens: a tag's section of the caption structure is its token type, its category a modifier;
the VS Code extension declares every one of them so default themes colour them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from lsprotocol import types

from captionls.server.lsp.features.tokens import LEGEND
from tests.kit.lsp import Session, start_session
from tests.kit.vocabularies import writing

REPO = Path(__file__).resolve().parents[2]
STANDARD_TYPES = {str(token.value) for token in types.SemanticTokenTypes}
STANDARD_MODIFIERS = {str(modifier.value) for modifier in types.SemanticTokenModifiers}


async def tokens(session: Session, text: str) -> list[tuple[str, str, set[str]]]:
    """(text, token type, modifiers) of each token of `text` opened as a one-line caption."""
    uri = session.open("a1.txt", text)
    result = await session.client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(result, types.SemanticTokens)
    provider = session.result.capabilities.semantic_tokens_provider
    assert isinstance(provider, types.SemanticTokensOptions)
    legend = provider.legend
    found, column = [], 0
    for i in range(0, len(result.data), 5):
        delta_line, delta, length, kind, bits = result.data[i : i + 5]
        assert delta_line == 0
        column += delta
        modifiers = {name for bit, name in enumerate(legend.token_modifiers) if bits & (1 << bit)}
        found.append((text[column : column + length], legend.token_types[kind], modifiers))
    return found


@pytest_asyncio.fixture
async def listed_trigger(dataset: Path, vocabulary_db: Path) -> AsyncIterator[Session]:
    """A VS Code session whose vocabulary lists the dataset's trigger (as an imported list.tag can)."""
    with writing(vocabulary_db) as writer:
        writer.tag("ohwxStyle", category="general", post_count=0, source="test")
    started = await start_session(dataset, vocabulary_db, "visual-studio-code")
    yield started
    await started.client.shutdown_session()
    await started.client.stop()


async def test_tags_are_coloured_by_section_with_their_category_as_modifier(vscode: Session) -> None:
    text = (
        "ohwxStyle, anime, 1girl, sitting, long hair, couch, fate (series), lone tree, dreary, contra, zzqx"
    )
    assert await tokens(vscode, text) == [
        ("ohwxStyle", "globals", set()),
        ("anime", "type", {"general"}),
        ("1girl", "type", {"general"}),
        ("sitting", "action", {"general"}),
        ("long hair", "subject", {"general"}),
        ("couch", "background", {"general"}),
        # Known, in no section: its category still tells it apart.
        ("fate (series)", "tag", {"copyright"}),
        # Unknown to the vocabulary, placed by the guide's words as structure-order places it.
        ("lone tree", "background", set()),
        ("dreary", "associations", set()),
        ("contra", "tag", {"copyright"}),
        # `zzqx`: unknown and in no section, no token.
    ]


async def test_a_trigger_the_vocabulary_lists_is_still_the_trigger(listed_trigger: Session) -> None:
    assert (await tokens(listed_trigger, "ohwxStyle, 1girl"))[0] == ("ohwxStyle", "globals", set())


def test_the_vscode_extension_declares_every_token_type_and_modifier() -> None:
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    contributes = package["contributes"]
    custom_types = [name for name in LEGEND.token_types if name not in STANDARD_TYPES]
    assert [entry["id"] for entry in contributes["semanticTokenTypes"]] == custom_types
    custom_modifiers = [name for name in LEGEND.token_modifiers if name not in STANDARD_MODIFIERS]
    assert [entry["id"] for entry in contributes["semanticTokenModifiers"]] == custom_modifiers
    # Each section has a colour of its own in the caption languages; `tag` keeps the text colour.
    for entry in contributes["semanticTokenScopes"]:
        scopes = entry["scopes"]
        sections = [name for name in LEGEND.token_types if name != "tag"]
        assert sorted(scopes) == sorted(sections), entry["language"]
        assert len({scope[0] for scope in scopes.values()}) == len(sections), "two sections share a colour"
    assert {entry["language"] for entry in contributes["semanticTokenScopes"]} == {"caption", "plaintext"}
