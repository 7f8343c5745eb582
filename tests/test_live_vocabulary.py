"""The vocabulary a long-running server keeps open: what it remembers between requests follows the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from captionls.server.caption.live_vocabulary import LiveVocabulary


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
