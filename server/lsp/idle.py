"""Work that waits until what the client sent so far is answered: the diagnostics of an edit.

An editor sends an edit and a completion request together. Publishing the edit's diagnostics in between
would make the completion wait for the checker (about half of a keystroke's time), so the diagnostics
are deferred: the stdio reader (`transport.py`) says when it has nothing left to read, the requests in
flight are answered first, then the deferred work runs. Without that reader (`serve --tcp`), work runs at
once, as it always did.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

# A request in flight longer than this (a command waiting on the client) does not hold the work back.
IN_FLIGHT_WAIT = 0.05

Job = Callable[[], None]


class IdleWork:
    def __init__(self, in_flight: Callable[[], list[asyncio.Future[Any]]]) -> None:
        self._in_flight = in_flight
        # Set by the reader that reports when its input is drained; until then nothing is deferred.
        self.deferring = False
        self._drained = False
        self._jobs: dict[Hashable, Job] = {}
        self._waiting: asyncio.Task[None] | None = None

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

    def input_received(self) -> None:
        self._drained = False

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
