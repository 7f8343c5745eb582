"""The garbage collector's collections made between requests (`IdleWork.collect_when_idle`), by the
collector's own thresholds: after the deferred work, once the client has sent nothing for a moment."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from captionls.server.lsp.idle import AUTOMATIC_GC_FACTOR, GC_QUIET, IdleWork


@pytest.fixture
def idle() -> Iterator[IdleWork]:
    """Idle work as the stdio reader sets it up; the collector's thresholds put back afterwards."""
    thresholds = gc.get_threshold()
    work = IdleWork(lambda: [])
    work.deferring = True
    work.collect_when_idle()
    yield work
    work.stop()
    gc.set_threshold(*thresholds)


@pytest.fixture
def events() -> Iterator[list[object]]:
    """What the deferred jobs append, and the generation of each collection started, in order."""
    started: list[object] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    yield started
    gc.callbacks.remove(record)


def allocated_past_the_young_threshold() -> list[list[int]]:
    """More new objects than the collector's own young threshold (the automatic one is raised)."""
    return [[] for _ in range(2 * gc.get_threshold()[0] // AUTOMATIC_GC_FACTOR)]


def edit_answered(idle: IdleWork, events: list[object]) -> None:
    """An edit's diagnostics deferred, then the reader has read everything and nothing is in flight."""
    idle.input_received()
    idle.defer("diagnostics", lambda: events.append("diagnostics"))
    idle.input_drained()


async def test_the_collection_due_during_a_request_is_made_after_it_once_the_client_is_quiet(
    idle: IdleWork, events: list[object]
) -> None:
    kept = allocated_past_the_young_threshold()
    edit_answered(idle, events)
    assert events == ["diagnostics"]
    await asyncio.sleep(4 * GC_QUIET)
    assert events == ["diagnostics", 0]
    assert kept


async def test_an_older_generation_is_collected_when_its_own_count_is_due(
    idle: IdleWork, events: list[object]
) -> None:
    for _ in range(gc.get_threshold()[1]):
        gc.collect(0)
    events.clear()
    kept = allocated_past_the_young_threshold()
    edit_answered(idle, events)
    await asyncio.sleep(4 * GC_QUIET)
    assert events == ["diagnostics", 1]
    assert kept


async def test_a_message_coming_in_puts_the_collection_off_until_it_is_answered(
    idle: IdleWork, events: list[object]
) -> None:
    kept = allocated_past_the_young_threshold()
    edit_answered(idle, events)
    idle.input_received()
    await asyncio.sleep(4 * GC_QUIET)
    assert events == ["diagnostics"]
    edit_answered(idle, events)
    await asyncio.sleep(4 * GC_QUIET)
    assert events == ["diagnostics", "diagnostics", 0]
    assert kept


async def test_nothing_is_collected_before_the_young_threshold(idle: IdleWork, events: list[object]) -> None:
    edit_answered(idle, events)
    await asyncio.sleep(4 * GC_QUIET)
    assert events == ["diagnostics"]


async def test_nothing_is_collected_while_a_scan_has_the_collector_paused(
    idle: IdleWork, events: list[object]
) -> None:
    kept = allocated_past_the_young_threshold()
    gc.disable()
    try:
        edit_answered(idle, events)
        await asyncio.sleep(4 * GC_QUIET)
    finally:
        gc.enable()
    assert events == ["diagnostics"]
    assert kept
