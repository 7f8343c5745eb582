"""`ordered_map`'s workers: results come back in chunk order, yet no worker waits for its turn to send."""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from captionls.server.cli.workers import WorkerFailed, _widen, ordered_map

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")

# More than a pipe holds, widened or not.
LARGE = 4 << 20


def _workers_ended() -> bool:
    """Whether every process this one forked has exited (a zombie: the map has not reaped it yet)."""
    me = os.getpid()
    children = Path(f"/proc/{me}/task/{me}/children").read_text(encoding="ascii").split()
    return all(
        Path(f"/proc/{child}/stat").read_text(encoding="ascii").rpartition(")")[2].split()[0] == "Z"
        for child in children
    )


def test_a_worker_sends_on_while_this_process_holds_an_earlier_result() -> None:
    results = ordered_map(lambda chunk: bytes(LARGE) if chunk == 1 else b"", [0, 1], 2)
    assert next(results) == b""
    # This process is busy with chunk 0's result: the other worker's 4 MiB are read meanwhile, so it ends.
    deadline = time.monotonic() + 30
    while not _workers_ended():
        assert time.monotonic() < deadline, "a worker waited, half through sending, for its turn"
        time.sleep(0.01)
    assert list(results) == [bytes(LARGE)]


def test_a_slow_chunk_holds_up_no_other_worker(tmp_path: Path) -> None:
    def work(chunk: int) -> int:
        if chunk > 0:
            (tmp_path / str(chunk)).touch()
            return chunk
        # The worker with chunk 0 waits until every other chunk is done: by the other worker, then.
        deadline = time.monotonic() + 30
        while not all((tmp_path / str(other)).exists() for other in range(1, 6)):
            assert time.monotonic() < deadline, "chunks waited for a worker busy with another"
            time.sleep(0.01)
        return chunk

    assert list(ordered_map(work, list(range(6)), 2)) == list(range(6))


def test_a_failing_chunk_ends_the_map_with_its_error() -> None:
    def work(chunk: int) -> int:
        if chunk == 2:
            raise ValueError("no such caption")
        return chunk

    results = ordered_map(work, [0, 1, 2, 3], 2)
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(WorkerFailed, match="a worker process failed: ValueError: no such caption"):
        next(results)


def _blocked_signals(thread: threading.Thread) -> int | None:
    """The signals `thread` blocks, as a mask; None once it has ended (its worker is done)."""
    try:
        status = Path(f"/proc/self/task/{thread.native_id}/status").read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    return int(status.split("SigBlk:")[1].split()[0], 16)


def test_ctrl_c_reaches_the_main_thread_not_a_reader(tmp_path: Path) -> None:
    go = tmp_path / "go"

    def work(chunk: int) -> int:
        # The worker with the last chunk stays at work, and its reader with it, until the test says go.
        deadline = time.monotonic() + 30
        while chunk == 2 and not go.exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return chunk

    results = ordered_map(work, [0, 1, 2], 2)
    assert next(results) == 0
    readers = [thread for thread in threading.enumerate() if thread.name.startswith("reader of worker")]
    # The reader of the worker held at chunk 2 runs at least; the other's may have ended.
    masks = [mask for mask in map(_blocked_signals, readers) if mask is not None]
    blocked = [mask & 1 << (signal.SIGINT - 1) for mask in masks]
    go.touch()
    assert list(results) == [1, 2]
    assert blocked and all(blocked)


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
