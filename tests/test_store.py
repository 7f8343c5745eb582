from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import SCHEMA_VERSION, Store, StoreError, default_path
from captionls.vocab.write import Writer
from tests.kit.vocabularies import database_at_version


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "vocab.sqlite")


def write(store: Store) -> Writer:
    return Writer(store)


def test_new_database_is_migrated_and_in_wal_mode(store: Store) -> None:
    assert store.version == SCHEMA_VERSION
    (mode,) = store.conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
    assert store.is_empty()


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    with Store.open(path) as first, first.transaction():
        Writer(first).tag("long_hair", post_count=5)
    with Store.open(path) as second:
        resolved = Vocabulary(second).resolve("Long Hair")
        assert resolved is not None and resolved.tag.post_count == 5


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    path.write_bytes(b"\x00not a database" * 100)
    with pytest.raises(StoreError, match="not a captionls vocabulary"):
        Store.open(path)


def test_default_path_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAPTIONLS_DB", str(tmp_path / "x.sqlite"))
    assert default_path() == tmp_path / "x.sqlite"


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(StoreError), store.transaction():
        writer = write(store)
        writer.tag("kept_nowhere")
        writer.tag("")
    assert store.is_empty()


def test_aliases_resolve_transitively_and_tags_win(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        writer.tag("arms_up", post_count=100)
        writer.alias("raised_arms", "arms up")
        # An alias of an alias points at the canonical tag.
        writer.alias("arms_raised", "raised arms")
        # An imported alias never swallows a real tag.
        writer.tag("pink_pillow", post_count=3)
        writer.tag("pillow", post_count=50)
        assert writer.alias("pink_pillow", "pillow") is False
        writer.finish()
    vocabulary = Vocabulary(store)
    resolved = vocabulary.resolve("Arms Raised")
    assert resolved is not None and resolved.tag.name == "arms_up" and resolved.alias == "arms_raised"
    pink = vocabulary.resolve("pink pillow")
    assert pink is not None and pink.tag.name == "pink_pillow" and pink.alias is None


def test_resolving_many_keys_at_once_answers_as_one_at_a_time(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        writer.tag("arms_up", post_count=100)
        writer.alias("raised_arms", "arms up")
        writer.tag("pillow", post_count=50)
        writer.finish()
    vocabulary = Vocabulary(store)
    keys = ["arms up", "raised arms", "pillow", "nothing like it", "raised arms"]
    one_by_one = {key: vocabulary.resolve_key(key) for key in keys}
    assert vocabulary.resolve_keys(keys) == {key: found for key, found in one_by_one.items() if found}
    assert vocabulary.resolve_keys(["raised arms"])["raised arms"].alias == "raised_arms"


def test_a_tag_arriving_after_its_alias_replaces_the_alias(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        writer.tag("pillow")
        writer.alias("red_pillow", "pillow")
        writer.tag("red_pillow")
    resolved = Vocabulary(store).resolve("red pillow")
    assert resolved is not None and resolved.alias is None and resolved.tag.name == "red_pillow"


def test_bulk_tags_return_the_id_of_each_row(store: Store) -> None:
    # All new: the ids follow one another. With a known tag or a key twice in one batch they
    # cannot, and each row still gets its own tag's id.
    with store.transaction():
        writer = write(store)
        first = writer.tags([("a", "a", None, 1), ("b", "b", None, 2)])
        second = writer.tags(
            [("c", "c", None, 3), ("a", "a", None, 9), ("d", "d", None, 4), ("c", "C", None, 5)]
        )
    ids = dict(store.conn.execute("SELECT key, id FROM tags"))
    assert first == [ids["a"], ids["b"]] and first[1] == first[0] + 1
    assert second == [ids["c"], ids["a"], ids["d"], ids["c"]]
    counts = dict(store.conn.execute("SELECT key, post_count FROM tags"))
    assert counts == {"a": 9, "b": 2, "c": 5, "d": 4}


def test_user_alias_merges_a_tag_and_refuses_loops(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        a = writer.tag("legs_raised", post_count=1)
        writer.tag("legs_up", post_count=10)
        writer.add_to_list("personal", a)
        writer.alias("legs_raised", "legs_up", merge=True)
    vocabulary = Vocabulary(store)
    details = vocabulary.details("legs raised")
    assert details is not None
    assert details.tag.name == "legs_up" and details.lists == ["personal"]
    with pytest.raises(StoreError, match="alias loop"), store.transaction():
        write(store).alias("legs_up", "legs_raised", merge=True)


def test_rename_keeps_the_old_name_as_an_alias(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        writer.tag("leg_up")
        writer.rename("leg up", "one leg up")
        writer.finish()
    resolved = Vocabulary(store).resolve("leg_up")
    assert resolved is not None and resolved.tag.name == "one leg up" and resolved.alias == "leg_up"


def test_sql_looking_names_are_just_tags(store: Store) -> None:
    name = "'); drop table tags;--"
    with store.transaction():
        write(store).tag(name)
    resolved = Vocabulary(store).resolve(name)
    assert resolved is not None and resolved.tag.name == name
    assert Vocabulary(store).size() == 1


def test_groups_nest_and_report_paths(store: Store) -> None:
    with store.transaction():
        writer = write(store)
        kneeling = writer.tag("kneeling")
        posture = writer.group("posture", None, 0)
        legs = writer.group("legs", posture, 0)
        writer.add_to_group(legs, kneeling, 0)
    vocabulary = Vocabulary(store)
    assert vocabulary.group_paths(kneeling) == [["posture", "legs"]]
    assert vocabulary.group_tag_ids(vocabulary.group_ids("Posture")) == {kneeling}


def test_a_version_4_vocabulary_gets_the_readable_views(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = database_at_version(path, 4)
    conn.executemany(
        "INSERT INTO tags (id, key, name, category) VALUES (?, ?, ?, ?)",
        [
            (1, "1girl", "1girl", "general"),
            (2, "sitting", "sitting", "general"),
            (3, "hatsune miku", "hatsune miku", "character"),
        ],
    )
    conn.executemany(
        "INSERT INTO aliases (key, name, tag_id) VALUES (?, ?, ?)",
        [("sole female", "sole female", 1), ("solo female", "solo female", 1), ("miku", "miku", 3)],
    )
    conn.executemany(
        "INSERT INTO groups (id, parent_id, key, name) VALUES (?, ?, ?, ?)",
        [(1, None, "posture", "posture"), (2, 1, "sitting", "sitting"), (3, None, "people", "people")],
    )
    conn.executemany("INSERT INTO group_tags (group_id, tag_id) VALUES (?, ?)", [(2, 2), (3, 1), (3, 2)])
    conn.close()

    with Store.open(path) as store:
        assert store.version == SCHEMA_VERSION
        rows = store.conn.execute(
            "SELECT name, category, aliases, groups FROM tag_overview ORDER BY id"
        ).fetchall()
        assert rows == [
            ("1girl", "general", "sole female, solo female", "people"),
            ("sitting", "general", None, "people; posture > sitting"),
            ("hatsune miku", "character", "miku", None),
        ]
        assert store.conn.execute(
            "SELECT alias, tag, category FROM alias_names WHERE alias = 'miku'"
        ).fetchone() == (
            "miku",
            "hatsune miku",
            "character",
        )
        assert store.conn.execute('SELECT "group", tag FROM group_members ORDER BY 1, 2').fetchall() == [
            ("people", "1girl"),
            ("people", "sitting"),
            ("posture > sitting", "sitting"),
        ]
        assert store.conn.execute("SELECT path, depth FROM group_paths ORDER BY path").fetchall() == [
            ("people", 0),
            ("posture", 0),
            ("posture > sitting", 1),
        ]


def test_a_version_5_vocabulary_makes_its_translations_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with Store.open(path) as store, store.transaction():
        writer = Writer(store)
        writer.tag("long hair", post_count=100)
        tag_id = writer.tag_id("long hair")
        assert tag_id is not None
        writer.translation(tag_id, "zh-CN", "长发")
        writer.finish()
    # As version 5 left it: no `lang` column, no translation terms.
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("terms", "prefix_top"):
        conn.execute(f"DELETE FROM {table} WHERE lang IS NOT NULL")
        conn.execute(f"ALTER TABLE {table} DROP COLUMN lang")
    conn.execute("PRAGMA user_version = 5")
    conn.close()

    with Store.open(path) as store:
        assert store.version == SCHEMA_VERSION
        hits = Searcher(Vocabulary(store)).search("长发")
        assert [(hit.tag.name, hit.lang) for hit in hits] == [("long hair", "zh-CN")]
