"""`repeated-word`: one thing named in several tags (`simple background, white background, lamp in
background`) multiplies its weight; the guide suggests combining them (`simple white background with a lamp`).

Only what a tag is about counts: its head noun and the places it names. Modifiers are separate attributes
(`black hair, black jacket`, `long hair, long sleeves` say nothing twice), and function words never count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..findings import Finding, Related
from ..parse import TagSpan
from .base import Document, Rule

WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# Words that start a place (`lamp in background`, `clock on wall`): the noun closing it is a place.
PLACE_WORDS = frozenset(
    {
        *("in", "on", "at", "under", "over", "behind", "near", "beside", "against", "inside", "above"),
        *("below", "across", "along", "around", "between", "outside", "onto", "into", "of", "through"),
    }
)
# Words that end a noun phrase without starting a place.
CLAUSE_WORDS = frozenset({"with", "without", "as", "and", "or", "from", "for", "by", "to", "while"})
# Words that carry no weight of their own.
STOP_WORDS = frozenset(
    {
        *("a", "an", "the", "is", "are", "its", "his", "her", "their", "one", "two", "she", "he", "it"),
        *PLACE_WORDS,
        *CLAUSE_WORDS,
    }
)
# A qualifier (`star (sky)`) names no thing of the picture.
QUALIFIER = re.compile(r"\([^)]*\)")
# Where something is relative to something else (`in front of couch`): the place is what follows.
_RELATIONS = frozenset(
    {"front", "back", "side", "middle", "top", "bottom", "edge", "center", "left", "right"}
)


def word_key(word: str) -> str:
    """`Walls` and `wall` count as one word."""
    word = word.casefold()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=100_000)
def words_of(name: str) -> list[tuple[str, int, int]]:
    """The concepts a tag names, with their offset and length: the head noun of each noun phrase and
    each place (`brown couch` -> couch; `red patterned fabric on couch` -> fabric, couch), not the
    modifiers (`brown`, `long`). Remembered per name."""
    words = []
    seen: set[str] = set()
    phrase: list[re.Match[str]] = []

    def close() -> None:
        # The phrase's last word is its head; a relation (`front` in `in front of couch`) is no thing.
        if phrase:
            head = phrase[-1]
            word = word_key(head.group())
            if word not in _RELATIONS and word not in seen and not word.isdigit() and len(word) >= 2:
                seen.add(word)
                words.append((word, head.start(), len(head.group())))
        phrase.clear()

    for position, match in enumerate(WORD.finditer(QUALIFIER.sub(lambda m: " " * len(m.group()), name))):
        word = match.group().casefold()
        # A participle after the subject starts a clause (`coffee machine sitting on a countertop`).
        participle = position > 0 and word.endswith("ing") and len(word) > 5 and phrase
        if word in PLACE_WORDS or word in CLAUSE_WORDS or participle:
            close()
            continue
        if word in STOP_WORDS:
            continue
        phrase.append(match)
    close()
    return words


def _concepts(doc: Document, tag: TagSpan) -> list[tuple[str, int, int]]:
    """What a tag names; a vocabulary tag with a place in it is one idiom (`hair between eyes` is
    about bangs, `looking at viewer` about the gaze) and names its head only."""
    words = words_of(tag.name)
    if len(words) > 1 and doc.ctx.resolve(tag.key) is not None:
        return words[:1]
    return words


@lru_cache(maxsize=100_000)
def _named_words(name: str) -> tuple[str, ...]:
    """The words of `words_of(name)` alone, remembered per name: what `_may_repeat` counts."""
    return tuple(word for word, _, _ in words_of(name))


def _may_repeat(tags: list[TagSpan], minimum: int) -> bool:
    """Whether some word is named in at least `minimum` of `tags`, counting every word `words_of` gives
    each tag: an upper bound of what `check` counts (it skips triggers, repeats, idioms' places, ignored
    words and a wildcard's other choices), so a line that fails it has no finding. Nearly every line
    fails it, at a fraction of the cost of placing each word."""
    words: list[str] = []
    for tag in tags:
        words += _named_words(tag.name)
    # A word named `minimum` times makes `minimum - 1` repeats; most lines have fewer repeats in all, and
    # a set tells that faster than counting each word.
    if not words or len(words) - len(set(words)) < minimum - 1:
        return False
    return max(Counter(words).values()) >= minimum


@dataclass(frozen=True)
class Options:
    # A thing named in at least this many tags of a caption line is reported.
    min: int = 3
    # Words never reported (`hair` in a hairstyle dataset).
    ignore: tuple[str, ...] = ()


def check(rule: Rule[Options], doc: Document, options: Options) -> Iterator[Finding]:
    minimum = options.min
    ignored = {word_key(word) for word in options.ignore}
    for line in doc.caption.lines:
        if not _may_repeat(line.tags, minimum):
            continue
        # word -> [(tag, start, end of the word)], one entry per tag
        places: dict[str, list[tuple[TagSpan, int, int]]] = {}
        counted: set[str] = set()
        for tag in line.tags:
            # A tag written twice is `duplicate-tag`'s business, not a repeated word.
            if tag.key in doc.ctx.triggers or tag.key in counted:
                continue
            counted.add(tag.key)
            for word, offset, length in _concepts(doc, tag):
                # A wildcard's choices are alternatives: a word they name counts once.
                if word in ignored or any(other.alternative_to(tag) for other, _, _ in places.get(word, ())):
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
                f'"{word}" is named in {len(where)} tags ({names}): each repeat adds weight; combine them',
                related=[Related(doc.path, s, e, f'"{word}" in "{tag.name}"') for tag, s, e in where],
                pattern=f'name "{word}" in several tags',
            )


DOC = """\
## What it checks

One thing named in at least `min` (3) tags of one caption line: the head noun of a tag (`couch` in `brown
couch`) or a place it names (`couch` in `red patterned fabric on couch`); `walls` and `wall` are one word.
Modifiers are separate attributes and never count (`black hair, black jacket, black loafers`, `long hair,
long sleeves`), nor do function words. A vocabulary tag with a place in it is one idiom and names its head
only (`hair between eyes`). Options: `min`, and `ignore`, a list of words never reported.

## Why

Every tag that names the same thing adds weight to it: three backgrounds teach "background" three times.
The captioning guide combines them into one descriptive tag.

## Example

Bad: `ohwxStyle, 1girl, simple background, white background, lamp in background`

Good: `ohwxStyle, 1girl, simple white background with a lamp`

There is no fix: rewording is yours.
"""

RULE = Rule(
    name="repeated-word",
    severity="info",
    summary=(
        "one thing (head noun or place) named in at least `min` (3) tags:"
        " `simple background, white background, lamp in background`"
    ),
    fix="no (reword)",
    doc=DOC,
    check=check,
    options=Options(),
)
