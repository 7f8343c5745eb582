"""The vocabulary a long-running server keeps open: what it remembers between requests follows the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from captionls.server.caption.live_vocabulary import PAGE_CACHE_KIB, LiveVocabulary


def test_list_keys_are_read_again_once_the_vocabulary_changed(vocabulary: Path, tmp_path: Path) -> None:
    path = shutil.copy(vocabulary, tmp_path / "vocabulary.sqlite")
    live, another_process = LiveVocabulary(Path(path)), LiveVocabulary(Path(path))
    before = live.list_keys("personal")
    assert "smile" not in before
    assert live.list_keys("personal") is before  # nothing changed: not read again

    another_process.add_to_list("smile", "personal")
    assert live.changed()
    assert "smile" in live.list_keys("personal")

    live.remove_from_list("smile", "personal")  # the server's own write
    assert live.changed()
    assert "smile" not in live.list_keys("personal")


def test_the_page_cache_holds_what_a_typing_session_reads_again(vocabulary: Path, tmp_path: Path) -> None:
    """Searches seek pages all over the file: 32 MB of SQLite's page cache, not its default 2 MB (about 34
    reads of a page per keystroke otherwise); writes by another process still show."""
    path = Path(shutil.copy(vocabulary, tmp_path / "vocabulary.sqlite"))
    live, another_process = LiveVocabulary(path), LiveVocabulary(path)
    (cache_size,) = live.store.conn.execute("PRAGMA cache_size").fetchone()
    assert cache_size == -PAGE_CACHE_KIB == -32 * 1024
    assert live.searcher.search("smile")
    another_process.add_to_list("a tag no vocabulary has", "personal")
    assert live.changed()
    found = live.searcher.search("a tag no vocabulary has")
    assert [hit.tag.name for hit in found] == ["a tag no vocabulary has"]
