#!/usr/bin/env python3
"""`captionls check` speed figures quoted in the README (### Checking). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_check.py [--sizes 10000,100000] [--db PATH]

1. A synthetic dataset of N captions, 20 tags each (trigger first, then 19 drawn from the 3,000 most
   used built-in tags and 300 dataset-specific phrases, plus a few typos, aliases and empty tags so
   every rule has work), checked by `captionls check DIR` as a whole process: wall time including
   start-up (targets: 10,000 <= 3 s, 100,000 <= 30 s). The vocabulary is the built-in one, built
   before timing (a first run on a fresh machine builds it once).
2. One caption re-checked with a warm index (`index.update` + `check_text`, what the language server
   does on each edit): p50 / p99 over 2,000 edits (target <= 1 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.config import load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.sections import load_section_map

# The console script, as users run it (start-up included).
CLI = [str(Path(sys.executable).with_name("captionls"))]
TAGS_PER_CAPTION = 20
COMMON_TAGS = 3_000
PHRASES = 300


def tag_pool(db: Path) -> list[str]:
    store = open_vocabulary(db)
    rows = store.conn.execute(
        "SELECT name FROM tags WHERE category = 'general' ORDER BY post_count DESC LIMIT ?", (COMMON_TAGS,)
    )
    names = [row[0].replace("_", " ") for row in rows]
    store.close()
    return names


def make_dataset(root: Path, count: int, pool: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    phrases = [f"{rng.choice(['red', 'old', 'tall', 'soft'])} thing number {i}" for i in range(PHRASES)]
    root.mkdir(parents=True)
    (root / "captionls.toml").write_text('trigger = ["ohwxStyle"]\n', encoding="utf-8")
    for i in range(count):
        tags = rng.sample(pool, TAGS_PER_CAPTION - 4) + rng.sample(phrases, 3)
        roll = rng.random()
        if roll < 0.02:
            tags[5] = tags[5][:-1] + "q"  # a typo
        elif roll < 0.04:
            tags[6] = "raised arms"  # an alias
        elif roll < 0.06:
            tags[7] = ""  # an empty tag
        folder = root / f"{i // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"{i:06d}.txt").write_text(", ".join(["ohwxStyle", *tags]) + "\n", encoding="utf-8")
        (folder / f"{i:06d}.png").write_bytes(b"")


def time_check(root: Path, db: Path) -> tuple[float, float, float, str]:
    """Wall time, the child's CPU time (user + system), the peak RSS of the children so far (MB; runs
    go from small to large, so it is this run's) and the summary line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [*CLI, "check", str(root), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if result.returncode not in (0, 1):
        raise SystemExit(f"check failed ({result.returncode}): {result.stderr}")
    return elapsed, cpu, after.ru_maxrss / 1024, result.stdout.strip().splitlines()[-1]


def time_recheck(root: Path, db: Path, edits: int = 2_000) -> list[float]:
    config = load_config(root)
    index = DatasetIndex(root, config)
    index.scan()
    store = open_vocabulary(db)
    ctx = CheckContext(config, Vocabulary(store), index, load_section_map())
    path = index.captions()[len(index) // 2]
    text = index.files[path].text
    for other in index.captions()[:200]:
        check_text(other, index.files[other].text, ctx)  # warm caches the way an open editor has
    timings = []
    for i in range(edits):
        edited = text.replace("ohwxStyle, ", f"ohwxStyle, {'smile' if i % 2 else 'smlie'}, ", 1)
        started = time.perf_counter()
        index.update(path, edited)
        check_text(path, edited, ctx)
        timings.append(time.perf_counter() - started)
    store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--db", type=Path, help="vocabulary to use (default: a fresh built-in one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="captionls-bench-check-") as tmp:
        db = args.db or Path(tmp) / "vocabulary.sqlite"
        pool = tag_pool(db)
        for size in (int(size) for size in args.sizes.split(",")):
            root = Path(tmp) / f"set-{size}"
            make_dataset(root, size, pool)
            elapsed, cpu, rss, summary = time_check(root, db)
            print(
                f"check {size:>7,} captions x {TAGS_PER_CAPTION} tags: {elapsed:6.2f} s wall,"
                f" {cpu:6.2f} s CPU, {rss:.0f} MB peak  (load average {os.getloadavg()[0]:.1f}; {summary})"
            )
        root = Path(tmp) / f"set-{size}"
        timings = sorted(time_recheck(root, db))
        p50 = statistics.median(timings) * 1000
        p99 = timings[int(len(timings) * 0.99)] * 1000
        print(f"re-check one caption, warm index of {size:,}: p50 {p50:.3f} ms  p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
