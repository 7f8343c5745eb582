from __future__ import annotations

import json
from pathlib import Path

import pytest

from captionls.vocab import search, terms
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from captionls.vocab.write import Writer

# Facts copied from the tagcomplete danbooru.csv: name, category, posts, aliases.
ROWS = [
    ("long_hair", "general", 4350743, ["longhair"]),
    ("looking_at_viewer", "general", 3315722, ["pov_eye_contact"]),
    ("very_long_hair", "general", 952244, ["hair_past_waist"]),
    ("ponytail", "general", 599087, ["long_ponytail", "pony_tail"]),
    ("from_side", "general", 222299, ["side_view", "viewed_from_side"]),
    ("arms_up", "general", 188117, ["arms_raised", "raised_arms"]),
    ("kneeling", "general", 118116, ["on_knees"]),
    ("leg_up", "general", 80951, ["one_leg_raised"]),
    ("contrapposto", "general", 30005, []),
    ("contra", "copyright", 53, []),
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    store = Store.open(tmp_path_factory.mktemp("search") / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        write_rows(writer)
        writer.finish()
    return Searcher(Vocabulary(store))


def write_rows(writer: Writer, aliases: bool = True) -> None:
    """ROWS' tags, with their aliases unless told not to."""
    for name, category, count, row_aliases in ROWS:
        writer.tag(name, category=category, post_count=count)
        for alias in row_aliases if aliases else ():
            writer.alias(alias, name)


def names(searcher: Searcher, query: str, **kwargs: object) -> list[str]:
    return [hit.tag.name for hit in searcher.search(query, **kwargs)]  # type: ignore[arg-type]


def test_a_common_completion_beats_a_rare_exact_match(searcher: Searcher) -> None:
    hits = searcher.search("contra")
    assert [hit.tag.name for hit in hits[:2]] == ["contrapposto", "contra"]
    assert [hit.match for hit in hits[:2]] == ["prefix", "exact"]


def test_multi_word_prefixes(searcher: Searcher) -> None:
    assert names(searcher, "from si")[0] == "from_side"
    assert names(searcher, "long ha")[0] == "long_hair"
    assert names(searcher, "leg up")[0] == "leg_up"


def test_word_starts_inside_a_tag(searcher: Searcher) -> None:
    hits = {hit.tag.name: hit.match for hit in searcher.search("hair")}
    assert hits["long_hair"] == "word"
    assert hits["very_long_hair"] == "word"


def test_an_alias_match_names_its_canonical_tag(searcher: Searcher) -> None:
    top = searcher.search("raised arms")[0]
    assert (top.tag.name, top.matched, top.match) == ("arms_up", "raised_arms", "exact")


def test_typos_are_tolerated(searcher: Searcher) -> None:
    assert names(searcher, "lokking at")[0] == "looking_at_viewer"
    assert "contrapposto" in names(searcher, "contrapposot")


def test_substring(searcher: Searcher) -> None:
    hits = {hit.tag.name: hit.match for hit in searcher.search("appos")}
    assert hits.get("contrapposto") in {"substring", "fuzzy"}


def test_boost_lifts_the_dataset_own_tags(searcher: Searcher) -> None:
    assert names(searcher, "lo", boost={"very long hair"})[0] == "very_long_hair"


def test_within_and_category_restrict_hits(searcher: Searcher) -> None:
    vocabulary = searcher.vocabulary
    kneeling = vocabulary.resolve("kneeling")
    assert kneeling is not None
    assert names(searcher, "kneel", within={kneeling.tag.id}) == ["kneeling"]
    assert names(searcher, "contra", category="copyright") == ["contra"]


def test_blank_query_finds_nothing(searcher: Searcher) -> None:
    assert searcher.search("") == []
    assert searcher.search("   ") == []
    assert searcher.search("(:1.2)") == []


def test_search_index_follows_small_edits(searcher: Searcher, tmp_path: Path) -> None:
    store = searcher.vocabulary.store
    with store.transaction():
        writer = Writer(store)
        writer.tag("contrapposto_pose_test", post_count=10**8)
        writer.finish()
    try:
        assert names(searcher, "co")[0] == "contrapposto_pose_test"
    finally:
        with store.transaction():
            writer = Writer(store)
            tag_id = writer.tag_id("contrapposto_pose_test")
            assert tag_id is not None
            writer.remove_tag(tag_id)
            writer.finish()
    assert "contrapposto_pose_test" not in names(searcher, "co")


def kneeling_store(path: Path) -> Store:
    """A vocabulary at `path` holding one tag, `kneeling`."""
    store = Store.open(path)
    with store.transaction():
        writer = Writer(store)
        writer.tag("kneeling", post_count=118116)
        writer.finish()
    return store


def test_hits_carry_the_tag_as_it_is_now_after_any_connection_writes(tmp_path: Path) -> None:
    """The searcher keeps tags between searches; a write from this or another connection shows at once."""
    path = tmp_path / "v.sqlite"
    store = kneeling_store(path)
    searcher = Searcher(Vocabulary(store))
    assert [hit.tag.post_count for hit in searcher.search("kneel")] == [118116]
    other = Store.open(path)
    with other.transaction():
        other.conn.execute("UPDATE tags SET post_count = 5 WHERE key = 'kneeling'")
    other.close()
    assert [hit.tag.post_count for hit in searcher.search("kneel")] == [5]
    with store.transaction():
        store.conn.execute("UPDATE tags SET post_count = 7 WHERE key = 'kneeling'")
    assert [hit.tag.post_count for hit in searcher.search("kneel")] == [7]
    store.close()


def test_index_look_ups_are_remembered_until_any_connection_writes(tmp_path: Path) -> None:
    """While a tag is typed the same prefix, substring and typo look-ups come again (completion, then
    unknown-tag's typo search of the same key): asked again, they read no terms; after a write from
    another connection they are read again."""
    path = tmp_path / "v.sqlite"
    store = kneeling_store(path)
    searcher = Searcher(Vocabulary(store))
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    queries = ["kneel", "neel", "kneelign"]  # a prefix, a substring, a typo
    first = [names(searcher, query) for query in queries]
    assert first == [["kneeling"]] * 3
    assert any("FROM terms" in sql for sql in statements)
    statements.clear()
    assert [names(searcher, query) for query in queries] == first
    assert not any("FROM terms" in sql or "term_grams" in sql for sql in statements)
    other = Store.open(path)
    with other.transaction():
        writer = Writer(other)
        writer.tag("kneeling_on_one_knee", post_count=10**7)
        writer.finish()
    other.close()
    assert [names(searcher, query)[0] for query in ["kneel", "neel"]] == ["kneeling_on_one_knee"] * 2
    store.close()


def test_a_longer_key_is_narrowed_from_the_keystroke_before(searcher: Searcher) -> None:
    """Typing on: the prefix and substring candidates of `kneelin` are the complete ones of `kneeli`,
    filtered, with no look-up in the index; the answers are the ones a fresh searcher gives."""
    fresh = Searcher(searcher.vocabulary)
    conn = searcher.vocabulary.store.conn
    for query in ["knee", "kneel", "kneeli", "neel", "neeli"]:
        searcher.search(query)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        longer = [searcher.search(query) for query in ("kneelin", "neelin")]
    finally:
        conn.set_trace_callback(None)
    assert not any("FROM terms" in sql or "term_grams" in sql for sql in statements)
    assert longer == [fresh.search(query) for query in ("kneelin", "neelin")]
    assert [hit.tag.name for hit in longer[0]] == ["kneeling"]


@pytest.fixture(scope="module")
def crowded_head(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Ranges of 100 to 400 terms with the head `kne` (and `zzz`), many equally popular: 400 `kneeling N`
    (pop 1000 to 2200, about 30 of each), 2500 `knead N` below them, 300 `knez N` (pop 0 to 4) below
    those, and 300 `zzzz N`, 90 of them more popular than the other 210, which are as popular as each
    other."""
    store = Store.open(tmp_path_factory.mktemp("crowded") / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        for i in range(400):
            writer.tag(f"kneeling_{i}", post_count=1000 + (i % 13) * 100)
        for i in range(2500):
            writer.tag(f"knead_{i}", post_count=10 + i % 50)
        for i in range(300):
            writer.tag(f"knez_{i}", post_count=i % 5)
        for i in range(300):
            writer.tag(f"zzzz_{i}", post_count=100 + i if i < 90 else 5)
        writer.finish()
    return store


@pytest.mark.parametrize(
    ("prefix", "walked"),
    [
        ("kneel", True),  # its most popular terms come first in the head's popularity order
        ("kneeling 1", False),  # 111 terms: sorted at once
        ("knez", False),  # behind more than 8 head entries per term of its range: sorted
        ("zzzz", False),  # the head ends among terms as popular as the 96th: sorted
    ],
)
def test_a_prefix_range_ranked_from_its_head_index_is_ranked_as_sorting_it_ranks_it(
    crowded_head: Store, prefix: str, walked: bool
) -> None:
    """The most popular terms of a range of 96 or more, equally popular ones in term order, as SQLite's
    sort of the range gives them; found off the head's popularity index where that is the shorter way."""
    searcher = Searcher(Vocabulary(crowded_head))
    conn = crowded_head.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        candidates = searcher._prefixed(prefix, 96)
    finally:
        conn.set_trace_callback(None)
    sorted_range = conn.execute(
        "SELECT tag_id, term, alias, word, pop, lang FROM terms INDEXED BY terms_term"
        " WHERE term >= ? AND term < ? ORDER BY pop DESC LIMIT 96",
        (prefix, prefix + "\U0010ffff"),
    ).fetchall()
    assert [(c.tag_id, c.term, c.alias, int(c.word), c.pop, c.lang) for c in candidates] == sorted_range
    assert len({c.pop for c in candidates}) < len(candidates)  # ties at stake
    sort = "SELECT tag_id, term, alias, word, pop, lang FROM terms INDEXED BY terms_term"
    sorted_here = any(sql.startswith(sort) for sql in statements)
    assert sorted_here is not walked, statements


def test_the_first_hits_are_read_alone_and_a_tag_gone_from_the_vocabulary_is_replaced(
    tmp_path: Path,
) -> None:
    """Only the tags that can be among the first `limit` are read; if one of them is gone (its terms left
    behind), the next best takes its place."""
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        for i in range(8):
            writer.tag(f"pose_{i}", post_count=10 ** (8 - i))
        writer.finish()
    searcher = Searcher(Vocabulary(store))
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    assert names(searcher, "pose", limit=3) == ["pose_0", "pose_1", "pose_2"]
    store.conn.set_trace_callback(None)
    (read,) = [sql for sql in statements if sql.startswith("SELECT tags.id")]
    assert len(json.loads(read[read.index("[") : read.index("]") + 1])) == 3, read
    with store.transaction():
        store.conn.execute("DELETE FROM tags WHERE key = 'pose 1'")
    assert names(Searcher(Vocabulary(store)), "pose", limit=3) == ["pose_0", "pose_2", "pose_3"]
    store.close()


def test_past_their_size_the_oldest_look_ups_and_tags_are_forgotten_first(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full cache forgets one entry at a time, the oldest first (freeing all 512 look-ups at once took
    3 ms of one keystroke); the rest are still answered without the index."""
    monkeypatch.setattr(search, "_LOOKUP_CACHE", 3)
    monkeypatch.setattr(search, "_TAG_CACHE", 2)
    fresh = Searcher(searcher.vocabulary)
    for prefix in ["kne", "lon", "pon", "fro"]:
        fresh._prefixed(prefix, 96)
    statements: list[str] = []
    conn = searcher.vocabulary.store.conn
    conn.set_trace_callback(statements.append)
    try:
        for prefix in ["lon", "pon", "fro"]:
            fresh._prefixed(prefix, 96)
        assert statements == []
        fresh._prefixed("kne", 96)
        assert len(statements) == 1
    finally:
        conn.set_trace_callback(None)
    ids = [hit.tag.id for hit in fresh.search("lo")][:4]
    fresh._tag_cache.clear()
    fresh._tags(ids[:3])
    fresh._tags(ids[3:])
    assert list(fresh._tag_cache) == ids[1:]


def test_a_translation_finds_its_tag(tmp_path: Path) -> None:
    """BooruDatasetTagManager's completion by translation: typing `长发` offers `long hair`."""
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        write_rows(writer, aliases=False)
        for name, lang, text in [
            ("long_hair", "zh-CN", "长发"),
            ("very_long_hair", "zh-CN", "超长发"),
            ("long_hair", "pt-BR", "cabelo longo"),
            ("ponytail", "pt-BR", "ponytail"),  # the tag's own name: no second term
        ]:
            tag_id = writer.tag_id(name)
            assert tag_id is not None
            writer.translation(tag_id, lang, text)
        writer.finish()
    searcher = Searcher(Vocabulary(store))
    top = searcher.search("长发")[0]
    assert (top.tag.name, top.matched, top.match, top.alias, top.lang) == (
        "long_hair",
        "长发",
        "exact",
        "长发",
        "zh-CN",
    )
    assert names(searcher, "长") == ["long_hair"]  # a prefix
    assert names(searcher, "超长")[0] == "very_long_hair"
    longo = searcher.search("longo")[0]  # a word start of a translation
    assert (longo.tag.name, longo.match, longo.alias) == ("long_hair", "word", "cabelo longo")
    pony = searcher.search("ponytail")[0]
    assert (pony.tag.name, pony.alias, pony.lang) == ("ponytail", None, None)
    # The whole index rebuilt (after a big import) holds the same terms.
    with store.transaction():
        terms.rebuild(store.conn)
    assert names(searcher, "长发")[0] == "long_hair" and names(searcher, "longo")[0] == "long_hair"


def test_a_rebuilt_trigram_index_merges_its_later_edits_again(tmp_path: Path) -> None:
    """The full rebuild fills the trigram index with FTS5's automatic merging off (then merges it once):
    it is back on after, or every later edit would add a segment that each substring search reads."""
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        write_rows(writer)
        writer.finish()
        terms.rebuild(store.conn)
    conn = store.conn
    assert conn.execute("SELECT v FROM term_grams_config WHERE k = 'automerge'").fetchone() == (4,)
    conn.execute("INSERT INTO term_grams (term_grams) VALUES ('integrity-check')")
    assert "ponytail" in names(Searcher(Vocabulary(store)), "nytai")


def test_small_edits_keep_the_index_as_a_full_rebuild_makes_it(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        write_rows(writer)
        writer.finish()

    def index() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        conn = store.conn
        terms_rows = conn.execute(
            "SELECT term, tag_id, alias, word, pop, lang FROM terms ORDER BY 1, 2, 3, 4"
        )
        top = conn.execute(
            "SELECT prefix, term, tag_id, alias, word, pop, lang FROM prefix_top ORDER BY 1, 2, 3, 4"
        )
        return terms_rows.fetchall(), top.fetchall()

    edits = [
        lambda writer: writer.translation(writer.tag_id("long_hair"), "zh-CN", "长发"),
        lambda writer: writer.translation(writer.tag_id("long_hair"), "zh-CN", "长头发"),
        lambda writer: writer.alias("lengthy hair", "long_hair"),
        lambda writer: writer.tag("long_hair", post_count=10),  # its popularity changes every term of it
        lambda writer: writer.remove_tag(writer.tag_id("ponytail")),
    ]
    for edit in edits:
        with store.transaction():
            writer = Writer(store)
            edit(writer)
            writer.finish()
        refreshed = index()
        with store.transaction():
            terms.rebuild(store.conn)
        assert index() == refreshed


def test_prefix_top_holds_the_most_popular_terms_ties_by_head_then_rowid(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        # More than PREFIX_TOP_SIZE terms under `b` and `ba`, many as popular as each other, over heads
        # written out of order (`bax` before `bab`), some of one and two characters.
        for n in range(150):
            writer.tag(f"ba{'xbc'[n % 3]}_{n}", post_count=n % 4)
        for name, count in (("b", 3), ("ba", 3), ("bz_top", 9), ("c", 1), ("b_2", 2)):
            writer.tag(name, post_count=count)
        terms.rebuild(store.conn)  # what an import of many tags runs
    conn = store.conn
    every = conn.execute("SELECT rowid, pop, head, term, tag_id, alias, word, lang FROM terms").fetchall()
    expected: dict[str, list[tuple[object, ...]]] = {}
    for prefix in {row[2][:n] for row in every for n in (1, 2)}:
        under = sorted(
            (row for row in every if row[2].startswith(prefix)), key=lambda row: (-row[1], row[2], row[0])
        )
        expected[prefix] = [(row[1], *row[3:]) for row in under[: terms.PREFIX_TOP_SIZE]]
    stored = {
        prefix: conn.execute(
            "SELECT pop, term, tag_id, alias, word, lang FROM prefix_top WHERE prefix = ? ORDER BY pop DESC",
            (prefix,),
        ).fetchall()
        for prefix in expected
    }
    assert stored == expected
    assert len(stored["b"]) == len(stored["ba"]) == terms.PREFIX_TOP_SIZE


@pytest.mark.parametrize(
    "key",
    [
        "long hair",
        "fate (series)",
        "!! (p7kw)",
        "a-b.c 9d",
        "  x",
        "x  ",
        "--",
        "1girl",
        "é clair",
        "café au lait",
        "",
    ],
)
def test_word_starts_for_sql_are_the_word_starts(key: str) -> None:
    assert json.loads(terms._word_starts_json(key)) == list(terms.word_starts(key))


def test_a_rebuild_gives_the_connection_its_sort_settings_back(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "v.sqlite")
    store.conn.execute("PRAGMA cache_size = -3000")
    store.conn.execute("PRAGMA threads = 1")
    with store.transaction():
        write_rows(Writer(store))
        terms.rebuild(store.conn)
    assert store.conn.execute("PRAGMA cache_size").fetchone() == (-3000,)
    assert store.conn.execute("PRAGMA threads").fetchone() == (1,)
