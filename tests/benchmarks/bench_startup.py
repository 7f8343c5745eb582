#!/usr/bin/env python3
"""Start-up figures quoted in the README (### Start-up). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_startup.py [--repeats N]

Each figure is printed beside a reference measured in the same run, with the ratio; median and worst of
N runs (default 7), wall time and the process's CPU time (user + system, from the child's rusage: the
machine is shared, and CPU time shows what the process itself cost); for a server also its main thread's
CPU time to the answer, to the nanosecond (the process's is counted in 10 ms clock ticks).

1. The first command on a fresh machine: `captionls vocab search contra` with a new `$CAPTIONLS_DB`, the
   whole process (target <= 0.5 s), beside `python -c pass` and beside the row-by-row build of the same
   vocabulary (what the first run did before the image).
2. `captionls serve` spawn -> first completion answer (initialize, initialized, didOpen, completion; the raw
   JSON client of bench_lsp.py) with the vocabulary already made (target <= 300 ms), beside a bare pygls
   server's spawn -> first answer (the code cache warm: one start before). And the fresh-machine server
   (a new `$CAPTIONLS_DB` and an empty cache directory: it makes the vocabulary and compiles the protocol
   classes' code first) -> first answer (target <= 0.5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from as_installed import load_modules_from_bytecode
from bench_lsp import BARE_SERVER, SERVER, BenchClient

from captionls.vocab.builtin import build_from_sources
from captionls.vocab.store import Store

CAPTIONLS = str(Path(sys.executable).with_name("captionls"))


class Sample(NamedTuple):
    """One run, in seconds: wall time, the process's CPU time and, for a server, its main thread's."""

    wall: float
    cpu: float
    # From /proc/PID/schedstat, in nanoseconds: the process's CPU time (/proc/PID/stat) counts in clock
    # ticks (10 ms), too coarse beside the changes measured here, and includes the unpacking thread.
    main_thread_cpu: float | None = None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process(command: list[str], env: dict[str, str]) -> Sample:
    cpu = _children_cpu()
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Sample(time.perf_counter() - started, _children_cpu() - cpu)


ROW_BY_ROW = """
import sys
from captionls.vocab.builtin import build_from_sources
from captionls.vocab.search import Searcher
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import Store
with Store.open(sys.argv[1]) as store:
    build_from_sources(store)
    Searcher(Vocabulary(store)).search("contra", 20)
"""


def first_command(directory: Path, run: int) -> Sample:
    db = directory / f"first-{run}" / "vocabulary.sqlite"
    return _process([CAPTIONLS, "vocab", "search", "contra"], {**os.environ, "CAPTIONLS_DB": str(db)})


def row_by_row(directory: Path, run: int) -> Sample:
    db = directory / f"rows-{run}" / "vocabulary.sqlite"
    db.parent.mkdir()
    return _process([sys.executable, "-c", ROW_BY_ROW, str(db)], dict(os.environ))


def python_pass(_directory: Path, _run: int) -> Sample:
    return _process([sys.executable, "-c", "pass"], dict(os.environ))


async def _first_answer(command: list[str], root: Path, db: Path) -> Sample:
    """Spawn -> first completion answer, and the server's CPU time (all of it, and its main thread's) to
    the end of that answer."""
    bench = BenchClient()
    spawned, _ = await bench.start(command, root, db)
    uri = bench.open(root / "caption.txt", "ohwxStyle, c")
    await bench.complete(uri, len("ohwxStyle, c"))
    wall = time.perf_counter() - spawned
    assert bench.process is not None
    with open(f"/proc/{bench.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    with open(f"/proc/{bench.process.pid}/schedstat") as schedstat:
        main_thread_cpu = int(schedstat.read().split()[0]) / 1e9
    await bench.stop()
    return Sample(wall, cpu, main_thread_cpu)


def server_answer(directory: Path, _run: int) -> Sample:
    return asyncio.run(_first_answer(SERVER, directory, directory / "made.sqlite"))


def fresh_server_answer(directory: Path, run: int) -> Sample:
    """A machine that has never run captionls: no vocabulary, no code cache."""
    db = directory / f"serve-{run}" / "vocabulary.sqlite"
    warm_cache = os.environ["XDG_CACHE_HOME"]
    os.environ["XDG_CACHE_HOME"] = str(directory / f"cache-{run}")
    try:
        return asyncio.run(_first_answer(SERVER, directory, db))
    finally:
        os.environ["XDG_CACHE_HOME"] = warm_cache


def bare_answer(directory: Path, _run: int) -> Sample:
    return asyncio.run(
        _first_answer([sys.executable, "-c", BARE_SERVER], directory, directory / "made.sqlite")
    )


def _repeat(measure: Callable[[Path, int], Sample], directory: Path, repeats: int) -> list[Sample]:
    return [measure(directory, run) for run in range(repeats)]


def _median(samples: list[Sample], which: int) -> float:
    return statistics.median(float(sample[which] or 0) for sample in samples)


def _cpu(sample_cpu: float, main_thread_cpu: float | None) -> str:
    main = "" if main_thread_cpu is None else f", main thread {main_thread_cpu * 1000:.0f} ms"
    return f"CPU {sample_cpu * 1000:.0f} ms{main}"


def _describe(samples: list[Sample]) -> str:
    worst = max(samples, key=lambda sample: sample.wall)
    main = _median(samples, 2) if worst.main_thread_cpu is not None else None
    return (
        f"median {_median(samples, 0) * 1000:.0f} ms ({_cpu(_median(samples, 1), main)}),"
        f" worst {worst.wall * 1000:.0f} ms ({_cpu(worst.cpu, worst.main_thread_cpu)})"
    )


def report(label: str, samples: list[Sample], target_ms: float | None = None) -> None:
    target = f"; target <= {target_ms:.0f} ms" if target_ms is not None else ""
    print(f"{label}: {_describe(samples)}{target}")


def ratio(label: str, samples: list[Sample], reference: list[Sample], reference_label: str) -> None:
    wall = _median(samples, 0) / _median(reference, 0)
    cpu = _median(samples, 1) / _median(reference, 1)
    main = ""
    if samples[0].main_thread_cpu is not None and reference[0].main_thread_cpu is not None:
        main = f", {_median(samples, 2) / _median(reference, 2):.2f}x main-thread CPU"
    print(f"  {label} / {reference_label}: {wall:.2f}x wall, {cpu:.2f}x CPU{main}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="captionls-startup-") as scratch:
        directory = Path(scratch)
        cache = directory / "cache"
        # A cache directory of the run's own: the first server start fills the attrs code cache.
        os.environ["XDG_CACHE_HOME"] = str(cache)
        load_modules_from_bytecode()
        first_command(directory, -1)
        with Store.open(directory / "rows.sqlite") as store:
            build_from_sources(store)  # warms the page cache for the sources
        # A one-caption dataset: a caption beside its image, a trigger word.
        (directory / "captionls.toml").write_text('trigger = ["ohwxStyle"]\n', encoding="utf-8")
        (directory / "caption.txt").write_text("ohwxStyle, c\n", encoding="utf-8")
        (directory / "caption.png").write_bytes(b"")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeats} runs each")

        python = _repeat(python_pass, directory, args.repeats)
        first = _repeat(first_command, directory, args.repeats)
        rows = _repeat(row_by_row, directory, max(2, args.repeats // 3))
        report("`python -c pass`", python)
        report("first command on a fresh machine (`captionls vocab search contra`)", first, 500)
        report("  the same vocabulary built row by row (before the image) and searched", rows)
        ratio("first command", first, python, "python -c pass")
        ratio("first command", first, rows, "row by row")

        # Makes made.sqlite and fills the code cache.
        asyncio.run(_first_answer(SERVER, directory, directory / "made.sqlite"))
        bare = _repeat(bare_answer, directory, args.repeats)
        served = _repeat(server_answer, directory, args.repeats)
        fresh = _repeat(fresh_server_answer, directory, args.repeats)
        report("bare pygls server: spawn -> first answer", bare)
        report("`captionls serve`: spawn -> first completion answer", served, 300)
        report("`captionls serve`, fresh machine (no vocabulary, no cache): spawn -> answer", fresh, 500)
        ratio("captionls serve", served, bare, "bare pygls")
        ratio("fresh-machine serve", fresh, bare, "bare pygls")


if __name__ == "__main__":
    main()
