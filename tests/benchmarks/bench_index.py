#!/usr/bin/env python3
"""Dataset index memory and build time, quoted in the README (### Dataset index). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_index.py [--size 100000] [--db PATH] [--no-trace]

The synthetic dataset of bench_check.py (N captions x 20 tags). Each figure comes from a fresh child
process, so that one measurement's freed memory does not hide the next one's:

- the index as `captionls check` builds it (`DatasetIndex.scan`, keeping each file's text for the
  rules and rewrites) and as the language server keeps it (`keep_files=False`: only tag -> captions);
- the reference: a plain dict {path: text} of the same files, read through the same folder walk.

Each prints its RSS growth (VmRSS after minus before, the cycle collector off as in `check`) and its
build or read time; with tracing (the default) a second child per row gives tracemalloc's peak (slow:
tracing makes a build several times slower). Ratios are against the reference of the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from captionls.server.caption.dataset import DatasetIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import TAGS_PER_CAPTION, make_dataset, tag_pool

KINDS = {
    "index, as check keeps it (texts kept)": "check",
    "index, as the server keeps it (no texts)": "server",
    "reference: dict {path: text}": "texts",
}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _build(kind: str, root: Path) -> object:
    if kind == "texts":
        return {path: path.read_text(encoding="utf-8") for path in DatasetIndex(root).walk()}
    index = DatasetIndex(root, keep_files=kind == "check")
    index.scan()
    return index


def measure(kind: str, root: Path, trace: bool) -> dict[str, float]:
    """One row, in this process: RSS growth (MB), seconds, and tracemalloc's peak (MB) when tracing."""
    gc.disable()
    DatasetIndex(root / "000").scan()  # imports and caches warmed on one folder, outside the measurement
    before = _rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    built = _build(kind, root)
    seconds = time.perf_counter() - started
    row = {"rss": _rss_mb() - before, "seconds": seconds}
    if trace:
        row["peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    del built
    return row


def _child(kind: str, root: Path, trace: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", kind, "--root", str(root)]
    result = subprocess.run([*command, *(["--trace"] if trace else [])], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"measuring {kind} failed: {result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="vocabulary for the tag pool (default: a fresh built-in one)")
    parser.add_argument("--no-trace", action="store_true", help="skip the (slow) tracemalloc runs")
    parser.add_argument("--measure", choices=sorted(KINDS.values()), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.root, args.trace)))
        return
    with tempfile.TemporaryDirectory(prefix="captionls-bench-index-") as tmp:
        db = args.db or Path(tmp) / "vocabulary.sqlite"
        root = Path(tmp) / f"set-{args.size}"
        make_dataset(root, args.size, tag_pool(db))
        on_disk = sum(path.stat().st_size for path in root.rglob("*.txt")) / 2**20
        print(f"{args.size:,} captions x {TAGS_PER_CAPTION} tags, {on_disk:.1f} MB of caption files on disk")
        rows = {label: _child(kind, root, trace=False) for label, kind in KINDS.items()}
        if not args.no_trace:
            for label, kind in KINDS.items():
                rows[label]["peak"] = _child(kind, root, trace=True)["peak"]
        reference = rows["reference: dict {path: text}"]
        for label, row in rows.items():
            peak = f"; tracemalloc peak {row['peak']:5.0f} MB" if "peak" in row else ""
            print(
                f"{label:<42} RSS +{row['rss']:4.0f} MB ({row['rss'] / reference['rss']:.2f}x the dict,"
                f" {row['rss'] * 2**20 / args.size:5.0f} B per caption){peak};"
                f" {row['seconds']:5.1f} s ({row['seconds'] / reference['seconds']:.1f}x reading the files)"
            )


if __name__ == "__main__":
    main()
