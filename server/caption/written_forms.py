"""Each distinct written tag (key, name) of a dataset once, under a small int id: the index's strings.

100,000 captions of 20 tags write a few thousand distinct tags: the index keeps each once here and a
caption keeps only their ids (4 bytes each in an array), instead of two strings per tag per caption.
An id lives while some caption refers to it, then returns to a free list for the next new tag (an editor
session writes `s`, `sm`, `smi` ... on the way to `smile`).
"""

from __future__ import annotations

from collections.abc import Iterable

from captionls.vocab.normalize import TagStyle, is_kaomoji
from captionls.vocab.verbatim import verbatim_names


def style_of(name: str) -> TagStyle | None:
    """How a multi-word phrasing joins its words; None for one word (`1girl`), a face (`^_^`) or a
    verbatim tag."""
    if is_kaomoji(name):
        return None
    if "_" in name.strip("_"):
        # `score_9` is written so in any style: it says nothing of the dataset's.
        return None if name.casefold() in verbatim_names() else "underscores"
    if " " in name:
        return "spaces"
    return None


class WrittenForms:
    """(key, name) <-> id, reference-counted by the captions holding the id."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        # By id: the (key, name), its style (computed once, not once per caption) and how many captions
        # hold it.
        self.forms: list[tuple[str, str]] = []
        self.styles: list[TagStyle | None] = []
        self.holders: list[int] = []
        self._free: list[int] = []

    def hold(self, key: str, name: str, times: int = 1) -> int:
        """The id of (key, name), held `times` more (a caption keeps it until `release`; a scan's chunk
        holds it for all its captions at once)."""
        form = (key, name)
        found = self._ids.get(form)
        if found is not None:
            self.holders[found] += times
            return found
        style = style_of(name)
        if self._free:
            found = self._free.pop()
            self.forms[found], self.styles[found], self.holders[found] = form, style, times
        else:
            found = len(self.forms)
            self.forms.append(form)
            self.styles.append(style)
            self.holders.append(times)
        self._ids[form] = found
        return found

    def hold_all(self, forms: Iterable[tuple[str, str]]) -> list[int]:
        """The ids of `forms`, each held once more: `hold` for a caption's tags at once."""
        ids, holders = self._ids, self.holders
        held = []
        for form in forms:
            found = ids.get(form)
            if found is None:
                found = self.hold(*form)
            else:
                holders[found] += 1
            held.append(found)
        return held

    def release(self, form_id: int) -> None:
        self.holders[form_id] -= 1
        if self.holders[form_id] == 0:
            del self._ids[self.forms[form_id]]
            self._free.append(form_id)

    def __len__(self) -> int:
        """How many forms are held (ids on the free list are not)."""
        return len(self._ids)
