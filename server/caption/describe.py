"""Everything worth knowing about one tag as written in a caption: what hover and completion docs show.

Pure: the vocabulary's facts (canonical tag, aliases, category, groups, implications, translations) joined
with the dataset's (how many captions use it, which other phrasings of it they use).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from captionls.vocab.normalize import tag_key
from captionls.vocab.query import TagDetails, Vocabulary
from captionls.vocab.search import Searcher

from .dataset import DatasetIndex


@dataclass
class TagDescription:
    written: str
    key: str
    details: TagDetails | None
    section: str | None
    dataset_count: int
    # Other ways this dataset writes the same tag (aliases, `_`/space, case), with caption counts.
    other_phrasings: dict[str, int] = field(default_factory=dict)
    # For an unknown tag: the closest vocabulary tags.
    closest: list[str] = field(default_factory=list)


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
    closest: int = 5,
) -> TagDescription:
    key = tag_key(written)
    details = vocabulary.details(written)
    if details is not None:
        # tagcomplete's typing shortcuts (`/lav` for `looking at viewer`) are no way to write the tag.
        synonyms = [alias for alias in details.aliases if not alias.startswith("/")]
        details = dataclasses.replace(details, aliases=synonyms)
    description = TagDescription(written, key, details, section, index.count(key))
    keys = dataset_keys_of(details) if details is not None else {key}
    for other in sorted(keys):
        for phrasing, count in index.phrasings(other).items():
            if phrasing != written:
                description.other_phrasings[phrasing] = description.other_phrasings.get(phrasing, 0) + count
    if details is None:
        description.closest = [hit.tag.name for hit in searcher.search(written, limit=closest)]
    return description
