"""Ranked tag search: candidates off SQLite indexes, then scoring by match kind and popularity.

Never a scan of every tag: exact and prefix candidates come from `terms` by index, short queries from
`prefix_top`, typo candidates from the most popular terms sharing each query word's start, and
rapidfuzz only scores that small set. The score adds a bonus per match kind to the log of the post count,
so a common completion beats a rare exact match (`contra` -> `contrapposto` before `contra`).
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from .normalize import MAX_TAG_LENGTH, tag_key
from .query import Tag, Vocabulary
from .terms import HEAD_LENGTH

MatchKind = Literal["exact", "prefix", "word", "substring", "fuzzy"]

_KIND_BONUS: dict[str, float] = {
    "exact": 3.0,
    "prefix": 2.0,
    "word": 1.6,
    "substring": 1.0,
    "fuzzy": 0.0,
}
_POPULARITY_WEIGHT = 0.5
# Another name than the tag's own (an alias, a translation) ranks a little below it.
_ALIAS_PENALTY = 0.6
_BOOST = 4.0
_CANDIDATES = 96
_FUZZY_CUTOFF = 75.0
_FUZZY_BASE = -1.5
_FUZZY_WHEN_FEWER = 5
_SCAN_WITHIN = 5000
# A prefix range up to this many terms is sorted by popularity; a bigger one walks its head instead.
_SORT_AT_MOST = 1000
# Before sorting a range of this many terms or more, its most popular are looked for among at most
# `_HEAD_ENTRIES_PER_TERM` head index entries per term of the range (see `_walked_head`); past that the
# sort is cheaper. A smaller range is sorted at once: its sort is cheap, and the walk would likely fail, as
# it passes about 96 x head / range**2 entries per term of the range (most ranges of 100 to 300 terms of
# bench_lsp's typing on 2M tags needed 10 to 140).
_WALK_FROM = 300
_HEAD_ENTRIES_PER_TERM = 8
# Substring and typo matching cost memory and time per query character (the trigram index: about
# 14 KB a character), so a longer query (a pasted paragraph, a runaway caption) is matched only as
# typed, exact or prefix, off the term index. No tag is longer than MAX_TAG_LENGTH: a longer query
# finds nothing at all.
MAX_QUERY_LENGTH = 200
# Tags kept by id between searches (about 200 bytes each): the popular ones come up keystroke after
# keystroke. Past this many the ones kept longest are forgotten.
_TAG_CACHE = 20_000
# Candidate lists of recent index look-ups (a prefix's most popular terms, a key's substring matches), kept
# until the vocabulary changes. While a tag is typed the same look-ups come again: the editor's completion
# and `unknown-tag`'s typo search of the half-typed tag ask for the same key, and each keystroke's typo pool
# asks again for the shorter prefixes the keystroke before asked for. Past this many the oldest is forgotten
# as a new one comes: starting over instead freed all 512 lists (about 50,000 candidates) at once, 3 ms of
# one keystroke.
_LOOKUP_CACHE = 512


@dataclass(frozen=True)
class Hit:
    """One search result: the canonical tag, what matched (its name, an alias or a translation) and how.

    `alias` is the other name that matched, as written: an alias, or with `lang` a translation (`长发`
    in zh-CN for `long hair`); editors show it beside the tag the way they show an alias.
    """

    tag: Tag
    matched: str
    match: MatchKind
    score: float
    alias: str | None = None
    lang: str | None = None


@dataclass
class _Candidate:
    tag_id: int
    term: str
    alias: str | None
    word: bool
    pop: int
    lang: str | None


def _upper(prefix: str) -> str:
    return prefix + "\U0010ffff"


class Searcher:
    """Search over one vocabulary; cheap to keep for the life of a server."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.conn = vocabulary.conn
        self._tag_cache: OrderedDict[int, Tag] = OrderedDict()
        self._lookups: OrderedDict[tuple[str, str, int], list[_Candidate]] = OrderedDict()
        self._cache_version: tuple[int, int] | None = None

    def _follow_changes(self) -> None:
        """Forget the tags and look-ups remembered so far when the vocabulary changed (any write, from any
        connection, changes its data version)."""
        version = self.vocabulary.store.data_version()
        if version != self._cache_version:
            self._cache_version = version
            self._tag_cache = OrderedDict()
            self._lookups = OrderedDict()

    def _tags(self, ids: Collection[int]) -> dict[int, Tag]:
        """`Vocabulary.tags_by_id`, remembered until the vocabulary changes (`_follow_changes`)."""
        cache = self._tag_cache
        # Before the look-up: a tag of `ids` forgotten here is read again with the missing ones.
        while len(cache) > _TAG_CACHE:
            cache.popitem(last=False)
        missing = [tag_id for tag_id in ids if tag_id not in cache]
        if missing:
            cache.update(self.vocabulary.tags_by_id(missing))
        return cache

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[_Candidate]:
        return [
            _Candidate(int(tag_id), term, alias, bool(word), int(pop), lang)
            for tag_id, term, alias, word, pop, lang in self.conn.execute(sql, params)
        ]

    def _remembered(
        self,
        lookup: tuple[str, str, int],
        rows: Callable[[], list[_Candidate]],
        narrowed: Callable[[list[_Candidate]], list[_Candidate]] | None = None,
    ) -> list[_Candidate]:
        """`rows()`, or what it gave for the same `lookup` since the vocabulary last changed.

        `narrowed` works the rows out from the same look-up of the key one character shorter (the
        keystroke before), when that one was complete (fewer rows than its limit): every row of the
        longer key is among them, in the same order."""
        found = self._lookups.get(lookup)
        if found is None:
            kind, key, limit = lookup
            shorter = self._lookups.get((kind, key[:-1], limit)) if narrowed is not None else None
            if len(self._lookups) >= _LOOKUP_CACHE:
                self._lookups.popitem(last=False)
            if narrowed is not None and shorter is not None and len(shorter) < limit:
                found = narrowed(shorter)
            else:
                found = rows()
            self._lookups[lookup] = found
        return found

    def _prefixed(self, prefix: str, limit: int) -> list[_Candidate]:
        """The most popular terms starting with `prefix`, at most `limit` of them."""
        upper = _upper(prefix)
        # Narrowed only from a range the term index sorted (longer than a head): a head's terms come in
        # the (head, pop DESC) index's order, which orders equally popular terms otherwise.
        narrowed = (
            (lambda shorter: [c for c in shorter if prefix <= c.term < upper])
            if len(prefix) > HEAD_LENGTH + 1
            else None
        )
        return self._remembered(
            ("prefix", prefix, limit), lambda: self._prefixed_rows(prefix, limit), narrowed
        )

    def _prefixed_rows(self, prefix: str, limit: int) -> list[_Candidate]:
        columns = "tag_id, term, alias, word, pop, lang"
        if len(prefix) < HEAD_LENGTH:
            return self._rows(
                f"SELECT {columns} FROM prefix_top WHERE prefix = ? ORDER BY pop DESC LIMIT ?",
                (prefix, limit),
            )
        if len(prefix) == HEAD_LENGTH:
            # The (head, pop DESC) index lists exactly these terms, most popular first.
            return self._rows(
                f"SELECT {columns} FROM terms WHERE head = ? ORDER BY pop DESC LIMIT ?", (prefix, limit)
            )
        upper = _upper(prefix)
        # Most longer prefixes match few terms: take their range off the term index and let SQLite
        # keep the most popular. Walking the head's popularity order instead would pass thousands
        # of same-head terms before `limit` match (`shirt` among the `shi...` terms). A prefix with
        # a big range (`hatsu` in a 2M vocabulary) is the opposite case: its terms are a large part
        # of its head, so the walk finds them fast while sorting the range would not be.
        (big,) = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM terms INDEXED BY terms_term"
            " WHERE term >= ? AND term < ? LIMIT ?)",
            (prefix, upper, _SORT_AT_MOST),
        ).fetchone()
        if big < _SORT_AT_MOST:
            walked = (
                self._walked_head(prefix, limit, big * _HEAD_ENTRIES_PER_TERM) if big >= _WALK_FROM else None
            )
            if walked is not None:
                return walked
            return self._rows(
                f"SELECT {columns} FROM terms INDEXED BY terms_term WHERE term >= ? AND term < ?"
                " ORDER BY pop DESC LIMIT ?",
                (prefix, upper, limit),
            )
        return self._rows(
            f"SELECT {columns} FROM terms INDEXED BY terms_head_pop WHERE head = ? AND term >= ? AND term < ?"
            " ORDER BY pop DESC LIMIT ?",
            (prefix[:HEAD_LENGTH], prefix, upper, limit),
        )

    def _walked_head(self, prefix: str, limit: int, budget: int) -> list[_Candidate] | None:
        """What sorting the range of `prefix` by popularity gives (`_prefixed_rows`: SQLite's sort leaves
        equally popular terms in the term index's order, by term then rowid), found without reading a
        table row per term of the range: the head's (head, pop DESC) index entries are walked, most
        popular first, keeping those whose rowid is in the range (both indexes cover what is asked), and
        only the rows kept are read. None when `budget` entries held fewer than `limit` in the range, or
        ended among terms as popular as the last one kept (ties at the cut not all seen): sort then.

        A sort reads a table row per term of the range (about 1.5 us each: 1.4 ms for `clot`'s 922
        terms in a 2M vocabulary), the walk an index entry per term of the head it passes (about 0.08 us
        each, and popular terms of the prefix come early). Where the file's pages have left the system's
        cache (a host that pages out idle file pages, as bench_lsp's does after about a minute), each of
        the sort's rows is a page read from the disk, while the walk reads its index pages in order and
        then 96 rows."""
        kept = self.conn.execute(
            # The walk is a co-routine: its rows come out in the index's order, and stop being read when
            # the loop below stops.
            "SELECT rowid, pop FROM (SELECT rowid, pop FROM terms INDEXED BY terms_head_pop"
            " WHERE head = ?1 ORDER BY pop DESC LIMIT ?4)"
            " WHERE rowid IN (SELECT rowid FROM terms INDEXED BY terms_term WHERE term >= ?2 AND term < ?3)",
            (prefix[:HEAD_LENGTH], prefix, _upper(prefix), budget),
        )
        rowids: list[int] = []
        cut: int | None = None
        for rowid, pop in kept:
            if cut is not None and pop < cut:
                break
            rowids.append(rowid)
            if len(rowids) == limit:
                cut = pop
        else:
            return None
        rows = self.conn.execute(
            "SELECT rowid, tag_id, term, alias, word, pop, lang FROM terms"
            " WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(rowids),),
        ).fetchall()
        rows.sort(key=lambda row: (-row[5], row[2], row[0]))
        return [
            _Candidate(int(tag_id), term, alias, bool(word), int(pop), lang)
            for _, tag_id, term, alias, word, pop, lang in rows[:limit]
        ]

    def _containing(self, key: str) -> list[_Candidate]:
        """Whole terms containing `key` anywhere, off the trigram index (keys of 3+ characters)."""
        # GLOB, not LIKE: the trigram index serves GLOB, and it serves no LIKE with an ESCAPE clause.
        # A key with a GLOB metacharacter would need a bracket expression (`[[]`), and SQLite 3.40's
        # trigram GLOB crashes the process on some of those (`*🎨b[[]1girl*` with detail='none'):
        # such keys get no substring candidates (prefix and typo candidates still find them).
        if any(c in "*?[" for c in key):
            return []
        return self._remembered(
            ("substring", key, _CANDIDATES),
            lambda: self._rows(
                "SELECT terms.tag_id, terms.term, terms.alias, terms.word, terms.pop, terms.lang"
                " FROM term_grams JOIN terms ON terms.rowid = term_grams.rowid"
                " WHERE term_grams.term GLOB ? LIMIT ?",
                (f"*{key}*", _CANDIDATES),
            ),
            # The index lists matches in rowid order, so the shorter key's complete list, filtered, is it.
            lambda shorter: [c for c in shorter if key in c.term],
        )

    def _fuzzy_pool(self, key: str) -> list[_Candidate]:
        """Typo candidates: terms sharing the longest start with the query that any terms share
        (a typo is most often late in a word: `contrapost` -> `contrap`), plus the most popular
        terms sharing its first two letters and each later word's start."""
        pool: list[_Candidate] = []
        for length in range(len(key) - 1, HEAD_LENGTH - 1, -1):
            pool = list(self._prefixed(key[:length], 32))  # a copy: the look-up's list is remembered
            if pool:
                break
        words = key.split()
        starts = {key[:2]} | {word[:HEAD_LENGTH] for word in words[1:] if len(word) >= HEAD_LENGTH}
        for start in starts:
            pool.extend(self._prefixed(start, 64))
        return pool

    def search(
        self,
        query: str,
        limit: int = 20,
        *,
        boost: Collection[str] = (),
        within: Collection[int] | None = None,
        category: str | None = None,
    ) -> list[Hit]:
        """Ranked hits for `query`.

        `boost` holds tag keys to lift (the dataset's own tags, the personal list); `within`
        restricts the hits to a set of tag ids (a group, a list).
        """
        if len(query) > 2 * MAX_TAG_LENGTH:
            return []  # not even normalised: weights, escapes and spacing never double a name
        key = tag_key(query)
        if not key or len(key) > MAX_TAG_LENGTH:
            return []
        as_typed = len(key) > MAX_QUERY_LENGTH
        self._follow_changes()
        if within is not None and len(within) <= _SCAN_WITHIN:
            # A group or a small list: score every term of its members, typos included.
            members = self._rows(
                "SELECT tag_id, term, alias, word, pop, lang FROM terms"
                " WHERE tag_id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(within)),),
            )
            scored = self._score(key, members, fuzzy=not as_typed)
        else:
            # A big list (a whole personal vocabulary) is searched like everything, then filtered.
            keep = None if within is None else set(within)

            def kept(candidates: list[_Candidate]) -> list[_Candidate]:
                return candidates if keep is None else [c for c in candidates if c.tag_id in keep]

            scored = self._score(key, kept(self._prefixed(key, _CANDIDATES)))
            if as_typed:
                return self._ranked(scored, boost, category, limit)
            # Mid-word matches: a multi-word query that starts mid-word is not worth the trigram
            # index's time (its word starts are already terms: `hair orn` finds `hair ornament`).
            if len(scored) < limit and len(key) >= 3 and " " not in key:
                inside = self._score(key, kept(self._containing(key)))
                scored.update((i, best) for i, best in inside.items() if i not in scored)
            # Typo guesses only when the query found (almost) nothing as typed: they are the
            # slowest part of a search and rank below every real match anyway.
            if len(scored) < min(limit, _FUZZY_WHEN_FEWER):
                fuzzy = self._score(key, kept(self._fuzzy_pool(key)), fuzzy=True)
                scored.update((i, best) for i, best in fuzzy.items() if i not in scored)
        return self._ranked(scored, boost, category, limit)

    def _ranked(
        self,
        scored: dict[int, tuple[float, MatchKind, _Candidate]],
        boost: Collection[str],
        category: str | None,
        limit: int,
    ) -> list[Hit]:
        # Without a boost or a category the scores are final: only the tags scoring at least the limit-th
        # best can be among the hits (ties there are ordered by key), so only those are read (a
        # 3-character key on 2M tags: about 60 of 130).
        contenders = _contenders(scored, limit) if not boost and category is None else scored
        hits = self._hits(contenders, boost, category)
        if len(hits) < len(contenders) < len(scored):
            hits = self._hits(scored, boost, category)  # a contender's tag is gone: another takes its place
        hits.sort(key=lambda hit: (-hit.score, hit.tag.key))
        return hits[:limit]

    def _score(
        self,
        key: str,
        candidates: Iterable[_Candidate],
        *,
        fuzzy: bool = False,
    ) -> dict[int, tuple[float, MatchKind, _Candidate]]:
        best: dict[int, tuple[float, MatchKind, _Candidate]] = {}
        pool = list(candidates)
        ratios = _typo_ratios(key, {c.term for c in pool}) if fuzzy and len(key) >= 3 else {}
        for candidate in pool:
            kind = _match_kind(key, candidate)
            bonus: float
            if kind is None:
                if candidate.term not in ratios:
                    continue
                kind = "fuzzy"
                # Below every real match of the same popularity: a typo guess only fills the list.
                bonus = _FUZZY_BASE + (ratios[candidate.term] - _FUZZY_CUTOFF) / (100 - _FUZZY_CUTOFF)
            else:
                bonus = _KIND_BONUS[kind]
            score = bonus + _POPULARITY_WEIGHT * math.log10(candidate.pop + 1)
            if candidate.alias is not None:
                score -= _ALIAS_PENALTY
            current = best.get(candidate.tag_id)
            if current is None or score > current[0]:
                best[candidate.tag_id] = (score, kind, candidate)
        return best

    def _hits(
        self,
        scored: dict[int, tuple[float, MatchKind, _Candidate]],
        boost: Collection[str],
        category: str | None,
    ) -> list[Hit]:
        tags = self._tags(scored)
        hits = []
        for tag_id, (score, kind, candidate) in scored.items():
            tag = tags.get(tag_id)
            if tag is None or (category is not None and tag.category != category):
                continue
            if tag.key in boost:
                score += _BOOST
            matched = candidate.alias if candidate.alias is not None else tag.name
            hits.append(Hit(tag, matched, kind, score, candidate.alias, candidate.lang))
        return hits


def _contenders(
    scored: dict[int, tuple[float, MatchKind, _Candidate]], limit: int
) -> dict[int, tuple[float, MatchKind, _Candidate]]:
    """The scored tags that can be among the first `limit`: those scoring at least the limit-th best."""
    if len(scored) <= limit:
        return scored
    cut = sorted([best[0] for best in scored.values()], reverse=True)[limit - 1]
    return {tag_id: best for tag_id, best in scored.items() if best[0] >= cut}


def _typo_ratios(key: str, terms: Collection[str]) -> dict[str, float]:
    """How closely each term, or its start, spells `key` (0-100), for terms at the cutoff or above.

    A typo is in what was typed: `contrapost` is compared with `contrappos`, the start of
    `contrapposto` cut to about the query's length (one shorter or longer for a dropped or doubled
    letter), and with the whole term. Unlike a partial-match ratio, a long query never "matches" a
    short term it merely contains (`qqqqxxxx` is not `tencent qq`).
    """
    choices = list(terms)
    best: dict[str, float] = {}
    n = len(key)
    for cut in (None, n - 1, n, n + 1):
        cut_choices = choices if cut is None else [term[:cut] for term in choices]
        for _, ratio, index in process.extract(
            key, cut_choices, scorer=fuzz.ratio, limit=None, score_cutoff=_FUZZY_CUTOFF
        ):
            term = choices[index]
            best[term] = max(best.get(term, 0.0), ratio)
    return best


def _match_kind(key: str, candidate: _Candidate) -> MatchKind | None:
    term = candidate.term
    if term == key:
        return "word" if candidate.word else "exact"
    if term.startswith(key):
        return "word" if candidate.word else "prefix"
    if key in term:
        return "substring"
    return None
