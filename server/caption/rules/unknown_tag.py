"""`unknown-tag`: a typo. A tag in neither the vocabulary nor another caption, close to a vocabulary tag.

A tag nobody else writes and the vocabulary does not know is often deliberate (a trigger, a name, a
phrase); only a close spelling of a known tag (`smlie`, `hair ornment`, `longhair`) makes it a typo, and
the finding names that tag. Phrases and prose are never unknown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from captionls.vocab.normalize import styled

from ..findings import Edit, Finding
from .base import Document, Rule
from .tag_like import caption_tags

SUGGESTIONS = 3


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    ctx = doc.ctx
    for tag in caption_tags(doc.caption):
        if not tag.key or tag.key in ctx.triggers or ctx.resolve(tag.key) is not None:
            continue
        if ctx.index.count_others(tag.key, doc.path) > 0:
            continue
        names: list[str] = []
        for match in ctx.typo_matches(tag.key, tag.name, SUGGESTIONS):
            name = styled(match.name, ctx.tag_style, ctx.config.escape_parentheses)
            if name not in names:
                names.append(name)
        if not names:
            continue
        also = f" (or {', '.join(repr(name) for name in names[1:])})" if len(names) > 1 else ""
        yield rule.finding(
            tag.name_start,
            tag.name_end,
            f'"{tag.name}" is not a known tag; did you mean "{names[0]}"?{also}',
            [(f'Replace with "{name}"', [Edit(tag.name_start, tag.name_end, name)]) for name in names],
        )


RULE = Rule(
    name="unknown-tag",
    severity="hint",
    doc="A likely typo: a tag in neither the vocabulary nor another caption, close to a known tag.",
    check=check,
)
