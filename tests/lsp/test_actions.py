"""Code actions that mean something (issue 10): one action per fix, the preferred first, nothing that spreads
a flagged phrasing, no lightbulb on a clean tag, titles in the dataset's tag style."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from lsprotocol import types

from tests.kit.datasets import make_dataset
from tests.kit.lsp import Session, raw_request, start_session
from tests.kit.vocabularies import writing

# Two captions write the canonical `arms up`, one its alias `raised arms`.
CAPTIONS = {
    "b1": "ohwxStyle, anime, 1girl, raised arms, sitting, couch",
    "b2": "ohwxStyle, anime, 1girl, arms up, looking at viewer, couch",
    "b3": "ohwxStyle, anime, 1girl, arms up, looking at viewer, wooden floor",
}


@pytest_asyncio.fixture
async def aliased(tmp_path: Path, vocabulary_db: Path) -> AsyncIterator[Session]:
    started = await start_session(
        make_dataset(tmp_path / "aliased", CAPTIONS), vocabulary_db, "visual-studio-code"
    )
    await started.indexed()
    yield started
    await started.client.shutdown_session()
    await started.client.stop()


async def code_actions(
    session: Session, uri: str, character: int, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """The code actions at a position, as the JSON an editor reads; `only` None is the lightbulb's request."""
    diagnostics = await session.diagnostics(uri)
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, character), types.Position(0, character)),
        context=types.CodeActionContext(diagnostics=diagnostics, only=only),  # type: ignore[arg-type]
    )
    return list(await raw_request(session.client, types.TEXT_DOCUMENT_CODE_ACTION, params) or [])


def lightbulb(actions: list[dict[str, Any]]) -> list[str]:
    """The titles a lightbulb offers: everything but source actions (fix-all, sort)."""
    return [action["title"] for action in actions if not action.get("kind", "").startswith("source")]


def codes(action: dict[str, Any]) -> list[str]:
    return sorted(diagnostic["code"] for diagnostic in action.get("diagnostics", []))


async def test_alias_gets_one_preferred_fix_and_never_spreads_the_alias(aliased: Session) -> None:
    text = CAPTIONS["b1"]
    uri = aliased.open("b1.txt", text)
    found = await code_actions(aliased, uri, text.index("raised arms") + 2)
    assert lightbulb(found) == ['Use "arms up"', "Use `arms up` in all captions (1 file)"]
    fix = found[0]
    assert fix["kind"] == "quickfix" and fix["isPreferred"]
    # The one action resolves both findings.
    assert codes(fix) == ["inconsistent-tag", "non-canonical-tag"]


async def test_the_canonical_tag_spreads_itself_not_the_alias(aliased: Session) -> None:
    text = CAPTIONS["b2"]
    uri = aliased.open("b2.txt", text)
    found = await code_actions(aliased, uri, text.index("arms up") + 2, ["refactor.rewrite"])
    assert [action["title"] for action in found] == ["Use `arms up` in all captions (1 file)"]
    # Out of the structure's order here: a finding about its place, not its phrasing.
    unsorted = "ohwxStyle, anime, 1girl, couch, wooden floor, arms up"
    aliased.change(uri, 2, unsorted)
    diagnostics = await aliased.diagnostics(uri)
    assert any(
        d.code == "structure-order" and d.range.start.character == unsorted.index("arms up")
        for d in diagnostics
    )
    # The dataset index takes the edited buffer a moment after the change (a busy machine makes it longer).
    expected = ["Use `arms up` in all captions (1 file)"]
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        found = await code_actions(aliased, uri, unsorted.index("arms up") + 2, ["refactor.rewrite"])
        titles = [action["title"] for action in found]
        if titles == expected or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert titles == expected


async def test_a_clean_tag_shows_no_lightbulb(aliased: Session) -> None:
    text = CAPTIONS["b1"]
    uri = aliased.open("b1.txt", text)
    for tag in ("sitting", "ohwxStyle", "couch", "1girl"):
        assert lightbulb(await code_actions(aliased, uri, text.index(tag) + 1)) == [], tag
    # The refactor menu asks by kind: there the known tag can still go into the personal list.
    found = await code_actions(aliased, uri, text.index("sitting") + 1, ["refactor"])
    assert [(action["title"], action["kind"]) for action in found] == [
        ("Add `sitting` to the personal vocabulary", "refactor")
    ]
    assert found[0]["command"]["command"] == "captionls.addToPersonal"
    # The trigger is the dataset's own word, in no menu.
    assert await code_actions(aliased, uri, 2, ["refactor"]) == []


async def test_an_unknown_tag_is_a_quick_fix_for_its_finding(aliased: Session) -> None:
    text = "ohwxStyle, anime, 1girl, solo, head tilted, couch"
    uri = aliased.open("b1.txt", text)
    found = await code_actions(aliased, uri, text.index("head tilted") + 2, ["quickfix"])
    assert [(action["title"], action.get("isPreferred")) for action in found] == [
        ('Replace with "head tilt"', True),
        ("Add `head tilted` to the personal vocabulary", None),
    ]
    assert found[1]["kind"] == "quickfix" and codes(found[1]) == ["unknown-tag"]
    # A descriptive phrase is no tag to list: no lightbulb.
    phrase = "ohwxStyle, anime, 1girl, solo, a pale pink dress with dark edges, couch"
    aliased.change(uri, 2, phrase)
    assert lightbulb(await code_actions(aliased, uri, phrase.index("pale") + 2)) == []


async def test_titles_are_written_in_the_datasets_style(tmp_path: Path) -> None:
    """A vocabulary stored the Danbooru way (`arms_up`) and a dataset written with spaces."""
    vocabulary = tmp_path / "danbooru.sqlite"
    with writing(vocabulary) as writer:
        for name, posts in [("1girl", 6_000_000), ("arms_up", 200_000), ("looking_at_viewer", 3_300_000)]:
            writer.tag(name, post_count=posts)
        writer.alias("raised_arms", "arms_up")
        for shortcut in ("/lav", "/pec"):
            writer.alias(shortcut, "looking_at_viewer")
        writer.alias("pov_eye_contact", "looking_at_viewer")
    captions = {
        "c1": "ohwxStyle, 1girl, raised arms, looking at viewer",
        "c2": "ohwxStyle, 1girl, looking at viewer",
    }
    session = await start_session(
        make_dataset(tmp_path / "spaces", captions), vocabulary, "visual-studio-code"
    )
    try:
        await session.indexed()
        text = captions["c1"]
        uri = session.open("c1.txt", text)
        found = await code_actions(session, uri, text.index("raised arms") + 2)
        assert lightbulb(found) == ['Use "arms up"', "Use `arms up` in all captions (1 file)"]
        found = await code_actions(session, uri, text.index("looking") + 2, ["refactor"])
        assert [action["title"] for action in found] == ["Add `looking at viewer` to the personal vocabulary"]
        hover = await session.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, text.index("looking") + 2))
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        shown = hover.contents.value
        # Shortcut aliases (`/lav`) are typing aids, not synonyms; the tag's own phrasing is not "another".
        assert "- Synonyms: `pov eye contact`" in shown.splitlines(), shown
        assert "/lav" not in shown and "_" not in shown and "Also written" not in shown, shown
        # Completion's documentation for the vocabulary's `looking_at_viewer`: the dataset's very phrasing.
        await session.client.text_document_completion_async(
            types.CompletionParams(
                types.TextDocumentIdentifier(uri), types.Position(0, text.index("looking") + 4)
            )
        )
        item = types.CompletionItem(label="looking at viewer", data="looking_at_viewer")
        documentation = (await session.client.completion_item_resolve_async(item)).documentation
        assert isinstance(documentation, types.MarkupContent)
        # The same description; the hover adds the tag's CLIP token cost in its caption line.
        assert documentation.value + "\n- CLIP tokens: 3 (of 13 in this line)" == shown
    finally:
        await session.client.shutdown_session()
        await session.client.stop()


async def test_two_rules_making_the_same_edit_offer_it_once(aliased: Session) -> None:
    text = "ohwxStyle, anime, 1girl, arms up, lokking at viewer, couch"
    uri = aliased.open("b1.txt", text)
    found = await code_actions(aliased, uri, text.index("lokking") + 2, ["quickfix"])
    # `inconsistent-tag` (the dataset's spelling) and `unknown-tag` (the vocabulary's) make the same edit.
    assert [(action["title"], codes(action)) for action in found] == [
        ('Use "looking at viewer"', ["inconsistent-tag", "unknown-tag"]),
        ("Add `lokking at viewer` to the personal vocabulary", ["unknown-tag"]),
    ]


async def test_what_is_flagged_follows_the_enabled_rules(tmp_path: Path, vocabulary_db: Path) -> None:
    """With `non-canonical-tag` off, the dataset's majority alias is a phrasing like any other; on, the
    alias is never spread, the canonical tag is."""
    captions = {
        "d1": "ohwxStyle, anime, 1girl, raised arms, couch",
        "d2": "ohwxStyle, anime, 1girl, raised arms, wooden floor",
        "d3": "ohwxStyle, anime, 1girl, arms up, couch",
    }
    root = make_dataset(tmp_path / "majority", captions)
    text = captions["d3"]
    for severity, offered in [
        ("off", "Use `raised arms` in all captions (1 file)"),  # `arms up` is the minority spelling then
        ("info", "Use `arms up` in all captions (2 files)"),  # the canonical tag, never the alias
    ]:
        settings = {"rules": {"non-canonical-tag": severity}}
        session = await start_session(root, vocabulary_db, "visual-studio-code", settings=settings)
        try:
            await session.indexed()
            uri = session.open("d3.txt", text)
            found = await code_actions(session, uri, text.index("arms up") + 2, ["refactor.rewrite"])
            assert [action["title"] for action in found] == [offered], severity
        finally:
            await session.client.shutdown_session()
            await session.client.stop()
