"""Which segments are tags: the one place the tag rules ask, through the kinds captions carry (`kinds`).

A caption line is a tag list (`1girl, solo, long hair`), possibly with the guide's descriptive phrases
(`pale pink dress with dark edges`), or prose (BLIP's `a woman with long hair sitting on a couch`, a
model's paragraphs). Tag rules look at tags only: never at a phrase, never at anything on a prose
line. Every rule asks through `tag_lines`, `caption_tags` and `is_tag_like`.
"""

from __future__ import annotations

from ..kinds import segment_kind
from ..parse import Caption, CaptionLine, TagSpan


def is_tag_like(name: str) -> bool:
    """A booru-style tag: neither a descriptive phrase nor prose (see `kinds`)."""
    return segment_kind(name) == "tag"


def is_prose_line(line: CaptionLine) -> bool:
    """A line of sentences (BLIP, a vision-language model, a trigger then sentences), not a tag list."""
    return line.kind == "prose"


# Every rule asks about the caption being checked: the answer for the last caption is kept.
_last: tuple[Caption | None, list[CaptionLine], list[TagSpan]] = (None, [], [])


def _classified(caption: Caption) -> tuple[list[CaptionLine], list[TagSpan]]:
    global _last
    last = _last  # one read: another thread may check another caption meanwhile
    if last[0] is not caption:
        lines = [line for line in caption.lines if not is_prose_line(line)]
        tags = [tag for line in lines for tag in line.tags if is_tag_like(tag.name)]
        last = _last = (caption, lines, tags)
    return last[1], last[2]


def tag_lines(caption: Caption) -> list[CaptionLine]:
    """The caption's tag-list lines (not prose)."""
    return _classified(caption)[0]


def caption_tags(caption: Caption) -> list[TagSpan]:
    """Every tag of the caption in document order, phrases and prose left out."""
    return _classified(caption)[1]
