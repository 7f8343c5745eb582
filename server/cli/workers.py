"""Work split over forked worker processes, results back in order: how `check` uses every core, for the
index pass (the workers read captions and take their tag names, see `datasets`) and for the rules.

The parent builds everything the work reads (the dataset index, the vocabulary's cached answers, the rules'
state) once; `os.fork` then shares it with each worker copy-on-write, so a worker starts in a millisecond
with nothing to rebuild or pickle. A worker takes the next chunk's number from a pipe they all read when
it is done with one; only each chunk's result travels back, pickled through a pipe per worker, read by a
thread of the parent as it comes. Linux only: elsewhere the default is to spawn, and a spawned worker
would have to rebuild the index and the caches, costing about what it saves (macOS can fork, but its
system libraries are not safe to use after a fork), so there the caller runs in one process.
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
from typing import BinaryIO, NamedTuple, TypeVar

import click

from ..caption.printable import printable

ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")

_HEADER = struct.Struct("<?IQ")  # whether the record is a result (else a failure), its chunk, its length
_TASK = struct.Struct("<I")  # a chunk's number, as the workers take them
# From this many captions on, a command forks workers; below, starting them costs more than they save.
WORKERS_FROM = 2_000
# Chunks per worker handed out beyond the one this process waits for: how far the workers may get ahead
# of it, and so how many results it may hold (a chunk's each: megabytes for a scan, tens of kilobytes for
# the rules); past that, they wait for it.
_AHEAD = 16
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
    """`work(chunk)` for every chunk, in `workers` forked processes (`in_worker` prepares each), yielded in
    chunk order; in this process when there is one worker or one chunk. A worker takes the next chunk
    whenever it is done with one, so one slowed down (by the machine, or by costlier chunks) holds up no
    other. A worker that dies or raises ends the map with `WorkerFailed`; closing the iterator early (an
    exception, Ctrl-C in the parent) ends the workers."""
    if workers < 2 or len(chunks) < 2:
        yield from map(work, chunks)
        return
    # Freezing moves every object the parent has into the permanent generation: the cycle collector (off
    # in the CLI anyway) never walks and so never copies the shared pages in a worker.
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    count = min(workers, len(chunks))
    tasks = _Tasks(len(chunks), count * _AHEAD)
    records: queue.SimpleQueue[_Record | _Ended] = queue.SimpleQueue()
    running: list[tuple[int, BinaryIO]] = []
    readers: list[threading.Thread] = []
    try:
        # Ctrl-C waits until every worker is in `running` and every reader has started, where the clean-up
        # finds them. The readers keep SIGINT blocked (a thread starts with its creator's mask), so a
        # Ctrl-C lands on this thread, which waits for their records: delivered to a reader, it would
        # interrupt only that read, and this thread would see it when the next record came.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for _ in range(count):
                readable, writable = os.pipe()
                _widen(writable)
                pid = os.fork()
                if pid == 0:
                    os.close(readable)
                    tasks.close()
                    for _, earlier in running:
                        earlier.close()
                    _serve(work, chunks, tasks.taken, writable, in_worker)
                os.close(writable)
                running.append((pid, os.fdopen(readable, "rb")))
            # Each worker's results are read as they come, not in chunk order: a worker never stops, half
            # through sending, until this process has taken the other workers' earlier results and done
            # its own work on each (a scan's merge, the rules' output).
            readers = [
                threading.Thread(
                    target=_read, args=(pid, pipe, records), name=f"reader of worker {pid}", daemon=True
                )
                for pid, pipe in running
            ]
            for reader in readers:
                reader.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        done: dict[int, bytes] = {}
        ended = 0
        for number in range(len(chunks)):
            while number not in done:
                record = records.get()
                if isinstance(record, _Ended):
                    ended += 1
                    _check_ended(record.pid, all_ended=ended == count)
                else:
                    done[_result(record)] = record.data
            tasks.hand_out()
            result: ResultT = pickle.loads(done.pop(number))
            yield result
    finally:
        tasks.close()
        for pid, _ in running:
            _end(pid)
        for reader in readers:
            reader.join()
        for _, pipe in running:
            pipe.close()
        tasks.close_taken()
        gc.unfreeze()


class _Tasks:
    """The chunk numbers for the workers to take, in order, from a pipe they all read: `ahead` at first,
    then one more each time this process has a chunk's result (so that what the workers have done and
    this process holds stays within `ahead` chunks); the pipe ends after the last."""

    def __init__(self, chunks: int, ahead: int) -> None:
        self.taken, self._handing = os.pipe()
        _widen(self._handing)
        self._chunks = chunks
        self._next = 0
        self.hand_out(ahead)

    def hand_out(self, count: int = 1) -> None:
        """The next `count` chunk numbers (fewer once the last is out), ending the pipe after the last."""
        end = min(self._chunks, self._next + count)
        if end > self._next:
            os.write(self._handing, b"".join(map(_TASK.pack, range(self._next, end))))
            self._next = end
            if end == self._chunks:
                self.close()

    def close(self) -> None:
        """No more chunk numbers (in a worker: none from it); the workers end once they have taken all."""
        if self._handing >= 0:
            os.close(self._handing)
            self._handing = -1

    def close_taken(self) -> None:
        os.close(self.taken)


def _next_task(taken: int) -> int | None:
    """The number of the next chunk this worker takes; None once all are taken. Chunk numbers are
    written and read whole (a pipe never splits a write of a few bytes), so no two workers take one."""
    data = os.read(taken, _TASK.size)
    return _TASK.unpack(data)[0] if data else None


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
    taken: int,
    fd: int,
    in_worker: Callable[[], None] | None,
) -> None:
    """A worker's life: the results of the chunks it takes into the pipe, or one failure record; it never
    returns (it must not go on to run the parent's code), and leaves the parent's state alone (open files,
    the vocabulary's connection, buffered output are the parent's to close)."""
    status = 1
    try:
        # Ctrl-C reaches the whole process group: the parent answers it and ends the workers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        with os.fdopen(fd, "wb") as pipe:
            try:
                if in_worker is not None:
                    in_worker()
                while (number := _next_task(taken)) is not None:
                    data = pickle.dumps(work(chunks[number]), protocol=pickle.HIGHEST_PROTOCOL)
                    _send(pipe, _Record(number, True, data))
                status = 0
            except Exception as error:  # reported to the parent, which fails the run
                reason = f"{type(error).__name__}: {error}".encode("utf-8", "backslashreplace")
                _send(pipe, _Record(0, False, reason))
    finally:
        os._exit(status)


class _Record(NamedTuple):
    """What a worker sends: a chunk's pickled result, or (`ok` False) why its work failed."""

    chunk: int
    ok: bool
    data: bytes


class _Ended(NamedTuple):
    """A worker's pipe has ended: it has exited (or died)."""

    pid: int


def _send(pipe: BinaryIO, record: _Record) -> None:
    pipe.write(_HEADER.pack(record.ok, record.chunk, len(record.data)))
    pipe.write(record.data)
    # Now, not when the buffer fills: this process may be waiting for just this chunk.
    pipe.flush()


def _read(pid: int, pipe: BinaryIO, records: queue.SimpleQueue[_Record | _Ended]) -> None:
    """A reader thread's life: every record of worker `pid` as it comes, then its end."""
    while True:
        header = pipe.read(_HEADER.size)
        if len(header) < _HEADER.size:
            break
        ok, chunk, size = _HEADER.unpack(header)
        data = pipe.read(size)
        if len(data) < size:
            break
        records.put(_Record(chunk, ok, data))
    records.put(_Ended(pid))


def _result(record: _Record) -> int:
    """The chunk whose result `record` brings; a failure ends the map."""
    if not record.ok:
        raise WorkerFailed(printable(f"a worker process failed: {record.data.decode('utf-8')}"))
    return record.chunk


def _check_ended(pid: int, all_ended: bool) -> None:
    """Worker `pid` has ended: after its last chunk when it exited cleanly; else the map fails (as it does
    if every worker has ended with chunks still to come)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise WorkerFailed(
            f"a worker process ended early (killed by {signal.Signals(os.WTERMSIG(status)).name})"
        )
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or all_ended:
        raise WorkerFailed(f"a worker process ended early (exit status {code})")
