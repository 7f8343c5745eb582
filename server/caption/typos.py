"""The dataset keys a typo or two away from a key, found without comparing it with every key.

Pass-join's partition filter (Li, Deng, Wang and Feng, VLDB 2011): cut a key of length `l` into
`distance + 1` pieces. A string at most `distance` edits away leaves one piece untouched, so it contains
that piece, shifted from the piece's place by no more than the edits allow (`shifts`). Each key is
filed under its pieces; a query looks up its own substrings at the few places a piece could be (a few
dozen dictionary lookups) and checks the keys found with an exact Levenshtein distance. The work per
query depends on the key's length and the keys that share a piece, not on the number of keys, so
`check` on a caption of 30,000 distinct tags is linear instead of quadratic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from rapidfuzz.distance import Levenshtein


@cache
def pieces(length: int, count: int) -> tuple[tuple[int, int], ...]:
    """(start, length) of `count` pieces covering a string of `length`; the last ones one longer."""
    base, longer = divmod(length, count)
    layout = []
    start = 0
    for number in range(count):
        size = base + (number >= count - longer)
        layout.append((start, size))
        start += size
    return tuple(layout)


@cache
def shifts(length_difference: int, distance: int) -> range:
    """How far an untouched piece can move in a string `length_difference` longer, within `distance`
    edits: the edits before it shift it by x, those after it make up the rest, so |x| + |diff - x| <= d.
    """
    return range(-((distance - length_difference) // 2), (distance + length_difference) // 2 + 1)


class TypoIndex:
    """Keys filed under their pieces, for the keys at most `distance` edits from a query."""

    def __init__(self, distance: int, keys: Iterable[str] = ()) -> None:
        self.distance = distance
        # (key length, piece number) -> piece text -> keys.
        self._pieces: dict[tuple[int, int], dict[str, set[str]]] = {}
        # Keys too short to cut into `distance + 1` non-empty pieces: compared with every query.
        self._short: set[str] = set()
        # Arrival order, which breaks ties between equally near keys (the dataset's key order).
        self._order: dict[str, int] = {}
        self._arrivals = 0
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        if key in self._order:
            return
        self._order[key] = self._arrivals
        self._arrivals += 1
        if len(key) <= self.distance:
            self._short.add(key)
            return
        for slot, piece in self._slots(key):
            self._pieces.setdefault(slot, {}).setdefault(piece, set()).add(key)

    def remove(self, key: str) -> None:
        if self._order.pop(key, None) is None:
            return
        if len(key) <= self.distance:
            self._short.discard(key)
            return
        for slot, piece in self._slots(key):
            filed = self._pieces[slot]
            filed[piece].discard(key)
            if not filed[piece]:
                del filed[piece]

    def _slots(self, key: str) -> Iterator[tuple[tuple[int, int], str]]:
        for number, (start, size) in enumerate(pieces(len(key), self.distance + 1)):
            yield (len(key), number), key[start : start + size]

    def near(self, query: str, distance: int | None = None) -> list[str]:
        """The keys other than `query` at most `distance` (at most the index's) edits from it, nearest
        first, then in the order they were added.
        """
        distance = self.distance if distance is None else min(distance, self.distance)
        candidates = {key for key in self._short if abs(len(key) - len(query)) <= distance}
        count = self.distance + 1
        for length in range(max(len(query) - distance, count), len(query) + distance + 1):
            difference = len(query) - length
            for number, (start, size) in enumerate(pieces(length, count)):
                filed = self._pieces.get((length, number))
                if not filed:
                    continue
                for shift in shifts(difference, distance):
                    place = start + shift
                    if place >= 0 and place + size <= len(query):
                        candidates.update(filed.get(query[place : place + size], ()))
        candidates.discard(query)
        found = []
        for key in candidates:
            edits = Levenshtein.distance(query, key, score_cutoff=distance)
            if edits <= distance:
                found.append((edits, self._order[key], key))
        found.sort()
        return [key for _, _, key in found]
