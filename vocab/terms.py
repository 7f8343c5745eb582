"""The search index: which terms lead to which tag, kept in step with tags, aliases and translations.

A term is a tag key, an alias key, a translation's key (`长发` for `long hair`, so typing in the
captioner's language finds the tag, as BooruDatasetTagManager does), or a word-start suffix of any of
them (`at viewer`, `viewer` for `looking at viewer`). `alias` holds the other name a term spells (an
alias, or with `lang` a translation) as written. Each carries the tag's post count, and `head` (its
first three characters) so that the most popular terms with a given start come straight off the
`(head, pop DESC)` index. Queries of one or two characters read `prefix_top`, the precomputed most
popular terms per short prefix; `term_grams` is a trigram index over whole terms for substring matches.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter

from .normalize import tag_key

HEAD_LENGTH = 3
PREFIX_TOP_SIZE = 64

_INDEX_SORT_CACHE_KIB = 512
_TERMS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS terms_term ON terms(term)",
    "CREATE INDEX IF NOT EXISTS terms_head_pop ON terms(head, pop DESC)",
    "CREATE INDEX IF NOT EXISTS terms_tag ON terms(tag_id)",
)
_PREFIX_TOP_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS prefix_top "
    "(prefix TEXT NOT NULL, pop INTEGER NOT NULL, term TEXT NOT NULL, tag_id INTEGER NOT NULL,"
    " alias TEXT, word INTEGER NOT NULL, lang TEXT)",
    "CREATE INDEX IF NOT EXISTS prefix_top_prefix ON prefix_top(prefix, pop DESC)",
)


# `[^\W_]` is exactly the characters `str.isalnum()` accepts; the lookbehind needs one before it.
_WORD_START = re.compile(r"(?<=[\W_])[^\W_]")


def word_starts(key: str) -> Iterator[int]:
    """Offsets after the first where a word begins: an alphanumeric after a non-alphanumeric."""
    return (match.start() for match in _WORD_START.finditer(key))


def term_rows(
    tag_id: int, key: str, alias: str | None, pop: int, lang: str | None = None
) -> Iterator[tuple[str, str, int, str | None, int, int, str | None]]:
    """The rows of `terms` for one tag key, alias key or translation key."""
    yield key, key[:HEAD_LENGTH], tag_id, alias, 0, pop, lang
    for start in word_starts(key):
        suffix = key[start:]
        yield suffix, suffix[:HEAD_LENGTH], tag_id, alias, 1, pop, lang


# Translations worth a term: not blank, and not the tag's own key (`bikini` in pt-BR) again.
_TRANSLATIONS = (
    "SELECT translations.tag_id, captionls_tag_key(translations.text) AS key, translations.text AS alias,"
    " tags.post_count AS pop, translations.lang AS lang"
    " FROM translations JOIN tags ON tags.id = translations.tag_id"
    " WHERE captionls_tag_key(translations.text) NOT IN ('', tags.key)"
)


def _use_functions(conn: sqlite3.Connection) -> None:
    """The Python functions the index's SQL calls: where words start, and a tag key."""
    conn.create_function("captionls_word_starts", 1, _word_starts_json, deterministic=True)
    conn.create_function("captionls_tag_key", 1, tag_key, deterministic=True)


def _rows_for(conn: sqlite3.Connection, tag_ids: Iterable[int] | None) -> Iterator[tuple]:  # type: ignore[type-arg]
    def among(column: str) -> str:
        return "" if tag_ids is None else f" WHERE {column} IN (SELECT value FROM json_each(?))"

    params: tuple[str, ...] = () if tag_ids is None else (_json_ids(tag_ids),)
    for tag_id, key, pop in conn.execute(f"SELECT id, key, post_count FROM tags{among('id')}", params):
        yield from term_rows(tag_id, key, None, pop)
    alias_sql = (
        "SELECT aliases.tag_id, aliases.key, aliases.name, tags.post_count "
        f"FROM aliases JOIN tags ON tags.id = aliases.tag_id{among('tags.id')}"
    )
    for tag_id, key, name, pop in conn.execute(alias_sql, params):
        yield from term_rows(tag_id, key, name, pop)
    _use_functions(conn)
    translations = conn.execute(f"SELECT * FROM ({_TRANSLATIONS}){among('tag_id')}", params)
    for tag_id, key, text, pop, lang in translations:
        yield from term_rows(tag_id, key, text, pop, lang)


# An ASCII key with its alphanumerics as `a` and everything else as a space: a word starts after each " a".
_ASCII_CLASSES = str.maketrans({chr(code): "a" if chr(code).isalnum() else " " for code in range(128)})


def _word_starts_json(key: str) -> str:
    """`word_starts` as a JSON list, for SQL. ASCII keys (nearly all) are read with string searches:
    a 2M-tag import calls this 2.4 million times: 2.0 s of CPU, where the regex took 2.9 s."""
    if not key.isascii():
        return "[" + ",".join([str(start) for start in word_starts(key)]) + "]"
    classes = key.translate(_ASCII_CLASSES)
    starts = []
    at = classes.find(" a")
    while at >= 0:
        starts.append(str(at + 1))
        at = classes.find(" a", at + 2)
    return "[" + ",".join(starts) + "]"


# Word-start suffixes of every tag, alias and translation key, cut by SQLite at the offsets Python finds
# (one call per key instead of one bound row per suffix). Keys of only [0-9a-z] have no word start.
_SUFFIX_INSERTS = tuple(
    f"""
    INSERT INTO terms (term, head, tag_id, alias, word, pop, lang)
    SELECT substr(src.key, starts.value + 1), substr(src.key, starts.value + 1, {HEAD_LENGTH}),
           src.tag_id, src.alias, 1, src.pop, src.lang
    FROM ({source}) AS src, json_each(captionls_word_starts(src.key)) AS starts
    """
    for source in (
        "SELECT id AS tag_id, key, NULL AS alias, post_count AS pop, NULL AS lang FROM tags"
        " WHERE key GLOB '*[^0-9a-z]*'",
        "SELECT aliases.tag_id, aliases.key, aliases.name AS alias, tags.post_count AS pop, NULL AS lang"
        " FROM aliases JOIN tags ON tags.id = aliases.tag_id WHERE aliases.key GLOB '*[^0-9a-z]*'",
        f"SELECT * FROM ({_TRANSLATIONS}) WHERE key GLOB '*[^0-9a-z]*'",
    )
)


def _json_ids(tag_ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in tag_ids) + "]"


_INSERT = "INSERT INTO terms (term, head, tag_id, alias, word, pop, lang) VALUES (?, ?, ?, ?, ?, ?, ?)"


def rebuild(conn: sqlite3.Connection) -> None:
    """Rebuild the whole index (after a bulk import): drop indexes, refill, re-index."""
    conn.execute("DROP INDEX IF EXISTS terms_term")
    conn.execute("DROP INDEX IF EXISTS terms_head_pop")
    conn.execute("DROP INDEX IF EXISTS terms_tag")
    conn.execute("DELETE FROM terms")
    conn.execute("INSERT INTO term_grams (term_grams) VALUES ('delete-all')")
    # Whole keys and word-start suffixes straight in SQL; Python only finds where words start.
    conn.execute(
        f"INSERT INTO terms (term, head, tag_id, alias, word, pop)"
        f" SELECT key, substr(key, 1, {HEAD_LENGTH}), id, NULL, 0, post_count FROM tags"
    )
    conn.execute(
        f"INSERT INTO terms (term, head, tag_id, alias, word, pop)"
        f" SELECT aliases.key, substr(aliases.key, 1, {HEAD_LENGTH}), aliases.tag_id, aliases.name, 0,"
        f" tags.post_count FROM aliases JOIN tags ON tags.id = aliases.tag_id"
    )
    _use_functions(conn)
    conn.execute(
        f"INSERT INTO terms (term, head, tag_id, alias, word, pop, lang)"
        f" SELECT key, substr(key, 1, {HEAD_LENGTH}), tag_id, alias, 0, pop, lang FROM ({_TRANSLATIONS})"
    )
    # Before the suffixes exist: the whole terms are then all the rows, and a 2M-tag import reads
    # 2.4 million of them instead of filtering 7.7 million.
    index_whole_terms(conn)
    for statement in _SUFFIX_INSERTS:
        conn.execute(statement)
    # The index builds sort on two threads: their wall time nearly halves on two cores. SQLite sorts in
    # chunks as big as the page cache, and small chunks sort faster (they stay in the CPU's caches): the
    # three indexes of a 2M-tag import took 12.3 s of CPU with 512 KiB, 15.2 s with the default 2 MB.
    (threads,) = conn.execute("PRAGMA threads").fetchone()
    (cache_size,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute("PRAGMA threads = 2")
    conn.execute(f"PRAGMA cache_size = -{_INDEX_SORT_CACHE_KIB}")
    try:
        for statement in _TERMS_INDEXES:
            conn.execute(statement)
    finally:
        conn.execute(f"PRAGMA threads = {int(threads)}")
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
    _rebuild_prefix_top(conn, None)


def index_whole_terms(conn: sqlite3.Connection) -> None:
    """Fill the empty trigram index from the whole terms: a substring of a word-start suffix is a
    substring of its whole term already."""
    # Without FTS5's merges as it goes (automerge 0), then merged once into one segment ('optimize'):
    # 2.4 million terms take 8.8 s of CPU instead of 10.3 s, and a search reads one segment. The same
    # rowids match either way (a trigram query answers in rowid order). Then the default again, 4,
    # for the small re-indexing of later edits.
    conn.execute("INSERT INTO term_grams (term_grams, rank) VALUES ('automerge', 0)")
    conn.execute("INSERT INTO term_grams (rowid, term) SELECT rowid, term FROM terms WHERE word = 0")
    conn.execute("INSERT INTO term_grams (term_grams) VALUES ('optimize')")
    conn.execute("INSERT INTO term_grams (term_grams, rank) VALUES ('automerge', 4)")


def refresh(conn: sqlite3.Connection, tag_ids: set[int]) -> None:
    """Re-index the given tags (after a small edit); deleted tags simply lose their terms."""
    if not tag_ids:
        return
    ids = _json_ids(tag_ids)
    before = set(
        conn.execute(
            "SELECT term, head, tag_id, alias, word, pop, lang FROM terms"
            " WHERE tag_id IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    )
    # The trigram index reads its content from `terms`, so it forgets rows before they go.
    conn.execute(
        "INSERT INTO term_grams (term_grams, rowid, term) SELECT 'delete', rowid, term FROM terms"
        " WHERE tag_id IN (SELECT value FROM json_each(?)) AND word = 0",
        (ids,),
    )
    conn.execute("DELETE FROM terms WHERE tag_id IN (SELECT value FROM json_each(?))", (ids,))
    rows = list(_rows_for(conn, tag_ids))
    conn.executemany(_INSERT, rows)
    conn.execute(
        "INSERT INTO term_grams (rowid, term) SELECT rowid, term FROM terms"
        " WHERE tag_id IN (SELECT value FROM json_each(?)) AND word = 0",
        (ids,),
    )
    # Only the short prefixes of terms that came or went (or changed popularity): a tag that got a
    # translation keeps its other terms as they were, and `l`, `lo` of `long hair` are costly to redo.
    changed = before.symmetric_difference(rows)
    _rebuild_prefix_top(conn, {row[0][:n] for row in changed for n in (1, 2)})


# Every distinct head, skipping along the (head, pop DESC) index: one seek per head, not a scan of all terms.
_HEADS = """
    WITH RECURSIVE heads(head) AS (
        SELECT min(head) FROM terms
        UNION ALL
        SELECT (SELECT min(head) FROM terms WHERE head > heads.head) FROM heads WHERE head IS NOT NULL
    )
    SELECT head FROM heads WHERE head IS NOT NULL
"""
# The most popular terms whose head starts with a two-character prefix, off the covering (head, pop DESC)
# index alone; ties in popularity go by head, then by the order the terms were written in.
_RANGE_BEST = f"""
    SELECT pop, head, rowid FROM terms INDEXED BY terms_head_pop WHERE head >= ? AND head < ?
    ORDER BY pop DESC, head, rowid LIMIT {PREFIX_TOP_SIZE}
"""
_HEAD_BEST = f"""
    SELECT pop, head, rowid FROM terms INDEXED BY terms_head_pop WHERE head = ?
    ORDER BY pop DESC, rowid LIMIT {PREFIX_TOP_SIZE}
"""


def _best_per_prefix(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """prefix_top's rows as (prefix, rowid of a term in `terms`): for every one- and two-character
    prefix of a head, its PREFIX_TOP_SIZE most popular terms in the order above, prefixes sorted."""
    heads = [head for (head,) in conn.execute(_HEADS)]
    twos_by_one: dict[str, list[str]] = {}
    for two in sorted({head[:2] for head in heads}):
        twos_by_one.setdefault(two[0], []).append(two)
    rows: list[tuple[str, int]] = []
    for one, twos in twos_by_one.items():
        # A one-character prefix's best are among the best of its two-character prefixes and its own
        # one-character head: none of them is sorted again from the index.
        merged = conn.execute(_HEAD_BEST, (one,)).fetchall()
        twos_rows: list[tuple[str, int]] = []
        for two in twos:
            if two == one:
                continue
            best = conn.execute(_RANGE_BEST, (two, two + "\U0010ffff")).fetchall()
            twos_rows += [(two, rowid) for _, _, rowid in best]
            merged += best
        merged.sort(key=lambda row: (-row[0], row[1], row[2]))
        rows += [(one, rowid) for _, _, rowid in merged[:PREFIX_TOP_SIZE]]
        rows += twos_rows
    return rows


def _rebuild_prefix_top(conn: sqlite3.Connection, prefixes: set[str] | None) -> None:
    for statement in _PREFIX_TOP_SCHEMA:
        conn.execute(statement)
    if prefixes is None:
        conn.execute("DELETE FROM prefix_top")
        # Each two-character prefix's best come off the (head, pop DESC) index in one range each, and
        # each one-character prefix's from those. A 2M-tag vocabulary's: 0.9 s of CPU and 38 MB, where
        # taking every head's best and sorting them all took 1.75 s and 50 MB (sorting every term, 5x).
        # One statement per prefix, its terms looked up in SQLite from a JSON list of rowids in order
        # (CROSS JOIN keeps that order): one statement per term took 0.47 s of CPU for danbooru.csv's
        # 37,725 rows, this 0.21 s with the ranges above.
        conn.executemany(
            "INSERT INTO prefix_top (prefix, pop, term, tag_id, alias, word, lang)"
            " SELECT ?1, pop, term, tag_id, alias, word, lang"
            " FROM json_each(?2) CROSS JOIN terms ON terms.rowid = json_each.value",
            [
                (prefix, _json_ids(rowid for _, rowid in rows))
                for prefix, rows in groupby(_best_per_prefix(conn), key=itemgetter(0))
            ],
        )
        return
    for prefix in sorted(prefixes):  # sorted: the same data gives the same rowids (a reproducible image)
        upper = prefix + "\U0010ffff"
        conn.execute("DELETE FROM prefix_top WHERE prefix = ?", (prefix,))
        conn.execute(
            f"""
            INSERT INTO prefix_top (prefix, pop, term, tag_id, alias, word, lang)
            SELECT ?, pop, term, tag_id, alias, word, lang FROM terms
            WHERE head >= ? AND head < ? AND term >= ? AND term < ?
            ORDER BY pop DESC LIMIT {PREFIX_TOP_SIZE}
            """,
            (prefix, prefix, upper, prefix, upper),
        )
