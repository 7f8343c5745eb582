"""Issue 15 item 12: a request whose params do not fit its method is answered with InvalidParams."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.kit.lsp import Session
from tests.kit.lsp_faults import answered, raw_request, served

__all__ = ["served"]

INVALID_PARAMS = -32602


def hover_at(uri: str, line: int) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": 0}}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("textDocument/hover", "negative line"),
        ("textDocument/hover", "line 2^31"),
        ("textDocument/hover", None),
        ("textDocument/completion", None),
        ("textDocument/inlayHint", {"textDocument": {}}),
        ("workspace/symbol", {}),
    ],
)
async def test_invalid_params_get_an_error_answer(served: Session, method: str, params: Any) -> None:
    uri = served.open("a1.txt")
    if params == "negative line":
        params = hover_at(uri, -1)
    elif params == "line 2^31":
        params = hover_at(uri, 2**31)
    with pytest.raises(JsonRpcException) as raised:
        await raw_request(served.client, method, params)
    assert raised.value.code == INVALID_PARAMS
    # The session goes on.
    hover = await answered(
        served.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 12))
        )
    )
    assert hover is not None


async def test_requests_after_shutdown_are_refused(served: Session) -> None:
    await answered(served.client.shutdown_async(None))
    with pytest.raises(JsonRpcException) as raised:
        await raw_request(served.client, "workspace/symbol", {"query": ""})
    assert raised.value.code == types.ErrorCodes.InvalidRequest
    served.client.exit(None)
    assert served.client._server is not None
    assert await answered(served.client._server.wait()) == 0
