"""Which segments are tags: the one place the tag rules ask, until captions carry a kind of their own.

A caption line is a tag list (`1girl, solo, long hair`), possibly with the guide's descriptive phrases
(`pale pink dress with dark edges`), or prose (BLIP's `a woman with long hair sitting on a couch`, a
model's paragraphs). Tag rules look at tags only: never at a phrase, never at anything on a prose
line. Every rule asks through `tag_lines`, `caption_tags` and `is_tag_like`, so a finer
classification can replace this module's predicates in one place.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..parse import Caption, CaptionLine, TagSpan

# Words booru tags do not use but sentences and descriptive phrases do.
_PHRASE_WORDS = frozenset(
    {
        *("a", "an", "the", "is", "are", "was", "were", "be", "being", "has", "have", "with", "and"),
        *("as", "through", "she", "he", "they", "her", "his", "their", "its", "it", "this", "that"),
        *("these", "those", "there", "which", "who", "while", "appears", "shows", "wearing"),
    }
)
# A sentence starts with one of these and goes on (`a woman with ...`, `there is ...`, `the image ...`).
_SENTENCE_STARTS = frozenset({"a", "an", "the", "there", "this", "it", "she", "he", "they", "in", "on"})
_SENTENCE_VERBS = frozenset({"is", "are", "was", "were", "has", "have", "shows", "depicts", "features"})
_SENTENCE_END = re.compile(r"\w[.!?](?:\s|$)")
TAG_WORDS_AT_MOST = 4
SENTENCE_WORDS_AT_LEAST = 10
_WORD = re.compile(r"[^\s]+")


def _words(name: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(name.replace("_", " "))]


@lru_cache(maxsize=65_536)
def sentence_weight(name: str) -> int:
    """2: surely a sentence (it ends one, or has a verb: `she is sitting`); 1: reads like one (long, or
    starts like one: `a woman with long hair`) yet the guide writes such phrases too; 0: a tag or phrase."""
    words = _words(name)
    if (_SENTENCE_END.search(name) and len(words) >= 3) or any(word in _SENTENCE_VERBS for word in words):
        return 2
    if len(words) >= SENTENCE_WORDS_AT_LEAST or (len(words) >= 4 and words[0] in _SENTENCE_STARTS):
        return 1
    return 0


@lru_cache(maxsize=65_536)
def is_tag_like(name: str) -> bool:
    """A booru-style tag: a few words, none of them the articles and pronouns of phrases and prose."""
    words = _words(name)
    if not words or len(words) > TAG_WORDS_AT_MOST or _SENTENCE_END.search(name):
        return False
    return not any(word in _PHRASE_WORDS for word in words)


def is_prose_line(line: CaptionLine) -> bool:
    """A line of sentences (BLIP, a vision-language model), not a tag list: one sure sentence, or at least
    half of its segments reading like sentences (one descriptive phrase does not make a tag list prose)."""
    weights = [sentence_weight(tag.name) for tag in line.tags]
    return 2 in weights or (bool(weights) and sum(map(bool, weights)) * 2 >= len(weights))


# Every rule asks about the caption being checked: the answer for the last caption is kept.
_last: tuple[Caption | None, list[CaptionLine], list[TagSpan]] = (None, [], [])


def _classified(caption: Caption) -> tuple[list[CaptionLine], list[TagSpan]]:
    global _last
    last = _last  # one read: another thread may check another caption meanwhile
    if last[0] is not caption:
        lines = [line for line in caption.lines if not is_prose_line(line)]
        tags = [tag for line in lines for tag in line.tags if is_tag_like(tag.name)]
        last = _last = (caption, lines, tags)
    return last[1], last[2]


def tag_lines(caption: Caption) -> list[CaptionLine]:
    """The caption's tag-list lines (not prose)."""
    return _classified(caption)[0]


def caption_tags(caption: Caption) -> list[TagSpan]:
    """Every tag of the caption in document order, phrases and prose left out."""
    return _classified(caption)[1]
