"""Issue 15 item 10: `near_duplicate` (typo neighbours for `inconsistent-tag`) is near-linear.

It compared each key with every dataset key: 30,000 distinct tags in one caption took 45 s.
"""

from __future__ import annotations

import random
import string
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.typos import TypoIndex
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import Store
from tests.kit.datasets import write_dataset
from tests.kit.vocabularies import make_vocabulary

# CPU seconds, so a busy machine does not count: about 2 here; the quadratic search took about a minute.
BUDGET_SECONDS = 10


def distinct_tags(count: int, shortest: int, longest: int) -> list[str]:
    rng = random.Random(15)
    tags: set[str] = set()
    while len(tags) < count:
        length = rng.randint(shortest, longest)
        tags.add("".join(rng.choice(string.ascii_lowercase + " ") for _ in range(length)).strip())
    return sorted(tags)


def check_seconds(tmp_path: Path, captions: dict[str, str]) -> float:
    """Seconds `inconsistent-tag` takes over every caption; each must find typo neighbours."""
    root = write_dataset(tmp_path / "set", captions)
    index = DatasetIndex(root)
    index.scan()
    assert not index.errors
    store = Store.open(make_vocabulary(tmp_path / "vocabulary.sqlite"))
    ctx = CheckContext(index.config, Vocabulary(store), index, select={"inconsistent-tag"})
    started = time.process_time()
    found = [check_text(path, index.files[path].text, ctx) for path in index.captions()]
    elapsed = time.process_time() - started
    store.close()
    assert any(found)
    return elapsed


def test_thirty_thousand_distinct_tags_in_one_caption(tmp_path: Path) -> None:
    # Short tags (one typo tolerated), so that 30,000 fit the 256 KiB a caption may have. A second caption
    # with a third of them makes those the more used spellings, so typo neighbours are looked for.
    tags = distinct_tags(30_000, 4, 7)
    elapsed = check_seconds(tmp_path, {"a": ", ".join(tags), "b": ", ".join(tags[::3])})
    assert elapsed < BUDGET_SECONDS, f"{elapsed:.1f} s"


def test_thirty_thousand_long_tags(tmp_path: Path) -> None:
    # Tags of ten characters and more tolerate two typos; 5,000 to a caption, and a few misspelt.
    tags = distinct_tags(30_000, 10, 16)
    captions = {f"c{number}": ", ".join(tags[number::6]) for number in range(6)}
    captions["common"] = ", ".join(tags[::7])
    captions["typos"] = ", ".join(tag[:3] + tag[4:] for tag in tags[::350])
    elapsed = check_seconds(tmp_path, captions)
    assert elapsed < BUDGET_SECONDS, f"{elapsed:.1f} s"


def brute_force(keys: list[str], query: str, distance: int) -> list[str]:
    """What near_duplicate compared before: every key, nearest first, then in the keys' order."""
    near = [(Levenshtein.distance(query, key), number, key) for number, key in enumerate(keys)]
    return [key for edits, _, key in sorted(near) if edits <= distance and key != query]


words = st.text(alphabet="ab c1", max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(words, unique=True, max_size=40), st.lists(words, max_size=8), st.integers(1, 2))
def test_the_index_finds_exactly_what_comparing_every_key_finds(
    keys: list[str], queries: list[str], distance: int
) -> None:
    typos = TypoIndex(distance, keys)
    for query in queries + keys[:5]:
        for within in range(distance + 1):
            assert typos.near(query, within) == brute_force(keys, query, within)


@pytest.mark.parametrize("distance", [1, 2])
def test_the_index_follows_keys_coming_and_going(distance: int) -> None:
    keys = ["long hair", "long hiar", "lon hair", "short hair", "ab", "a", ""]
    typos = TypoIndex(distance, keys)
    typos.remove("long hiar")
    typos.remove("a")
    typos.add("long hiar")
    typos.add("a")
    order = [key for key in keys if key not in ("long hiar", "a")] + ["long hiar", "a"]
    for query in [*keys, "long har", "b", "longhair"]:
        assert typos.near(query) == brute_force(order, query, distance)
