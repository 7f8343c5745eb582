"""`unknown-tag`: neither in the vocabulary nor in any other caption of the dataset (often a typo)."""

from __future__ import annotations

from collections.abc import Iterator

from captionls.vocab.normalize import styled

from ..findings import Edit, Finding
from .base import Document, NoOptions, Rule

SUGGESTIONS = 3
# Suggestions are for typos of vocabulary tags, which are short; a free-text phrase gets none
# (and a dataset full of them costs no searches).
SUGGEST_UP_TO_WORDS = 3
SUGGEST_UP_TO_CHARS = 40


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    ctx = doc.ctx
    for tag in doc.caption.tags:
        if not tag.key or tag.key in ctx.triggers or ctx.resolve(tag.key) is not None:
            continue
        if ctx.index.count_others(tag.key, doc.path) > 0:
            continue
        names: list[str] = []
        short = len(tag.key) <= SUGGEST_UP_TO_CHARS and len(tag.key.split()) <= SUGGEST_UP_TO_WORDS
        for hit in ctx.search(tag.name, SUGGESTIONS) if short else []:
            name = styled(hit.tag.name, ctx.tag_style, ctx.config.escape_parentheses)
            if name not in names:
                names.append(name)
        hint = f"; did you mean {', '.join(repr(name) for name in names)}?" if names else ""
        yield rule.finding(
            tag.name_start,
            tag.name_end,
            f'"{tag.name}" is in neither the vocabulary nor any other caption{hint}',
            [(f'Replace with "{name}"', [Edit(tag.name_start, tag.name_end, name)]) for name in names],
        )


DOC = """\
## What it checks

A tag that is neither in the vocabulary (as a tag or an alias) nor in any other caption of the dataset.
Short tags (up to three words) get the three closest vocabulary tags as suggestions.

## Why

Such a tag is usually a typo (`lokking at viewer`), and a typo is a token the model has never seen. A
free-text phrase written once is fine: that is why this is only a hint.

## Example

Bad: `ohwxStyle, 1girl, lokking at viewer`

Good: `ohwxStyle, 1girl, looking at viewer`

The fixes offer the suggestions; `--fix` applies none of them (it is your choice).
"""

RULE = Rule(
    name="unknown-tag",
    severity="hint",
    summary=(
        "in neither the vocabulary nor any other caption; offers the closest three tags (short tags only)"
    ),
    fix="no (a choice)",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
