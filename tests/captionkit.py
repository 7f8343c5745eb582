"""Builders for the caption tests: a real SQLite vocabulary and real dataset folders under tmp_path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from captionls.server.caption.checker import CheckContext
from captionls.server.caption.config import Config, load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.vocab.query import Vocabulary
from captionls.vocab.sections import load_section_map
from captionls.vocab.store import Store
from captionls.vocab.write import Writer

# A small vocabulary with the tags the tests write (post counts make search rank like Danbooru).
TAGS = {
    "1girl": 6_000_000,
    "solo": 5_000_000,
    "long hair": 4_300_000,
    "short hair": 2_200_000,
    "brown hair": 1_400_000,
    "smile": 2_800_000,
    "looking at viewer": 3_300_000,
    "arms up": 188_000,
    "sitting": 939_000,
    "standing": 901_000,
    "full body": 805_000,
    "upper body": 772_000,
    "from side": 222_000,
    "head tilt": 139_000,
    "closed eyes": 706_000,
    "white dress": 266_000,
    "sunlight": 78_500,
    "indoors": 360_000,
    "outdoors": 537_000,
    "couch": 52_000,
    "wooden floor": 28_000,
    "window": 132_000,
    "simple background": 1_800_000,
    "white background": 1_500_000,
    "fate (series)": 500_000,
    "smiley face": 5_000,
}
ALIASES = {"raised arms": "arms up", "smiling": "smile", "longhair": "long hair"}


def make_vocabulary(path: Path, tags: Mapping[str, int] = TAGS, aliases: Mapping[str, str] = ALIASES) -> Path:
    store = Store.open(path)
    with store.transaction():
        writer = Writer(store)
        for name, count in tags.items():
            writer.tag(name, post_count=count)
        for alias, canonical in aliases.items():
            writer.alias(alias, canonical)
        writer.finish()
    store.close()
    return path


def write_dataset(
    root: Path,
    captions: Mapping[str, str | bytes],
    config: str | None = None,
    image: str = ".png",
) -> Path:
    """`name.txt` (text written byte for byte, no newline translation) and an image beside each."""
    root.mkdir(parents=True, exist_ok=True)
    for name, caption in captions.items():
        path = root / name if "." in name else root / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(caption, bytes):
            path.write_bytes(caption)
        else:
            path.write_bytes(caption.encode("utf-8"))
        path.with_suffix(image).write_bytes(b"\x89PNG\r\n\x1a\n")
    if config is not None:
        (root / "captionls.toml").write_text(config, encoding="utf-8")
    return root


def context(root: Path, vocabulary_path: Path, config: Config | None = None) -> CheckContext:
    """A scanned dataset and a check context over it, the way `captionls check` builds them."""
    config = config or load_config(root)
    index = DatasetIndex(root, config)
    index.scan()
    return CheckContext(config, Vocabulary(Store.open(vocabulary_path)), index, load_section_map())
