"""Which segments are tags: the one place the tag rules ask, through the kinds captions carry (`kinds`).

A caption line is a tag list (`1girl, solo, long hair`), possibly with the guide's descriptive phrases
(`pale pink dress with dark edges`), or prose (BLIP's `a woman with long hair sitting on a couch`, a
model's paragraphs). Tag rules look at tags only: never at a phrase, never at anything on a prose
line (the checker keeps prose lines from them). Rules ask through `caption_tags` and `is_tag_like`.
"""

from __future__ import annotations

from ..kinds import segment_kind
from ..parse import Caption, TagSpan


def is_tag_like(name: str) -> bool:
    """A booru-style tag: neither a descriptive phrase nor prose (see `kinds`)."""
    return segment_kind(name) == "tag"


def caption_tags(caption: Caption) -> list[TagSpan]:
    """Every tag of the caption in document order, phrases left out. The checker hands a tag rule only the
    caption's tag-list lines, so prose never reaches a rule."""
    return caption.tag_like_tags
