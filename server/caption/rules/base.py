"""What every rule is made of: the `Rule` record, the document it checks, and shared edit helpers."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..findings import Edit, Finding, Fix, Related, Severity
from ..parse import Caption, CaptionLine, Segment, TagSpan

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from ..checker import CheckContext


@dataclass(frozen=True)
class Document:
    """One caption being checked, with everything a rule may ask about."""

    path: Path
    text: str
    caption: Caption
    ctx: CheckContext


@dataclass(frozen=True)
class NoOptions:
    """The options of a rule that has none."""


OptionsT = TypeVar("OptionsT", bound="DataclassInstance")
Check = Callable[["Rule[OptionsT]", Document, OptionsT], Iterable[Finding]]


class OptionError(ValueError):
    """A rule option that is unknown or of the wrong type; the message says which and why."""


@dataclass(frozen=True)
class Rule(Generic[OptionsT]):
    """A named check: default severity, what it reports, its options (a frozen dataclass of defaults),
    what its fix does, and its documentation."""

    name: str
    severity: Severity
    # One line of markdown: when the rule fires (`captionls rules`, the README's table).
    summary: str
    # One line of markdown: what `check --fix` does about it, or why nothing ("no (reword)").
    fix: str
    # The rule's page: what it checks, why, a bad and a good example (markdown).
    doc: str
    check: Check[OptionsT]
    options: OptionsT
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

    def option_types(self) -> dict[str, Any]:
        """Each option's name and type, in declaration order."""
        hints = typing.get_type_hints(type(self.options))
        return {option.name: hints[option.name] for option in dataclasses.fields(self.options)}

    def configured(self, given: Mapping[str, object]) -> OptionsT:
        """The options with `given` (a `[rules]` table or editor setting) over the defaults.

        Raises `OptionError` naming the option for an unknown name or a value of the wrong type.
        """
        types = self.option_types()
        values: dict[str, object] = {}
        for option, value in given.items():
            kind = types.get(option)
            if kind is None:
                known = ", ".join(["severity", *types])
                raise OptionError(f"unknown option {option!r} (known: {known})")
            values[option] = _converted(option, value, kind, getattr(self.options, option))
        return dataclasses.replace(self.options, **values)


def _converted(option: str, value: object, kind: object, default: object) -> object:
    """`value` as an option of type `kind` (a TOML array becomes a tuple), or `OptionError`."""
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif kind is str:
        if isinstance(value, str):
            return value
    elif kind == tuple[str, ...]:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise OptionError(f"{option} must be a list of strings")
    else:
        raise TypeError(f"option {option}: unsupported type {kind!r}")
    raise OptionError(f"{option} must be like {default!r}")


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
    secondary = line.syntax.secondary_separator or separator
    following = segment.separator
    previous = segment.previous_separator
    # A part of a `;;;` unit goes with a `;;;` beside it, so that the unit stays one and its neighbours
    # stay out of it.
    if following is not None and segment.separator_text == secondary != separator:
        return Edit(start, following[1], "")
    joins = (separator, secondary)
    if previous is not None and segment.previous_separator_text in joins and not first:
        return Edit(_back_over_blanks(text, previous[0], line.start), end, "")
    if following is not None and segment.separator_text == separator:
        return Edit(start, _skip_blanks(text, following[1], line.end), "")
    return Edit(start, end, "")


def line_separator(line: CaptionLine) -> str:
    """The line's caption separator (`,` unless configured)."""
    return line.syntax.separator


def joiner(text: str, line: CaptionLine, separator: str) -> str:
    """How this line joins tags: the separator and the blanks the line puts after it (`, ` usually)."""
    for segment, following in zip(line.segments, line.segments[1:], strict=False):
        plain = segment.separator is not None and segment.separator_text == separator
        if plain and following.tag is not None and segment.separator is not None:
            after = _skip_blanks(text, segment.separator[1], line.end)
            return separator + text[segment.separator[1] : after]
    return separator + " "
