"""`inconsistent-tag`: the dataset more often writes the same concept another way.

"The same concept" is the same canonical tag (through aliases), the same key written in another style
(`arms_up`, `Arms Up`, escapes), or, for a rare tag the vocabulary does not know, a more used dataset tag
a typo or two away (`looking at veiwer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import TYPE_CHECKING

from captionls.vocab.verbatim import verbatim_name

from ..findings import Edit, Finding
from ..parse import TagSpan
from ..typos import TypoIndex
from .base import Document, Rule
from .tag_like import caption_tags

if TYPE_CHECKING:
    from ..checker import CheckContext, KeyChanges

# A name whose answer is not worked out yet (None is an answer: no majority elsewhere).
_UNSEEN = ("", 0, 0)
_NAME = attrgetter("name")
# Typos tolerated for a near-duplicate spelling: one in short tags, two from this length on.
_LONG = 10
_SHORTEST = 4


@dataclass(frozen=True)
class Options:
    # A tag the vocabulary does not know, in at most this many captions, may be a typo of a more used one.
    rare: int = 2


class Phrasings:
    """How the dataset writes each concept, and which keys are a typo or two apart: what this rule asks
    the dataset, remembered until it changes. The check context makes one, on first use, and keeps it
    informed of changes."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        # The rule's answer per written name (depends only on the name and the dataset).
        self.answers: dict[str, tuple[str, int, int] | None] = {}
        # Typo distance -> the dataset's keys filed for near spellings, followed as keys come and go.
        self._typos: dict[int, TypoIndex] = {}
        self._written: dict[tuple[str, bool], dict[str, int]] = {}
        self._majority: dict[tuple[str, bool], tuple[str, int] | None] = {}

    def dataset_changed(self) -> None:
        """Some caption changed: phrasing totals and answers are stale."""
        self.answers = {}
        self._written = {}
        self._majority = {}

    def keys_changed(self, changes: KeyChanges | None) -> None:
        """Keys came or went (`None`: any may have); keep the typo indexes right."""
        if changes is None:
            self._typos = {}
            return
        for key, added in changes:
            for typos in self._typos.values():
                if added:
                    typos.add(key)
                else:
                    typos.remove(key)

    def written(self, concept: str, aliases: bool) -> dict[str, int]:
        """How the dataset writes a concept: phrasing -> captions, over its keys (alias keys if `aliases`)."""
        ctx = self.ctx
        ctx.refresh()
        cache_key = (concept, aliases)
        totals = self._written.get(cache_key)
        if totals is None:
            totals = {}
            for key in sorted(ctx.concept_keys(concept)):
                if not aliases and ctx.concept(key) != key:
                    continue
                for name, count in ctx.index.phrasings(key).items():
                    totals[name] = totals.get(name, 0) + count
            self._written[cache_key] = totals
        return totals

    def majority(self, concept: str, aliases: bool) -> tuple[str, int] | None:
        """The dataset's most used phrasing of a concept and its caption count (ties: the first name)."""
        self.ctx.refresh()
        cache_key = (concept, aliases)
        if cache_key not in self._majority:
            written = self.written(concept, aliases)
            self._majority[cache_key] = (
                min(written.items(), key=lambda item: (-item[1], item[0])) if written else None
            )
        return self._majority[cache_key]

    def near_duplicate(self, key: str, max_distance: int) -> str | None:
        """A more used dataset key one or two typos away from `key` (same digits and words), or None."""
        index = self.ctx.index
        self.ctx.refresh()
        typos = self._typos.get(max_distance)
        if typos is None:
            typos = self._typos[max_distance] = TypoIndex(max_distance, index.keys())
        # Nearest first, then in the dataset's key order; counts are read fresh below.
        neighbours = typos.near(key)
        count = index.count(key)
        digits = [c for c in key if c.isdigit()]
        words = len(key.split())
        best: str | None = None
        best_count = count
        for other in neighbours:
            other_count = index.count(other)
            same_shape = [c for c in other if c.isdigit()] == digits and len(other.split()) == words
            if same_shape and other_count > best_count:
                best, best_count = other, other_count
        return best


def check(rule: Rule[Options], doc: Document, options: Options) -> Iterator[Finding]:
    ctx = doc.ctx
    rare = options.rare
    # With `non-canonical-tag` on, an alias is never the phrasing to converge on (the two rules would
    # pull in opposite directions); that rule moves alias users to the canonical tag instead.
    skip_aliases = ctx.enabled("non-canonical-tag")
    seen: set[tuple[int, str]] = set()
    phrasings = ctx.state(Phrasings)
    tags = caption_tags(doc.caption)
    if not _any_answer(phrasings, tags, rare, skip_aliases):
        return
    for tag in tags:
        if not tag.key or tag.key in ctx.triggers:
            continue
        # A second writing of a concept in one line is `duplicate-tag`'s business.
        concept = ctx.concept(tag.key)
        if (tag.line, concept) in seen:
            continue
        seen.add((tag.line, concept))
        answer = _answer(phrasings, tag, rare, skip_aliases)
        if answer is None:
            continue
        best, best_count, own = answer
        yield rule.finding(
            tag.name_start,
            tag.name_end,
            f'the dataset writes this as "{best}" in {best_count} caption{"s" if best_count != 1 else ""}'
            f' ("{tag.name}": {own})',
            [(f'Use "{best}"', [Edit(tag.name_start, tag.name_end, best)])],
        )


def _any_answer(phrasings: Phrasings, tags: list[TagSpan], rare: int, skip_aliases: bool) -> bool:
    """Whether any of `tags` has an answer (a majority elsewhere). Nearly every caption has none, and this
    asks one dict per tag where `check` also follows concepts through aliases to skip a concept's second
    writing."""
    triggers = phrasings.ctx.triggers
    # The answers remembered so far looked up in C: nearly every one is None (no majority elsewhere).
    for tag, answer in zip(tags, map(phrasings.answers.get, map(_NAME, tags), repeat(_UNSEEN)), strict=True):
        if answer is None or not tag.key or tag.key in triggers:
            continue
        if answer is not _UNSEEN or _answer(phrasings, tag, rare, skip_aliases) is not None:
            return True
    return False


def _answer(phrasings: Phrasings, tag: TagSpan, rare: int, skip_aliases: bool) -> tuple[str, int, int] | None:
    """The answer for `tag`'s written name, worked out on first sight and remembered (it depends only on
    the name and the dataset)."""
    answer = phrasings.answers.get(tag.name, _UNSEEN)
    if answer is _UNSEEN:
        concept = phrasings.ctx.concept(tag.key)
        answer = phrasings.answers[tag.name] = _majority_elsewhere(
            phrasings, tag.key, tag.name, concept, rare, skip_aliases
        )
    return answer


def _majority_elsewhere(
    phrasings: Phrasings, key: str, name: str, concept: str, rare: int, skip_aliases: bool
) -> tuple[str, int, int] | None:
    """(the majority phrasing, its captions, this phrasing's captions) when another phrasing wins."""
    ctx = phrasings.ctx
    majority = phrasings.majority(concept, aliases=not skip_aliases)
    near = more_used_spelling(ctx, key, rare)
    if near is not None:
        majority = _merged(
            phrasings.written(concept, not skip_aliases),
            phrasings.written(ctx.concept(near), not skip_aliases),
        )
    if majority is None:
        return None
    best, best_count = majority
    own = ctx.index.phrasing_count(key, name)
    # `score_9` is written so on purpose, however many captions write `score 9`.
    if best == name or best_count <= own or verbatim_name(name) == name:
        return None
    return best, best_count, own


def more_used_spelling(ctx: CheckContext, key: str, rare: int) -> str | None:
    """For a tag the vocabulary does not know and at most `rare` captions use: a more used dataset key a
    typo or two away (what this rule counts as the same concept), else None."""
    if ctx.resolve(key) is not None or len(key) < _SHORTEST or ctx.index.count(key) > rare:
        return None
    return ctx.state(Phrasings).near_duplicate(key, 2 if len(key) >= _LONG else 1)


def _merged(*phrasings: dict[str, int]) -> tuple[str, int] | None:
    totals: dict[str, int] = {}
    for written in phrasings:
        for name, count in written.items():
            totals[name] = totals.get(name, 0) + count
    return min(totals.items(), key=lambda item: (-item[1], item[0])) if totals else None


DOC = """\
## What it checks

Each concept's phrasing against the rest of the dataset. One concept is the same canonical tag (through
aliases), the same key in another style (`arms_up`, `Arms Up`, escapes) or, for a tag the vocabulary does
not know and at most `rare` (2) captions use, a more used dataset tag one typo away (two from 10
characters on). Fires when another phrasing is in more captions than this one. While `non-canonical-tag`
is on it never suggests an alias (that rule moves alias users to the canonical tag instead), so `--fix`
settles in one run.

## Why

A LoRA learns one concept from every caption that names it; split over `looking at viewer`,
`looking_at_viewer` and `looking at veiwer`, each spelling gets a fraction of the examples.

## Example

Other captions (9): `ohwxStyle, 1girl, looking at viewer`

Bad: `ohwxStyle, 1girl, looking at veiwer`

Good: `ohwxStyle, 1girl, looking at viewer`

`--fix` writes the majority phrasing.
"""

RULE = Rule(
    name="inconsistent-tag",
    severity="warning",
    summary=(
        "the dataset more often writes this concept another way: an alias of the same tag, the other"
        " `_`/space style or case, or (for a rare unknown tag) a more used spelling one or two typos away"
    ),
    fix="uses the majority phrasing",
    doc=DOC,
    check=check,
    options=Options(),
    safe_fix=True,
)
