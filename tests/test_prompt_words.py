"""The built-in words people prompt with beyond Danbooru, and verbatim tags."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from captionls.vocab.builtin import (
    DANBOORU_SOURCE_NAME,
    PROMPT_WORDS,
    PROMPT_WORDS_SOURCE_NAME,
    open_vocabulary,
)
from captionls.vocab.normalize import styled, tag_key
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import Store
from captionls.vocab.verbatim import verbatim_name, verbatim_names
from tests.kit.vocabularies import builtin_db

GUIDE_WORDS = [
    "anime",
    "drawing",
    "photograph",
    "illustration",
    "render",
    "portrait",
    "close up",
    "80s style",
]
MOODS = ["dreary", "sombre", "happy", "sad", "joyous", "hopeful", "lonely"]
QUALITY = ["masterpiece", "best quality", "score_9", "score_8_up", "source_anime", "rating_safe"]


def test_a_fresh_database_knows_the_guides_words(tmp_path: Path) -> None:
    with open_vocabulary(tmp_path / "vocab.sqlite") as store:
        vocabulary = Vocabulary(store)
        unknown = [word for word in GUIDE_WORDS + MOODS + QUALITY if vocabulary.resolve(word) is None]
        assert unknown == []
        score = vocabulary.resolve("score 9")
        assert score is not None and score.tag.name == "score_9" and score.tag.category == "meta"
        # Danbooru's own count is kept for a word it has.
        portrait = vocabulary.resolve("portrait")
        assert portrait is not None and portrait.tag.post_count > 10_000


def test_every_extra_quality_tag_of_tagcomplete_is_known(tmp_path: Path, shared_data: Path) -> None:
    rows = list(csv.reader((shared_data / "tagcomplete" / "extra-quality-tags.csv").open(encoding="utf-8")))
    assert rows
    with open_vocabulary(builtin_db(tmp_path)) as store:
        vocabulary = Vocabulary(store)
        assert [row[0] for row in rows if vocabulary.resolve(row[0]) is None] == []


def test_no_prompt_word_takes_the_place_of_a_danbooru_alias(tmp_path: Path) -> None:
    names = [row.split(",")[0] for row in PROMPT_WORDS.read_text(encoding="utf-8").splitlines() if row]
    path = tmp_path / "danbooru-only.sqlite"
    shutil.copyfile(builtin_db(tmp_path), path)
    with Store.open(path) as store:
        aliases = {row[0] for row in store.conn.execute("SELECT key FROM aliases")}
    assert [name for name in names if tag_key(name) in aliases] == []


def test_a_database_filled_before_the_prompt_words_gets_them_when_opened(tmp_path: Path) -> None:
    path = builtin_db(tmp_path)
    with Store.open(path) as store, store.transaction():
        store.conn.execute("DELETE FROM imports WHERE path = ?", (PROMPT_WORDS_SOURCE_NAME,))
        store.conn.execute("DELETE FROM tags WHERE key IN ('anime', 'dreary', 'score 9')")
    with open_vocabulary(path) as store:
        assert Vocabulary(store).resolve("dreary") is not None
    with Store.open(path) as store:
        sources = [row[0] for row in store.conn.execute("SELECT path FROM imports ORDER BY id")]
    assert sources == [DANBOORU_SOURCE_NAME, PROMPT_WORDS_SOURCE_NAME]
    # Once: opening again adds no second record.
    open_vocabulary(path).close()
    with Store.open(path) as store:
        assert store.conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 2


def test_a_database_of_ones_own_gets_no_prompt_words(tmp_path: Path) -> None:
    path = tmp_path / "mine.sqlite"
    with Store.open(path) as store, store.transaction():
        store.conn.execute("INSERT INTO imports (path, format) VALUES ('mine', 'listtag')")
        store.conn.execute("INSERT INTO tags (key, name) VALUES ('long hair', 'long hair')")
    with open_vocabulary(path) as store:
        assert Vocabulary(store).resolve("anime") is None


@pytest.mark.parametrize("name", ["score_9", "score 9", "Score_8_Up", "source anime", "rating_safe"])
def test_verbatim_tags_keep_their_underscores_in_any_style(name: str) -> None:
    exact = verbatim_name(name)
    assert exact is not None and "_" in exact and " " not in exact
    assert styled(name, "spaces") == exact
    assert styled(name, "underscores") == exact


def test_other_tags_follow_the_style() -> None:
    assert verbatim_name("long_hair") is None
    assert styled("long_hair", "spaces") == "long hair"
    assert styled("score", "spaces") == "score"
    assert {"score_9", "score_8_up", "source_anime", "rating_safe"} <= set(verbatim_names().values())
