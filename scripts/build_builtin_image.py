#!/usr/bin/env python3
"""Build the ready SQLite image of the built-in vocabulary: `vocab/builtin/vocabulary.sqlite.gz`.

A fresh database is filled row by row from the built-in sources (`BOOTSTRAP_STEPS`: danbooru.csv.gz,
the tag groups, the prompt words), its imports dated `IMAGE_IMPORT_TIME` so the same sources give the
same bytes, switched out of WAL mode, VACUUMed (compact, no free pages) and gzipped (mtime 0).
Rebuild it whenever a step, a source or the schema changes; `tests/test_vocab_image.py` fails until then.

Run: `.venv/bin/python scripts/build_builtin_image.py [--compare]` (`--compare`: also print the size
and unpacking time of the stdlib codecs, the figures behind choosing gzip in `vocab/builtin/image.py`).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from captionls.vocab.builtin import build_from_sources
from captionls.vocab.builtin.image import IMAGE, IMAGE_IMPORT_TIME
from captionls.vocab.store import Store

REPO = Path(__file__).resolve().parent.parent


def build_database(path: Path) -> None:
    """The built-in vocabulary, row by row, as a compact single-file SQLite database at `path`."""
    with Store.open(path) as store:
        build_from_sources(store)
        with store.transaction():
            store.conn.execute("UPDATE imports SET at = ?", (IMAGE_IMPORT_TIME,))
        store.conn.execute("PRAGMA journal_mode = DELETE")
        store.conn.execute("VACUUM")


def build(target: Path) -> int:
    """Write the gzipped image to `target`; returns its size in bytes."""
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "vocabulary.sqlite"
        build_database(database)
        with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
            out.write(database.read_bytes())
    return target.stat().st_size


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def compare_codecs(data: bytes) -> None:
    codecs: list[tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]] = [
        ("gzip -9", lambda raw: gzip.compress(raw, 9, mtime=0), gzip.decompress),
        ("xz -6", lzma.compress, lzma.decompress),
        ("bz2 -9", bz2.compress, bz2.decompress),
    ]
    print(f"uncompressed: {len(data) / 1e6:.1f} MB")
    for name, compress, decompress in codecs:
        packed = compress(data)
        started, cpu = time.perf_counter(), _cpu()
        assert decompress(packed) == data
        wall, cpu = time.perf_counter() - started, _cpu() - cpu
        unpacked = f"unpack {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU"
        print(f"{name}: {len(packed) / 1e6:.1f} MB, {unpacked}")


def main() -> None:
    size = build(IMAGE)
    print(f"{IMAGE.relative_to(REPO)}: {size:,} bytes")
    if "--compare" in sys.argv[1:]:
        with gzip.open(IMAGE, "rb") as packed:
            compare_codecs(packed.read())


if __name__ == "__main__":
    main()
