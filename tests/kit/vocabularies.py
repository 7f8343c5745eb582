"""Real SQLite vocabularies: a small one for caption tests, the language server tests' one, and the
built-in one (with files imported), which are built once per test run and copied per test.

Building the built-in vocabulary takes about two seconds and importing danbooru.csv about three;
copying a closed SQLite file takes milliseconds.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.importers import Source, import_files
from captionls.vocab.store import _MIGRATIONS, Store
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


@contextmanager
def writing(path: Path) -> Iterator[Writer]:
    """A writer on the vocabulary at `path` (created when missing), in one transaction, finished after."""
    with Store.open(path) as store, store.transaction():
        writer = Writer(store)
        yield writer
        writer.finish()


def make_vocabulary(path: Path, tags: Mapping[str, int] = TAGS, aliases: Mapping[str, str] = ALIASES) -> Path:
    """The caption tests' vocabulary (or the tags and aliases given): general tags with post counts."""
    with writing(path) as writer:
        for name, count in tags.items():
            writer.tag(name, post_count=count)
        for alias, canonical in aliases.items():
            writer.alias(alias, canonical)
    return path


# (name, category, post count, aliases)
VOCABULARY: list[tuple[str, str, int, list[str]]] = [
    ("1girl", "general", 6_008_644, ["sole female", "1girls"]),
    ("solo", "general", 5_000_954, ["female solo"]),
    ("long hair", "general", 4_500_000, ["longhair"]),
    ("very long hair", "general", 900_000, []),
    ("short hair", "general", 2_500_000, []),
    ("brown hair", "general", 1_500_000, []),
    ("short brown hair", "general", 900, []),
    ("looking at viewer", "general", 3_500_000, []),
    ("smile", "general", 3_000_000, []),
    ("sitting", "general", 900_000, []),
    ("standing", "general", 800_000, []),
    ("arms up", "general", 200_000, ["raised arms"]),
    ("head tilt", "general", 150_000, []),
    ("contrapposto", "general", 30_005, []),
    ("contra", "copyright", 53, []),
    ("full body", "general", 700_000, []),
    ("from side", "general", 300_000, []),
    ("anime", "general", 50_000, []),
    ("drawing", "general", 40_000, []),
    ("couch", "general", 120_000, []),
    ("wooden floor", "general", 100_000, []),
    ("simple background", "general", 2_000_000, []),
    ("white background", "general", 1_800_000, []),
    ("cat ears", "general", 600_000, ["nekomimi"]),
    ("fate (series)", "copyright", 400_000, ["fate"]),
    ("^_^", "general", 20_000, []),
]


def build_vocabulary(path: Path) -> Path:
    """The language server tests' vocabulary: tags, aliases, an implication, a translation, a group and
    the personal list."""
    with writing(path) as writer:
        for name, category, posts, aliases in VOCABULARY:
            writer.tag(name, category=category, post_count=posts, source="test")
            for alias in aliases:
                writer.alias(alias, name)
        writer.implication("very long hair", "long hair")
        cat_ears = writer.tag_id("cat ears")
        assert cat_ears is not None
        writer.translation(cat_ears, "ja", "猫耳")
        posture = writer.group("posture", None, 0, source="test")
        sitting = writer.group("sitting", posture, 0, source="test")
        for position, name in enumerate(["sitting", "contrapposto"]):
            tag_id = writer.tag_id(name)
            assert tag_id is not None
            writer.add_to_group(sitting, tag_id, position)
        head_tilt = writer.tag_id("head tilt")
        assert head_tilt is not None
        writer.add_to_list("personal", head_tilt)
    return path


@cache
def _template_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="captionls-vocab-templates-"))
    atexit.register(shutil.rmtree, directory, True)
    return directory


@cache
def _builtin_template() -> Path:
    path = _template_dir() / "builtin.sqlite"
    open_vocabulary(path).close()
    return path


@cache
def _imported_template(files: tuple[Path, ...]) -> Path:
    path = _template_dir() / f"imported-{len(list(_template_dir().iterdir()))}.sqlite"
    shutil.copyfile(_builtin_template(), path)
    with open_vocabulary(path) as store:
        import_files(store, [Source.file(file) for file in files])
    return path


def builtin_db(directory: Path) -> Path:
    """A database as the first command on a fresh machine leaves it: the built-in vocabulary."""
    target = directory / "vocab.sqlite"
    shutil.copyfile(_builtin_template(), target)
    return target


def imported_db(directory: Path, *files: Path) -> Path:
    """The built-in vocabulary with `files` imported."""
    target = directory / "vocab.sqlite"
    shutil.copyfile(_imported_template(tuple(files)), target)
    return target


def database_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A vocabulary as an older captionls left it: the first `version` migrations run, nothing after
    (the tests of later migrations fill it, then open it with `Store.open`)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for number, migration in enumerate(_MIGRATIONS[:version], start=1):
        if isinstance(migration, str):
            conn.executescript(migration)
        else:
            migration(Store(path, conn))
        conn.execute(f"PRAGMA user_version = {number}")
    return conn


def table_digests(path: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """A SHA-256 of each table's rows in a stable order (rowid, else the whole row), keyed by table name,
    plus the schema (every CREATE statement) and the file's version and application id: two databases
    with equal digests hold the same content. `skip`: tables left out (`term_grams_*` when the full-text
    index was rebuilt rather than grown). `imports.at` is left out: it says when a database was made."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digests = {
            "schema": _digest(conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")),
            "pragmas": _digest(
                [conn.execute(f"PRAGMA {pragma}").fetchone() for pragma in ("user_version", "application_id")]
            ),
        }
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL%'"
        ).fetchall()
        for name, sql in tables:
            if name.startswith(skip):
                continue
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            if name == "imports":
                columns.remove("at")
            selected = ", ".join(f'"{column}"' for column in columns)
            # prefix_top's rowids follow the order of a Python set (refreshed prefixes): only its rows count.
            if "WITHOUT ROWID" in sql.upper() or name == "prefix_top":
                order = ", ".join(str(n) for n in range(1, len(columns) + 1))
                rows = conn.execute(f'SELECT {selected} FROM "{name}" ORDER BY {order}')
            else:
                rows = conn.execute(f'SELECT rowid, {selected} FROM "{name}" ORDER BY rowid')
            digests[name] = _digest(rows)
    finally:
        conn.close()
    return digests


def _digest(rows: Iterable[object]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
