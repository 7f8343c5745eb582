"""`captionls format`: one separator style, trimmed blanks and the dataset's tag style.

Each caption line is rebuilt from its segments: tags joined by `, ` (the configured separator and one
space), ` ||| `, `;;;` and `BREAK` kept where they were (with the separator written on either side of a
`BREAK`), wildcards (`{a|b}`) written as they are, empty tags dropped, blanks inside a name collapsed
and names written in the tag style (parentheses escaped when `escape_parentheses` is set). Attention
syntax and line endings are kept. Formatting formatted text changes nothing.

Some things are never touched: prose lines (see `kinds`), the triggers given as `protected` keys, and
verbatim tags (`score_9`; `normalize.styled` keeps them as they must be written).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from captionls.vocab.normalize import TagStyle, styled, tag_key

from .config import Config
from .files import apply_edits
from .findings import Edit
from .parse import BREAK, CaptionLine, Syntax, parse_caption

_BLANKS = re.compile(r"\s+")
_BRACKETS = "()[]"
_LEADING_BREAK = re.compile(rf"{BREAK}(?!\S)")


def format_caption(
    text: str, config: Config, style: TagStyle | None = None, protected: Collection[str] = ()
) -> str:
    """`text` formatted; `style` is the tag style to write (default: the configured one, else unchanged);
    tags whose key is in `protected` (the triggers) keep their exact writing."""
    style = style or config.tag_style
    caption = parse_caption(text, config.syntax)
    edits = [
        Edit(line.start, line.end, formatted)
        for line in caption.lines
        if line.kind == "tags"
        and (formatted := format_line(text, line, config, style, protected)) != text[line.start : line.end]
    ]
    return apply_edits(text, edits)


def format_line(
    text: str, line: CaptionLine, config: Config, style: TagStyle | None, protected: Collection[str] = ()
) -> str:
    parts: list[str] = []
    # What separates the next item from the last one: plain separators and BREAK / ||| markers seen.
    between: list[str] = []
    for segment in line.segments:
        item: str | None = None
        if segment.is_break:
            between.append(BREAK)
        elif segment.tag is not None:
            tag = segment.tag
            start, end = _trimmed(text, segment.start, segment.end)
            if tag.wildcard is not None:
                # A wildcard is written as it is: its choices are the captioner's own syntax.
                item = text[start:end]
            else:
                name = tag.name if tag.key in protected else _written(tag.name, tag.key, config, style)
                item = text[start : tag.name_start] + name + text[tag.name_end : end]
        if item is not None:
            if parts:
                joint = _joint(between, line.syntax)
                # `a,BREAK b` is the tag `BREAK b`; a blank before it would make BREAK the keyword.
                parts.append(joint.rstrip() if _LEADING_BREAK.match(item) else joint)
            parts.append(item)
            between = []
        if segment.separator_text:
            between.append(segment.separator_text)
    return "".join(parts)


def _written(name: str, key: str, config: Config, style: TagStyle | None) -> str:
    """A tag name with collapsed blanks in the tag style; as it was if styling would change the tag."""
    written = _BLANKS.sub(" ", name)
    if style is not None or config.escape_parentheses:
        own: TagStyle = style or ("underscores" if "_" in written else "spaces")
        written = _BLANKS.sub(" ", styled(written, own, config.escape_parentheses)).strip() or written
    # `_[11]` in spaces would be `[11]`, attention syntax (alone or with later brackets): another tag.
    edges_moved = written[:1] in _BRACKETS and name[:1] not in _BRACKETS
    edges_moved = edges_moved or (written[-1:] in _BRACKETS and name[-1:] not in _BRACKETS)
    return written if tag_key(written) == key and not edges_moved else name


def _joint(between: list[str], syntax: Syntax) -> str:
    """What goes between two items: `, `, ` ||| `, `;;;` inside a unit, or BREAK with the separators
    written beside it."""
    separator, keep = syntax.separator, syntax.keep_separator or BREAK
    if keep in between:
        return f" {keep} "
    if between == [syntax.secondary_separator]:
        return syntax.secondary_separator
    if BREAK not in between:
        return f"{separator} "
    at = between.index(BREAK)
    before = separator if any(marker not in (BREAK, keep) for marker in between[:at]) else ""
    after = separator if any(marker not in (BREAK, keep) for marker in between[at + 1 :]) else ""
    return f"{before} {BREAK}{after} "


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
