"""`repeated-word`: one content word in several tags (`simple background, white background, lamp in
background`) multiplies its weight; the guide suggests combining them (`simple white background with a lamp`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..findings import Finding, Related
from ..parse import TagSpan
from .base import Document, Rule

_WORD = re.compile(r"[^\W_]+")
# Words that carry no weight of their own.
STOP_WORDS = frozenset(
    {
        *("a", "an", "the", "of", "on", "in", "at", "to", "into", "onto", "over", "under", "near"),
        *("with", "without", "and", "or", "from", "for", "by", "as", "is", "are"),
        *("its", "his", "her", "their", "one", "two"),
    }
)


def word_key(word: str) -> str:
    """`Walls` and `wall` count as one word."""
    word = word.casefold()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_WORDS: dict[str, list[tuple[str, int, int]]] = {}


def words_of(name: str) -> list[tuple[str, int, int]]:
    """The distinct content words of a name with their offset and length, remembered per name."""
    words = _WORDS.get(name)
    if words is None:
        words = []
        seen: set[str] = set()
        for match in _WORD.finditer(name):
            word = word_key(match.group())
            if word in seen or word in STOP_WORDS or word.isdigit() or len(word) < 2:
                continue
            seen.add(word)
            words.append((word, match.start(), len(match.group())))
        if len(_WORDS) >= 100_000:
            _WORDS.clear()
        _WORDS[name] = words
    return words


@dataclass(frozen=True)
class Options:
    # A word in at least this many tags of a caption line is reported.
    min: int = 3
    # Words never reported (`hair` in a hairstyle dataset).
    ignore: tuple[str, ...] = ()


def check(rule: Rule[Options], doc: Document, options: Options) -> Iterator[Finding]:
    minimum = options.min
    ignored = {word_key(word) for word in options.ignore}
    for line in doc.caption.lines:
        # word -> [(tag, start, end of the word)], one entry per tag
        places: dict[str, list[tuple[TagSpan, int, int]]] = {}
        counted: set[str] = set()
        for tag in line.tags:
            # A tag written twice is `duplicate-tag`'s business, not a repeated word.
            if tag.key in doc.ctx.triggers or tag.key in counted:
                continue
            counted.add(tag.key)
            for word, offset, length in words_of(tag.name):
                if word in ignored:
                    continue
                start = tag.name_start + offset
                places.setdefault(word, []).append((tag, start, start + length))
        for word, where in places.items():
            if len(where) < minimum:
                continue
            _, start, end = where[0]
            names = ", ".join(tag.name for tag, _, _ in where)
            yield rule.finding(
                start,
                end,
                f'"{word}" is in {len(where)} tags ({names}): each repeat adds weight; combine them',
                related=[Related(doc.path, s, e, f'"{word}" in "{tag.name}"') for tag, s, e in where],
            )


DOC = """\
## What it checks

A content word (not `of`, `in`, `with`, ...; `walls` and `wall` are one word) in at least `min` (3) tags of
one caption line. Options: `min`, and `ignore`, a list of words never reported.

## Why

Every tag that repeats a word adds weight to it: three backgrounds teach "background" three times. The
captioning guide combines them into one descriptive tag.

## Example

Bad: `ohwxStyle, 1girl, simple background, white background, lamp in background`

Good: `ohwxStyle, 1girl, simple white background with a lamp`

There is no fix: rewording is yours.
"""

RULE = Rule(
    name="repeated-word",
    severity="info",
    summary=(
        "a content word in at least `min` (3) tags: `simple background, white background, lamp in background`"
    ),
    fix="no (reword)",
    doc=DOC,
    check=check,
    options=Options(),
)
