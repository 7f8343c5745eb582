"""The vocabulary that ships inside the package, and the one way every command opens a vocabulary.

`open_vocabulary` opens (creating and migrating) the SQLite file; a fresh one (no tag and no import ever
recorded) is the built-in vocabulary, made from the ready SQLite image that ships with the package
(`image.py`): a file that does not exist yet is the image linked into place, an empty database that
exists gets the image's rows in one transaction. A database the user has emptied on purpose keeps its
import records and is never refilled behind their back.

The image is built by `scripts/build_builtin_image.py` from the sequence `BOOTSTRAP_STEPS`: each step
gets the store inside one transaction and writes one kind of built-in data, row by row. Adding built-in
data is adding one step (and rebuilding the image). A step added after databases were first filled is
also in `LATER_STEPS`: a database filled from the built-in data before it existed gets it when it is
next opened (once; the import record says it ran).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..importers import Source, import_files
from ..importers.tag_groups import install_tag_groups
from ..store import DEFAULT_WRITE_WAIT_S, Store, StoreError, default_path
from . import image

BUILTIN_DIR = Path(__file__).resolve().parent
DANBOORU_TAGS = BUILTIN_DIR / "danbooru.csv.gz"
# What the imports table records for the built-in tags (`vocab stats` shows it).
DANBOORU_SOURCE_NAME = "builtin:danbooru.csv"


def _open_danbooru() -> BinaryIO:
    return gzip.open(DANBOORU_TAGS, "rb")  # type: ignore[return-value]


def install_danbooru_tags(store: Store) -> None:
    """Danbooru's general, meta, copyright and character tags with counts and aliases."""
    import_files(
        store, [Source(DANBOORU_SOURCE_NAME, open_stream=_open_danbooru)], fmt="csv", numbering="danbooru"
    )


PROMPT_WORDS = BUILTIN_DIR / "prompt-words.csv"
PROMPT_WORDS_SOURCE_NAME = "builtin:prompt-words.csv"


def _open_prompt_words() -> BinaryIO:
    return PROMPT_WORDS.open("rb")


def install_prompt_words(store: Store) -> None:
    """What people prompt with beyond Danbooru: quality tags (`masterpiece`, `score_9`), medium and
    framing words (`anime`, `photograph`, `full body shot`) and mood words (`dreary`, `sombre`).

    A 5-column tagcomplete extra file, so a word Danbooru also has keeps its post count.
    """
    import_files(
        store,
        [Source(PROMPT_WORDS_SOURCE_NAME, open_stream=_open_prompt_words)],
        fmt="csv",
        numbering="danbooru",
    )


BootstrapStep = Callable[[Store], None]

# In order; later steps may rely on the tags of earlier ones.
BOOTSTRAP_STEPS: tuple[BootstrapStep, ...] = (install_danbooru_tags, install_tag_groups, install_prompt_words)
# Steps added after databases were first filled, with the import record that says a database has them.
LATER_STEPS: tuple[tuple[str, BootstrapStep], ...] = ((PROMPT_WORDS_SOURCE_NAME, install_prompt_words),)


def is_fresh(store: Store) -> bool:
    """Nothing in it and nothing ever imported: a database just created."""
    (fresh,) = store.conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM tags) AND NOT EXISTS (SELECT 1 FROM imports)"
    ).fetchone()
    return bool(fresh)


def bootstrap(store: Store) -> bool:
    """Fill a fresh database from the built-in image; returns whether it did."""
    if not is_fresh(store):
        return False
    with image.attached(store) as schema, store.transaction():
        # Checked again under the write lock: another process may have filled it meanwhile.
        if not is_fresh(store):
            return False
        image.fill(store, schema)
    return True


def build_from_sources(store: Store) -> None:
    """Fill an empty database row by row from the built-in sources, in one transaction: what the
    image is made of (`scripts/build_builtin_image.py`, and the test that proves the image current)."""
    with store.transaction():
        for step in BOOTSTRAP_STEPS:
            step(store)


def _imported(store: Store, source: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM imports WHERE path = ? LIMIT 1", (source,)).fetchone()
    return row is not None


def catch_up(store: Store) -> list[str]:
    """Run the later steps a database filled from the built-in data has not had; returns their sources.

    A database the user filled or emptied themselves (no built-in import, or no tags) is left alone.
    """
    missing = [(source, step) for source, step in LATER_STEPS if not _imported(store, source)]
    if not missing or not _imported(store, DANBOORU_SOURCE_NAME) or store.is_empty():
        return []
    with store.transaction():
        done = []
        for source, step in missing:
            # Checked again under the write lock: another process may have run it meanwhile.
            if not _imported(store, source):
                step(store)
                done.append(source)
    return done


def open_vocabulary(
    path: Path | str | None = None,
    *,
    write_wait: float | None = DEFAULT_WRITE_WAIT_S,
    on_wait: Callable[[], None] | None = None,
) -> Store:
    """Open the vocabulary at `path` (default: `$CAPTIONLS_DB` or the user data directory),
    creating, migrating and filling it from the built-in image when it is fresh, and adding built-in
    data that is newer than it. `write_wait` and `on_wait`: how writes wait for another process's
    (`Store.transaction`)."""
    target = Path(path) if path is not None else default_path()
    try:
        if not target.exists():
            image.place(target)
    except OSError as error:
        raise StoreError(f"{target}: cannot create the vocabulary ({error})") from None
    store = Store.open(target, write_wait=write_wait, on_wait=on_wait)
    try:
        if not bootstrap(store):
            catch_up(store)
    except OSError as error:
        store.close()
        raise StoreError(f"{target}: cannot fill the vocabulary from the built-in data ({error})") from None
    except BaseException:
        store.close()
        raise
    return store
