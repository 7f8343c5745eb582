#!/usr/bin/env python3
"""CLIP token count speed, quoted in the README (## Token counts). Not a test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_tokens.py [--captions 10000]

N distinct captions (tags drawn from the real-style test captions, 15 to 40 a caption, some weighted; one
in ten a prose paragraph) are counted the way `captionls tokens`, the `token-limit` rule and the editor
count a caption line (`budget.measure`: attention syntax, chunks, per-word costs), cold, after the
vocabulary has loaded (its load is timed apart). Beside it, in the same run: OpenAI's reference tokenizer
(`openai-clip`'s simple_tokenizer.py, loaded by path) on the same captions, and the ratio. Then the same
captions again (the per-caption cache: what the editor pays per keystroke on an unchanged line).
Target: 10,000 captions in at most 2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from captionls.server.caption.tokens import clip  # noqa: E402
from captionls.server.caption.tokens.budget import measure  # noqa: E402
from tests.kit.clip_reference import reference_count  # noqa: E402

DATA = REPO / "tests" / "data"


def corpus_lines() -> list[str]:
    files = [*sorted((DATA / "realstyle").glob("*/*.txt")), *sorted((DATA / "kinds").glob("*.txt"))]
    return [line for path in files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_captions(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    lines = corpus_lines()
    tags = sorted({tag.strip() for line in lines for tag in line.split(",") if 0 < len(tag.strip()) < 40})
    prose = [line for line in lines if line.count(",") < 3 and len(line) > 80]
    captions = []
    for i in range(count):
        if i % 10 == 9 and prose:
            captions.append(f"ohwxStyle{i}. " + rng.choice(prose))
            continue
        chosen = rng.sample(tags, rng.randint(15, 40))
        chosen = [f"({tag}:1.{rng.randint(1, 4)})" if rng.random() < 0.05 else tag for tag in chosen]
        captions.append(", ".join([f"ohwxStyle{i}", *chosen]))
    return captions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=10_000)
    args = parser.parse_args()
    captions = make_captions(args.captions)
    assert len(set(captions)) == len(captions)

    start = time.perf_counter()
    clip.count_tokens("warm up the vocabulary")
    load = time.perf_counter() - start

    start, cpu = time.perf_counter(), time.process_time()
    ours = [measure(caption).tokens for caption in captions]
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu

    start = time.perf_counter()
    again = [measure(caption).tokens for caption in captions]
    cached = time.perf_counter() - start
    assert again == ours

    reference = reference_count()
    start, cpu = time.perf_counter(), time.process_time()
    theirs = [reference(caption) for caption in captions]
    reference_time, reference_cpu = time.perf_counter() - start, time.process_time() - cpu

    tokens = sum(ours)
    print(f"{len(captions):,} captions, {tokens:,} tokens (mean {tokens / len(captions):.1f})")
    print(f"vocabulary load (once):     {load * 1000:6.0f} ms")
    # CPU time beside wall time: on a shared machine the wall time grows with the other jobs' load.
    print(
        f"captionls, cold:            {cold * 1000:6.0f} ms wall, {cold_cpu * 1000:5.0f} ms CPU (target 2 s)"
    )
    print(f"captionls, again (cached):  {cached * 1000:6.0f} ms wall")
    print(
        f"reference tokenizer:        {reference_time * 1000:6.0f} ms wall, {reference_cpu * 1e3:5.0f} ms CPU"
    )
    print(
        f"reference / captionls:      {reference_time / cold:6.2f}x wall, {reference_cpu / cold_cpu:.2f}x CPU"
    )
    # Weighted captions count without their attention syntax, which the reference counts as text.
    compared = [
        (mine, reference)
        for caption, mine, reference in zip(captions, ours, theirs, strict=True)
        if "(" not in caption
    ]
    differing = sum(mine != reference for mine, reference in compared)
    print(f"counts differing from the reference: {differing} of {len(compared)} captions without weights")


if __name__ == "__main__":
    main()
