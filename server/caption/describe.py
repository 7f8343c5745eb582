"""Everything worth knowing about one tag as written in a caption: what hover and completion docs show.

Pure: the vocabulary's facts (canonical tag, aliases, category, groups, implications, translations) joined
with the dataset's (how many captions use it, which other phrasings of it they use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from captionls.vocab.normalize import tag_key
from captionls.vocab.query import TagDetails, Vocabulary
from captionls.vocab.search import Searcher

from .dataset import DatasetIndex


@dataclass
class TagDescription:
    written: str
    key: str
    # None for a tag the vocabulary does not know, and for the dataset's trigger (whatever a list says).
    details: TagDetails | None
    section: str | None
    dataset_count: int
    # Other ways this dataset writes the same tag (aliases, `_`/space, case), with caption counts.
    other_phrasings: dict[str, int] = field(default_factory=dict)
    # For an unknown tag: the closest vocabulary tags.
    closest: list[str] = field(default_factory=list)
    trigger: bool = False

    @property
    def synonyms(self) -> list[str]:
        """The aliases worth reading: not tagcomplete's typing shortcuts (`/lav` for `looking at viewer`)."""
        return [alias for alias in self.details.aliases if not is_shortcut(alias)] if self.details else []


def is_shortcut(alias: str) -> bool:
    """A tagcomplete shortcut alias (`/lav`, `/pec`): letters to type, never a phrasing of the tag."""
    return alias.startswith("/")


def dataset_keys_of(details: TagDetails) -> set[str]:
    """Every key the dataset could write this tag as: its own and its aliases'."""
    return {details.tag.key, *(tag_key(alias) for alias in details.aliases)}


def describe_tag(
    written: str,
    *,
    vocabulary: Vocabulary,
    searcher: Searcher,
    index: DatasetIndex,
    section: str | None = None,
    trigger: bool = False,
    closest: int = 5,
) -> TagDescription:
    """`written`: the tag as the caption writes it; its other phrasings are the dataset's other ways."""
    key = tag_key(written)
    details = None if trigger else vocabulary.details(written)
    description = TagDescription(written, key, details, section, index.count(key), trigger=trigger)
    keys = dataset_keys_of(details) if details is not None else {key}
    for other in sorted(keys):
        for phrasing, count in index.phrasings(other).items():
            if phrasing != written:
                description.other_phrasings[phrasing] = description.other_phrasings.get(phrasing, 0) + count
    if details is None and not trigger:
        description.closest = [hit.tag.name for hit in searcher.search(written, limit=closest)]
    return description
