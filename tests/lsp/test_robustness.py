"""The server never dies on a request: bad positions, odd documents, binary or huge text, a new vocabulary."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types

from captionls.vocab.store import Store
from captionls.vocab.write import Writer
from tests.kit.lsp import Session
from tests.kit.vocabularies import build_vocabulary


async def alive(session: Session, uri: str) -> None:
    result = await session.client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 0))
    )
    assert result is not None


async def test_bad_positions_and_unknown_documents(vscode: Session) -> None:
    uri = vscode.open("a1.txt", "ohwxStyle, 1girl\n")
    document = types.TextDocumentIdentifier(uri=uri)
    for position in [types.Position(99, 0), types.Position(0, 999), types.Position(1, 5)]:
        await vscode.client.text_document_completion_async(types.CompletionParams(document, position))
        await vscode.client.text_document_hover_async(types.HoverParams(document, position))
        await vscode.client.text_document_references_async(
            types.ReferenceParams(
                text_document=document,
                position=position,
                context=types.ReferenceContext(include_declaration=True),
            )
        )
    gone = types.TextDocumentIdentifier(uri=vscode.uri("missing.txt"))
    assert (
        await vscode.client.text_document_hover_async(types.HoverParams(gone, types.Position(0, 0))) is None
    )
    untitled = types.TextDocumentIdentifier(uri="untitled:Untitled-1")
    assert (
        await vscode.client.text_document_hover_async(types.HoverParams(untitled, types.Position(0, 0)))
        is None
    )
    # A caption that is not open is read from disk.
    closed = types.TextDocumentIdentifier(uri=vscode.uri("a2.txt"))
    hover = await vscode.client.text_document_hover_async(types.HoverParams(closed, types.Position(0, 20)))
    assert hover is not None
    vscode.client.text_document_did_close(types.DidCloseTextDocumentParams(document))
    await alive(vscode, uri)


async def test_binary_and_huge_documents(session: Session) -> None:
    binary = "".join(chr(c) for c in range(1, 400)) + "\x00\ufffd\ud7ff, 1girl"
    uri = session.open("a1.txt", binary)
    await session.diagnostics(uri)
    # Every tag twice: 2,500 duplicate-tag findings, more than the 1,000 sent.
    huge = ", ".join(f"tag {i % 2_500}" for i in range(5_000))
    uri2 = session.open("a2.txt", huge)
    diagnostics = await session.diagnostics(uri2)
    assert any(d.code == "tag-count" for d in diagnostics)
    assert len(diagnostics) == 1000
    await alive(session, uri2)


async def test_vocabulary_replaced_underneath(vscode: Session, vocabulary_db: Path, tmp_path: Path) -> None:
    text = "ohwxStyle, lone tree"
    uri = vscode.open("a1.txt", text)
    position = types.Position(0, text.index("lone") + 1)
    document = types.TextDocumentIdentifier(uri=uri)
    before = await vscode.client.text_document_hover_async(types.HoverParams(document, position))
    assert before is not None and isinstance(before.contents, types.MarkupContent)
    assert "not in the vocabulary" in before.contents.value
    replacement = build_vocabulary(tmp_path / "replacement.sqlite")
    with Store.open(replacement) as store, store.transaction():
        writer = Writer(store)
        writer.tag("lone tree", category="general", post_count=4242)
        writer.finish()
    os.replace(replacement, vocabulary_db)
    after = await vscode.client.text_document_hover_async(types.HoverParams(document, position))
    assert after is not None and isinstance(after.contents, types.MarkupContent)
    assert "4,242 posts" in after.contents.value
    await alive(vscode, uri)


async def test_an_import_by_another_process_refreshes_diagnostics(
    session: Session, vocabulary_db: Path
) -> None:
    # "head tilted" looks like a typo of "head tilt" until the vocabulary knows it.
    text = "ohwxStyle, anime, 1girl, solo, head tilted, couch"
    uri = session.open("a1.txt", text)
    assert "unknown-tag" in {d.code for d in await session.diagnostics(uri)}
    with Store.open(vocabulary_db) as store, store.transaction():
        writer = Writer(store)
        writer.tag("head tilted", category="general", post_count=12)
        writer.finish()
    await session.wait_diagnostics(uri, lambda ds: "unknown-tag" not in {d.code for d in ds})


async def test_a_lone_surrogate_from_the_editor_is_checked_as_a_replacement_character(
    vscode: Session,
) -> None:
    # A JavaScript string can hold one and JSON carries it ("\ud800"), though no UTF-8 file can; SQLite and
    # the tokenizer refused it, and the caption got no diagnostics at all.
    uri = vscode.open("a1.txt", "ohwxStyle, 1girl, caf\ud800e, long hair, long hair")
    diagnostics = await vscode.diagnostics(uri)
    duplicate = [d for d in diagnostics if d.code == "duplicate-tag"]
    assert len(duplicate) == 1
    # Positions after it are where the editor has them: one UTF-16 unit for the surrogate.
    assert duplicate[0].range.start.character == len("ohwxStyle, 1girl, caf\ud800e, long hair, ")
    await alive(vscode, uri)
