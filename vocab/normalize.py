"""The one normalisation of a tag: display form -> lookup key, and key-preserving display styles.

`long_hair`, `Long Hair`, `long hair`, `(long_hair:1.2)` and `[long hair]` share the key `long hair`.
`fate \\(series\\)` and `fate (series)` share the key `fate (series)`. Every part of captionls that compares
tags compares keys made here, so the store, the search and the caption rules can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

TagStyle = Literal["spaces", "underscores"]

# The longest name a tag may have; Danbooru's longest is 170 characters.
MAX_TAG_LENGTH = 500
# Characters a name never holds: they would split a caption line or hide text in a terminal or
# editor. Bidi overrides and isolates can make a name read as another one.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_ESCAPED = re.compile(r"\\([()\[\]])")
_WEIGHT = re.compile(r":\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$")
_PAIRS = {"(": ")", "[": "]"}


def _closing_index(text: str, opener: str) -> int:
    """Index of the bracket that closes `text[0]`, skipping escaped brackets; -1 if none."""
    closer = _PAIRS[opener]
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def strip_weight(text: str) -> str:
    """Remove attention syntax wrapping the whole tag: `((tag))`, `[tag]`, `(tag:1.2)`.

    Parentheses that are part of a tag (`fate (series)`) are kept: only a bracket pair that encloses
    the entire text is attention syntax.
    """
    text = text.strip()
    while len(text) >= 2 and text[0] in _PAIRS and _closing_index(text, text[0]) == len(text) - 1:
        inner = text[1:-1]
        if text[0] == "(":
            inner = _WEIGHT.sub("", inner)
        inner = inner.strip()
        if not inner:
            break
        text = inner
    return text


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
    for char in name:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return f"control character U+{ord(char):04X} in tag {name!r}"
    return None


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
