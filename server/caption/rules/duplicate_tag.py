"""`duplicate-tag`: the same tag twice in one caption line, after normalisation and alias resolution."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Related
from ..parse import TagSpan
from .base import Document, NoOptions, Rule, remove_tag


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    for line in doc.caption.lines:
        first: dict[str, TagSpan] = {}
        for tag in line.tags:
            concept = doc.ctx.concept(tag.key)
            earlier = first.setdefault(concept, tag)
            # Two choices of one wildcard are never trained together.
            if earlier is tag or earlier.alternative_to(tag):
                continue
            how = "repeats" if earlier.key == tag.key else "is the same tag as"
            yield rule.finding(
                tag.start,
                tag.end,
                f'"{tag.name}" {how} "{earlier.name}" earlier in this caption',
                [(f'Remove the second "{tag.name}"', [remove_tag(doc.text, line, tag)])],
                [Related(doc.path, earlier.start, earlier.end, "first written here")],
            )


DOC = """\
## What it checks

The same tag twice in one caption line, compared after normalisation: `_` or space, case, escaped
parentheses and weights (`(smile:1.2)`) do not matter, and an alias counts as its canonical tag. Each tag
of a `;;;` unit counts, and each choice of a wildcard (`smile, {smile|grin}` repeats `smile` whenever the
trainer picks it); two choices of one wildcard (`{smile|smile, open mouth}`) are never in one caption.

## Why

A repeated tag doubles that concept's weight in training and says nothing new; it usually comes from
merging tagger output with hand-written tags.

## Example

Bad: `ohwxStyle, 1girl, short hair, smile, Short_Hair, smiling`

Good: `ohwxStyle, 1girl, short hair, smile`

`--fix` deletes the later writing with its separator.
"""

RULE = Rule(
    name="duplicate-tag",
    severity="warning",
    summary="the same tag twice after normalisation (`_`/space, case, escapes, weights) or through an alias",
    fix="deletes the later one",
    doc=DOC,
    check=check,
    options=NoOptions(),
    safe_fix=True,
)
