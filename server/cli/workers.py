"""Work split over forked worker processes, results back in order: how `check` uses every core, for the
index pass (the workers read captions and take their tag names, see `datasets`) and for the rules.

The parent builds everything the work reads (the dataset index, the vocabulary's cached answers, the rules'
state) once; `os.fork` then shares it with each worker copy-on-write, so a worker starts in a millisecond
with nothing to rebuild or pickle. Only each chunk's result travels back, pickled through a pipe per
worker. Linux only: elsewhere the default is to spawn, and a spawned worker would have to rebuild the
index and the caches, costing about what it saves (macOS can fork, but its system libraries are not
safe to use after a fork), so there the caller runs in one process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Generator, Sequence
from typing import BinaryIO, TypeVar

import click

from ..caption.printable import printable

ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")

_HEADER = struct.Struct("<?Q")  # whether the record is a result (else a failure), then its length
# From this many captions on, a command forks workers; below, starting them costs more than they save.
WORKERS_FROM = 2_000


class WorkerFailed(click.ClickException):
    """A worker ended before it had sent all its results (killed, or the work raised): the command fails
    with this one line and exit code 2, as ruff's when the check itself fails."""

    exit_code = 2  # datasets.EXIT_USAGE (that module imports this one)


def can_fork() -> bool:
    return sys.platform == "linux"


def core_count() -> int:
    """The cores this process may run on (a container's or `taskset`'s limit, not the machine's)."""
    return len(os.sched_getaffinity(0))


def worker_count(jobs: int | None, items: int) -> int:
    """How many processes work through `items` captions: `--jobs` as given, else one per core for a
    large dataset; one where processes do not fork."""
    if not can_fork():
        return 1
    if jobs is not None:
        return jobs
    return core_count() if items >= WORKERS_FROM else 1


ItemT = TypeVar("ItemT")


def chunked(items: Sequence[ItemT], size: int) -> list[Sequence[ItemT]]:
    """`items` in consecutive chunks of `size` (the last one shorter)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def ordered_map(
    work: Callable[[ChunkT], ResultT],
    chunks: Sequence[ChunkT],
    workers: int,
    in_worker: Callable[[], None] | None = None,
) -> Generator[ResultT, None, None]:
    """`work(chunk)` for every chunk, in `workers` forked processes (chunk i in worker i % workers, which
    `in_worker` prepares first), yielded in chunk order; in this process when there is one worker or one
    chunk. A worker that dies or raises ends the map with `WorkerFailed`; closing the iterator early (an
    exception, Ctrl-C in the parent) ends the workers."""
    if workers < 2 or len(chunks) < 2:
        yield from map(work, chunks)
        return
    # Freezing moves every object the parent has into the permanent generation: the cycle collector (off
    # in the CLI anyway) never walks and so never copies the shared pages in a worker.
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    running: list[tuple[int, BinaryIO]] = []
    try:
        count = min(workers, len(chunks))
        for number in range(count):
            readable, writable = os.pipe()
            # Ctrl-C waits until the new worker is in `running`, where the clean-up finds it.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                pid = os.fork()
                if pid == 0:
                    os.close(readable)
                    for _, earlier in running:
                        earlier.close()
                    _serve(work, chunks[number::count], writable, in_worker)
                os.close(writable)
                running.append((pid, os.fdopen(readable, "rb")))
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for number in range(len(chunks)):
            pid, pipe = running[number % count]
            result: ResultT = pickle.loads(_receive(pid, pipe))
            yield result
    finally:
        for pid, pipe in running:
            pipe.close()
            _end(pid)
        gc.unfreeze()


def _end(pid: int) -> None:
    """Reap worker `pid`, killing it first if it still runs (the parent stopped early: nothing of its
    work is wanted). One already reaped (to say how it ended) is left alone: its id may be another's."""
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _serve(
    work: Callable[[ChunkT], ResultT],
    chunks: Sequence[ChunkT],
    fd: int,
    in_worker: Callable[[], None] | None,
) -> None:
    """A worker's life: its chunks' results into the pipe, or one failure record; it never returns (it
    must not go on to run the parent's code), and leaves the parent's state alone (open files, the
    vocabulary's connection, buffered output are the parent's to close)."""
    status = 1
    try:
        # Ctrl-C reaches the whole process group: the parent answers it and ends the workers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        with os.fdopen(fd, "wb") as pipe:
            try:
                if in_worker is not None:
                    in_worker()
                for chunk in chunks:
                    _send(pipe, True, pickle.dumps(work(chunk), protocol=pickle.HIGHEST_PROTOCOL))
                status = 0
            except Exception as error:  # reported to the parent, which fails the run
                _send(pipe, False, f"{type(error).__name__}: {error}".encode("utf-8", "backslashreplace"))
    finally:
        os._exit(status)


def _send(pipe: BinaryIO, ok: bool, data: bytes) -> None:
    pipe.write(_HEADER.pack(ok, len(data)))
    pipe.write(data)


def _receive(pid: int, pipe: BinaryIO) -> bytes:
    """The next result of worker `pid`, pickled."""
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise WorkerFailed(f"a worker process ended early ({_exit_status(pid)})")
    ok, size = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        raise WorkerFailed(f"a worker process ended early ({_exit_status(pid)})")
    if not ok:
        raise WorkerFailed(printable(f"a worker process failed: {data.decode('utf-8')}"))
    return data


def _exit_status(pid: int) -> str:
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
