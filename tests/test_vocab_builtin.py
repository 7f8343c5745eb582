"""The built-in vocabulary: what ships, how a fresh database is filled, and when it is not."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from captionls.vocab import builtin
from captionls.vocab.builtin import DANBOORU_TAGS, build_from_sources, is_fresh, open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from tests.kit.vocabularies import builtin_db

REPO = Path(__file__).resolve().parent.parent


def test_the_shipped_file_is_small() -> None:
    assert DANBOORU_TAGS.is_file()
    assert DANBOORU_TAGS.stat().st_size < 3 * 1024 * 1024


def test_the_build_script_reproduces_the_shipped_file(tmp_path: Path, shared_data: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_builtin", REPO / "scripts" / "build_builtin.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    target = tmp_path / "danbooru.csv.gz"
    kept, aliases = script.build(shared_data / "tagcomplete" / "danbooru.csv", target)
    assert kept == 81_581 and aliases > 17_000
    assert target.read_bytes() == DANBOORU_TAGS.read_bytes()


def test_a_fresh_database_is_filled(tmp_path: Path) -> None:
    with open_vocabulary(tmp_path / "new" / "vocab.sqlite") as store:
        assert not is_fresh(store)
        vocabulary = Vocabulary(store)
        counts = dict(store.conn.execute("SELECT category, count(*) FROM tags GROUP BY category"))
        assert set(counts) == {"general", "meta", "copyright", "character"}
        one_girl = vocabulary.resolve("sole_female")
        assert one_girl is not None and one_girl.tag.name == "1girl"
        hits = Searcher(vocabulary).search("contra", 2)
        assert [hit.tag.name for hit in hits] == ["contrapposto", "contra"]


def test_an_emptied_database_is_not_refilled(tmp_path: Path) -> None:
    path = builtin_db(tmp_path)
    with Store.open(path) as store, store.transaction():
        store.conn.execute("DELETE FROM tags")
    with open_vocabulary(path) as store:
        assert store.is_empty()


def test_an_existing_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "mine.sqlite"
    with Store.open(path) as store, store.transaction():
        store.conn.execute("INSERT INTO imports (path, format) VALUES ('mine', 'listtag')")
    with open_vocabulary(path) as store:
        assert store.is_empty()


def test_the_sources_are_read_in_order_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def first(store: Store) -> None:
        assert store.conn.in_transaction
        seen.append("first")

    def failing(store: Store) -> None:
        seen.append("failing")
        raise RuntimeError("step failed")

    monkeypatch.setattr(builtin, "BOOTSTRAP_STEPS", (builtin.install_danbooru_tags, first, failing))
    with Store.open(tmp_path / "v.sqlite") as store:
        with pytest.raises(RuntimeError):
            build_from_sources(store)
        assert seen == ["first", "failing"]
        # The failed build left nothing half-done.
        assert is_fresh(store)
