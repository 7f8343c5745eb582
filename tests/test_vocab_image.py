"""The built-in vocabulary's ready SQLite image: current, and how a fresh database is made from it."""

from __future__ import annotations

import gzip
import os
import sqlite3
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from captionls.vocab import builtin
from captionls.vocab.builtin import build_from_sources, image, is_fresh, open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import SCHEMA_VERSION, Store
from tests.kit.cli import CLI
from tests.kit.vocabularies import table_digests


def _row_by_row(directory: Path) -> Path:
    path = directory / "row-by-row.sqlite"
    with Store.open(path) as store:
        build_from_sources(store)
    return path


def _unpacked_image(directory: Path) -> Path:
    path = directory / "image.sqlite"
    with gzip.open(image.IMAGE, "rb") as packed:
        path.write_bytes(packed.read())
    return path


def test_the_image_is_current(tmp_path: Path) -> None:
    """Same schema version as this code, and the same rows as the built-in sources give row by row:
    fails until `scripts/build_builtin_image.py` has run after a change to a step, a source or the schema."""
    shipped = _unpacked_image(tmp_path)
    conn = sqlite3.connect(shipped)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # Compact and ready to link into place: no free pages, no WAL header.
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert {at for (at,) in conn.execute("SELECT at FROM imports")} == {image.IMAGE_IMPORT_TIME}
    finally:
        conn.close()
    assert table_digests(shipped) == table_digests(_row_by_row(tmp_path))


def _substring_rows(path: Path) -> list[tuple[int]]:
    """The rows of `terms` the trigram index finds for a common substring."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT rowid FROM term_grams WHERE term GLOB '*air*' ORDER BY rowid").fetchall()
    finally:
        conn.close()


def _searches_like_the_builtin(store: Store) -> None:
    vocabulary = Vocabulary(store)
    assert [hit.tag.name for hit in Searcher(vocabulary).search("contra", 2)] == ["contrapposto", "contra"]
    # The substring (trigram) index points at the right terms.
    assert "contrapposto" in [hit.tag.name for hit in Searcher(vocabulary).search("rappos", 5)]
    store.conn.execute("INSERT INTO term_grams (term_grams) VALUES ('integrity-check')")


def test_a_new_file_is_the_image_dated_now_with_the_umasks_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new" / "vocab.sqlite"
    with open_vocabulary(target) as store:
        _searches_like_the_builtin(store)
        ats = {at for (at,) in store.conn.execute("SELECT at FROM imports")}
    assert len(ats) == 1 and image.IMAGE_IMPORT_TIME not in ats
    assert table_digests(target) == table_digests(_unpacked_image(tmp_path))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    # No unpacked copy is left beside it.
    assert [path.name for path in target.parent.iterdir() if path.suffix == ".tmp"] == []


def test_an_existing_empty_database_gets_the_images_rows(tmp_path: Path) -> None:
    """A file that exists but is fresh (made by Store.open, or an empty file) is filled in one transaction."""
    made = tmp_path / "made.sqlite"
    Store.open(made).close()
    touched = tmp_path / "touched.sqlite"
    touched.touch()
    for path in (made, touched):
        with open_vocabulary(path) as store:
            _searches_like_the_builtin(store)
        assert table_digests(path, skip=("term_grams_",)) == table_digests(
            _unpacked_image(tmp_path), skip=("term_grams_",)
        )
        # The trigram index is rebuilt, not copied: from the same rows (whole terms, no suffixes).
        assert _substring_rows(path) == _substring_rows(_unpacked_image(tmp_path))
        assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_without_hard_links_the_image_is_copied_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError("no hard links on this file system")

    monkeypatch.setattr(os, "link", no_links)
    with open_vocabulary(tmp_path / "vocab.sqlite") as store:
        _searches_like_the_builtin(store)


def test_placing_never_replaces_a_file(tmp_path: Path) -> None:
    target = tmp_path / "vocab.sqlite"
    target.write_bytes(b"theirs")
    image.place(target)
    assert target.read_bytes() == b"theirs"
    assert [path.name for path in tmp_path.iterdir()] == ["vocab.sqlite"]


def test_a_failed_fill_leaves_the_database_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v.sqlite"
    Store.open(path).close()

    def failing(store: Store, schema: str) -> None:
        store.conn.execute("INSERT INTO tags (key, name) VALUES ('half', 'half')")
        raise RuntimeError("fill failed")

    monkeypatch.setattr(builtin.image, "fill", failing)
    with pytest.raises(RuntimeError):
        open_vocabulary(path)
    with Store.open(path) as store:
        assert is_fresh(store)


def test_two_first_runs_on_an_existing_empty_database_fill_it_once(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    Store.open(db).close()
    command = [*CLI, "vocab", "search", "contra", "--db", str(db)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        assert out.startswith("contrapposto")
    with Store.open(db) as store:
        sources = [row[0] for row in store.conn.execute("SELECT path FROM imports ORDER BY id")]
    assert sources == [builtin.DANBOORU_SOURCE_NAME, builtin.PROMPT_WORDS_SOURCE_NAME]
    assert [path.name for path in tmp_path.iterdir() if path.suffix == ".tmp"] == []


def _counting_unpacks(monkeypatch: pytest.MonkeyPatch, failures: int = 0) -> list[Path]:
    """Patch `image.unpack` to record each call's directory; the first `failures` calls fail."""
    calls: list[Path] = []
    real = image.unpack

    def unpack(directory: Path) -> Path:
        calls.append(directory)
        if len(calls) <= failures:
            raise OSError("disk full")
        return real(directory)

    monkeypatch.setattr(image, "unpack", unpack)
    return calls


def test_an_image_unpacked_ahead_is_the_one_placed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `captionls serve` does on a first start: the image is unpacked on another thread while the
    server loads, and making the vocabulary takes that file instead of unpacking another."""
    calls = _counting_unpacks(monkeypatch)
    target = tmp_path / "data" / "vocab.sqlite"
    image.unpack_ahead(target.parent)
    with open_vocabulary(target) as store:
        _searches_like_the_builtin(store)
    assert calls == [target.parent]
    assert table_digests(target) == table_digests(_unpacked_image(tmp_path))
    assert [path.name for path in target.parent.iterdir() if path.suffix == ".tmp"] == []


def test_an_image_that_failed_to_unpack_ahead_is_unpacked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_unpacks(monkeypatch, failures=1)
    target = tmp_path / "vocab.sqlite"
    image.unpack_ahead(tmp_path)
    with open_vocabulary(target) as store:
        _searches_like_the_builtin(store)
    assert calls == [tmp_path, tmp_path]


def test_an_image_unpacked_ahead_and_never_taken_is_removed_at_exit(tmp_path: Path) -> None:
    # The process ends at once: the unpacking is waited for, then its file removed.
    script = "import sys; from pathlib import Path; from captionls.vocab.builtin import image; "
    script += "image.unpack_ahead(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "data")], check=True, timeout=60)
    assert list((tmp_path / "data").iterdir()) == []


@pytest.mark.parametrize("damage", ["truncated", "trailing bytes", "flipped byte"])
def test_a_damaged_image_is_refused_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    packed = bytearray(image.IMAGE.read_bytes())
    if damage == "truncated":
        del packed[len(packed) // 2 :]
    elif damage == "trailing bytes":
        packed += b"\x1f\x8b more"
    else:
        packed[len(packed) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.sqlite.gz"
    damaged.write_bytes(packed)
    monkeypatch.setattr(image, "IMAGE", damaged)
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(zlib.error):
        image.unpack(folder)
    assert list(folder.iterdir()) == []


def test_an_unpacked_image_is_already_in_wal_mode_so_opening_it_writes_nothing(tmp_path: Path) -> None:
    """Switching a file to WAL mode syncs it: the thread of `unpack_ahead` does it, not the first document."""
    unpacked = image.unpack(tmp_path)
    before = unpacked.read_bytes()
    assert before[18:20] == b"\x02\x02"  # the header's read and write versions: WAL
    Store.open(unpacked).close()
    assert unpacked.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == [unpacked.name]
