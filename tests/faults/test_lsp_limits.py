"""Issue 15 item 7: bounded work per request on documents no caption is ever that big."""

from __future__ import annotations

import time

import pytest
from lsprotocol import types

from captionls.server.caption.files import MAX_CAPTION_BYTES
from tests.kit.lsp import Session
from tests.kit.lsp_faults import answered, served

__all__ = ["served"]

# What one request may take on this (shared, slow) machine, whatever the document.
BUDGET = 5.0


async def timed_requests(session: Session, uri: str) -> dict[str, object]:
    """Every per-document request once, each within the budget; their answers by method."""
    document = types.TextDocumentIdentifier(uri=uri)
    position = types.Position(0, 3)
    whole = types.Range(types.Position(0, 0), types.Position(10_000, 0))
    client = session.client
    requests = {
        "completion": lambda: client.text_document_completion_async(
            types.CompletionParams(document, position)
        ),
        "hover": lambda: client.text_document_hover_async(types.HoverParams(document, position)),
        "inlayHint": lambda: client.text_document_inlay_hint_async(types.InlayHintParams(document, whole)),
        "semanticTokens": lambda: client.text_document_semantic_tokens_full_async(
            types.SemanticTokensParams(document)
        ),
        "codeAction": lambda: client.text_document_code_action_async(
            types.CodeActionParams(document, whole, types.CodeActionContext(diagnostics=[]))
        ),
        "formatting": lambda: client.text_document_formatting_async(
            types.DocumentFormattingParams(document, types.FormattingOptions(tab_size=4, insert_spaces=True))
        ),
        "references": lambda: client.text_document_references_async(
            types.ReferenceParams(
                text_document=document, position=position, context=types.ReferenceContext(True)
            )
        ),
    }
    answers: dict[str, object] = {}
    for method, request in requests.items():
        started = time.monotonic()
        try:
            answers[method] = await answered(request(), deadline=BUDGET * 4)
        except TimeoutError:
            raise AssertionError(f"{method}: no answer within {BUDGET * 4} s") from None
        assert time.monotonic() - started < BUDGET, f"{method}: {time.monotonic() - started:.1f} s"
    return answers


BIG_DOCUMENTS = {
    "nested parentheses, 2 MB": "(" * 1_000_000 + ")" * 1_000_000,
    "600k tags, 5 MB": ", ".join(f"t{i}" for i in range(600_000)),
    "130k lines": "1girl, solo\n" * 130_000,
    "just over the limit": "a" * MAX_CAPTION_BYTES + ", 1girl",
}


@pytest.mark.parametrize("text", BIG_DOCUMENTS.values(), ids=BIG_DOCUMENTS.keys())
async def test_a_document_over_the_limit_gets_one_diagnostic(served: Session, text: str) -> None:
    uri = served.open("a1.txt", text)
    diagnostics = await answered(served.diagnostics(uri), deadline=BUDGET * 4)
    assert len(diagnostics) == 1
    assert f"larger than {MAX_CAPTION_BYTES // 1024} KiB" in diagnostics[0].message
    answers = await timed_requests(served, uri)
    assert answers["hover"] is None
    assert answers["inlayHint"] in (None, [])
    assert answers["references"] in (None, [])
    completion = answers["completion"]
    assert completion is None or (isinstance(completion, types.CompletionList) and not completion.items)
    tokens = answers["semanticTokens"]
    assert tokens is None or (isinstance(tokens, types.SemanticTokens) and not tokens.data)
    # Typing into it stays cheap, and cutting it back under the limit brings every feature back.
    served.change(uri, 2, text + ",")
    served.change(uri, 3, "ohwxStyle, 1girl, 1girl\n")
    assert "duplicate-tag" in {d.code for d in await answered(served.diagnostics(uri))}


UNDER_THE_LIMIT = {
    "nested parentheses": "(" * 100_000 + "1girl" + ")" * 100_000,
    # 30,000 made-up tags are not yet within the budget: their first check builds the rules' typo index
    # for them (about 7 s here; 1 s after that).
    "many unknown tags": ", ".join(f"t{i}" for i in range(3_000)),
    "many known tags": ", ".join(["1girl", "solo", "smile", "long hair"] * 4_000),
    "many lines": "ohwxStyle, 1girl, solo\n" * 10_000,
    # Long enough for section labels on every line: more than the 1,000 inlay hints an answer holds.
    "many long lines": "ohwxStyle, anime, 1girl, solo, sitting, smile, long hair, couch\n" * 3_000,
}


@pytest.mark.parametrize("text", UNDER_THE_LIMIT.values(), ids=UNDER_THE_LIMIT.keys())
async def test_a_big_caption_under_the_limit_answers_within_the_budget(served: Session, text: str) -> None:
    assert len(text.encode()) <= MAX_CAPTION_BYTES
    uri = served.open("a1.txt", text)
    started = time.monotonic()
    await answered(served.diagnostics(uri), deadline=BUDGET * 4)
    assert time.monotonic() - started < BUDGET
    answers = await timed_requests(served, uri)
    hints = answers["inlayHint"]
    assert isinstance(hints, list | tuple) and len(hints) <= 1000
    if text == UNDER_THE_LIMIT["many long lines"]:
        assert len(hints) == 1000  # the cap, not the document, bounds the answer


async def test_typing_into_a_slow_caption_does_not_queue_a_check_per_key(served: Session) -> None:
    big = ", ".join(["1girl", "solo", "smile", "long hair"] * 4_000)
    uri = served.open("a1.txt", big)
    await answered(served.diagnostics(uri), deadline=BUDGET * 4)
    for version in range(2, 22):
        served.change(uri, version, big + "," * (version % 2))
    served.change(uri, 22, "ohwxStyle, 1girl, 1girl\n")
    started = time.monotonic()
    hover = served.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 12))
    )
    assert await answered(hover, deadline=BUDGET * 4) is not None
    assert time.monotonic() - started < BUDGET
    diagnostics = await served.wait_diagnostics(uri, lambda found: 0 < len(found) < 5)
    assert {d.code for d in diagnostics} == {"duplicate-tag"}
