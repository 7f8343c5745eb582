"""Tag suggestions for a partly typed tag: what completion offers, ordered to keep captions consistent.

Tags the dataset already uses come first (most used first), then the personal list, then the vocabulary
by match kind and popularity. Pure: no protocol types; the language server turns these into items.
"""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from captionls.vocab.normalize import TagStyle, styled, tag_key
from captionls.vocab.query import Resolved, Tag, Vocabulary
from captionls.vocab.search import Searcher

from .dataset import DatasetIndex

PERSONAL_LIST = "personal"
_styled = functools.lru_cache(maxsize=16_384)(styled)


@dataclass(frozen=True)
class Suggestion:
    """One tag to offer: `insert` is the text to put in the caption, `label` what the menu shows."""

    key: str
    insert: str
    label: str
    # What was matched: the alias for an alias hit, else the tag name (editors filter on it).
    matched: str
    match: str
    tag: Tag | None
    alias: str | None
    dataset_count: int
    personal: bool


class DatasetTags:
    """The dataset's tag keys, most used first, in one searchable string; and what the vocabulary says
    about each. Rebuilt when the index changes (`generation`), not on every keystroke."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int, int] = (0, -1, -1)
        self._vocabulary: tuple[int, object] = (0, None)
        self.resolved: dict[str, Resolved | None] = {}
        self.keys: list[str] = []
        self.counts: dict[str, int] = {}
        self._blob = ""
        self._starts: list[int] = []

    def refresh(
        self, index: DatasetIndex, generation: int, vocabulary: Vocabulary, vocabulary_generation: int
    ) -> None:
        if self._vocabulary != (vocabulary_generation, vocabulary):
            self._vocabulary = (vocabulary_generation, vocabulary)
            self.resolved = {}
        stamp = (id(index), index.keys_version, generation)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        keys = index.keys()
        self.counts = {key: index.count(key) for key in keys}
        self.keys = sorted(self.counts, key=lambda key: (-self.counts[key], key))
        # "\nkey1\nkey2...": a key starts after "\n", so `find("\n" + query)` is a prefix scan in C.
        self._starts = []
        position = 1
        for key in self.keys:
            self._starts.append(position)
            position += len(key) + 1
        self._blob = "\n" + "\n".join(self.keys)

    def resolve(self, vocabulary: Vocabulary, key: str) -> Resolved | None:
        if key not in self.resolved:
            self.resolved[key] = vocabulary.resolve_key(key)
        return self.resolved[key]

    def _scan(self, needle: str, offset: int, wanted: int, found: dict[int, None]) -> None:
        """Indexes (into `keys`) of the first `wanted` keys holding `needle`, `offset` characters into it."""
        blob, starts = self._blob, self._starts
        position = blob.find(needle)
        count = 0
        while position >= 0 and count < wanted:
            i = bisect.bisect_right(starts, position + offset) - 1
            if i not in found:
                found[i] = None
                count += 1
            position = blob.find(needle, starts[i] + len(self.keys[i]))

    def matching(self, key: str, wanted: int) -> list[tuple[str, str]]:
        """Dataset keys containing `key` with their match kind, most used first: keys starting with it and
        keys with a word starting with it, then (if too few) keys containing it inside a word."""
        if not key or "\n" in key:
            return []
        found: dict[int, None] = {}
        # Word starts: after the line start, or after the separators normalised keys contain.
        for boundary in "\n (-/":
            self._scan(boundary + key, 1, wanted, found)
        starts = [(self.keys[i], _kind(key, self.keys[i])) for i in sorted(found)][:wanted]
        if len(starts) >= wanted:
            return starts
        self._scan(key, 0, wanted, found)
        inside = [
            (self.keys[i], "substring") for i in sorted(found) if _kind(key, self.keys[i]) == "substring"
        ]
        return starts + inside[: wanted - len(starts)]


def _kind(key: str, candidate: str) -> str:
    if candidate == key:
        return "exact"
    if candidate.startswith(key):
        return "prefix"
    position = candidate.find(key)
    while position > 0:
        if not candidate[position - 1].isalnum():
            return "word"
        position = candidate.find(key, position + 1)
    return "substring"


def suggest(
    query: str,
    *,
    searcher: Searcher,
    index: DatasetIndex,
    dataset_tags: DatasetTags,
    generation: int,
    vocabulary_generation: int,
    personal: Collection[str],
    exclude: Collection[str],
    own_keys: Collection[str] = (),
    style: TagStyle,
    escape_parentheses: bool,
    limit: int = 50,
) -> list[Suggestion]:
    """Suggestions for `query` (the text typed so far in the tag slot; may be empty).

    `exclude` are keys not to offer (the caption's other tags); `own_keys` are the keys the caption being
    edited contributes to `index`, so a half-typed tag does not suggest itself.
    """
    vocabulary = searcher.vocabulary
    dataset_tags.refresh(index, generation, vocabulary, vocabulary_generation)
    key = tag_key(query)
    seen: set[str] = set(exclude)

    def write(name: str) -> str:
        return _styled(name, style, escape_parentheses)

    def write_as_is(name: str) -> str:
        return _styled(name, "underscores" if "_" in name else "spaces", escape_parentheses)

    # 1. The dataset's own tags, most used first; a match inside a word (`s` in `arms up`) is noise next to
    # word starts, so those come after.
    wanted = limit + len(seen) + len(own_keys)
    if key:
        matches = dataset_tags.matching(key, wanted)
    else:
        matches = [(tag, "prefix") for tag in dataset_tags.keys[:wanted]]
    counts = dataset_tags.counts
    starts: list[Suggestion] = []
    inside: list[Suggestion] = []
    for dataset_key, kind in matches:
        if len(starts) + len(inside) >= limit:
            break
        # Not what this caption itself contributes: a half-typed tag must not suggest itself.
        if dataset_key in seen or counts[dataset_key] - (dataset_key in own_keys) <= 0:
            continue
        seen.add(dataset_key)
        resolved = dataset_tags.resolve(vocabulary, dataset_key)
        display = index.display(dataset_key)
        (inside if kind == "substring" else starts).append(
            Suggestion(
                key=dataset_key,
                # A tag only this dataset has (its trigger: `bk_bini_teen`) is written as the captions do.
                insert=write(display) if resolved is not None else write_as_is(display),
                label=display,
                matched=display,
                match=kind,
                tag=resolved.tag if resolved else None,
                alias=resolved.alias if resolved else None,
                dataset_count=counts[dataset_key],
                personal=resolved is not None and resolved.tag.key in personal,
            )
        )
    if len(starts) + len(inside) >= limit:
        # A full list already (short queries): not worth a vocabulary search.
        return (starts + inside)[:limit]
    # 2 and 3. The vocabulary, the personal list lifted to the top of it. A hit the dataset uses (typing
    # `raised ar` finds the dataset's `arms up` through its alias) comes after the dataset's own matches.
    if key:
        hits = searcher.search(query, limit=limit + len(seen), boost=personal)
        hits.sort(key=lambda hit: (hit.tag.key not in personal, -hit.score, hit.tag.key))
        candidates = [(hit.tag, hit.alias, hit.matched, str(hit.match)) for hit in hits]
    else:
        tags = vocabulary.tags_by_id(_personal_ids(vocabulary, personal))
        candidates = [(tag, None, tag.name, "prefix") for tag in sorted(tags.values(), key=lambda t: t.key)]
    used_hits: list[Suggestion] = []
    rest: list[Suggestion] = []
    for tag, alias, matched, kind in candidates:
        if len(starts) + len(inside) + len(used_hits) + len(rest) >= limit:
            break
        if tag.key in seen or (alias is not None and tag_key(alias) in seen):
            continue
        seen.add(tag.key)
        used = counts.get(tag.key, 0)
        name = index.display(tag.key) if used else tag.name
        suggestion = Suggestion(
            key=tag.key,
            insert=write(name),
            label=f"{alias} → {name}" if alias is not None else name,
            matched=matched,
            match=kind,
            tag=tag,
            alias=alias,
            dataset_count=used,
            personal=tag.key in personal,
        )
        (used_hits if used - (tag.key in own_keys) > 0 else rest).append(suggestion)
    used_hits.sort(key=lambda suggestion: -suggestion.dataset_count)  # stable: equal counts keep their order
    return (starts + used_hits + inside + rest)[:limit]


def _personal_ids(vocabulary: Vocabulary, personal: Collection[str]) -> list[int]:
    ids = []
    for key in personal:
        resolved = vocabulary.resolve_key(key)
        if resolved is not None:
            ids.append(resolved.tag.id)
    return ids


# A typo of a tag this short is as likely another word: `v`, `ok`.
TYPO_SHORTEST = 5
# Edits tolerated in a typo (a swap of two letters is one): one in short tags, two from this length on.
TYPO_LONG = 9
TYPO_POOL = 30
_TYPO_CATEGORIES = frozenset({"general", "meta"})
_REORDER_UP_TO_WORDS = 4


def looks_like_name(name: str) -> bool:
    """`Hatsune Miku`, `saber (fate)`: a character or series, where names are the right suggestions."""
    words = name.replace("_", " ").split()
    return "(" in name or (len(words) >= 2 and all(word[:1].isupper() for word in words))


def typo_matches(
    key: str,
    name: str,
    *,
    resolve: Callable[[str], Resolved | None],
    search: Callable[[str, int], list[Tag]],
    limit: int = 3,
) -> list[Tag]:
    """The vocabulary tags `key` is a typo of: one or two edits away (a swap counts as one), the same
    words in another order, or a space left out (`longhair`); closest first, then most used.

    Character and copyright tags only when `name` looks like a name; nothing for a short key.
    """
    if len(key.replace(" ", "")) < TYPO_SHORTEST:
        return []
    names_too = looks_like_name(name)
    allowed = 2 if len(key) >= TYPO_LONG else 1
    found: dict[str, tuple[int, Tag]] = {}

    def consider(tag: Tag, distance: int) -> None:
        if tag.key == key or not (names_too or tag.category in _TYPO_CATEGORIES):
            return
        if tag.key not in found or found[tag.key][0] > distance:
            found[tag.key] = (distance, tag)

    words = key.split()
    if 1 < len(words) <= _REORDER_UP_TO_WORDS:
        for order in itertools.permutations(words):
            resolved = resolve(" ".join(order))
            if resolved is not None:
                consider(resolved.tag, 1)
    # A left-out space (`longhair`) and a letter too many (`golds`): a prefix search finds neither.
    for split in range(1, len(key)):
        if key[split - 1] != " " and key[split] != " ":
            resolved = resolve(f"{key[:split]} {key[split:]}")
            if resolved is not None:
                consider(resolved.tag, 1)
    for cut in range(len(key)):
        if key[cut] != " ":
            resolved = resolve(key[:cut] + key[cut + 1 :])
            if resolved is not None and _same_digits(key, resolved.tag.key):
                consider(resolved.tag, 1)
    for tag in search(key, TYPO_POOL):
        distance = OSA.distance(key, tag.key, score_cutoff=allowed)
        if distance <= allowed and _same_digits(key, tag.key):
            consider(tag, distance)
    ranked = sorted(found.values(), key=lambda item: (item[0], -item[1].post_count, item[1].key))
    return [tag for _, tag in ranked[:limit]]


def _same_digits(a: str, b: str) -> bool:
    """`1girl` is no typo of `2girls`: a count is meant as written."""
    return [c for c in a if c.isdigit()] == [c for c in b if c.isdigit()]
