"""`tag-count`: fewer than `min_tags` or more than `max_tags` tags (the guide: 8 to 20 per image)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..findings import Finding
from .base import Document, Rule
from .tag_like import tag_lines


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    config = doc.ctx.config
    # A prose line has no tag count; on a tag list the guide counts its phrases as tags too.
    for line in tag_lines(doc.caption):
        count = len(line.tags)
        if config.min_tags <= count <= config.max_tags:
            continue
        start, end = (line.tags[0].start, line.tags[-1].end) if line.tags else (line.start, line.end)
        bound = f"fewer than {config.min_tags}" if count < config.min_tags else f"more than {config.max_tags}"
        what = "caption" if line.index == 0 else "caption variant"
        yield rule.finding(
            start,
            end,
            f"{count} tag{'s' if count != 1 else ''} in this {what}, {bound}"
            f" (aim for {config.min_tags} to {config.max_tags})",
        )


RULE = Rule(
    name="tag-count",
    severity="info",
    doc="Fewer than `min_tags` (8) or more than `max_tags` (20) tags in a caption.",
    check=check,
)
