"""`non-canonical-tag`: the tag is an alias; the vocabulary prefers its canonical name."""

from __future__ import annotations

from collections.abc import Iterator

from captionls.vocab.normalize import styled

from ..findings import Edit, Finding
from .base import Document, NoOptions, Rule
from .tag_like import caption_tags


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
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


DOC = """\
## What it checks

A tag that the vocabulary knows as an alias of another tag (`smiling` for `smile`, `raised arms` for
`arms up`).

## Why

Base models learned the canonical booru tag from millions of images; an alias is a weaker, rarer token
for the same concept, and a dataset that mixes both splits what the LoRA learns between them.

## Example

Bad: `ohwxStyle, 1girl, smiling, raised arms`

Good: `ohwxStyle, 1girl, smile, arms up`

`--fix` writes the canonical tag in the dataset's tag style.
"""

RULE = Rule(
    name="non-canonical-tag",
    severity="info",
    summary="the tag is an alias in the vocabulary",
    fix="writes the canonical tag",
    doc=DOC,
    check=check,
    options=NoOptions(),
    safe_fix=True,
)
