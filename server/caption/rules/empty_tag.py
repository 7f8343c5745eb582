"""`empty-tag`: an empty segment (`a,,b`, a trailing comma); kohya trains on the empty token."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..findings import Finding
from .base import Document, Rule, remove_segment


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    for line in doc.caption.lines:
        for segment in line.empty_segments:
            # Point at the separator that makes the empty tag: there is nothing else to underline.
            start, end = segment.previous_separator or segment.separator or (segment.start, segment.end)
            yield rule.finding(
                start,
                end,
                "empty tag: nothing between these separators",
                [("Remove the empty tag", [remove_segment(doc.text, line, segment)])],
            )


RULE = Rule(
    name="empty-tag",
    severity="warning",
    doc="An empty tag (`,,` or a trailing separator): trainers keep it as an empty token.",
    check=check,
    safe_fix=True,
)
