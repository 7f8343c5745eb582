#!/usr/bin/env python3
"""Build the built-in vocabulary shipped in the package: `vocab/builtin/danbooru.csv.gz`.

Input: the a1111-sd-webui-tagcomplete Danbooru list (`../shared/data/tagcomplete/danbooru.csv`, MIT,
see the README's "Data and licences"). Output: the same tagcomplete CSV format, gzipped, with

- the general, meta, copyright and character tags (artists are left out: tens of thousands of names
  nobody captions a style LoRA's images with, and they would crowd completion);
- each kept tag's aliases, minus any alias that is also a tag name anywhere in the Danbooru list
  (importing the full list later must not find one of its own tags already taken by an alias),
  and minus aliases that normalise to nothing (`[_]`).

The file is written deterministically (gzip mtime 0), so rebuilding from the same input gives the same
bytes. Run: `.venv/bin/python scripts/build_builtin.py [SOURCE_CSV]`.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from captionls.vocab.normalize import tag_key

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "data" / "tagcomplete" / "danbooru.csv"
TARGET = REPO / "vocab" / "builtin" / "danbooru.csv.gz"
# Danbooru numbering: 0 general, 1 artist, 3 copyright, 4 character, 5 meta.
KEPT_CATEGORIES = {"0", "3", "4", "5"}


def build(source: Path, target: Path) -> tuple[int, int]:
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and row[0].strip()]
    tag_keys = {tag_key(row[0]) for row in rows}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    kept = aliases = 0
    for name, category, count, *rest in rows:
        if category not in KEPT_CATEGORIES:
            continue
        names = [a for a in (rest[0].split(",") if rest else []) if tag_key(a) and tag_key(a) not in tag_keys]
        writer.writerow([name, category, count, ",".join(names)])
        kept += 1
        aliases += len(names)
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(out.getvalue().encode("utf-8"))
    return kept, aliases


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    kept, aliases = build(source, TARGET)
    size = TARGET.stat().st_size
    print(f"{TARGET.relative_to(REPO)}: {kept:,} tags, {aliases:,} aliases, {size:,} bytes")


if __name__ == "__main__":
    main()
