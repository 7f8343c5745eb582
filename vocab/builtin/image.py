"""The built-in vocabulary as a ready SQLite image: how a fresh database is made from it.

`scripts/build_builtin_image.py` fills a database row by row from the built-in sources (the bootstrap
steps), VACUUMs it and gzips it into `vocabulary.sqlite.gz`; `tests/test_vocab_image.py` proves the
shipped image is current. At run time a fresh vocabulary is that image, unpacked beside the target and
linked into place (`place`): no row is written, so the first command answers in a fraction of a second.

gzip, because the first run pays its decompression: on this 36.6 MB database gzip -9 gives 16.4 MB and
unpacks in about 0.2 s of CPU; xz gives 10.6 MB but takes 0.7 s, bz2 14 MB and 1.4 s (stdlib codecs,
measured in one run; scripts/build_builtin_image.py prints the figures again with `--compare`).

The language server does not wait for it: `unpack_ahead` starts the unpacking on another thread as the
server starts, beside the import of its modules, and the first `place` or `attached` in that directory
takes the file (`_unpacked`).
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import threading
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .. import terms
from ..store import Store

IMAGE = Path(__file__).resolve().parent / "vocabulary.sqlite.gz"
# What `imports.at` says in the image; a database made from it says when it was made instead.
IMAGE_IMPORT_TIME = "1970-01-01T00:00:00Z"
# zlib's window bits for a gzip member (16 + the deflate window).
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# Packed bytes per read (about 0.6 MB inflated): measured beside 64 KiB, 1 MiB and 4 MiB, the least CPU.
_CHUNK = 1 << 18


def unpack(directory: Path) -> Path:
    """The image as a new file of a name nobody else uses in `directory`, its imports dated now; the
    caller removes it."""
    path = directory / f".captionls-vocabulary-{uuid.uuid4().hex}.tmp"
    # Not mkstemp: its file is private (0600), and the vocabulary gets the umask's permissions, as
    # any file SQLite creates.
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            _inflate(out)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            # No journal, no sync: no one else opens the file before it is linked into place; synced below.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("UPDATE imports SET at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')")
            # The mode every vocabulary is opened in (Store.open), switched here, on the thread of
            # `unpack_ahead`: switching a file syncs it, 11 to 33 ms the first document waited for.
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        # Whole on disk before it has a name: a machine crash never leaves a torn vocabulary.
        with path.open("rb+") as written:
            os.fsync(written.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _inflate(out: BinaryIO) -> None:
    """The image's one gzip member, inflated into `out`. zlib reads the gzip header and checks the CRC-32
    and length as it inflates; gzip.open computes the CRC again in Python-driven steps: about 20 ms more
    CPU for the 36.6 MB, and more waits for the interpreter lock on the thread of `unpack_ahead`."""
    inflater = zlib.decompressobj(_GZIP_WBITS)
    with IMAGE.open("rb") as packed:
        while chunk := packed.read(_CHUNK):
            out.write(inflater.decompress(chunk))
    if not inflater.eof or inflater.unused_data:
        raise zlib.error(f"{IMAGE} is not one whole gzip member")


class _UnpackingAhead(threading.Thread):
    """`unpack(directory)` on its own thread; `path` is the file once it has succeeded."""

    def __init__(self, directory: Path) -> None:
        # Not a daemon: the process waits for it at exit, then removes the file if nobody took it.
        super().__init__(name="captionls-unpack-image")
        self.directory = directory
        self.path: Path | None = None

    def run(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path = unpack(self.directory)
        except Exception:
            # Whoever takes it unpacks again on their own thread (`_unpacked`), where the error reaches them.
            return


# Started by `unpack_ahead`, by directory, until taken.
_ahead: dict[Path, _UnpackingAhead] = {}


def unpack_ahead(directory: Path) -> None:
    """Start unpacking the image into `directory` on another thread, for the next `place` or `attached`
    there; a file nobody took is removed when the process exits."""
    if directory not in _ahead:
        _ahead[directory] = _UnpackingAhead(directory)
        _ahead[directory].start()


def _unpacked(directory: Path) -> Path:
    """The image unpacked in `directory`: the file `unpack_ahead` started there (once it is done), else a
    new one."""
    ahead = _ahead.pop(directory, None)
    if ahead is not None:
        ahead.join()
        if ahead.path is not None:
            return ahead.path
    return unpack(directory)


def _remove_untaken() -> None:
    while _ahead:
        _, ahead = _ahead.popitem()
        ahead.join()
        if ahead.path is not None:
            ahead.path.unlink(missing_ok=True)


atexit.register(_remove_untaken)


def place(target: Path) -> None:
    """Make `target`, which does not exist, the built-in vocabulary: unpacked beside it, then linked
    into place. A hard link never replaces a file: when another process (or the user) made `target`
    meanwhile, theirs stands and ours is dropped. Where the file system has no hard links, `target` stays
    absent, and the bootstrap copies the image (`fill`) into the empty database `Store.open` creates."""
    target.parent.mkdir(parents=True, exist_ok=True)
    unpacked = _unpacked(target.parent)
    try:
        os.link(unpacked, target)
    except OSError:
        pass  # FileExistsError: theirs stands; any other: no hard links here, `fill` does it
    finally:
        unpacked.unlink()


@contextmanager
def attached(store: Store) -> Iterator[str]:
    """The image attached to `store`'s connection (migrated to this schema first); yields its schema name.
    Attached outside any transaction (SQLite allows no ATTACH inside one), detached and removed after."""
    unpacked = _unpacked(store.path.parent)
    try:
        Store.open(unpacked).close()
        store.conn.execute("ATTACH DATABASE ? AS builtin_image", (str(unpacked),))
        try:
            yield "builtin_image"
        finally:
            store.conn.execute("DETACH DATABASE builtin_image")
    finally:
        unpacked.unlink()


def _image_tables(conn: sqlite3.Connection, schema: str) -> list[tuple[str, str]]:
    """The image's tables (name, CREATE statement) in creation order; the full-text index is left out
    (it is rebuilt from `terms`, whose rowids it points at)."""
    rows = conn.execute(
        f"SELECT name, sql FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE 'term_grams%' ORDER BY rowid"
    )
    return [(str(name), str(sql)) for name, sql in rows]


def _create_missing(conn: sqlite3.Connection, schema: str, table: str, sql: str) -> None:
    """Create `table` and its indexes as the image has them: the index's derived tables (`prefix_top`)
    exist only once a first import made them."""
    if conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = ?", (table,)).fetchone():
        return
    conn.execute(sql)
    indexes = conn.execute(
        f"SELECT sql FROM {schema}.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    )
    for (index_sql,) in indexes.fetchall():
        conn.execute(index_sql)


def fill(store: Store, schema: str) -> None:
    """Copy the attached image (`attached`) into `store`'s empty tables, rowids kept; inside the caller's
    transaction, so another process sees all of it or none."""
    conn = store.conn
    conn.execute("PRAGMA defer_foreign_keys = ON")
    for table, sql in _image_tables(conn, schema):
        _create_missing(conn, schema, table, sql)
        columns = [f'"{row[1]}"' for row in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]
        if "WITHOUT ROWID" not in sql.upper():
            columns.insert(0, "rowid")
        names = ", ".join(columns)
        conn.execute(f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM {schema}."{table}"')
    # Not the full-text 'rebuild', which would index every row of `terms`, word-start suffixes too.
    terms.index_whole_terms(conn)
