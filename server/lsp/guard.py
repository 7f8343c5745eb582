"""The one error guard every handler runs behind: a failure costs one answer, never the session.

An exception becomes a window/logMessage with its traceback and the handler's fallback answer (usually
empty). A `JsonRpcException` is a deliberate answer (InvalidParams for a path outside the workspace) and
goes to the client as the error it is.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException

P = TypeVar("P")
R = TypeVar("R")
Log = Callable[[str, types.MessageType], None]


def guarded(log: Log, name: str, handler: Callable[[P], R], fallback: Callable[[P], Any]) -> Callable[[P], R]:
    """`handler` (plain or async) answering `fallback(params)` when it raises."""

    def failed(params: P) -> Any:
        log(f"{name} failed:\n{traceback.format_exc()}", types.MessageType.Error)
        return fallback(params)

    if inspect.iscoroutinefunction(handler):
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
        try:
            return handler(params)
        except JsonRpcException:
            raise
        except Exception:
            return cast(R, failed(params))

    return answer
