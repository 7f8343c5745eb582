"""A vocabulary kept open by a long-running process (the language server), noticing changes.

Another process may import into the file (`captionls vocab import`), or replace it outright; the
server must then answer from the new content without a restart. `changed()` is cheap enough to call
before every request: one `stat` and one `PRAGMA data_version`.
"""

from __future__ import annotations

import os
from pathlib import Path

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store, StoreError, default_path
from captionls.vocab.write import Writer


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class LiveVocabulary:
    """The vocabulary at `path` (None: the default store), reopened when the file is replaced."""

    def __init__(self, path: Path | None) -> None:
        self.path = path if path is not None else default_path()
        self.error: str | None = None
        self.generation = 0
        # List name -> (the generation it was read at, its keys).
        self._list_keys: dict[str, tuple[int, frozenset[str]]] = {}
        self._open()

    def _open(self) -> None:
        try:
            self.store = open_vocabulary(self.path)
            self.error = None
        except StoreError as error:
            # Keep serving (completion from the dataset alone) and say why the vocabulary is empty.
            self.error = str(error)
            self.store = Store.open(":memory:")
        self.vocabulary = Vocabulary(self.store)
        self.searcher = Searcher(self.vocabulary)
        self._identity = _identity(self.path)
        self._version = self._data_version()
        self.generation += 1

    def _data_version(self) -> tuple[int, int] | None:
        try:
            return self.store.data_version()
        except Exception:
            return None

    def changed(self) -> bool:
        """Whether the vocabulary changed since the last call (reopening it if the file was replaced)."""
        identity = _identity(self.path)
        if identity is not None and identity != self._identity:
            self.store.close()
            self._open()
            return True
        version = self._data_version()
        if version != self._version:
            self._version = version
            self.generation += 1
            return True
        return False

    def list_keys(self, list_name: str) -> frozenset[str]:
        """The keys of a named list's tags, read again only once `changed()` has seen the vocabulary change.

        Completion asks for the personal list on every keystroke, and a personal list is often the one the
        captioning guide starts from (list.tag, 140,782 tags): reading that took about 100 ms.
        """
        cached = self._list_keys.get(list_name)
        if cached is None or cached[0] != self.generation:
            cached = (self.generation, frozenset(self.vocabulary.list_keys(list_name)))
            self._list_keys[list_name] = cached
        return cached[1]

    def close(self) -> None:
        self.store.close()

    def add_to_list(self, name: str, list_name: str) -> bool:
        """Put the tag `name` (created when the vocabulary lacks it) into a list; False if already there.

        Raises WriterBusy at once while another process (an import) writes: a server must not wait on the
        lock, every request behind this one would wait with it.
        """
        with self.store.transaction(wait=0):
            writer = Writer(self.store)
            tag_id = writer.tag_id(name)
            if tag_id is None:
                tag_id = writer.tag(name, source=list_name)
            added = writer.add_to_list(list_name, tag_id, name)
            writer.finish()
        return added

    def remove_from_list(self, name: str, list_name: str) -> bool:
        """Take the tag `name` names (directly or through an alias) out of a list; False if it was not in it.

        A tag that exists only because `add_to_list` created it for this list (and is in no other list)
        leaves the vocabulary too, so Remove undoes Add. Raises WriterBusy at once while another process
        writes, as `add_to_list` does.
        """
        with self.store.transaction(wait=0):
            writer = Writer(self.store)
            tag_id = writer.tag_id(name)
            removed = tag_id is not None and writer.remove_from_list(list_name, tag_id)
            if removed and tag_id is not None and writer.only_made_for_list(tag_id, list_name):
                writer.remove_tag(tag_id)
            writer.finish()
        return removed
