"""What kind of text a caption holds: booru tags, descriptive phrases, or prose.

Captioners write three kinds of segment between separators, often in one dataset:

- a **tag**, booru-style and short: `1girl`, `looking_at_viewer`, `head tilt`, `clock on wall`;
- a **phrase**, descriptive words the guide puts under notable details and background: `pale pink dress
  with dark edges`, `sunlight through windows as lighting source`, `holding a phone`;
- **prose**, a sentence or a piece of one: `A young woman with long brown hair lies back on the bed.`,
  `he is holding a cellphone to his ear`.

A caption line is a tag list, or prose: BLIP sentences, vision-language-model paragraphs, and hybrids that
start with a trigger (`ohwx. A young woman ...`, `ohwx, a young woman ..., wearing ...`). Tag rules do not
apply to prose, and nothing rewrites it.

The kind depends on the words only (never the vocabulary), so it is decided once per distinct name and
remembered. A name the vocabulary knows is a tag whatever its kind says; the checker asks that itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .parse import CaptionLine

SegmentKind = Literal["tag", "phrase", "prose"]
LineKind = Literal["tags", "prose"]

ARTICLES = frozenset({"a", "an", "the"})
# Words that open a clause: a segment starting with one is part of a sentence (`she is smiling`).
CLAUSE_OPENERS = frozenset(
    {"she", "he", "they", "it", "we", "i", "you", "this", "these", "there", "her", "his", "their", "its"}
)
# A finite verb makes a clause of a segment (`the ships are red and white`).
FINITE_VERBS = frozenset({"is", "are", "was", "were", "has", "have", "appears", "seems", "shows", "depicts"})
# Function words that make descriptive words a phrase rather than a (possibly mistyped) tag. Prepositions
# alone do not: Danbooru is full of three-word tags with one (`hand on hip`, `looking at viewer`).
PHRASE_MARKERS = ARTICLES | frozenset({"and", "or", "with", "as", "through", "while", "which", "that", "who"})

# Words from which a segment is prose whatever they are: the guide's longest phrases stay below it
# (`yellow and blue striped umbrella partially open in foreground` has nine).
PROSE_WORDS = 15
# Words from which an article makes a segment prose (`photo of a woman sitting on a bench`).
ARTICLE_PROSE_WORDS = 7
# Words from which a segment is a phrase whatever they are (Danbooru tags of five words are rare).
PHRASE_WORDS = 5
# A sentence's end followed by another sentence (`ohwx. A young woman`, `... flowers. She smiles`); the
# capital keeps `dr. stone` a tag.
_SENTENCE_BOUNDARY = re.compile(r"[.!?]\s+(\S)")
# A sentence's last mark, at the end of the segment (`... lies back on the bed.`).
_SENTENCE_END = re.compile(r"[.!?]$")


class NameFacts:
    """What the words of one segment say about it, decided once per distinct name."""

    __slots__ = ("boundary", "kind", "plain", "words")

    def __init__(self, name: str) -> None:
        words = name.replace("_", " ").split()
        lowered = [word.casefold() for word in words]
        self.words = len(words)
        # Sentences meet inside this segment: the line is prose, whatever else it holds.
        self.boundary = self.words >= 2 and sentence_boundary(name) is not None
        self.kind: SegmentKind = _kind(name, lowered)
        # A tag with no sentence in it: a line of only such names is a tag list.
        self.plain = self.kind == "tag" and not self.boundary


def sentence_boundary(name: str) -> int | None:
    """Where the first sentence of `name` ends when another, capitalised one follows; else None."""
    for match in _SENTENCE_BOUNDARY.finditer(name):
        if match.group(1).isupper():
            return match.start()
    return None


def _kind(name: str, words: list[str]) -> SegmentKind:
    count = len(words)
    if not count:
        return "tag"
    first = words[0]
    if (
        count >= PROSE_WORDS
        or (count >= 3 and (_SENTENCE_END.search(name) is not None or sentence_boundary(name) is not None))
        or (count >= 3 and (first in CLAUSE_OPENERS or any(word in FINITE_VERBS for word in words)))
        or (count >= 4 and first in ARTICLES)
        or (count >= ARTICLE_PROSE_WORDS and any(word in ARTICLES for word in words))
    ):
        return "prose"
    if count >= PHRASE_WORDS or (count >= 3 and any(word in PHRASE_MARKERS for word in words)):
        return "phrase"
    return "tag"


@lru_cache(maxsize=100_000)
def name_facts(name: str) -> NameFacts:
    """The facts of a segment's name, remembered: a dataset writes the same names over and over."""
    return NameFacts(name)


# The plain names seen (`NameFacts.plain`), up to a bound: a line of them is a tag list, known from one
# set operation (a dataset writes the same few thousand names over and over).
_PLAIN_NAMES: set[str] = set()
PLAIN_NAMES_KEPT = 100_000


def segment_kind(name: str) -> SegmentKind:
    """`tag`, `phrase` or `prose` for the text of one segment."""
    return name_facts(name).kind


def line_kind(names: list[str]) -> LineKind:
    """`prose` or `tags` for a caption line, given the names of its segments in order.

    Prose when sentences meet inside a segment (`ohwx. A young woman ...`), or when it has a prose segment
    and fewer than half of its segments are tags. A leading tag (the trigger, usually) does not count: a
    hybrid `ohwx, a young woman with long hair, wearing a white dress` is prose.
    """
    if _PLAIN_NAMES.issuperset(names):
        return "tags"
    facts = [name_facts(name) for name in names]
    if len(_PLAIN_NAMES) < PLAIN_NAMES_KEPT:
        _PLAIN_NAMES.update(name for name, fact in zip(names, facts, strict=True) if fact.plain)
    if any(fact.boundary for fact in facts):
        return "prose"
    body = facts[1:] if len(facts) > 1 and facts[0].kind == "tag" else facts
    tags = sum(fact.kind == "tag" for fact in body)
    if tags * 2 < len(body) and any(fact.kind == "prose" for fact in body):
        return "prose"
    return "tags"


def lead_of(name: str) -> str:
    """A line's first segment up to its first sentence's end: `ohwx` of `ohwx. A young woman ...`."""
    if "." not in name and "!" not in name and "?" not in name:
        return name
    end = sentence_boundary(name)
    return name if end is None else name[:end].strip()


@lru_cache(maxsize=64)
def _word_pattern(key: str) -> re.Pattern[str]:
    words = r"[\s_]+".join(re.escape(word) for word in key.split())
    return re.compile(rf"(?<![\w]){words}(?![\w])", re.IGNORECASE)


def trigger_in_prose(line: CaptionLine, key: str) -> int | None:
    """The position of the first segment of a prose line holding the trigger `key` as a word (any case,
    `_` or spaces between its words); None when it is nowhere."""
    pattern = _word_pattern(key)
    for tag in line.tags:
        if tag.key == key or pattern.search(tag.name) is not None:
            return tag.index
    return None
