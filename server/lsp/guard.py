"""The one error guard every handler runs behind: a failure costs one answer, never the session.

An exception becomes a window/logMessage with its traceback and the handler's fallback answer (usually
empty). A `JsonRpcException` is a deliberate answer (InvalidParams for a path outside the workspace) and
goes to the client as the error it is. A handler that takes longer than the time budget is reported, so
a slow path shows up in the editor's log instead of as a frozen editor nobody can explain.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException

P = TypeVar("P")
R = TypeVar("R")
Log = Callable[[str, types.MessageType], None]
# Longer than this and a handler is reported as slow.
TIME_BUDGET = 1.0


def guarded(log: Log, name: str, handler: Callable[[P], R], fallback: Callable[[P], Any]) -> Callable[[P], R]:
    """`handler` (plain or async) answering `fallback(params)` when it raises."""

    def failed(params: P) -> Any:
        log(f"{name} failed:\n{traceback.format_exc()}", types.MessageType.Error)
        return fallback(params)

    def timed(started: float) -> None:
        took = time.monotonic() - started
        if took > TIME_BUDGET:
            log(f"{name} took {took:.1f} s", types.MessageType.Info)

    if inspect.iscoroutinefunction(handler):
        # Not timed: an async handler spends its time waiting on the client or yielding to requests.
        run_async = cast(Callable[[P], Awaitable[Any]], handler)

        async def answer_async(params: P) -> Any:
            try:
                return await run_async(params)
            except JsonRpcException:
                raise
            except Exception:
                return failed(params)

        return cast(Callable[[P], R], answer_async)

    def answer(params: P) -> R:
        started = time.monotonic()
        try:
            return handler(params)
        except JsonRpcException:
            raise
        except Exception:
            return cast(R, failed(params))
        finally:
            timed(started)

    return answer
