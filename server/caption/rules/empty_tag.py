"""`empty-tag`: an empty segment (`a,,b`, a trailing comma); kohya trains on the empty token."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from .base import Document, NoOptions, Rule, remove_segment


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    for line in doc.caption.lines:
        # Outside wildcards a segment holds at most one tag: as many tags as segments leaves none empty.
        if not line.wildcards and len(line.tags) == line.segment_count:
            continue
        for segment in line.empty_segments:
            # Point at the separator that makes the empty tag: there is nothing else to underline.
            start, end = segment.previous_separator or segment.separator or (segment.start, segment.end)
            yield rule.finding(
                start,
                end,
                "empty tag: nothing between these separators",
                [("Remove the empty tag", [remove_segment(doc.text, line, segment)])],
            )


DOC = """\
## What it checks

An empty tag: two separators with nothing between them (`,,`, `, ,`) or a separator at the end of a line.

## Why

kohya's scripts split the caption at the separator and keep the empty piece as a token, so the model
trains on an empty tag; with shuffling it lands anywhere in the caption.

## Example

Bad: `ohwxStyle, 1girl,, solo, smile,`

Good: `ohwxStyle, 1girl, solo, smile`

`--fix` removes the empty tag and one separator.
"""

RULE = Rule(
    name="empty-tag",
    severity="warning",
    summary="`,,` or a trailing separator (kohya trains on the empty token)",
    fix="removes it",
    doc=DOC,
    check=check,
    options=NoOptions(),
    safe_fix=True,
)
