"""`ordered_map`'s workers: results come back in chunk order, yet no worker waits for its turn to send."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

import pytest

from captionls.server.cli.workers import WorkerFailed, _widen, ordered_map

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")

# More than a pipe holds, widened or not.
LARGE = 4 << 20


def test_a_worker_sends_on_while_this_process_holds_an_earlier_result(tmp_path: Path) -> None:
    started_last = tmp_path / "chunk 3 started"

    def work(chunk: int) -> bytes:
        if chunk == 3:
            started_last.touch()
        return bytes(LARGE) if chunk == 1 else bytes([chunk])

    # Two workers: chunks 0 and 2 in one, 1 and 3 in the other.
    results = ordered_map(work, [0, 1, 2, 3], 2)
    assert next(results) == b"\0"
    # This process is busy with chunk 0's result: the second worker's 4 MiB are read meanwhile, so it goes on.
    deadline = time.monotonic() + 30
    while not started_last.exists():
        assert time.monotonic() < deadline, "the worker waited, half through sending, for its turn"
        time.sleep(0.01)
    assert list(results) == [bytes(LARGE), b"\2", b"\3"]


def test_a_failing_chunk_ends_the_map_with_its_error() -> None:
    def work(chunk: int) -> int:
        if chunk == 2:
            raise ValueError("no such caption")
        return chunk

    results = ordered_map(work, [0, 1, 2, 3], 2)
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(WorkerFailed, match="a worker process failed: ValueError: no such caption"):
        next(results)


@pytest.mark.skipif(
    int(Path("/proc/sys/fs/pipe-max-size").read_text(encoding="ascii")) < 1 << 20,
    reason="this system caps a pipe below a megabyte",
)
def test_a_result_pipe_holds_a_megabyte() -> None:
    readable, writable = os.pipe()
    try:
        _widen(writable)
        assert fcntl.fcntl(writable, fcntl.F_GETPIPE_SZ) == 1 << 20
    finally:
        os.close(readable)
        os.close(writable)
