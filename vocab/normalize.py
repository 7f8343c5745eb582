"""The one normalisation of a tag: display form -> lookup key, and key-preserving display styles.

`long_hair`, `Long Hair`, `long hair`, `(long_hair:1.2)` and `[long hair]` share the key `long hair`.
`fate \\(series\\)` and `fate (series)` share the key `fate (series)`. Every part of captionls that compares
tags compares keys made here, so the store, the search and the caption rules can never disagree.
"""

from __future__ import annotations

import re
from typing import Literal

TagStyle = Literal["spaces", "underscores"]

_WHITESPACE = re.compile(r"\s+")
_ESCAPED = re.compile(r"\\([()\[\]])")
_WEIGHT = re.compile(r":\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$")
_WEIGHT_CHARS = frozenset("0123456789.+-")
_PAIRS = {"(": ")", "[": "]"}


def _closers(text: str) -> dict[int, int]:
    """Index of each bracket -> index of the bracket that closes it, skipping escaped brackets.

    Round and square brackets pair independently. One pass with a stack per kind, so a tag of a million
    nested brackets costs a million steps, not a million squared.
    """
    stacks: dict[str, list[int]] = {opener: [] for opener in _PAIRS}
    openers = {closer: opener for opener, closer in _PAIRS.items()}
    closers: dict[int, int] = {}
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in stacks:
            stacks[char].append(i)
        elif char in openers and stacks[openers[char]]:
            closers[stacks[openers[char]].pop()] = i
        i += 1
    return closers


def _without_weight(text: str, start: int, end: int) -> int:
    """The end of text[start:end] without a trailing `:1.2` weight.

    Only the run of characters a weight can hold is looked at (from the end back), never the whole text:
    each peeled pair has its own run, so peeling every pair stays linear.
    """
    run = end
    while run > start and (text[run - 1] in _WEIGHT_CHARS or text[run - 1].isspace()):
        run -= 1
    if run > start and text[run - 1] == ":" and _WEIGHT.fullmatch(text, run - 1, end):
        return run - 1
    return end


def strip_weight(text: str) -> str:
    """Remove attention syntax wrapping the whole tag: `((tag))`, `[tag]`, `(tag:1.2)`.

    Parentheses that are part of a tag (`fate (series)`) are kept: only a bracket pair that encloses
    the entire text is attention syntax.
    """
    text = text.strip()
    if len(text) < 2 or text[0] not in _PAIRS:
        return text
    closers = _closers(text)
    # Peel pairs off [start, end) of the original text; what lies between two peeled openers is only
    # blanks, so the pairs found for the whole text are the pairs of every peeled remainder.
    start, end = 0, len(text)
    while end - start >= 2 and text[start] in _PAIRS and closers.get(start) == end - 1:
        inner_start, inner_end = start + 1, end - 1
        if text[start] == "(":
            inner_end = _without_weight(text, inner_start, inner_end)
        while inner_start < inner_end and text[inner_start].isspace():
            inner_start += 1
        while inner_end > inner_start and text[inner_end - 1].isspace():
            inner_end -= 1
        if inner_start == inner_end:
            break
        start, end = inner_start, inner_end
    return text[start:end]


def unescape(text: str) -> str:
    r"""`\(` -> `(` and likewise for `)`, `[`, `]`."""
    return _ESCAPED.sub(r"\1", text)


def tag_key(text: str) -> str:
    """The normalised key of a tag: weights stripped, unescaped, `_` as space, case-folded, collapsed."""
    if "(" in text or "[" in text or "\\" in text:  # most tags have no weight and no escape
        text = unescape(strip_weight(text))
    # str.split() splits on exactly the characters `\s` matches, and drops them at both ends.
    return " ".join(text.replace("_", " ").split()).casefold()


def is_kaomoji(name: str) -> bool:
    """`^_^`, `o_o`, `>_<`: underscores that are the face itself, never turned into spaces."""
    parts = name.split("_")
    return len(parts) >= 2 and all(sum(c.isalnum() for c in part) <= 1 for part in parts)


def styled(name: str, style: TagStyle = "spaces", escape_parentheses: bool = False) -> str:
    """A tag's display name written in a caption style; its key never changes."""
    if not is_kaomoji(name):
        name = name.replace("_", " ") if style == "spaces" else name.replace(" ", "_")
    if escape_parentheses:
        name = re.sub(r"(?<!\\)([()])", r"\\\1", name)
    return name
