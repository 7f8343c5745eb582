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

import contextlib
import fcntl
import gc
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from typing import BinaryIO, TypeVar

import click

from ..caption.printable import printable

ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")

_HEADER = struct.Struct("<?Q")  # whether the record is a result (else a failure), then its length
# From this many captions on, a command forks workers; below, starting them costs more than they save.
WORKERS_FROM = 2_000
# Results of one worker this process holds, read ahead of the one it waits for (a chunk's each: megabytes
# for a scan, tens of kilobytes for the rules); past that, the worker waits to send.
_READ_AHEAD = 16
_PIPE_SIZE = 1 << 20


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
    readers: list[_Reader] = []
    try:
        count = min(workers, len(chunks))
        for number in range(count):
            readable, writable = os.pipe()
            _widen(writable)
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
        # Each worker's results are read as they come, not when their turn comes: a pipe holds 64 KiB, so
        # a worker would otherwise stop, half through sending, until this process had taken the other
        # workers' earlier results and done its own work on each (a scan's merge, the rules' output).
        readers.extend(_Reader(pid, pipe) for pid, pipe in running)
        for number in range(len(chunks)):
            result: ResultT = pickle.loads(readers[number % count].next())
            yield result
    finally:
        for pid, _ in running:
            _end(pid)
        for reader in readers:
            reader.stop()
        for _, pipe in running:
            pipe.close()
        gc.unfreeze()


def _widen(fd: int) -> None:
    """Let the pipe `fd` hold a megabyte (the system's usual cap) rather than 64 KiB: its reader thread
    then takes a scan's result in a few reads, each waiting for this process's lock on the interpreter
    (up to 5 ms while the main thread is at work), instead of a hundred."""
    with contextlib.suppress(OSError):  # a lower cap, or the user's pipe memory spent: the default size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


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


class _Reader:
    """One worker's results, read from its pipe by a thread of this reader's own as they come."""

    def __init__(self, pid: int, pipe: BinaryIO) -> None:
        self._pid = pid
        self._pipe = pipe
        # Each record as `_send` wrote it, then None once the worker has ended.
        self._records: queue.Queue[tuple[bool, bytes] | None] = queue.Queue(_READ_AHEAD)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while (record := _record(self._pipe)) is not None:
            self._records.put(record)
        self._records.put(None)

    def next(self) -> bytes:
        """The worker's next result, pickled."""
        record = self._records.get()
        if record is None:
            raise WorkerFailed(f"a worker process ended early ({_exit_status(self._pid)})")
        ok, data = record
        if not ok:
            raise WorkerFailed(printable(f"a worker process failed: {data.decode('utf-8')}"))
        return data

    def stop(self) -> None:
        """Wait for the thread to end, once the worker has (its pipe then ends), taking the records it
        still puts so that it never waits for room."""
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                while True:
                    self._records.get_nowait()
            self._thread.join(0.01)


def _record(pipe: BinaryIO) -> tuple[bool, bytes] | None:
    """The next record `_send` wrote into `pipe`: (whether a result, its bytes); None at the pipe's end."""
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    ok, size = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        return None
    return ok, data


def _exit_status(pid: int) -> str:
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
