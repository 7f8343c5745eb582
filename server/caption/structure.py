"""Which section of the guide's caption structure a tag belongs to.

In order of precedence: the configured triggers are `globals`; the config's `[sections]` table (tags,
and `group:` names matched against the vocabulary's groups); the vocabulary's tag groups through the
section map (Danbooru groups -> sections); the guide's own examples, built in below. A tag none of them
places has no section, and a tag with no section is never out of order.

Only confident answers count: the guide's own examples win over the tag groups, a group whose members
are not one kind of thing gives no section (`List of style parodies` holds the hand sign `v`, `Gerunds`
holds `building`), and a tag whose groups disagree has none.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from captionls.vocab.normalize import tag_key
from captionls.vocab.query import Resolved, Vocabulary
from captionls.vocab.sections import SectionMap, path_key

from .config import GROUP_PREFIX, Config

GLOBALS = "globals"

# Whole tags, as the guide's examples and the issue list them.
BUILTIN_TAGS: dict[str, str] = {
    **dict.fromkeys(
        [
            "photograph", "photo", "realistic", "illustration", "drawing", "anime", "painting", "sketch",
            "1girl", "1boy", "2girls", "2boys", "multiple girls", "multiple boys", "solo", "no humans",
            "portrait", "full body", "upper body", "lower body", "cowboy shot", "close-up", "wide shot",
            "from above", "from below", "from front", "from behind", "from side", "depth of field",
            "pov", "dutch angle", "blurry background",
        ],
        "type",
    ),
    **dict.fromkeys(
        [
            "standing", "sitting", "leaning", "leaning forward", "leaning back", "kneeling", "lying",
            "squatting", "walking", "running", "arms up", "arms behind back", "hand on hip", "head tilt",
            "contrapposto", "looking at viewer", "looking away", "looking back", "smile", "smiling",
            "closed eyes", "eyes closed", "open mouth", "blush", "crying", "wink", "raised arms",
        ],
        "action",
    ),
    **dict.fromkeys(
        ["sunlight", "backlighting", "light rays", "sunbeam", "lens flare", "rim lighting", "shadow"],
        "details",
    ),
    **dict.fromkeys(
        [
            "white background", "simple background", "indoors", "outdoors", "couch", "wooden floor",
            "window", "sky", "night", "day", "city", "street", "forest", "beach", "room", "bedroom",
        ],
        "background",
    ),
    **dict.fromkeys(
        ["dreary", "lonely", "hopeful", "melancholy", "peaceful", "cozy", "gloomy"], "associations"
    ),
}  # fmt: skip

# Free-text tags (`coffee machine sitting on a countertop`) go by their leading words...
BUILTIN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("holding ", "action"),
    ("looking ", "action"),
    ("from ", "type"),
    ("of a ", "type"),
    ("of an ", "type"),
)
# ...or by their head noun: the last word before a `with`/`as`/`through` clause (singular)...
BUILTIN_HEADS: dict[str, str] = {
    **dict.fromkeys(["shot", "view", "photo", "illustration"], "type"),
    **dict.fromkeys(
        [
            "hair", "eye", "eyes", "dress", "shirt", "skirt", "pant", "pants", "short", "shorts", "jacket",
            "coat", "hat", "glasses", "earring", "necklace", "ribbon", "bow", "glove", "boot", "shoe",
            "slipper", "sock", "thighhighs", "uniform", "sweater", "hoodie", "kimono", "swimsuit",
            "bikini", "ear", "tail", "wing", "horn", "skin", "bang", "bangs", "ponytail", "twintails",
            "braid", "hairband", "ornament", "scarf", "apron", "belt", "collar", "sleeve", "sleeves",
        ],
        "subject",
    ),
    **dict.fromkeys(["lighting", "light", "sunlight", "moonlight", "shadow"], "details"),
    **dict.fromkeys(
        [
            "background", "floor", "wall", "couch", "sofa", "window", "table", "room", "sky", "street",
            "countertop", "counter", "bed", "chair", "curtain", "tree", "grass", "building", "ceiling",
            "door", "shelf", "field", "city", "forest", "beach", "garden", "kitchen", "bedroom",
        ],
        "background",
    ),
}  # fmt: skip
# ...or by a mood word in front (`dreary environment`).
BUILTIN_LEADS: dict[str, str] = {
    **dict.fromkeys(["sunlight", "moonlight", "backlighting"], "details"),
    **dict.fromkeys(
        ["dreary", "lonely", "hopeful", "melancholy", "peaceful", "cozy", "gloomy"], "associations"
    ),
}
# Danbooru groups (as `path_key`s, outermost first) that say nothing about where a tag goes in a caption.
UNCERTAIN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("image composition", "list of style parodies"),
    ("image composition", "format"),
    ("image composition", "traditional japanese patterns"),
    ("image composition", "other patterns"),
    ("image composition", "flaws"),
    ("verbs and gerunds", "gerunds"),
    ("verbs and gerunds", "ambiguous"),
    # An emotion word is a face's expression or the image's mood (`lonely`, `gloomy`).
    ("face tags", "emotions"),
)
_CLAUSE = re.compile(r"\s(?:with|as|through)\s")


def builtin_section(key: str) -> str | None:
    """The section the guide's examples give `key`, or None."""
    section = BUILTIN_TAGS.get(key)
    if section is not None:
        return section
    for prefix, prefix_section in BUILTIN_PREFIXES:
        if key.startswith(prefix):
            return prefix_section
    words = _CLAUSE.split(key, maxsplit=1)[0].split()
    if not words:
        return None
    head = words[-1]
    section = BUILTIN_HEADS.get(head)
    if section is None and head.endswith("s") and not head.endswith("ss"):
        section = BUILTIN_HEADS.get(head[:-1])
    if section is None and len(words) > 1:
        section = BUILTIN_LEADS.get(words[0])
    return section


def _uncertain(path: list[str]) -> bool:
    keys = path_key(path)
    return any(keys[: len(group)] == group for group in UNCERTAIN_GROUPS)


class Sections:
    """Resolves tag keys to section names for one configuration; caches one answer per key."""

    def __init__(
        self,
        config: Config,
        vocabulary: Vocabulary,
        section_map: SectionMap | None,
        resolve: Callable[[str], Resolved | None],
    ) -> None:
        self.config = config
        self.vocabulary = vocabulary
        # The check context's cached resolution: each key is asked of the vocabulary once per run.
        self.resolve = resolve
        self.section_map = section_map
        self.order = {name: i for i, name in enumerate(config.structure)}
        self.triggers = {tag_key(trigger) for trigger in config.trigger}
        self._tags: dict[str, str] = {}
        self._groups: list[tuple[tuple[str, ...], str]] = []
        for section, items in config.sections.items():
            for item in items:
                if item.startswith(GROUP_PREFIX):
                    self._groups.append((path_key([item[len(GROUP_PREFIX) :]]), section))
                else:
                    self._tags.setdefault(tag_key(item), section)
        self._cache: dict[str, str | None] = {}

    def follow_triggers(self, keys: set[str]) -> None:
        """Take `keys` as the triggers (the inferred one, when none is configured): globals, first."""
        for key in self.triggers ^ keys:
            self._cache.pop(key, None)
        self.triggers = set(keys)

    def section_of(self, key: str) -> str | None:
        if key in self._cache:
            return self._cache[key]
        section = self._find(key)
        if section is not None and section not in self.order:
            section = None
        self._cache[key] = section
        return section

    def rank(self, key: str) -> int | None:
        """The position of the tag's section in the configured structure, or None."""
        section = self.section_of(key)
        return None if section is None else self.order[section]

    def _mapped(self, canonical: str, paths: list[list[str]]) -> str | None:
        """The section map's answer from the tag's certain groups; "" when they disagree (no section)."""
        assert self.section_map is not None
        certain = [path for path in paths if not _uncertain(path)]
        sections = {self.section_map.section_of(canonical, [path]) for path in certain} - {None}
        if len(sections) > 1:
            # Still one answer when the map names the tag itself.
            return self.section_map.section_of(canonical, []) or ""
        return sections.pop() if sections else self.section_map.section_of(canonical, [])

    def _find(self, key: str) -> str | None:
        if key in self.triggers:
            return GLOBALS
        configured = self._tags.get(key)
        if configured is not None:
            return configured
        resolved = self.resolve(key)
        if resolved is not None:
            canonical = resolved.tag.key
            configured = self._tags.get(canonical)
            if configured is not None:
                return configured
            guide = BUILTIN_TAGS.get(canonical) or BUILTIN_TAGS.get(key)
            if guide is not None:
                return guide
            if self._groups or self.section_map is not None:
                paths = self.vocabulary.group_paths(resolved.tag.id)
                for group, section in self._groups:
                    if any(group[0] in path_key(path) for path in paths):
                        return section
                if self.section_map is not None:
                    mapped = self._mapped(canonical, paths)
                    if mapped is not None:
                        return mapped or None
            return builtin_section(canonical) or builtin_section(key)
        if self.section_map is not None:
            mapped = self.section_map.section_of(key, [])
            if mapped is not None:
                return mapped
        return builtin_section(key)


def longest_in_order(ranks: list[int]) -> set[int]:
    """The positions of a longest non-decreasing subsequence of `ranks` (patience sorting): the tags
    to keep in place; the others are the fewest to move."""
    tails: list[int] = []  # tails[k]: position ending the best in-order run of length k + 1
    tail_ranks: list[int] = []
    previous: list[int | None] = []
    for position, rank in enumerate(ranks):
        k = bisect.bisect_right(tail_ranks, rank)
        previous.append(tails[k - 1] if k else None)
        if k == len(tails):
            tails.append(position)
            tail_ranks.append(rank)
        else:
            tails[k] = position
            tail_ranks[k] = rank
    kept: set[int] = set()
    at = tails[-1] if tails else None
    while at is not None:
        kept.add(at)
        at = previous[at]
    return kept
