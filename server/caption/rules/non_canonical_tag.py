"""`non-canonical-tag`: the tag is an alias; the vocabulary prefers its canonical name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from captionls.vocab.normalize import styled

from ..findings import Edit, Finding
from .base import Document, Rule
from .tag_like import caption_tags


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    ctx = doc.ctx
    for tag in caption_tags(doc.caption):
        if tag.key in ctx.triggers:
            continue
        resolved = ctx.resolve(tag.key)
        if resolved is None or resolved.alias is None:
            continue
        canonical = styled(resolved.tag.name, ctx.tag_style, ctx.config.escape_parentheses)
        yield rule.finding(
            tag.name_start,
            tag.name_end,
            f'"{tag.name}" is an alias of "{canonical}"',
            [(f'Use "{canonical}"', [Edit(tag.name_start, tag.name_end, canonical)])],
        )


RULE = Rule(
    name="non-canonical-tag",
    severity="info",
    doc="The tag is an alias in the vocabulary; the fix writes its canonical tag.",
    check=check,
    safe_fix=True,
)
