"""The one normalisation of a tag: display form -> lookup key, and key-preserving display styles.

`long_hair`, `Long Hair`, `long hair`, `(long_hair:1.2)` and `[long hair]` share the key `long hair`.
`fate \\(series\\)` and `fate (series)` share the key `fate (series)`. Every part of captionls that compares
tags compares keys made here, so the store, the search and the caption rules can never disagree.
"""

from __future__ import annotations

import re
from typing import Literal

from .verbatim import verbatim_name

TagStyle = Literal["spaces", "underscores"]

# The longest name a tag may have (the longest in tagcomplete's danbooru.csv has 111 characters).
MAX_TAG_LENGTH = 500
# Characters a name never holds: control characters (Unicode's Cc: C0, DEL, C1) and the line and
# paragraph separators would split a caption line or hide text in a terminal or editor; bidi
# overrides and isolates can make a name read as another one.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPED = re.compile(r"\\([()\[\]])")
# A weight is `:` then an optional sign and this number, spaces allowed around (`(tag: 1.2 )`).
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_PAIRS = {"(": ")", "[": "]"}
_OPENER_OF = {closer: opener for opener, closer in _PAIRS.items()}
_BRACKET_OR_ESCAPE = re.compile(r"\\.|[()\[\]]", re.DOTALL)


def _bracket_partners(text: str) -> dict[int, int]:
    """For every bracket that opens a pair, the index of the bracket of its kind that closes it;
    an escaped bracket (`\\(`) is text. One pass over the brackets and backslashes only."""
    partners: dict[int, int] = {}
    open_at: dict[str, list[int]] = {"(": [], "[": []}
    for match in _BRACKET_OR_ESCAPE.finditer(text):
        char, at = match.group(), match.start()
        if char in open_at:
            open_at[char].append(at)
        elif char in _OPENER_OF:
            openers = open_at[_OPENER_OF[char]]
            if openers:
                partners[openers.pop()] = at
    return partners


def _without_weight(text: str, start: int, end: int) -> int:
    """The end of `text[start:end]` once a trailing `:1.2` weight (and the spaces around it) is gone."""
    at = end
    while at > start and text[at - 1].isspace():
        at -= 1
    number_end = at
    while at > start and (text[at - 1].isdecimal() or text[at - 1] == "."):
        at -= 1
    if not _NUMBER.fullmatch(text, at, number_end):
        return end
    if at > start and text[at - 1] in "+-":
        at -= 1
    while at > start and text[at - 1].isspace():
        at -= 1
    return at - 1 if at > start and text[at - 1] == ":" else end


def strip_weight(text: str) -> str:
    """Remove attention syntax wrapping the whole tag: `((tag))`, `[tag]`, `(tag:1.2)`.

    Parentheses that are part of a tag (`fate (series)`) are kept: only a bracket pair that encloses
    the entire text is attention syntax. Linear in the length, however deep the nesting: the pairs
    are found once, then peeled by moving two indices.
    """
    text = text.strip()
    if len(text) < 2 or text[0] not in _PAIRS:
        return text
    partners = _bracket_partners(text)
    start, end = 0, len(text)
    while end - start >= 2 and partners.get(start) == end - 1:
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


def tag_name_problem(name: str) -> str | None:
    """Why `name` cannot be a tag name (one line for the user), or None when it can.

    The one rule every writer of names checks (the vocabulary store, renames in captions): not
    longer than MAX_TAG_LENGTH, no control character (a tab, CR, LF, NUL, ESC, DEL, C1),
    no line or paragraph separator, no bidi override.
    """
    if len(name) > MAX_TAG_LENGTH:
        return f"tag longer than {MAX_TAG_LENGTH} characters"
    forbidden = _FORBIDDEN.search(name)
    if forbidden is not None:
        return f"control character U+{ord(forbidden.group()):04X} in tag {name!r}"
    return None


def tag_key(text: str) -> str:
    """The normalised key of a tag: weights stripped, unescaped, `_` as space, case-folded, collapsed."""
    # Most tags have no weight and no escape; many have parentheses (`fate (series)`) but no backslash.
    if "\\" in text:
        text = unescape(strip_weight(text))
    elif "(" in text or "[" in text:
        text = strip_weight(text)
    # str.split() splits on exactly the characters `\s` matches, and drops them at both ends.
    return " ".join(text.replace("_", " ").split()).casefold()


def is_kaomoji(name: str) -> bool:
    """`^_^`, `o_o`, `>_<`: underscores that are the face itself, never turned into spaces."""
    parts = name.split("_")
    return len(parts) >= 2 and all(sum(c.isalnum() for c in part) <= 1 for part in parts)


def styled(name: str, style: TagStyle = "spaces", escape_parentheses: bool = False) -> str:
    """A tag's display name written in a caption style; its key never changes.

    A verbatim tag (`score_9`, see `verbatim`) is written as it must be, whatever the style.
    """
    exact = verbatim_name(name)
    if exact is not None:
        return exact
    if not is_kaomoji(name):
        name = name.replace("_", " ") if style == "spaces" else name.replace(" ", "_")
    if escape_parentheses:
        name = re.sub(r"(?<!\\)([()])", r"\\\1", name)
    return name
