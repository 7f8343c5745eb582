"""The dataset index's memory per caption (issue 13: 100,000 captions in at most 150 MB).

tests/benchmarks/bench_index.py measures 100,000 captions; this guards the layout on a few thousand, with a
budget well above today's figure (about 1,500 bytes per caption with texts, 1,000 without, paths
included) and well below the layout it replaced (about 4,000 bytes per caption: two strings per tag per
caption, a set of paths per tag), so that only a return of per-tag objects can fail it.
"""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from captionls.server.caption.dataset import DatasetIndex
from tests.kit.datasets import write_dataset

CAPTIONS = 2_000
TAGS = 20


def _captions(count: int) -> dict[str, str]:
    """`count` captions of a trigger and 19 tags drawn from 1,500 (most tags in many captions)."""
    rng = random.Random(13)
    pool = [f"{rng.choice(['red', 'long', 'small', 'open'])} hair {i}" for i in range(1_500)]
    return {f"{i // 500:02d}/{i:05d}": ", ".join(["ohwx", *rng.sample(pool, TAGS - 1)]) for i in range(count)}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_dataset(tmp_path_factory.mktemp("memory") / "set", _captions(CAPTIONS))
    DatasetIndex(root / "00").scan()  # imports and caches warmed, outside the measurements
    return root


@pytest.mark.parametrize(("keep_files", "budget"), [(True, 2_500), (False, 2_000)])
def test_index_memory_per_caption_stays_within_budget(dataset: Path, keep_files: bool, budget: int) -> None:
    tracemalloc.start()
    try:
        index = DatasetIndex(dataset, keep_files=keep_files)
        index.scan()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(index) == CAPTIONS and index.count("ohwx") == CAPTIONS
    assert held / CAPTIONS < budget, f"{held / CAPTIONS:.0f} bytes per caption"
