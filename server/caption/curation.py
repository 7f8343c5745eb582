"""Growing and pruning a personal tag list from the datasets the user captions.

`add-from` wants the tags the captions use, in the vocabulary's canonical form (`sole female` counts as
`1girl`), without the dataset's trigger (configured in captionls.toml, else inferred: see `trigger`);
`prune` wants to know which listed tags no dataset uses (a trigger is used). Both read the dataset index,
so prose lines contribute nothing; a descriptive phrase in a tag line counts only when the vocabulary
knows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from captionls.vocab.normalize import tag_key
from captionls.vocab.query import Vocabulary

from .dataset import DatasetIndex
from .kinds import segment_kind
from .trigger import inferred_trigger, known_tag


class DatasetMissing(Exception):
    """A dataset path that is not a folder; the message is one line for the user."""


@dataclass(frozen=True)
class UsedTag:
    """A tag the datasets use: the vocabulary's tag (id and name), else the captions' own spelling."""

    key: str
    name: str
    tag_id: int | None
    captions: int


def trigger_keys(index: DatasetIndex, knows: Callable[[str], bool]) -> set[str]:
    """The keys of the dataset's triggers: configured, else inferred from its captions (`knows`: whether the
    vocabulary knows a key, asked only of a candidate the captions show)."""
    if index.config.trigger:
        return {tag_key(trigger) for trigger in index.config.trigger}
    name = inferred_trigger(index, knows)
    return set() if name is None else {tag_key(name)}


def used_tags(roots: Sequence[Path], vocabulary: Vocabulary, *, with_triggers: bool) -> list[UsedTag]:
    """Every tag the captions under `roots` use, canonical, most captions first."""
    found: dict[str, UsedTag] = {}
    for root in roots:
        if not root.is_dir():
            raise DatasetMissing(f"{root}: not a dataset folder")
        index = DatasetIndex(root)
        index.scan()
        left_out = set() if with_triggers else trigger_keys(index, lambda key: known_tag(vocabulary, key))
        for key, written, captions in index.tags():
            if key in left_out:
                continue
            resolved = vocabulary.resolve_key(key)
            if resolved is not None:
                used = UsedTag(resolved.tag.key, resolved.tag.name, resolved.tag.id, captions)
            elif segment_kind(written) == "tag":
                used = UsedTag(key, written, None, captions)
            else:
                continue
            earlier = found.get(used.key)
            if earlier is not None:
                used = UsedTag(used.key, used.name, used.tag_id, earlier.captions + captions)
            found[used.key] = used
    return sorted(found.values(), key=lambda used: (-used.captions, used.key))
