"""The hover text writes tag names the way the dataset writes them."""

from __future__ import annotations

from captionls.server.caption.describe import TagDescription
from captionls.server.lsp.features.hover import render
from captionls.vocab.query import Tag, TagDetails


def description() -> TagDescription:
    tag = Tag(1, "arms_up", "arms up", "general", 188_117)
    details = TagDetails(
        tag=tag,
        alias="raised_arms",
        aliases=["arms_raised", "raised_arms"],
        implies=[],
        implied_by=["arms_up_(pose)"],
        groups=[["posture", "Arms"]],
        translations={},
        lists=[],
    )
    return TagDescription("raised arms", "raised arms", details, "action", 3)


def test_hover_uses_spaces_in_a_spaces_dataset() -> None:
    text = render(description(), "spaces")
    assert "`raised arms` → **arms up** (alias)" in text
    assert "`arms raised`" in text and "`arms up (pose)`" in text
    assert "_" not in text


def test_hover_uses_underscores_in_an_underscores_dataset() -> None:
    text = render(description(), "underscores")
    assert "`raised_arms` → **arms_up** (alias)" in text
