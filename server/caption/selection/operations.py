"""The selection operations as the CLI and the server run them: count the tags of the selected captions,
and plan the new text of each selected caption a batch edit changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from captionls.vocab.normalize import styled, tag_key

from ..checker import CheckContext
from ..dataset import DatasetIndex
from ..rename import check_new_name
from .tag_edits import TagEditor


@dataclass(frozen=True)
class TagUse:
    """A tag of the selection with the number of selected captions using it."""

    tag: str
    captions: int


def tag_uses(index: DatasetIndex, paths: Iterable[Path]) -> list[TagUse]:
    """The selected captions' tags, each with its count inside the selection: the tags common to all of
    them first (BooruDatasetTagManager's "common tags"), then the most used, then by name."""
    counts: dict[str, int] = {}
    total = 0
    for path in paths:
        total += 1
        for key in index.keys_of(path):
            counts[key] = counts.get(key, 0) + 1
    uses = [TagUse(index.display(key), count) for key, count in counts.items()]
    uses.sort(key=lambda use: (use.captions != total, -use.captions, use.tag))
    return uses


def editor_for(ctx: CheckContext) -> TagEditor:
    return TagEditor(ctx.concept, frozenset(ctx.trigger_keys()), ctx.config.syntax)


def written_names(names: Iterable[str], ctx: CheckContext) -> list[str]:
    """The tags to add as the captions will show them: the dataset's most used phrasing of a tag it already
    uses (in any style; through an alias only when the name given is not used), else the name in the
    dataset's tag style. A name that would not stay one tag raises BadTagName."""
    index = ctx.index
    written = []
    for name in names:
        name = check_new_name(name, index.config.syntax)
        key = tag_key(name)
        # The tag as given when the dataset uses it, else its most used other name (alias or canonical).
        counted = [(index.count(each), each) for each in sorted(ctx.concept_keys(ctx.concept(key)))]
        if index.count(key):
            written.append(index.display(key))
        elif any(count for count, _ in counted):
            written.append(index.display(max(counted)[1]))
        else:
            written.append(styled(name, index.tag_style(), index.config.escape_parentheses))
    return written


def planned(
    paths: Iterable[Path], text_of: Callable[[Path], str | None], change: Callable[[str], str]
) -> dict[Path, tuple[str, str]]:
    """Path -> (current text, new text) for each caption `change` changes; unreadable captions are
    skipped (the dataset index reports them)."""
    plan = {}
    for path in paths:
        text = text_of(path)
        if text is None:
            continue
        new = change(text)
        if new != text:
            plan[path] = (text, new)
    return plan
