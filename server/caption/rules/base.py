"""What every rule is made of: the `Rule` record, the document it checks, and shared edit helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..findings import Edit, Finding, Fix, Related, Severity
from ..parse import Caption, CaptionLine, Segment, TagSpan

if TYPE_CHECKING:
    from ..checker import CheckContext


@dataclass(frozen=True)
class Document:
    """One caption being checked, with everything a rule may ask about."""

    path: Path
    text: str
    caption: Caption
    ctx: CheckContext


Check = Callable[["Rule", Document, Mapping[str, object]], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A named check: its default severity, its doc line, its options and their defaults."""

    name: str
    severity: Severity
    doc: str
    check: Check
    options: Mapping[str, object] = field(default_factory=dict)
    # Whether `check --fix` applies its preferred fix (`structure-order` only with `--fix-order`).
    safe_fix: bool = False

    def finding(
        self,
        start: int,
        end: int,
        message: str,
        fixes: Iterable[tuple[str, list[Edit]]] = (),
        related: Iterable[Related] = (),
        pattern: str | None = None,
    ) -> Finding:
        """A finding of this rule; the first fix is the preferred one."""
        return Finding(
            rule=self.name,
            severity=self.severity,
            start=start,
            end=end,
            message=message,
            fixes=[
                Fix(title, edits, preferred=i == 0, safe=self.safe_fix and i == 0)
                for i, (title, edits) in enumerate(fixes)
            ],
            related=list(related),
            pattern=pattern,
        )


_BLANKS = " \t\u3000\u00a0"


def _skip_blanks(text: str, offset: int, end: int) -> int:
    while offset < end and text[offset] in _BLANKS:
        offset += 1
    return offset


def _back_over_blanks(text: str, offset: int, start: int) -> int:
    while offset > start and text[offset - 1] in _BLANKS:
        offset -= 1
    return offset


def segment_of(line: CaptionLine, tag: TagSpan) -> Segment:
    return line.segments[tag.segment]


def remove_tag(text: str, line: CaptionLine, tag: TagSpan) -> Edit:
    """Delete a tag with one of its plain separators, leaving `a, c` from `a, b, c`."""
    return _remove(text, line, segment_of(line, tag), tag.start, tag.end, line.segments[0].tag is tag)


def remove_segment(text: str, line: CaptionLine, segment: Segment) -> Edit:
    """Delete an empty segment with one separator (`a,,b` -> `a,b`, `a, b, ` -> `a, b`)."""
    return _remove(text, line, segment, segment.start, segment.end, segment is line.segments[0])


def _remove(text: str, line: CaptionLine, segment: Segment, start: int, end: int, first: bool) -> Edit:
    separator = line_separator(line)
    following = segment.separator
    previous = segment.previous_separator
    if previous is not None and segment.previous_separator_text == separator and not first:
        return Edit(_back_over_blanks(text, previous[0], line.start), end, "")
    if following is not None and segment.separator_text == separator:
        return Edit(start, _skip_blanks(text, following[1], line.end), "")
    return Edit(start, end, "")


def line_separator(line: CaptionLine) -> str:
    """The line's plain separator (`,` unless configured), as the segments record it."""
    for segment in line.segments:
        text = segment.separator_text
        if text and text not in ("|||", "BREAK"):
            return text
    return ","


def joiner(text: str, line: CaptionLine, separator: str) -> str:
    """How this line joins tags: the separator and the blanks the line puts after it (`, ` usually)."""
    for segment, following in zip(line.segments, line.segments[1:], strict=False):
        plain = segment.separator is not None and segment.separator_text == separator
        if plain and following.tag is not None and segment.separator is not None:
            after = _skip_blanks(text, segment.separator[1], line.end)
            return separator + text[segment.separator[1] : after]
    return separator + " "
