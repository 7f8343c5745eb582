"""Dataset folders (captions with an image beside each) and a check context over one, as `check` builds it."""

from __future__ import annotations

import random
import shutil
import struct
import zlib
from array import array
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from captionls.server.caption.checker import CheckContext
from captionls.server.caption.config import Config, load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.files import CaptionFile, Rewrite, write_captions
from captionls.server.caption.suggest import DatasetTags, Suggestion, suggest
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.sections import load_section_map
from captionls.vocab.store import Store


def _png() -> bytes:
    """A valid 1x1 grey PNG: captions are files whose stem matches an image beside them."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\x80"))
        + chunk(b"IEND", b"")
    )


PNG = _png()


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
        path.with_suffix(image).write_bytes(PNG)
    if config is not None:
        (root / "captionls.toml").write_text(config, encoding="utf-8")
    return root


def index_state(index: DatasetIndex) -> dict[str, object]:
    """Everything the index holds, dicts and counters with their order (a tie between two phrasings goes
    to the first written), its written forms included. Read errors compare without order: a folder that
    cannot be listed is reported while walking, before or among the files' errors."""
    state: dict[str, object] = {}
    for name, value in vars(index).items():
        if name == "_forms":
            state[name] = vars(value)
        elif name == "errors":
            state[name] = dict(value)
        elif isinstance(value, dict):
            state[name] = [
                (key, list(item.items()) if isinstance(item, Counter) else item)
                for key, item in value.items()
            ]
        elif isinstance(value, list):
            state[name] = [item.tolist() if isinstance(item, array) else item for item in value]
        else:
            state[name] = value
    return state


def context(root: Path, vocabulary_path: Path, config: Config | None = None) -> CheckContext:
    """A scanned dataset and a check context over it, the way `captionls check` builds them."""
    config = config or load_config(root)
    index = DatasetIndex(root, config)
    index.scan()
    return CheckContext(config, Vocabulary(Store.open(vocabulary_path)), index, load_section_map())


def suggestions(ctx: CheckContext, query: str) -> list[Suggestion]:
    """What completion offers for `query` in the context's dataset, with no dataset tags of its own."""
    return suggest(
        query,
        ctx=ctx,
        searcher=Searcher(ctx.vocabulary),
        dataset_tags=DatasetTags(),
        generation=0,
        vocabulary_generation=0,
        personal=(),
        exclude=(),
    )


CAPTIONS = {
    "a1": "ohwxStyle, anime, 1girl, solo, full body, sitting, arms up, long hair, couch, wooden floor",
    "a2": "ohwxStyle, anime, 1girl, solo, full body, standing, arms up, short hair, couch, wooden floor",
    "a3": "ohwxStyle, drawing, 1girl, solo, from side, sitting, head tilt, long hair, smile, couch",
    "a4": "ohwxStyle, drawing, 1girl, solo, full body, standing, arms up, brown hair, smile, wooden floor",
}


def make_dataset(root: Path, captions: dict[str, str] | None = None) -> Path:
    """A dataset folder: images with captions beside them, a captionls.toml and a README.txt."""
    chosen = captions if captions is not None else CAPTIONS
    write_dataset(
        root, {stem: text + "\n" for stem, text in chosen.items()}, 'trigger = ["ohwxStyle"]\nmin_tags = 3\n'
    )
    (root / "README.txt").write_text("sole female, 1girl, 1girl, contra\n", encoding="utf-8")
    return root


def rewrite_caption(path: Path, file: CaptionFile, text: str, root: Path) -> None:
    """One caption rewritten through the one write path (`write_captions`, journal included); what kept
    it from being written is raised."""
    errors = write_captions(root, "test rewrite", [Rewrite(path, file, text)])
    if errors:
        raise errors[path]


def listed(folder: Path) -> list[str]:
    """The names in `folder`, sorted, without the undo journal's `.captionls`."""
    return sorted(path.name for path in folder.iterdir() if path.name != ".captionls")


EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples" / "dataset"


def grown_examples(root: Path, extra: int, seed: int = 13) -> Path:
    """The example dataset (a finding of every rule in captions 09 to 15) plus `extra` clean captions in
    `more/`: each a clean example caption (01 to 08) with up to three of its tags left out, in order."""
    shutil.copytree(EXAMPLES, root)
    clean = sorted(EXAMPLES.glob("0[1-8]_*.txt"))
    rng = random.Random(seed)
    grown: dict[str, str] = {}
    for number in range(extra):
        tags = rng.choice(clean).read_text(encoding="utf-8").strip().split(", ")
        for _ in range(rng.randint(0, 3)):
            del tags[rng.randrange(1, len(tags))]
        grown[f"more/{number:05d}"] = ", ".join(tags) + "\n"
    write_dataset(root, grown)
    return root
