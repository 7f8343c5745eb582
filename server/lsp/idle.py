"""Work that waits until what the client sent so far is answered: the diagnostics of an edit, and the
cyclic garbage collector's collections.

An editor sends an edit and a completion request together. Publishing the edit's diagnostics in between
would make the completion wait for the checker (about half of a keystroke's time), so the diagnostics
are deferred: the stdio reader (`transport.py`) says when it has nothing left to read, the requests in
flight are answered first, then the deferred work runs. Without that reader (`serve --tcp`), work runs at
once, as it always did.

The cyclic garbage collector starts a collection wherever enough objects were allocated: in bench_lsp's
typing on danbooru.csv, 72 or 73 of the 838 completions had one in them (young ones up to 5.7 ms, older
ones 1 to 5 ms). With the reader, the collections the collector's thresholds ask for are made once the
deferred work is done and the client has sent nothing for `GC_QUIET`, between keystrokes; its own
automatic ones stay, far above them, for a client that never leaves the server idle. A full collection is
made each time its count is due (the collector also waits until a quarter of the long-lived objects are
new, a figure it does not tell): one of about 25 ms every thousand keystrokes or so.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Hashable
from typing import Any

# A request in flight longer than this (a command waiting on the client) does not hold the work back.
IN_FLIGHT_WAIT = 0.05
# While collections are made when idle, the collector's own first threshold is this many times higher.
AUTOMATIC_GC_FACTOR = 50
# Seconds the client must have sent nothing before a collection is made: a request that waited for a
# message (a hover after the diagnostics of an edit) comes right after it, and would wait for the collection.
GC_QUIET = 0.005

Job = Callable[[], None]


class IdleWork:
    def __init__(self, in_flight: Callable[[], list[asyncio.Future[Any]]]) -> None:
        self._in_flight = in_flight
        # Set by the reader that reports when its input is drained; until then nothing is deferred.
        self.deferring = False
        self._drained = False
        self._jobs: dict[Hashable, Job] = {}
        self._waiting: asyncio.Task[None] | None = None
        # The collector's thresholds, once its collections are made here (`collect_when_idle`).
        self._gc_thresholds: tuple[int, int, int] | None = None
        self._collection: asyncio.TimerHandle | None = None

    def collect_when_idle(self) -> None:
        """Make the collector's collections once the answers are sent instead of amid requests."""
        if self._gc_thresholds is None:
            young, middle, old = gc.get_threshold()
            self._gc_thresholds = (young, middle, old)
            gc.set_threshold(young * AUTOMATIC_GC_FACTOR, middle, old)

    def defer(self, key: Hashable, job: Job) -> None:
        """Run `job` once the input is drained and the requests in flight are answered; a later job
        with the same key replaces it (only the newest edit's diagnostics are worth publishing)."""
        if not self.deferring:
            job()
            return
        self._jobs.pop(key, None)
        self._jobs[key] = job
        if self._drained:
            # Deferred by a task, not by a message: the reader is already waiting and would not say so again.
            asyncio.get_running_loop().call_soon(self.input_drained)

    def cancel(self, key: Hashable) -> None:
        self._jobs.pop(key, None)

    def stop(self) -> None:
        """At shutdown: what is deferred is dropped (it would find the vocabularies closed), and later work
        runs at once, as without a reader."""
        self._jobs.clear()
        self.deferring = False
        if self._waiting is not None:
            self._waiting.cancel()
        if self._collection is not None:
            self._collection.cancel()

    def input_received(self) -> None:
        self._drained = False
        if self._collection is not None:
            # A message is coming: collect after it is answered.
            self._collection.cancel()
            self._collection = None

    def input_drained(self) -> None:
        """The reader has nothing left to read."""
        self._drained = True
        if not self._jobs or self._waiting is not None:
            return
        pending = self._in_flight()
        if not pending:
            self._run()
            return
        self._waiting = asyncio.ensure_future(self._after(pending))

    async def _after(self, pending: list[asyncio.Future[Any]]) -> None:
        # asyncio.wait's own callback runs after the ones pygls added first, which send the answers.
        try:
            await asyncio.wait(pending, timeout=IN_FLIGHT_WAIT)
        finally:
            self._waiting = None
        self._run()

    def _run(self) -> None:
        jobs = list(self._jobs.values())
        self._jobs.clear()
        for job in jobs:
            job()
        if self._collection is None and self._due_generation() >= 0:
            self._collection = asyncio.get_running_loop().call_later(GC_QUIET, self._collect)

    def _due_generation(self) -> int:
        """The generation the collector would have collected by now, -1 for none (nor while a scan has
        it paused): the youngest past its threshold, and each older one whose count is past its own."""
        if self._gc_thresholds is None or not gc.isenabled():
            return -1
        generation = -1
        for level, (count, threshold) in enumerate(zip(gc.get_count(), self._gc_thresholds, strict=True)):
            if count < threshold:
                break
            generation = level
        return generation

    def _collect(self) -> None:
        self._collection = None
        generation = self._due_generation()
        if generation >= 0:
            gc.collect(generation)
