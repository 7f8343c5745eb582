#!/usr/bin/env python3
"""`captionls check` speed figures quoted in the README (### Checking). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_check.py [--sizes 10000,100000] [--db PATH] [--keep DIR]

1. A synthetic dataset of N captions, 20 tags each (trigger first, then 19 drawn from the 3,000 most
   used built-in tags and 300 dataset-specific phrases, plus a few typos, aliases and empty tags so
   every rule has work), checked by `captionls check DIR --format json` as a whole process, start-up
   included, with its workers (one per core; targets: 10,000 <= 2 s, 100,000 <= 12 s wall) and, as the
   reference in the same run, in one process (`--jobs 1`), then `python -c pass` for the floor. Wall
   time, CPU time (user + system, workers included) and the peak memory of the process and its workers
   together (PSS: a page shared copy-on-write counts once, split between the processes sharing it).
   The vocabulary is the built-in one, built before timing (a first run on a fresh machine builds it
   once). The dataset's files are read through first, so every run finds them in the file cache.
2. The index pass alone (what `check` does before the rules: walk, read, take the tag names, merge), in
   this process through the CLI's `datasets()`: with its workers (one per core) and, as the in-run
   reference, in one process (`jobs=1`). Wall time, this process's CPU (the walk and the merge, the part
   no worker can take) and the workers' CPU.
3. One caption re-checked with a warm index (`index.update` + `check_text`, what the language server
   does on each edit): p50 / p99 over 2,000 edits (target <= 1 ms).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
from as_installed import load_modules_from_bytecode

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.config import load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.cli.datasets import datasets
from captionls.server.cli.workers import core_count
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


def read_through(root: Path) -> float:
    """Read every file of the dataset once, so that each run finds them in the system's file cache, as a
    dataset checked again and again sits there (a large one, pushed out by other jobs, is read from the
    disk: 5.2 s of one 100,000-caption profile). Returns the seconds it took: near 0 when they were cached."""
    started = time.perf_counter()
    for folder, _, names in os.walk(root):
        for name in names:
            Path(folder, name).read_bytes()
    return time.perf_counter() - started


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    output: str

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU, {self.peak_mb:4.0f} MB peak"


def _tree_pss_kb(pid: int) -> int:
    """The PSS of `pid` and its children (the workers), in kB; 0 for processes already gone."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()
        for member in [pid, *map(int, children)]:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text(encoding="ascii")
            total += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        pass
    return total


def timed(command: list[str]) -> Run:
    """Wall time, CPU time (user + system of the process and its reaped workers), the peak PSS of the
    process with its workers (sampled every 20 ms) and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_pss_kb(process.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command} failed ({process.returncode}): {stderr}")
    return Run(elapsed, cpu, peak / 1024, stdout)


def time_check(root: Path, db: Path, jobs: int | None) -> Run:
    """`captionls check ROOT --format json`, with its default workers or `--jobs N`."""
    command = [*CLI, "check", str(root), "--db", str(db), "--format", "json"]
    return timed(command if jobs is None else [*command, "--jobs", str(jobs)])


@dataclass
class Scan:
    wall: float
    cpu: float
    workers_cpu: float

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall ({self.cpu:.2f} s CPU here, {self.workers_cpu:.2f} s in workers)"


def time_scan(root: Path, jobs: int) -> Scan:
    """The index pass as `check` runs it (the cycle collector off, as in the CLI), with `jobs` processes."""
    gc.collect()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, cpu = time.perf_counter(), time.process_time()
    with click.Context(click.Command("check")):
        datasets([root], jobs=jobs)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = after.ru_utime - children.ru_utime + after.ru_stime - children.ru_stime
    return Scan(wall, cpu, workers)


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
    parser.add_argument("--keep", type=Path, help="make the datasets here once, and reuse them next time")
    args = parser.parse_args()
    load_modules_from_bytecode()
    with tempfile.TemporaryDirectory(prefix="captionls-bench-check-") as scratch:
        tmp = args.keep or Path(scratch)
        db = args.db or tmp / "vocabulary.sqlite"
        pool = tag_pool(db)
        for size in (int(size) for size in args.sizes.split(",")):
            root = tmp / f"set-{size}"
            if not root.exists():
                make_dataset(root, size, pool)
            cold = read_through(root)
            floor = timed([sys.executable, "-c", "pass"])
            alone = time_check(root, db, jobs=1)
            forked = time_check(root, db, jobs=None)
            if forked.output != alone.output:
                raise SystemExit("the workers' output differs from one process's")
            print(
                f"check {size:>7,} captions, JSON: {forked};  one process (--jobs 1): {alone};"
                f"  ratio {forked.wall / alone.wall:.2f} wall, {forked.cpu / alone.cpu:.2f} CPU;"
                f"  python -c pass {floor.wall:.3f} s  ({len(json.loads(forked.output)):,} findings;"
                f" load average {os.getloadavg()[0]:.1f}; the files read through first in {cold:.2f} s)"
            )
            alone_scan = time_scan(root, jobs=1)
            forked_scan = time_scan(root, jobs=core_count())
            print(
                f"index pass {size:>7,} captions: {forked_scan};  one process: {alone_scan};"
                f"  ratio {forked_scan.wall / alone_scan.wall:.2f} wall"
                f"  (load average {os.getloadavg()[0]:.1f})"
            )
        root = tmp / f"set-{size}"
        timings = sorted(time_recheck(root, db))
        p50 = statistics.median(timings) * 1000
        p99 = timings[int(len(timings) * 0.99)] * 1000
        print(f"re-check one caption, warm index of {size:,}: p50 {p50:.3f} ms  p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
