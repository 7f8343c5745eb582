"""`captionls format`: one separator style, trimmed blanks and the dataset's tag style.

Each caption line is rebuilt from its segments: tags joined by `, ` (the configured separator and one
space), ` ||| ` and ` BREAK ` kept where they were, empty tags dropped, blanks inside a name collapsed and
names written in the tag style (parentheses escaped when `escape_parentheses` is set). Attention syntax
and line endings are kept. Formatting formatted text changes nothing.
"""

from __future__ import annotations

import re

from captionls.vocab.normalize import TagStyle, styled

from .config import Config
from .files import apply_edits
from .findings import Edit
from .parse import KEEP_SEPARATOR, CaptionLine, parse_caption

_BLANKS = re.compile(r"\s+")


def format_caption(text: str, config: Config, style: TagStyle | None = None) -> str:
    """`text` formatted; `style` is the tag style to write (default: the configured one, else unchanged)."""
    style = style or config.tag_style
    caption = parse_caption(text, config.separator)
    edits = [
        Edit(line.start, line.end, formatted)
        for line in caption.lines
        if (formatted := format_line(text, line, config, style)) != text[line.start : line.end]
    ]
    return apply_edits(text, edits)


def format_line(text: str, line: CaptionLine, config: Config, style: TagStyle | None) -> str:
    parts: list[str] = []
    pending = ""
    for segment in line.segments:
        item: str | None = None
        if segment.is_break:
            item = "BREAK"
        elif segment.tag is not None:
            tag = segment.tag
            start, end = _trimmed(text, segment.start, segment.end)
            name = _BLANKS.sub(" ", tag.name)
            if style is not None or config.escape_parentheses:
                own: TagStyle = style or ("underscores" if "_" in name else "spaces")
                name = _BLANKS.sub(" ", styled(name, own, config.escape_parentheses)).strip() or name
            item = text[start : tag.name_start] + name + text[tag.name_end : end]
        if item is not None:
            if parts:
                parts.append(pending or f"{config.separator} ")
            parts.append(item)
            pending = ""
        marker = segment.separator_text
        if marker == KEEP_SEPARATOR:
            pending = f" {KEEP_SEPARATOR} "
        elif marker == "BREAK":
            pending = " BREAK "
    return "".join(parts)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
