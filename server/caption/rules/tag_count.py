"""`tag-count`: fewer than `min_tags` or more than `max_tags` tags (the guide: 8 to 20 per image)."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding
from .base import Document, NoOptions, Rule


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    config = doc.ctx.config
    # A prose line has no tag count; on a tag list the guide counts its phrases as tags too.
    for line in doc.caption.lines:
        # As the trainer counts: a `;;;` unit is one tag, a wildcard one (whichever choice it takes).
        count = len({tag.unit for tag in line.tags})
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


DOC = """\
## What it checks

The number of tags in each caption line against `min_tags` (default 8) and `max_tags` (default 20) of
`captionls.toml`. The guide's descriptive phrases count as tags; a line of prose has no tag count.

## Why

The captioning guide aims for 8 to 20 tags an image: fewer leaves what the image shows to the trigger,
so the LoRA learns it as part of the style; more dilutes every tag and runs into the token limit.

## Example

Bad: `ohwxStyle, 1girl, smile`

Good: `ohwxStyle, 1girl, solo, full body, sitting, smile, short hair, white dress, couch, indoors`

There is no fix: only you know what the image shows.
"""

RULE = Rule(
    name="tag-count",
    severity="info",
    summary="fewer than `min_tags` or more than `max_tags` tags",
    fix="no",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
