#!/usr/bin/env python3
"""Vocabulary speed figures quoted in the README (### Vocabulary). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_vocab.py [--quick]

1. Import of tagcomplete's danbooru.csv into an empty database (target <= 1.5 s).
2. Import of a synthetic 2,000,000-tag CSV in a child process: wall time (target <= 30 s) and the
   child's peak memory from getrusage (target <= 300 MB).
   Each import is printed beside two references measured in the same run, on the same file: reading
   it with the csv module (nothing written), and that plus `executemany` of the bare rows into one
   SQLite table without indexes (what the machine can do at all), with the ratio.
3. `Searcher.search` over a fixed query set (prefix, multi-word, substring, typo, alias) on both
   vocabularies: p50 / p99 (targets: p99 <= 1 ms on danbooru.csv, <= 3 ms on 2M), beside a
   tagcomplete-style linear regex scan over the same rows, with the ratio.
4. `captionls vocab search contra` as a whole process, after the first run (target <= 300 ms wall).

`--quick` uses 200,000 synthetic tags instead of 2,000,000 (for a fast look, not for the README).
`--answers FILE` writes the search answers (names in order, for the queries below on both vocabularies)
to FILE, or when FILE exists compares them with it: an import or index change must leave them identical.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from as_installed import load_modules_from_bytecode

from captionls.vocab.importers import Source, import_files
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store

REPO = Path(__file__).resolve().parents[2]
DANBOORU = REPO.parent / "shared" / "data" / "tagcomplete" / "danbooru.csv"

QUERIES: dict[str, list[str]] = {
    "prefix": ["contra", "lo", "blu", "hatsu", "thighh", "sitt", "holding sw"],
    "multi-word": ["long hair", "leg up", "from si", "looking at viewer", "open mouth", "white shirt"],
    "substring": ["appos", "hair orn", "skirt lift", "ribbon"],
    "typo": ["lokking at", "contrapost", "blonde hiar", "thighhihgs", "ponytial"],
    "alias": ["raised arms", "sole female", "longhair", "high res", "side view"],
}
REPEATS = 30


def fresh_db(directory: Path, name: str) -> Path:
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def import_once(db: Path, source: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one import."""
    store = Store.open(db)
    started, cpu = time.perf_counter(), time.process_time()
    import_files(store, [Source.file(source)], skip_bad=True)
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return elapsed


def write_synthetic(path: Path, total: int, danbooru: Path) -> None:
    """danbooru.csv's own rows, then made-up tags of two or three real words until `total` rows."""
    rng = random.Random(20261124)
    rows = list(csv.reader(danbooru.open(encoding="utf-8")))
    words = sorted({word for row in rows for word in row[0].split("_") if word.isalpha() and len(word) > 2})
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(row for row in rows if row[0])
        for i in range(total - len(rows)):
            parts = rng.sample(words, rng.choice((2, 2, 3)))
            name = "_".join(parts) + f"_{i:x}"
            count = int(rng.paretovariate(1.2) * 10)
            alias = f"{parts[-1]}_{parts[0]}_{i:x}" if rng.random() < 0.2 else ""
            writer.writerow([name, rng.choice((0, 0, 0, 4, 3, 1, 5)), count, alias])


CHILD_IMPORT = """
import resource, sys, time
from captionls.vocab.importers import Source, import_files
from captionls.vocab.store import Store
store = Store.open(sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
import_files(store, [Source.file(sys.argv[2])], skip_bad=True)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

# The references: the same file read with the csv module and nothing written ("parse"), and read the
# same way into one SQLite table with no index in one transaction ("bare rows"), as a WAL database
# with the vocabulary's connection settings.
CHILD_REFERENCE = """
import csv, resource, sqlite3, sys, time
db, source, kind = sys.argv[1:4]
started, cpu = time.perf_counter(), time.process_time()
with open(source, encoding="utf-8", newline="") as file:
    rows = ((row[0].replace("_", " "), row[0], row[1], row[2], row[3] if len(row) > 3 else "")
            for row in csv.reader(file))
    if kind == "parse":
        for _ in rows:
            pass
    else:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE tags (key TEXT, name TEXT, category TEXT, post_count TEXT, aliases TEXT)")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO tags VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        conn.close()
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
print(elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def in_child(code: str, *args: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of `code` run in a separate process."""
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    seconds, cpu, max_rss_kb = result.stdout.split()
    return float(seconds), float(cpu), int(max_rss_kb) / 1024


def import_in_child(db: Path, source: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of an import in a separate process."""
    return in_child(CHILD_IMPORT, str(db), str(source))


def report_references(directory: Path, source: Path, wall: float, cpu: float) -> None:
    """The two references for one import of `source`, each with the import's ratio to it."""
    for kind, label in (("parse", "csv module parse only"), ("bare", "csv + executemany of bare rows")):
        # No peak memory here: Linux counts a child's peak from before its exec, so a reference that
        # needs less than this process shows this process's size.
        ref_wall, ref_cpu, _ = in_child(
            CHILD_REFERENCE, str(fresh_db(directory, "reference.sqlite")), str(source), kind
        )
        print(
            f"  reference, {label}: wall {ref_wall:.2f} s, CPU {ref_cpu:.2f} s;"
            f" import / reference: wall {wall / ref_wall:.1f}x, CPU {cpu / ref_cpu:.1f}x"
        )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_queries(
    run: Callable[[str], object], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, list[float]]:
    """Milliseconds per query by kind. On a shared machine, `time.thread_time` (CPU time) shows the
    work itself; wall time also counts the moments another job had the core."""
    timings: dict[str, list[float]] = {}
    for kind, queries in QUERIES.items():
        for query in queries:
            run(query)  # warm the page cache and statement cache
            for _ in range(repeats):
                started = clock()
                run(query)
                timings.setdefault(kind, []).append((clock() - started) * 1000)
    return timings


class LinearScan:
    """What a1111-sd-webui-tagcomplete does per keystroke: a regex over every name and alias."""

    def __init__(self, store: Store) -> None:
        self.rows = [
            (name, aliases or "", count)
            for name, aliases, count in store.conn.execute(
                "SELECT tags.name, (SELECT group_concat(name, ',') FROM aliases WHERE tag_id = tags.id),"
                " tags.post_count FROM tags"
            )
        ]

    def search(self, query: str) -> list[tuple[str, str, int]]:
        pattern = re.compile(re.escape(query.replace(" ", "_")), re.IGNORECASE)
        found = [row for row in self.rows if pattern.search(row[0]) or pattern.search(row[1])]
        found.sort(key=lambda row: -row[2])
        return found[:20]


def report_search(label: str, db: Path, repeats: int) -> None:
    store = Store.open(db)
    vocabulary = Vocabulary(store)

    def search(query: str) -> object:
        # A new Searcher each time: one remembers its look-ups until the vocabulary changes, so a repeat
        # of the same query would time a dict hit, not the search.
        return Searcher(vocabulary).search(query, 20)

    ours = time_queries(search, repeats)
    every = [t for values in ours.values() for t in values]
    cpu = [t for values in time_queries(search, repeats, time.thread_time).values() for t in values]
    print(
        f"search on {label}: wall p50 {percentile(every, 0.5):.3f} ms, p99 {percentile(every, 0.99):.3f} ms;"
        f" CPU p50 {percentile(cpu, 0.5):.3f} ms, p99 {percentile(cpu, 0.99):.3f} ms"
    )
    for kind, values in ours.items():
        print(f"  {kind:<10} p50 {percentile(values, 0.5):.3f} ms  p99 {percentile(values, 0.99):.3f} ms")
    scan = LinearScan(store)
    theirs = time_queries(scan.search, max(1, repeats // 10))
    scanned = [t for values in theirs.values() for t in values]
    print(
        f"  linear regex scan over the same {len(scan.rows):,} rows: p50 {percentile(scanned, 0.5):.1f} ms,"
        f" p99 {percentile(scanned, 0.99):.1f} ms;"
        f" ratio (scan / search) p50 {percentile(scanned, 0.5) / percentile(every, 0.5):,.0f}x,"
        f" p99 {percentile(scanned, 0.99) / percentile(every, 0.99):,.0f}x"
    )
    store.close()


def answers(db: Path) -> dict[str, list[str]]:
    """The names `Searcher.search` answers for every query, in order (the 20 shown, and 50)."""
    store = Store.open(db)
    searcher = Searcher(Vocabulary(store))
    found = {
        f"{query} /{limit}": [hit.tag.name for hit in searcher.search(query, limit)]
        for queries in QUERIES.values()
        for query in queries
        for limit in (20, 50)
    }
    store.close()
    return found


def compare_answers(path: Path, found: dict[str, dict[str, list[str]]]) -> None:
    """Write the answers to `path`, or compare them with the answers it holds."""
    if not path.exists():
        path.write_text(json.dumps(found, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"search answers written to {path}")
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    differ = [
        f"{vocabulary}: {query!r}"
        for vocabulary, queries in found.items()
        for query, names in queries.items()
        if before.get(vocabulary, {}).get(query) != names
    ]
    total = sum(len(queries) for queries in found.values())
    if differ:
        print(f"search answers DIFFER from {path} for {len(differ)} of {total}: {', '.join(differ)}")
    else:
        print(f"search answers identical to {path} ({total} answers: same names, same order)")


def report_process(db: Path, runs: int = 10) -> None:
    command = [str(Path(sys.executable).parent / "captionls"), "vocab", "search", "contra", "--db", str(db)]
    walls, cpus = [], []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        walls.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    first_line = result.stdout.splitlines()[0].split()[0]
    walls, cpus = walls[1:], cpus[1:]  # the first run warms the OS file cache
    print(
        f"`captionls vocab search contra` (whole process, {runs} runs):"
        f" median {statistics.median(walls):.0f} ms,"
        f" max {max(walls):.0f} ms; CPU (user+sys) median {statistics.median(cpus):.0f} ms;"
        f" first hit: {first_line}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200,000 synthetic tags instead of 2,000,000")
    parser.add_argument("--keep", type=Path, help="keep the databases and the synthetic CSV in this folder")
    parser.add_argument("--answers", type=Path, help="write the search answers here, or compare with them")
    parser.add_argument(
        "--danbooru", type=Path, default=DANBOORU, help=f"tagcomplete's danbooru.csv (default {DANBOORU})"
    )
    args = parser.parse_args()
    load_modules_from_bytecode()
    total = 200_000 if args.quick else 2_000_000
    directory = args.keep or Path(tempfile.mkdtemp(prefix="captionls-bench-"))
    directory.mkdir(parents=True, exist_ok=True)

    timings = [import_once(fresh_db(directory, "danbooru.sqlite"), args.danbooru) for _ in range(3)]
    walls = ", ".join(f"{wall:.2f}" for wall, _ in timings)
    best_wall, best_cpu = min(wall for wall, _ in timings), min(cpu for _, cpu in timings)
    print(
        f"import danbooru.csv (140,782 tags) into an empty db: wall best {best_wall:.2f} s ({walls}),"
        f" CPU best {best_cpu:.2f} s"
    )
    report_references(directory, args.danbooru, best_wall, best_cpu)

    synthetic = directory / f"synthetic-{total}.csv"
    if not synthetic.exists():
        write_synthetic(synthetic, total, args.danbooru)
    seconds, cpu, peak_mb = import_in_child(fresh_db(directory, "synthetic.sqlite"), synthetic)
    print(
        f"import synthetic CSV ({total:,} tags) in a child process: wall {seconds:.1f} s, CPU {cpu:.1f} s,"
        f" peak RSS {peak_mb:.0f} MB"
    )
    report_references(directory, synthetic, seconds, cpu)
    if args.answers is not None:
        compare_answers(
            args.answers,
            {
                "danbooru": answers(directory / "danbooru.sqlite"),
                "synthetic": answers(directory / "synthetic.sqlite"),
            },
        )

    report_search("danbooru.csv (140,782 tags)", directory / "danbooru.sqlite", REPEATS)
    report_search(f"synthetic ({total:,} tags)", directory / "synthetic.sqlite", REPEATS)
    report_process(directory / "danbooru.sqlite")
    print(json.dumps({"folder": str(directory)}))


if __name__ == "__main__":
    main()
