"""`inconsistent-tag`: the dataset more often writes the same concept another way.

"The same concept" is the same canonical tag (through aliases), the same key written in another style
(`arms_up`, `Arms Up`, escapes), or, for a rare tag the vocabulary does not know, a more used dataset tag
a typo or two away (`looking at veiwer`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from ..findings import Edit, Finding
from .base import Document, Rule
from .tag_like import caption_tags

if TYPE_CHECKING:
    from ..checker import CheckContext

# Typos tolerated for a near-duplicate spelling: one in short tags, two from this length on.
_LONG = 10
_SHORTEST = 4


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    ctx = doc.ctx
    rare = options["rare"]
    assert isinstance(rare, int)
    # With `non-canonical-tag` on, an alias is never the phrasing to converge on (the two rules would
    # pull in opposite directions); that rule moves alias users to the canonical tag instead.
    skip_aliases = ctx.enabled("non-canonical-tag")
    seen: set[tuple[int, str]] = set()
    # The answer depends only on the written name and the dataset: remembered until the dataset changes.
    answers: dict[str, tuple[str, int, int] | None] = ctx.memo(rule.name)
    for tag in caption_tags(doc.caption):
        if not tag.key or tag.key in ctx.triggers:
            continue
        # A second writing of a concept in one line is `duplicate-tag`'s business.
        concept = ctx.concept(tag.key)
        if (tag.line, concept) in seen:
            continue
        seen.add((tag.line, concept))
        if tag.name in answers:
            answer = answers[tag.name]
        else:
            answer = answers[tag.name] = _majority_elsewhere(
                ctx, tag.key, tag.name, concept, rare, skip_aliases
            )
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


def _majority_elsewhere(
    ctx: CheckContext, key: str, name: str, concept: str, rare: int, skip_aliases: bool
) -> tuple[str, int, int] | None:
    """(the majority phrasing, its captions, this phrasing's captions) when another phrasing wins."""
    majority = ctx.majority(concept, aliases=not skip_aliases)
    if ctx.resolve(key) is None and len(key) >= _SHORTEST and ctx.index.count(key) <= rare:
        near = ctx.near_duplicate(key, 2 if len(key) >= _LONG else 1)
        if near is not None:
            majority = _merged(
                ctx.written(concept, not skip_aliases), ctx.written(ctx.concept(near), not skip_aliases)
            )
    if majority is None:
        return None
    best, best_count = majority
    own = ctx.index.phrasing_count(key, name)
    if best == name or best_count <= own:
        return None
    return best, best_count, own


def _merged(*phrasings: dict[str, int]) -> tuple[str, int] | None:
    totals: dict[str, int] = {}
    for written in phrasings:
        for name, count in written.items():
            totals[name] = totals.get(name, 0) + count
    return min(totals.items(), key=lambda item: (-item[1], item[0])) if totals else None


RULE = Rule(
    name="inconsistent-tag",
    severity="warning",
    doc="The dataset more often writes this concept another way (alias, `_`/space style, near spelling).",
    check=check,
    options={"rare": 2},
    safe_fix=True,
)
