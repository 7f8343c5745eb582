#!/usr/bin/env python3
"""Danbooru import figures: 1,000,000 tags (1,000 pages of 1,000) from a loopback server, and DText parsing.

Targets: the import at most 60 s; a 100 KB tag-group page parsed in at most 10 ms. Run from the repository:

    .venv/bin/python tests/benchmarks/bench_danbooru.py [--tags 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.kit

from captionls.vocab.importers.danbooru import DanbooruImport, HttpSource, ImportPlan, Politeness
from captionls.vocab.importers.dtext import parse_group_page
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from tests.kit.danbooru import LoopbackDanbooru, SyntheticTags

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "danbooru"


def bench_import(count: int) -> None:
    danbooru = LoopbackDanbooru()
    danbooru.synthetic = SyntheticTags(count)
    with danbooru.serve(), tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "vocabulary.sqlite")
        # The rate is lifted: the figure is captionls' own cost, not the 2 requests a second it uses online.
        source = HttpSource(danbooru.url, politeness=Politeness(rate=100_000.0))
        start = time.perf_counter()
        report = DanbooruImport(store, source, ImportPlan(tags=True)).run()
        elapsed = time.perf_counter() - start
        source.close()
        pages = len(danbooru.requests)
        assert report.tags == count == Vocabulary(store).size()
        hits = Searcher(Vocabulary(store)).search(f"tag_{count}", 1)
        assert hits and hits[0].tag.name == f"tag_{count}"
        store.close()
    print(
        f"import {count:,} tags ({pages:,} requests) from the loopback server:"
        f" {elapsed:.1f} s (target <= 60 s)"
    )


def bench_dtext() -> None:
    real = SHARED / "tag_group_backgrounds.body.dtext"
    if real.is_file():
        unit = real.read_bytes().decode("utf-8")
        what = "tag_group:backgrounds repeated"
    else:
        unit = "h4#colors. Colors\r\n* [[aqua background]]\r\n** [[transparent background]] (deprecated)\r\n"
        what = "synthetic page"
    body = (unit * (100_000 // len(unit) + 1))[:100_000]
    times = []
    for _ in range(50):
        start = time.perf_counter()
        parse_group_page(body, "bench")
        times.append(time.perf_counter() - start)
    times.sort()
    print(
        f"parse a {len(body.encode('utf-8')) / 1000:.0f} KB DText page ({what}):"
        f" best {times[0] * 1000:.1f} ms, median {times[len(times) // 2] * 1000:.1f} ms (target <= 10 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_dtext()
    bench_import(args.tags)


if __name__ == "__main__":
    main()
