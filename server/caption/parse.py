"""Parse a caption into tags with exact source offsets. Pure, never raises.

A caption file holds one caption per line: the first line is the caption, every further non-empty line
is a variant (OneTrainer picks one at random; sd-scripts too with `enable_wildcard`) and is checked the
same way. Lines end at `\n`, `\r\n` or a lone `\r`, as trainers and the LSP count them. Inside a line,
tags are split at the caption separator (`,` by default), at sd-scripts' keep-tokens separator (`|||`:
the tags before it, and after a second one, stay in place when shuffling) and at the prompt keyword
`BREAK`. sd-scripts' secondary separator (`;;;`, when configured) splits a unit of tags that the trainer
shuffles and keeps as one: each is a tag, and they share their `unit`. A wildcard `{a|b|c}` (one choice
per epoch) is never split: a segment that is one wildcard holds each choice's tags with their own spans,
and a segment with a wildcard and more text (`{simple|white} background`) holds each expansion (`simple
background`, `white background`) spanning the whole segment; `{{` and `}}` are literal braces.

Attention syntax (`(tag:1.2)`, `(tag)`, `[tag]`, nesting, groups spanning several tags such as
`(red hair, blue eyes:1.2)`) is recognised so that a tag's *name* span never includes it; escaped
brackets (`fate \\(series\\)`) are part of the name.

All offsets are `str` indices into the whole document text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, cast

from captionls.vocab.normalize import tag_key

from .kinds import LineKind, SegmentKind, line_kind, segment_kind
from .lines import LINE_BREAK

KEEP_SEPARATOR = "|||"
BREAK = "BREAK"
# sd-scripts' wildcard: `{...}` with no `}` inside, its choices split at `|`; `{{` and `}}` escape a brace.
WILDCARD = re.compile(r"\{([^}]+)\}")
_BRACE_ESCAPE = re.compile(r"\{\{|\}\}")
# A1111: `(x)` multiplies attention by 1.1, `[x]` divides by it; `(x:w)` sets the factor to w.
ATTENTION_STEP = 1.1
_WEIGHT_SUFFIX = re.compile(r":\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*$")
_WEIGHT_CHARS = frozenset("0123456789.+-")
_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = {")": "(", "]": "["}
_BLANK = " \t\r\n\f\v\ufeff\u00a0\u3000"


# Plain slotted dataclasses, not frozen ones: a dataset has millions of tags and frozen ones are slow to
# build. Treat them as read-only.
@dataclass(slots=True)
class TagSpan:
    """One tag of a caption line.

    `start`/`end` cover the tag with its own attention syntax (`(long hair:1.2)`): what deleting the tag
    removes. `name_start`/`name_end` cover the bare name (`long hair`): what renaming replaces.
    """

    start: int
    end: int
    text: str
    key: str
    weight: float | None
    name_start: int
    name_end: int
    name: str
    line: int
    index: int
    # Kept in place when shuffling: before the line's `|||`, or after a second one.
    keep: bool = False
    # Position of the tag's segment in `CaptionLine.segments`.
    segment: int = 0
    # Position among the line's units: what sd-scripts splits at the caption separator and `|||`, counts
    # for keep_tokens and shuffles; the tags of one `;;;` unit or of one wildcard share it.
    unit: int = 0
    # The offset of the wildcard `{` this tag is a choice (or an expansion) of, and which choice; tags of
    # different choices of one wildcard are alternatives, never in the trained caption together.
    wildcard: int | None = None
    choice: int = 0

    def alternative_to(self, other: TagSpan) -> bool:
        """Whether the trainer never sees both: choices of one wildcard."""
        return self.wildcard is not None and self.wildcard == other.wildcard and self.choice != other.choice

    @property
    def kind(self) -> SegmentKind:
        """`tag`, `phrase` or `prose` by its words (see `kinds`); in a prose line, all of it is prose."""
        return segment_kind(self.name)


@dataclass(slots=True)
class Segment:
    """The text between two separators of a line (whitespace included); `tag` is None when it is empty."""

    start: int
    end: int
    tag: TagSpan | None
    # The separator that ends this segment, as (start, end); None for the last segment of the line.
    separator: tuple[int, int] | None
    # The separator before it, as (start, end); None for the first segment of the line.
    previous_separator: tuple[int, int] | None
    separator_text: str = ""
    previous_separator_text: str = ""
    # A segment that is just the keyword `BREAK` (`a, BREAK, b`): neither a tag nor empty.
    is_break: bool = False


@dataclass(frozen=True)
class Syntax:
    """How a caption line is split, from `captionls.toml` (sd-scripts' names): the caption separator, the
    keep-tokens separator (`""`: none) and the secondary separator (`""`: none)."""

    separator: str = ","
    keep_separator: str = KEEP_SEPARATOR
    secondary_separator: str = ""


DEFAULT_SYNTAX = Syntax()


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A wildcard `{a|b}`: its span, braces included, and each choice's span."""

    start: int
    end: int
    choices: tuple[tuple[int, int], ...]


@dataclass
class CaptionLine:
    """One caption line: the caption itself (index 0) or a variant."""

    index: int
    start: int
    end: int
    tags: list[TagSpan] = field(default_factory=list)
    # Offset where `|||` starts, when the line has one: tags before it are kohya's kept tokens.
    keep_separator: int | None = None
    # Offset of a second `|||`: the tags after it are a fixed suffix, kept in place too.
    suffix_separator: int | None = None
    breaks: list[tuple[int, int]] = field(default_factory=list)
    wildcards: list[Wildcard] = field(default_factory=list)
    syntax: Syntax = DEFAULT_SYNTAX
    # The segments once made (see `segments`), and a plain line's pieces between its separators to make
    # them from.
    _segments: list[Segment] | None = field(default=None, repr=False, compare=False)
    _pieces: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def segments(self) -> list[Segment]:
        """The text between the separators, in order. A plain line makes them on first use: a large
        dataset's check asks for its tags, and for segments only where it has a finding to fix."""
        if self._segments is None:
            self._segments = [] if self._pieces is None else _plain_segments(self, self._pieces)
        return self._segments

    @property
    def segment_count(self) -> int:
        """`len(segments)`, without making them."""
        return (
            len(self._pieces) if self._segments is None and self._pieces is not None else len(self.segments)
        )

    @cached_property
    def kind(self) -> LineKind:
        """`tags` or `prose` (sentences, paragraphs, a trigger then sentences); decided on first use."""
        return line_kind([tag.name for tag in self.tags])

    @property
    def empty_segments(self) -> list[Segment]:
        """Segments with no tag between two separators, or after a trailing separator.

        A segment bordering `|||` is not empty: kohya drops those, and `a, ||| b` is the usual style.
        """
        marks = (BREAK, self.syntax.keep_separator or BREAK)
        return [
            segment
            for segment in self.segments
            if segment.tag is None
            and not segment.is_break
            and (segment.separator is not None or segment.previous_separator is not None)
            and segment.separator_text not in marks
            and segment.previous_separator_text not in marks
        ]

    def leads(self, tag: TagSpan) -> bool:
        """Whether `tag` has a place of its own in the caption's order: not a wildcard's choice, not a
        later part of a `;;;` unit (it moves with the unit's first)."""
        if tag.wildcard is not None:
            return False
        return tag.index == 0 or self.tags[tag.index - 1].unit != tag.unit

    def keeps_syntax(self, start: int, end: int, new_text: str = "") -> bool:
        """Whether replacing text[start:end] by `new_text` leaves every wildcard whole: the span misses
        them, covers them, or lies inside one choice and writes no brace or `|`."""
        for wildcard in self.wildcards:
            if end <= wildcard.start or start >= wildcard.end:
                continue
            if start <= wildcard.start and end >= wildcard.end:
                continue
            inside = any(s <= start and end <= e for s, e in wildcard.choices)
            if inside and not any(char in new_text for char in "{}|"):
                continue
            return False
        return True


@dataclass
class Caption:
    """A parsed caption document."""

    text: str
    separator: str
    lines: list[CaptionLine]

    @property
    def tags(self) -> list[TagSpan]:
        """Every tag of every line, in document order."""
        return [tag for line in self.lines for tag in line.tags]

    @cached_property
    def tag_like_tags(self) -> list[TagSpan]:
        """Every tag that reads as a booru-style tag (not a phrase, not prose), in document order; worked
        out once, as several rules ask for it."""
        return [tag for line in self.lines for tag in line.tags if tag.kind == "tag"]

    def line_at(self, offset: int) -> CaptionLine | None:
        starts = [line.start for line in self.lines]
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return None
        line = self.lines[i]
        return line if offset <= line.end else None

    def segment_at(self, offset: int) -> Segment | None:
        """The segment holding `offset` (a cursor: an offset equal to a segment's end belongs to it)."""
        line = self.line_at(offset)
        if line is None:
            return None
        for segment in line.segments:
            if segment.start <= offset <= segment.end:
                return segment
        return None

    def tag_at(self, offset: int) -> TagSpan | None:
        """The tag whose span (attention syntax included) holds `offset`, cursor-style (end inclusive);
        in a wildcard, the choice's tag there."""
        line = self.line_at(offset)
        segment = self.segment_at(offset)
        if line is None or segment is None or segment.tag is None:
            return None
        number = segment.tag.segment
        return next(
            (tag for tag in line.tags if tag.segment == number and tag.start <= offset <= tag.end), None
        )

    def slot_at(self, offset: int) -> tuple[int, int]:
        """The (start, end) a completion at `offset` replaces: the tag name there, or an empty slot.

        Right after a separator, at the start of a file, in blanks or in an empty wildcard choice, the
        slot is (offset, offset).
        """
        tag = self.tag_at(offset)
        # An expansion (`{simple|white} background`) spans its whole segment: no name there to replace.
        if (
            tag is None
            or not tag.name_start <= offset <= tag.name_end
            or self.text[tag.name_start : tag.name_end] != tag.name
        ):
            return offset, offset
        start, end = tag.name_start, tag.name_end
        typed = self.text[start:offset]
        # Attention being typed (`(long ha`, `[[long ha`, no closer yet): the name after the brackets. A
        # name with a closer of its own (`(o)_(o)`) is left whole.
        openers = len(typed) - len(typed.lstrip("(["))
        if openers and not any(closer in self.text[start:end] for closer in ")]"):
            start += openers
            typed = typed[openers:]
        # A wildcard being typed (`{smile|sit`, no `}` yet): the choice under the cursor.
        opened = typed.rfind("{")
        if opened != -1 and "}" not in typed[opened:]:
            start += max(opened, typed.rfind("|")) + 1
            rest = self.text[offset:end]
            ends = [at for at in (rest.find("|"), rest.find("}")) if at != -1]
            end = offset + min(ends) if ends else end
        return start, end


def parse_caption(text: str, syntax: Syntax = DEFAULT_SYNTAX) -> Caption:
    """Parse `text`; any string parses (unknown syntax is part of a tag's name)."""
    lines: list[CaptionLine] = []
    start = 0
    number = 0
    length = len(text)
    while start <= length:
        newline = LINE_BREAK.search(text, start)
        content_end = length if newline is None else newline.start()
        if number == 0 or text[start:content_end].strip(_BLANK):
            lines.append(_parse_line(text, start, content_end, len(lines), syntax))
        number += 1
        if newline is None:
            break
        start = newline.end()
    return Caption(text, syntax.separator, lines)


def tag_names(text: str, syntax: Syntax = DEFAULT_SYNTAX) -> list[tuple[str, str]]:
    """(key, name) of every tag of every line, as `parse_caption` finds them, without building spans."""
    return [name for line in _line_names(text, syntax) for name in line]


def index_names(
    text: str, syntax: Syntax = DEFAULT_SYNTAX
) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """What the dataset index needs from each caption of a large dataset, at a fraction of a full parse:
    (key, name) of every tag of its tag-list lines (prose has no tags), and of the caption's first segment
    whatever its line (its lead: `ohwx. A young woman ...` starts with the trigger too)."""
    names: list[tuple[str, str]] = []
    first: tuple[str, str] | None = None
    for line in _line_names(text, syntax):
        if first is None and line:
            first = line[0]
        if line_kind([name for _, name in line]) == "tags":
            names.extend(line)
    return names, first


def _line_names(text: str, syntax: Syntax) -> Iterator[list[tuple[str, str]]]:
    """(key, name) of the tags of each caption line (a blank line after the first is not one)."""
    for number, line in enumerate(LINE_BREAK.split(text)):
        if number > 0 and not line.strip(_BLANK):
            continue
        pieces = _plain_pieces(line, 0, len(line), syntax)
        if pieces is None:
            yield [(tag.key, tag.name) for tag in _parse_line(line, 0, len(line), 0, syntax).tags]
        else:
            yield [found[0] for found in pieces[1] if found is not None]


@lru_cache(maxsize=16)
def _token_pattern(syntax: Syntax) -> re.Pattern[str]:
    keep = rf"|(?P<keep>{re.escape(syntax.keep_separator)})" if syntax.keep_separator else ""
    secondary = (
        rf"|(?P<secondary>{re.escape(syntax.secondary_separator)})" if syntax.secondary_separator else ""
    )
    return re.compile(
        rf"(?P<escape>\\[\\()\[\]])|(?P<open>[(\[])|(?P<close>[)\]]){keep}{secondary}"
        rf"|(?P<brk>(?<!\S)BREAK(?!\S))|(?P<sep>{re.escape(syntax.separator)})"
    )


@lru_cache(maxsize=16)
def _special_pattern(syntax: Syntax) -> re.Pattern[str]:
    """What sends a line to the full parser whatever its pieces: escapes, braces, BREAK, the marks
    configured. Brackets are looked at piece by piece (`_piece`)."""
    marks = [re.escape(mark) for mark in (syntax.keep_separator, syntax.secondary_separator) if mark]
    return re.compile("|".join([r"\\[\\()\[\]]|\{", "BREAK", *marks]))


# `tag_key`, remembered: a dataset writes the same few thousand names over and over (and the rules ask
# for the same triggers on every line).
remembered_key = lru_cache(maxsize=200_000)(tag_key)

# A piece between two separators, as a plain line holds it: its (key, name) and where the name starts in
# the piece; None when it is blank.
PlainPiece = tuple[tuple[str, str], int] | None


@lru_cache(maxsize=200_000)
def _piece(piece: str) -> PlainPiece | Literal[False]:
    """What a piece of a line without escapes, braces, BREAK or `|||` holds, remembered per piece text (a
    dataset writes the same pieces over and over): a plain piece, or False when the full parser
    could read it otherwise. Brackets change nothing when they pair up inside the piece (the parser pairs
    them over the line, but a piece that leaves none open cannot pair with another) and the name does not
    start with one (only then are they attention syntax around the name: `card (medium)`, `>:)` are names)."""
    name = piece.strip(_BLANK)
    if not name:
        return None
    if name[0] in _OPENERS or not _pairs_up(piece):
        return False
    return (remembered_key(name), name), len(piece) - len(piece.lstrip(_BLANK))


def _pairs_up(piece: str) -> bool:
    """Whether the bracket pairing of `_parse_line`, run over `piece` alone, leaves no opener open."""
    if "(" not in piece and "[" not in piece:
        return True
    stack: list[str] = []
    for char in piece:
        if char in _OPENERS:
            stack.append(char)
        elif char in _CLOSERS and _CLOSERS[char] in stack:
            # Pop to the nearest opener of the same kind; a closer with none is literal text.
            del stack[len(stack) - 1 - stack[::-1].index(_CLOSERS[char]) :]
    return not stack


def _plain_pieces(
    text: str, start: int, end: int, syntax: Syntax
) -> tuple[list[str], list[PlainPiece]] | None:
    """The pieces of text[start:end] split at the separator, and what each holds, when the line is plain
    (see `_piece`); None when it needs the full parser."""
    if _special_pattern(syntax).search(text, start, end) is not None:
        return None
    line = text[start:end]
    pieces = line.split(syntax.separator)
    found = list(map(_piece, pieces))
    if ("(" in line or "[" in line) and False in found:
        return None
    return pieces, cast(list[PlainPiece], found)


def _wildcards(text: str, start: int, end: int) -> list[Wildcard]:
    """The line's wildcards as sd-scripts finds them: `{{` and `}}` escaped first, then `{...}`."""
    if "{" not in text[start:end]:
        return []
    # The escapes blanked out with the same length, so that offsets stay those of `text`.
    masked = _BRACE_ESCAPE.sub("\0\0", text[start:end])
    found = []
    for match in WILDCARD.finditer(masked):
        choices = []
        position = start + match.start(1)
        for choice in match.group(1).split("|"):
            choices.append((position, position + len(choice)))
            position += len(choice) + 1
        found.append(Wildcard(start + match.start(), start + match.end(), tuple(choices)))
    return found


def _parse_line(text: str, start: int, end: int, index: int, syntax: Syntax) -> CaptionLine:
    pieces = _plain_pieces(text, start, end, syntax)
    if pieces is not None:
        return _parse_plain_line(pieces, start, end, index, syntax)
    line = CaptionLine(index, start, end, syntax=syntax)
    line.wildcards = _wildcards(text, start, end)
    inside = [(wildcard.start, wildcard.end) for wildcard in line.wildcards]
    # Bracket pairs over the whole line (groups may span separators); unmatched brackets are literal.
    close_of: dict[int, int] = {}
    open_of: dict[int, int] = {}
    stack: list[int] = []
    # Separators as (start, end, text, kind), in order.
    cuts: list[tuple[int, int, str, str]] = []
    for match in _token_pattern(syntax).finditer(text, start, end):
        kind = match.lastgroup or ""
        position = match.start()
        if kind == "open":
            stack.append(position)
        elif kind == "close":
            closer = text[position]
            # Pop to the nearest opener of the same kind; a mismatched closer is literal text.
            for depth in range(len(stack) - 1, -1, -1):
                if text[stack[depth]] == _CLOSERS[closer]:
                    opener = stack[depth]
                    del stack[depth:]
                    close_of[opener] = position
                    open_of[position] = opener
                    break
        elif kind in ("keep", "brk", "sep", "secondary"):
            # sd-scripts picks the wildcard's choice before it splits: nothing inside one splits it.
            if any(s < position < e for s, e in inside):
                continue
            cuts.append((position, match.end(), match.group(), kind))
            if kind == "keep":
                if line.keep_separator is None:
                    line.keep_separator = position
                elif line.suffix_separator is None:
                    line.suffix_separator = position
            elif kind == "brk":
                line.breaks.append((position, match.end()))
    weights = _Weights(text, close_of, open_of)
    segment_start = start
    previous: tuple[int, int, str, str] | None = None
    unit = 0
    for cut in [*cuts, None]:
        segment_end = cut[0] if cut is not None else end
        trimmed = _trim(text, segment_start, segment_end)
        is_break = text[trimmed[0] : trimmed[1]] == BREAK
        tags: list[TagSpan] = []
        if is_break:
            line.breaks.append(trimmed)
        else:
            held = [w for w in line.wildcards if trimmed[0] <= w.start and w.end <= trimmed[1]]
            if held:
                tags = _wildcard_tags(text, trimmed, held, close_of, open_of, weights, line)
            else:
                tag = _tag_in(text, segment_start, segment_end, close_of, open_of, weights, line)
                tags = [] if tag is None else [tag]
        for tag in tags:
            tag.unit = unit
            line.tags.append(tag)
        line.segments.append(
            Segment(
                segment_start,
                segment_end,
                tags[0] if tags else None,
                None if cut is None else (cut[0], cut[1]),
                None if previous is None else (previous[0], previous[1]),
                "" if cut is None else cut[2],
                "" if previous is None else previous[2],
                is_break,
            )
        )
        if cut is not None:
            # The parts of a `;;;` unit are one unit; an empty segment is none (as tag indexes count).
            if cut[3] != "secondary" and any(tag.unit == unit for tag in line.tags[-1:]):
                unit += 1
            segment_start = cut[1]
            previous = cut
    return line


def _wildcard_tags(
    text: str,
    trimmed: tuple[int, int],
    held: list[Wildcard],
    close_of: dict[int, int],
    open_of: dict[int, int],
    weights: _Weights,
    line: CaptionLine,
) -> list[TagSpan]:
    """The tags of a segment holding wildcards. A segment that is one wildcard: the tags of each choice
    (split at the separator), with their own spans. Else each expansion, one choice at a time (the other
    wildcards at their first choice), spanning the segment: its name is not a span of the text."""
    segment = len(line.segments)
    tags: list[TagSpan] = []
    if len(held) == 1 and (held[0].start, held[0].end) == trimmed:
        wildcard = held[0]
        for number, (choice_start, choice_end) in enumerate(wildcard.choices):
            piece_start = choice_start
            for piece in [*text[choice_start:choice_end].split(line.syntax.separator)]:
                piece_end = piece_start + len(piece)
                tag = _tag_in(text, piece_start, piece_end, close_of, open_of, weights, line)
                if tag is not None:
                    tag.index = len(line.tags) + len(tags)
                    tag.segment = segment
                    tag.wildcard = wildcard.start
                    tag.choice = number
                    tags.append(tag)
                piece_start = piece_end + len(line.syntax.separator)
        return tags
    start, end = trimmed
    for wildcard in held:
        for number, (choice_start, choice_end) in enumerate(wildcard.choices):
            written = []
            position = start
            for other in held:
                chosen = (choice_start, choice_end) if other is wildcard else other.choices[0]
                written += [text[position : other.start], text[chosen[0] : chosen[1]]]
                position = other.end
            written.append(text[position:end])
            name = _BRACE_ESCAPE.sub(lambda match: match.group()[0], "".join(written)).strip(_BLANK)
            if not name:
                continue
            tags.append(
                TagSpan(
                    start,
                    end,
                    text[start:end],
                    remembered_key(name),
                    None,
                    start,
                    end,
                    name,
                    line.index,
                    len(line.tags) + len(tags),
                    _kept(line, start),
                    segment,
                    0,
                    wildcard.start,
                    number,
                )
            )
    return tags


def _parse_plain_line(
    pieces: tuple[list[str], list[PlainPiece]], start: int, end: int, index: int, syntax: Syntax
) -> CaptionLine:
    """The common case (see `_plain_pieces`): the pieces' names, with offsets added up; the segments are
    made when first asked for (`CaptionLine.segments`)."""
    line = CaptionLine(index, start, end, syntax=syntax, _pieces=pieces[0])
    tags = line.tags
    width = len(syntax.separator)
    position = start
    for number, (piece, found) in enumerate(zip(*pieces, strict=True)):
        if found is not None:
            (key, name), lead = found
            name_start = position + lead
            name_end = name_start + len(name)
            count = len(tags)
            tags.append(
                TagSpan(
                    name_start,
                    name_end,
                    name,
                    key,
                    None,
                    name_start,
                    name_end,
                    name,
                    index,
                    count,
                    False,
                    number,
                    count,
                )
            )
        position += len(piece) + width
    return line


def _plain_segments(line: CaptionLine, pieces: list[str]) -> list[Segment]:
    """A plain line's segments: each piece, its tag (the one its number names) and the separators."""
    separator = line.syntax.separator
    width = len(separator)
    by_segment = {tag.segment: tag for tag in line.tags}
    segments = []
    last = len(pieces) - 1
    position = line.start
    previous: tuple[int, int] | None = None
    for number, piece in enumerate(pieces):
        piece_end = position + len(piece)
        cut = (piece_end, piece_end + width) if number < last else None
        segments.append(
            Segment(
                position,
                piece_end,
                by_segment.get(number),
                cut,
                previous,
                separator if cut else "",
                separator if previous else "",
                False,
            )
        )
        previous = cut
        position = piece_end + width
    return segments


class _Weights:
    """The attention factor enclosing each tag name, found by one sweep over the bracket pairs.

    Tags are asked for in order, so the pairs open at a name's start are kept on a stack as the sweep
    moves right; matched pairs nest, so a closer always pops its own opener.
    """

    def __init__(self, text: str, close_of: dict[int, int], open_of: dict[int, int]) -> None:
        self.text = text
        self.close_of = close_of
        self.events = sorted([*close_of, *open_of])
        self.next = 0
        self.open: list[int] = []

    def factor(self, opener: int) -> float:
        if self.text[opener] == "[":
            return 1 / ATTENTION_STEP
        explicit = _weight_suffix(self.text, opener + 1, self.close_of[opener])
        return float(explicit.group(1)) if explicit else ATTENTION_STEP

    def at(self, start: int, end: int) -> float | None:
        """The product of the factors of the pairs around text[start:end]; None when there are none."""
        events = self.events
        while self.next < len(events) and events[self.next] < start:
            position = events[self.next]
            if position in self.close_of:
                self.open.append(position)
            elif self.open:
                self.open.pop()
            self.next += 1
        weight: float | None = None
        for opener in self.open:
            if self.close_of[opener] >= end:
                factor = self.factor(opener)
                weight = factor if weight is None else weight * factor
        return None if weight is None else round(weight, 4)


def _tag_in(
    text: str,
    seg_start: int,
    seg_end: int,
    close_of: dict[int, int],
    open_of: dict[int, int],
    weights: _Weights,
    line: CaptionLine,
) -> TagSpan | None:
    s, e = _trim(text, seg_start, seg_end)
    if s >= e:
        return None
    own_start: int | None = None
    own_end: int | None = None
    # Peel attention brackets: leading openers whose partner is the segment's last char or lies past
    # the segment (a group), trailing closers whose partner lies before the name.
    while s < e:
        char = text[s]
        if char in _OPENERS and s in close_of:
            closer = close_of[s]
            if closer == e - 1:
                if own_start is None:
                    own_start = s
                    own_end = e
                e = _strip_weight(text, s, e - 1)
                s += 1
            elif closer >= seg_end:
                s += 1
            else:
                break
            s, e = _trim(text, s, e)
            continue
        last = text[e - 1]
        if last in _CLOSERS and e - 1 in open_of and open_of[e - 1] < s:
            e = _strip_weight(text, open_of[e - 1], e - 1)
            s, e = _trim(text, s, e)
            continue
        break
    if s >= e:
        # Only brackets (`()`): keep them as the name rather than lose the tag.
        s, e = _trim(text, seg_start, seg_end)
        own_start = own_end = None
    start = own_start if own_start is not None else s
    stop = own_end if own_end is not None else e
    name = text[s:e]
    keep = _kept(line, start)
    return TagSpan(
        start=start,
        end=stop,
        text=text[start:stop],
        key=remembered_key(name),
        weight=weights.at(s, e) if weights.events else None,
        name_start=s,
        name_end=e,
        name=name,
        line=line.index,
        index=len(line.tags),
        keep=keep,
        segment=len(line.segments),
    )


def _kept(line: CaptionLine, start: int) -> bool:
    """Whether a tag starting at `start` is before the line's `|||` or after its second one."""
    before = line.keep_separator is not None and start < line.keep_separator
    return before or (line.suffix_separator is not None and start > line.suffix_separator)


def _strip_weight(text: str, opener: int, closer: int) -> int:
    """The end of a `(name:1.2)` pair's name: before the weight when there is one."""
    if text[opener] == "(":
        explicit = _weight_suffix(text, opener + 1, closer)
        if explicit is not None:
            return explicit.start()
    return closer


def _weight_suffix(text: str, start: int, end: int) -> re.Match[str] | None:
    """The `:1.2` ending text[start:end], if any.

    Only the run of characters a weight can hold is looked at (from the end back), not the whole pair: a
    regex search from `start` would make a caption of nested brackets quadratic.
    """
    run = end
    while run > start and (text[run - 1] in _WEIGHT_CHARS or text[run - 1].isspace()):
        run -= 1
    if run > start and text[run - 1] == ":":
        return _WEIGHT_SUFFIX.fullmatch(text, run - 1, end)
    return None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _BLANK:
        start += 1
    while end > start and text[end - 1] in _BLANK:
        end -= 1
    return start, end
