"""Adding, removing and moving tags in a caption's text: the batch operations of `captionls tags` and the
server's `captionls.tagsAdd` / `tagsRemove`.

Only tag-list lines are edited (the caption and its variants); prose lines never are (see `kinds`). Tags
are compared by concept (any style, aliases resolved), so a tag already present is never added twice.
Added tags never go before the caption's leading trigger tags, and a tag is never moved across kohya's
`|||` (the kept tokens before it are the captioner's choice): `start` means the first place after the
triggers and after `|||`. Every other byte of the caption stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from captionls.vocab.normalize import tag_key

from ..files import apply_edits
from ..findings import Edit
from ..parse import CaptionLine, Syntax, TagSpan, parse_caption
from ..rules.base import joiner, remove_tag

PlacementKind = Literal["start", "end", "index", "after", "before"]
PLACEMENT_HELP = "start, end, a tag position N (1 is the first tag), after:TAG or before:TAG"


class BadPlacement(ValueError):
    """An `--at` / `at` value that is not a placement; the message is one line."""


@dataclass(frozen=True)
class Placement:
    """Where added or moved tags go. A TAG the line lacks (`after:TAG`, `before:TAG`) means its end."""

    kind: PlacementKind
    position: int = 0
    key: str = ""


def parse_placement(text: str) -> Placement:
    value = text.strip()
    if value == "start":
        return Placement("start")
    if value == "end":
        return Placement("end")
    if value.isdigit() and int(value) >= 1:
        return Placement("index", int(value))
    kind, _, name = value.partition(":")
    if kind == "after" and tag_key(name):
        return Placement("after", key=tag_key(name))
    if kind == "before" and tag_key(name):
        return Placement("before", key=tag_key(name))
    raise BadPlacement(f'"{text}" is not a place for tags: use {PLACEMENT_HELP}')


@dataclass(frozen=True)
class TagEditor:
    """Edits one caption text at a time, comparing tags by `concept` (a key to its canonical key)."""

    concept: Callable[[str], str]
    triggers: frozenset[str]
    syntax: Syntax

    def add(self, text: str, names: list[str], at: Placement) -> str:
        """`names` (already written as they should appear) added to every tag line that lacks them."""
        caption = parse_caption(text, self.syntax)
        edits = []
        for line in _tag_lines(caption.lines):
            present = {self.concept(tag.key) for tag in line.tags}
            missing: dict[str, str] = {}
            for name in names:
                concept = self.concept(tag_key(name))
                if concept not in present:
                    missing.setdefault(concept, name)
            if missing:
                index = self._index(line, at)
                edits.append(
                    _insertion(text, line, index, list(missing.values()), self.syntax.separator, kept=False)
                )
        return apply_edits(text, edits)

    def insertion(self, text: str, offset: int, name: str) -> Edit | None:
        """The edit putting `name` (written as it should appear) in as a tag at a cursor at `offset`: into
        the empty slot there (`a, |`), else right after the tag under or before the cursor, with the
        line's separator. None when that line has the tag already or is prose (never edited)."""
        caption = parse_caption(text, self.syntax)
        line = caption.line_at(offset)
        if line is None:
            return Edit(offset, offset, name)  # a blank line after the caption
        if line.tags and line.kind != "tags":
            return None
        concept = self.concept(tag_key(name))
        if any(self.concept(tag.key) == concept for tag in line.tags):
            return None
        segment = caption.segment_at(offset)
        if line.tags and segment is not None and segment.tag is None and not segment.is_break:
            # `a,|` reads `a, name` (the line's own blanks after a separator are kept: `a, |`).
            after_separator = offset == segment.start and segment.previous_separator is not None
            return Edit(offset, offset, (" " if after_separator else "") + name)
        before = sum(1 for tag in line.tags if tag.start < offset)
        index = self._index(line, Placement("index", before + 1))
        return _insertion(text, line, index, [name], self.syntax.separator, kept=False)

    def remove(self, text: str, keys: Iterable[str]) -> str:
        """Every tag standing for one of `keys` removed from the tag lines, with its separator."""
        concepts = {self.concept(key) for key in keys}
        while True:
            caption = parse_caption(text, self.syntax)
            found = next(
                (
                    (line, tag)
                    for line in _tag_lines(caption.lines)
                    for tag in line.tags
                    if self.concept(tag.key) in concepts
                ),
                None,
            )
            if found is None:
                return text
            text = apply_edits(text, [remove_tag(text, *found)])

    def move(self, text: str, key: str, at: Placement) -> str:
        """The tag standing for `key` moved to `at` in each tag line holding it, never across `|||`."""
        concept = self.concept(key)
        line_count = len(_tag_lines(parse_caption(text, self.syntax).lines))
        for number in range(line_count):
            line = _tag_lines(parse_caption(text, self.syntax).lines)[number]
            tag = next((tag for tag in line.tags if self.concept(tag.key) == concept), None)
            if tag is None or len(line.tags) < 2:
                continue
            without = apply_edits(text, [remove_tag(text, line, tag)])
            rest = _tag_lines(parse_caption(without, self.syntax).lines)[number]
            index = self._index(rest, at)
            boundary = _keep_boundary(rest)
            if boundary is not None and (index < boundary if not tag.keep else index > boundary):
                continue  # on the other side of `|||`: left where it is
            moved = apply_edits(
                without, [_insertion(without, rest, index, [tag.text], self.syntax.separator, tag.keep)]
            )
            text = moved
        return text

    def _index(self, line: CaptionLine, at: Placement) -> int:
        """Where in `line.tags` new tags go (before the tag at that index; the length means the end)."""
        tags = line.tags
        lead = 0
        while lead < len(tags) and tags[lead].key in self.triggers:
            lead += 1
        if at.kind == "end":
            return len(tags)
        if at.kind == "start":
            boundary = _keep_boundary(line)
            return max(lead, boundary) if boundary is not None else lead
        if at.kind == "index":
            return max(lead, min(at.position - 1, len(tags)))
        found = next((i for i, tag in enumerate(tags) if self.concept(tag.key) == self.concept(at.key)), None)
        if found is None:
            return len(tags)
        return max(lead, found if at.kind == "before" else found + 1)


def _tag_lines(lines: list[CaptionLine]) -> list[CaptionLine]:
    return [line for line in lines if line.kind == "tags"]


def _keep_boundary(line: CaptionLine) -> int | None:
    """The index of the first tag after `|||`, when the line has one."""
    if line.keep_separator is None:
        return None
    return sum(1 for tag in line.tags if tag.keep)


def _insertion(
    text: str, line: CaptionLine, index: int, names: list[str], separator: str, kept: bool
) -> Edit:
    """The edit putting `names` before `line.tags[index]` (after the last tag for the length). A kept tag
    going to the `|||` boundary goes before `|||`, any other tag after it."""
    tags: list[TagSpan] = line.tags
    join = joiner(text, line, separator)
    group = join.join(names)
    if not tags:
        return Edit(line.end, line.end, group)
    boundary = _keep_boundary(line)
    if index < len(tags) and not (kept and index == boundary and index > 0):
        start = tags[index].start
        return Edit(start, start, group + join)
    if not kept and boundary == len(tags):
        # Nothing after `|||` yet (`ohwx |||`): the tags go after it.
        end = len(text[: line.end].rstrip())
        return Edit(end, end, " " + group)
    end = tags[index - 1].end
    return Edit(end, end, join + group)
