"""Tag suggestions for a partly typed tag: what completion offers, ordered to keep captions consistent.

Tags the dataset already uses come first (most used first), then the personal list, then the vocabulary
by match kind and popularity. Each concept is offered once, as the phrasing the rules ask for: an alias
the dataset uses shows as `raised arms → arms up` and puts in the canonical tag (or, with
`non-canonical-tag` off, the dataset's majority phrasing), counting every phrasing's captions; a dataset
tag the rules flag (a typo, a rarer spelling) comes right after the tag it should be. Labels are written
as they go in, in the dataset's tag style. Pure: no protocol types; the language server turns these into
items.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import heapq
import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.distance import OSA

from captionls.vocab.normalize import styled, tag_key
from captionls.vocab.query import Resolved, Tag, Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.verbatim import verbatim_name

from .dataset import DatasetIndex
from .rules import inconsistent_tag, tag_like

if TYPE_CHECKING:
    from .checker import CheckContext

PERSONAL_LIST = "personal"
_styled = functools.lru_cache(maxsize=16_384)(styled)
# Vocabulary matches of the typed text itself (the rest are inside a word or typo guesses).
_TYPED_MATCHES = frozenset({"exact", "prefix", "word"})


@dataclass(frozen=True)
class Suggestion:
    """One concept to offer: `insert` is the text to put in the caption; `written` is what matched when
    something else goes in (an alias: the menu shows `written → insert`)."""

    key: str
    insert: str
    written: str | None
    tag: Tag | None
    # Captions using the concept, in any of its phrasings.
    dataset_count: int
    personal: bool
    # A dataset tag the rules flag: the phrasing they ask for instead (offered just above this one).
    instead: str | None = None

    @property
    def label(self) -> str:
        return self.insert if self.written is None else f"{self.written} → {self.insert}"


# A word of a key starts at its start or after one of these (what normalised keys hold between words).
_WORD_SEPARATORS = frozenset(" (-/")


class DatasetTags:
    """The dataset's tag keys, most used first, in one searchable string and as their word starts in
    sorted order. Rebuilt when the index changes (`generation`), not on every keystroke; what the rules say
    about each key is remembered as long."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int, int, int, object] = (0, -1, -1, -1, None)
        self.keys: list[str] = []
        self.counts: dict[str, int] = {}
        # Key -> the key of the concept the rules ask for instead (None: they leave it alone).
        self.flagged: dict[str, str | None] = {}
        # Key -> the dataset's most used phrasing of it (`DatasetIndex.display`), for the index and its
        # version in `_displays_of`: any change to the index changes its version.
        self._displays: dict[str, str] = {}
        self._displays_of: tuple[DatasetIndex, int] | None = None
        self._blob = ""
        self._starts: list[int] = []
        # Each key from each of its word starts on, sorted, and that key: the keys with a word starting
        # with a text are one range of it. Made on the first look-up, again only when the set of keys
        # changed (the order of `keys` changes with any count); `_rank` is each key's index in `keys`.
        self._words: list[str] = []
        self._word_keys: list[str] = []
        self._words_of: frozenset[str] | None = None
        self._rank: dict[str, int] = {}

    def refresh(
        self, index: DatasetIndex, generation: int, vocabulary: Vocabulary, vocabulary_generation: int
    ) -> None:
        if self._displays_of != (index, index.version):
            self._displays = {}
            self._displays_of = (index, index.version)
        stamp = (id(index), index.keys_version, generation, vocabulary_generation, vocabulary)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        self.flagged = {}
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
        self._rank = {key: i for i, key in enumerate(self.keys)}
        if self._words_of is not None and self._words_of != self._rank.keys():
            self._words_of = None

    def display(self, key: str) -> str:
        """`DatasetIndex.display` of the index `refresh` last saw, remembered until the index changes."""
        name = self._displays.get(key)
        if name is None:
            assert self._displays_of is not None, "refresh first"
            name = self._displays[key] = self._displays_of[0].display(key)
        return name

    def _scan(self, needle: str, wanted: int, found: dict[int, None]) -> None:
        """Indexes (into `keys`) of the first `wanted` keys holding `needle`, added to `found`."""
        blob, starts = self._blob, self._starts
        position = blob.find(needle)
        count = 0
        while position >= 0 and count < wanted:
            i = bisect.bisect_right(starts, position) - 1
            if i not in found:
                found[i] = None
                count += 1
            position = blob.find(needle, starts[i] + len(self.keys[i]))

    def _word_starts(self) -> tuple[list[str], list[str]]:
        if self._words_of is None:
            words, owners = list(self.keys), list(self.keys)
            for key in self.keys:
                if not _WORD_SEPARATORS.isdisjoint(key):
                    for at, char in enumerate(key):
                        if char in _WORD_SEPARATORS:
                            words.append(key[at + 1 :])
                            owners.append(key)
            # Sorted by the words alone (comparing (word, key) pairs took five times as long).
            order = sorted(range(len(words)), key=words.__getitem__)
            self._words = [words[at] for at in order]
            self._word_keys = [owners[at] for at in order]
            self._words_of = frozenset(self.keys)
        return self._words, self._word_keys

    def _with_word_starting(self, key: str) -> set[int]:
        """Indexes (into `keys`) of the keys starting with `key` or with a word starting with it."""
        words, word_keys = self._word_starts()
        rank = self._rank
        found = set()
        at = bisect.bisect_left(words, key)
        while at < len(words) and words[at].startswith(key):
            found.add(rank[word_keys[at]])
            at += 1
        return found

    def matching(self, key: str, wanted: int) -> list[tuple[str, str]]:
        """Dataset keys containing `key` with their match kind, most used first: keys starting with it and
        keys with a word starting with it, then (if too few) keys containing it inside a word."""
        if not key or "\n" in key:
            return []
        word_starts = self._with_word_starting(key)
        first = heapq.nsmallest(wanted, word_starts) if len(word_starts) > wanted else sorted(word_starts)
        starts = [(self.keys[i], _kind(key, self.keys[i])) for i in first]
        if len(starts) >= wanted:
            return starts
        found = dict.fromkeys(word_starts)
        self._scan(key, wanted, found)
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


def _flagged_for(ctx: CheckContext, key: str, name: str, count: int) -> str | None:
    """The key of the tag the rules ask for instead of the dataset's unknown tag `key` (written `name`,
    in `count` captions): a more used spelling (`inconsistent-tag`), else the vocabulary tag it is a typo
    of where no other caption writes it (`unknown-tag`); None when they leave it alone."""
    # Tag rules leave triggers and phrases alone, and `inconsistent-tag` a verbatim tag (`score_9`).
    if key in ctx.trigger_keys() or not tag_like.is_tag_like(name):
        return None
    for rule, _severity, options in ctx.rules:
        if rule.name == "inconsistent-tag" and isinstance(options, inconsistent_tag.Options):
            near = inconsistent_tag.more_used_spelling(ctx, key, options.rare)
            if near is not None and verbatim_name(name) != name:
                return ctx.concept(near)
    if count == 1 and ctx.enabled("unknown-tag"):
        matches = ctx.typo_matches(key, name, 1)
        if matches:
            return matches[0].key
    return None


def suggest(
    query: str,
    *,
    ctx: CheckContext,
    searcher: Searcher,
    dataset_tags: DatasetTags,
    generation: int,
    vocabulary_generation: int,
    personal: Collection[str],
    exclude: Collection[str],
    own_keys: Collection[str] = (),
    limit: int = 50,
) -> list[Suggestion]:
    """Suggestions for `query` (the text typed so far in the tag slot; may be empty).

    `exclude` are keys not to offer (the caption's other tags); `own_keys` are the keys the caption being
    edited contributes to the index, so a half-typed tag does not suggest itself.
    """
    vocabulary = searcher.vocabulary
    index = ctx.index
    dataset_tags.refresh(index, generation, vocabulary, vocabulary_generation)
    counts = dataset_tags.counts
    display = dataset_tags.display
    style, escape_parentheses = ctx.tag_style, ctx.config.escape_parentheses
    # The alias is the phrasing to avoid while `non-canonical-tag` is on; otherwise the dataset's own.
    canonical_first = ctx.enabled("non-canonical-tag")
    key = tag_key(query)
    seen: set[str] = set(exclude)
    seen.update(ctx.concept(excluded) for excluded in exclude)

    def write(name: str) -> str:
        return _styled(name, style, escape_parentheses)

    def write_as_is(name: str) -> str:
        return _styled(name, "underscores" if "_" in name else "spaces", escape_parentheses)

    def used(dataset_key: str) -> int:
        """Captions other than the one being edited that use `dataset_key`."""
        return counts.get(dataset_key, 0) - (dataset_key in own_keys)

    def offer(tag: Tag, matched: str) -> Suggestion:
        """The concept `tag` as the dataset should write it; `matched` is the phrasing that was found."""
        phrasings = [k for k in ctx.concept_keys(tag.key) if used(k) > 0]
        if not phrasings:
            insert = write(tag.name)
        elif canonical_first:
            insert = write(display(tag.key)) if tag.key in phrasings else write(tag.name)
        else:
            # The majority phrasing; on a tie the canonical tag, then the first key.
            best = min(phrasings, key=lambda k: (-counts[k], k != tag.key, k))
            insert = write(display(best))
        return Suggestion(
            key=tag.key,
            insert=insert,
            written=None if matched == insert or tag_key(matched) == tag_key(insert) else matched,
            tag=tag,
            dataset_count=sum(counts.get(k, 0) for k in phrasings) if phrasings else 0,
            personal=tag.key in personal,
        )

    def unknown(dataset_key: str) -> Suggestion:
        """A dataset tag the vocabulary does not know, written as the captions do (a trigger:
        `bk_bini_teen`)."""
        return Suggestion(
            key=dataset_key,
            insert=write_as_is(display(dataset_key)),
            written=None,
            tag=None,
            dataset_count=counts.get(dataset_key, 0),
            personal=False,
        )

    starts: list[Suggestion] = []
    inside: list[Suggestion] = []
    used_hits: list[Suggestion] = []
    rest: list[Suggestion] = []
    by_key: dict[str, Suggestion] = {}
    # Flagged dataset tags, by the key of the concept they should be: each is offered right after it.
    followers: dict[str, list[Suggestion]] = {}
    total = 0

    def add(bucket: list[Suggestion], suggestion: Suggestion) -> None:
        nonlocal total
        seen.add(suggestion.key)
        by_key[suggestion.key] = suggestion
        bucket.append(suggestion)
        total += 1

    # 1. The dataset's own tags, most used first; a match inside a word (`s` in `arms up`) is noise next to
    # word starts, so those come after.
    wanted = limit + len(seen) + len(own_keys)
    if key:
        matches = dataset_tags.matching(key, wanted)
    else:
        matches = [(tag, "prefix") for tag in dataset_tags.keys[:wanted]]
    for dataset_key, kind in matches:
        if total >= limit:
            break
        # Not what this caption itself contributes: a half-typed tag must not suggest itself.
        if dataset_key in seen or used(dataset_key) <= 0:
            continue
        bucket = inside if kind == "substring" else starts
        resolved = ctx.resolve(dataset_key)
        if resolved is not None:
            # Once per concept: an alias the dataset uses stands for its canonical tag.
            if resolved.tag.key not in seen:
                add(bucket, offer(resolved.tag, display(dataset_key)))
            seen.add(dataset_key)
            continue
        seen.add(dataset_key)
        if dataset_key not in dataset_tags.flagged:
            dataset_tags.flagged[dataset_key] = _flagged_for(
                ctx, dataset_key, display(dataset_key), counts[dataset_key]
            )
        instead = dataset_tags.flagged[dataset_key]
        if instead is None:
            add(bucket, unknown(dataset_key))
            continue
        if instead not in by_key:
            if instead in seen:
                continue  # the caption has the right tag already
            right = ctx.resolve(instead)
            add(bucket, offer(right.tag, right.tag.name) if right else unknown(instead))
        suggestion = dataclasses.replace(unknown(dataset_key), instead=by_key[instead].insert)
        followers.setdefault(instead, []).append(suggestion)
        total += 1

    # 2 and 3. The vocabulary, the personal list lifted to the top of it. A hit the dataset uses (typing
    # `raised ar` finds the dataset's `arms up` through its alias) comes after the dataset's own matches.
    if total < limit:
        if key:
            hits = searcher.search(query, limit=limit + len(seen), boost=personal)
            hits.sort(key=lambda hit: (hit.tag.key not in personal, -hit.score, hit.tag.key))
            candidates = [(hit.tag, hit.alias, str(hit.match)) for hit in hits]
        else:
            tags = vocabulary.tags_by_id(_personal_ids(vocabulary, personal))
            candidates = [(tag, None, "prefix") for tag in sorted(tags.values(), key=lambda t: t.key)]
        for tag, alias, kind in candidates:
            if total >= limit:
                break
            if tag.key in seen or (alias is not None and tag_key(alias) in seen):
                continue
            suggestion = offer(tag, write(alias if alias is not None else tag.name))
            # Lifted only on a match of what was typed: a typo guess (`contracted` for the dataset's `eye
            # contact`) keeps its rank.
            lifted = suggestion.dataset_count and kind in _TYPED_MATCHES
            add(used_hits if lifted else rest, suggestion)
    used_hits.sort(key=lambda suggestion: -suggestion.dataset_count)  # stable: equal counts keep their order
    ordered: list[Suggestion] = []
    for suggestion in starts + used_hits + inside + rest:
        ordered.append(suggestion)
        ordered += followers.get(suggestion.key, [])
    return ordered[:limit]


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
    resolve_all: Callable[[list[str]], list[Resolved | None]],
    search: Callable[[str, int], list[Tag]],
    limit: int = 3,
) -> list[Tag]:
    """The vocabulary tags `key` is a typo of: one or two edits away (a swap counts as one), the same
    words in another order, or a space left out (`longhair`); closest first, then most used.

    Character and copyright tags only when `name` looks like a name; nothing for a short key.
    `resolve_all` answers `Vocabulary.resolve_key` for each of a list of keys (asked once, for all the
    spellings tried here).
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

    # Spellings one edit away that a prefix search misses, with whether its digits must be the key's:
    # the words in another order, a left-out space (`longhair`) and a letter too many (`golds`).
    spellings: list[tuple[str, bool]] = []
    words = key.split()
    if 1 < len(words) <= _REORDER_UP_TO_WORDS:
        spellings += [(" ".join(order), False) for order in itertools.permutations(words)]
    for split in range(1, len(key)):
        if key[split - 1] != " " and key[split] != " ":
            spellings.append((f"{key[:split]} {key[split:]}", False))
    for cut in range(len(key)):
        if key[cut] != " ":
            spellings.append((key[:cut] + key[cut + 1 :], True))
    resolved_spellings = resolve_all([spelling for spelling, _ in spellings])
    for (_, digits), resolved in zip(spellings, resolved_spellings, strict=True):
        if resolved is not None and (not digits or _same_digits(key, resolved.tag.key)):
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
