"""`rating-tag`: a tagger's rating label written into a caption (`general`, `sensitive`, `rating:safe`).

WD14-style taggers emit a rating next to the tags; left in the caption, the trainer learns it as a word
of the image. Pony-style `rating_safe` is different: people write it on purpose, as the base model was
trained on it, so it is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from .base import Document, NoOptions, Rule, remove_tag

RATING_LABELS = frozenset({"general", "sensitive", "questionable", "explicit"})
RATING_PREFIX = "rating:"


def is_rating_label(key: str) -> bool:
    return key in RATING_LABELS or key.startswith(RATING_PREFIX)


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    for line in doc.caption.lines:
        keys = [tag.key for tag in line.tags]
        # A cheap test first, as nearly every line has no label: no label key, no key with the prefix.
        if RATING_LABELS.isdisjoint(keys) and RATING_PREFIX not in "".join(keys):
            continue
        for tag in line.tags:
            if tag.key in doc.ctx.triggers or not is_rating_label(tag.key):
                continue
            yield rule.finding(
                tag.name_start,
                tag.name_end,
                f'"{tag.name}" is a tagger\'s rating label, not something in the image;'
                " the trainer would learn it as a word",
                [(f'Remove "{tag.name}"', [remove_tag(doc.text, line, tag)])],
                pattern=f'carry the rating label "{tag.name}"',
            )


DOC = """\
## What it checks

A tagger's rating label written into a caption as a tag: WD14's `general`, `sensitive`, `questionable`,
`explicit`, and any `rating:*` (`rating:safe`). Pony-style `rating_safe` is left alone: people write it on
purpose, as the base model was trained on it.

## Why

A rating says nothing about what the image shows. Left in the caption, the trainer learns it as a word
of every such image.

## Example

Bad: `ohwxStyle, 1girl, smile, general`

Good: `ohwxStyle, 1girl, smile`

`--fix` removes the label.
"""

RULE = Rule(
    name="rating-tag",
    severity="warning",
    summary="a tagger's rating label: `general`, `sensitive`, `questionable`, `explicit`, `rating:*`",
    fix="removes it",
    doc=DOC,
    check=check,
    options=NoOptions(),
    safe_fix=True,
)
