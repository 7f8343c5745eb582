"""The trigger a dataset uses when `captionls.toml` names none: its captions say it by starting with it.

The first tag of at least 90% of the captions (at least three), when the vocabulary does not know it, is
the trigger: `ohwx` in `ohwx, 1girl, ...` or in the hybrid `ohwx. A young woman ...`. A dataset whose
captions all start with `1girl` has no inferred trigger. A name the vocabulary holds only because a list
named it (a list.tag import, "Add to the personal vocabulary") is not known: such lists hold triggers too.
"""

from __future__ import annotations

from collections.abc import Callable

from captionls.vocab.query import Vocabulary

from .dataset import DatasetIndex
from .kinds import segment_kind

INFERRED_SHARE = 0.9
INFERRED_MINIMUM = 3


def inferred_trigger(index: DatasetIndex, knows: Callable[[str], bool]) -> str | None:
    """The trigger as the captions write it, when none is configured; `knows(key)`: the vocabulary has it."""
    if index.config.trigger:
        return None
    lead = index.leading_tag(INFERRED_SHARE, INFERRED_MINIMUM)
    if lead is None:
        return None
    key, name = lead
    if knows(key) or segment_kind(name) != "tag":
        return None
    return name


def known_tag(vocabulary: Vocabulary, key: str) -> bool:
    """What `inferred_trigger` asks: whether the vocabulary knows `key` as a tag, not only as a name some
    list of the user's holds."""
    resolved = vocabulary.resolve_key(key)
    return resolved is not None and not vocabulary.named_only_by_a_list(resolved.tag)
