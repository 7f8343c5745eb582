"""Messages written by orjson (server/lsp/wire.py) read exactly as pygls' own `json.dumps` writes them, and
messages read by orjson structured exactly as pygls' own `json.loads` reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import orjson
import pytest
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.lsp.server import LanguageServer

from captionls.server.lsp.documents import CaptionProtocol
from captionls.server.lsp.wire import converter, fragment, message_bytes, read_message
from tests.kit.inprocess import InProcessServer, RecordingWriter, in_process_server
from tests.kit.lsp import capabilities_of


def stock_json(message: Any) -> Any:
    """The message as stock pygls writes it: lsprotocol's converter, then `json.dumps`. A completion
    answer the server wrote ahead as JSON is read back into lsprotocol's CompletionList first, so it
    must be exactly what lsprotocol writes for that list."""
    result = getattr(message, "result", None)
    if isinstance(result, orjson.Fragment):
        answer = get_converter().structure(orjson.loads(orjson.dumps(result)), types.CompletionList)
        message = attrs.evolve(message, result=answer)
    stock = LanguageServer("stock", "1")
    writer = RecordingWriter()
    stock.protocol.set_writer(writer)
    stock.protocol._send_data(message)
    [body] = writer.bodies
    return json.loads(body)


async def a_session(served: InProcessServer, root: Path) -> None:
    """Initialize as VS Code, open two captions, complete, hover, send two bad requests, shut down."""
    folder = {"uri": root.as_uri(), "name": root.name}
    await served.request(
        "initialize",
        {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": get_converter().unstructure(capabilities_of("visual-studio-code")),
            "workspaceFolders": [folder],
        },
    )
    served.notify("initialized", {})
    await served.until_sent("$/progress", "end")  # the dataset is indexed
    text = "ohwxStyle, anime, 1girl, 1girl, smile, s"
    uri = (root / "a1.txt").as_uri()
    document = {"uri": uri, "languageId": "text", "version": 1, "text": text}
    served.notify("textDocument/didOpen", {"textDocument": document})
    await served.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": len(text)}},
    )
    await served.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 20}}
    )
    await served.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": -1, "character": 0}},
    )
    await served.request("captionls/noSuchMethod", {})
    await served.request("shutdown", None)


async def test_every_message_of_a_session_reads_as_pygls_writes_it(
    monkeypatch: pytest.MonkeyPatch, dataset: Path, vocabulary_db: Path
) -> None:
    served = in_process_server(monkeypatch, vocabulary_db)
    await a_session(served, dataset)
    written = [json.loads(body) for body in served.writer.bodies]
    assert len(written) == len(served.sent)
    for message, read in zip(served.sent, written, strict=True):
        assert read == stock_json(message), read.get("method") or read.get("id")
    # The session wrote each kind of message the server sends.
    results = [m["result"] for m in written if "result" in m]
    assert any(isinstance(r, dict) and len(r.get("items", [])) > 1 for r in results)  # completion list
    assert any(isinstance(r, dict) and r.get("contents") for r in results)  # hover
    assert any(isinstance(r, dict) and "capabilities" in r for r in results)  # initialize
    assert None in results  # shutdown: `result: null` is kept
    methods = {m.get("method") for m in written}
    assert {"textDocument/publishDiagnostics", "workspace/configuration", "$/progress"} <= methods
    published = [m for m in written if m.get("method") == "textDocument/publishDiagnostics"]
    assert any(m["params"]["diagnostics"] for m in published)
    errors = [m["error"]["code"] for m in written if "error" in m]
    assert sorted(errors) == [-32602, -32601]  # invalid params, method not found


def written_by(protocol: CaptionProtocol, message: Any) -> bytes:
    writer = RecordingWriter()
    protocol.set_writer(writer)
    protocol._send_data(message)
    [body] = writer.bodies
    return body


@pytest.mark.parametrize(
    "message",
    [
        # Not ASCII: written as UTF-8, so Content-Length counts bytes (the writer checks it).
        types.LogMessageNotification(
            params=types.LogMessageParams(type=types.MessageType.Info, message="captionls: ソファ, café")
        ),
        # A lone surrogate, which a client's document may hold: orjson refuses it, json.dumps escapes it.
        types.LogMessageNotification(
            params=types.LogMessageParams(type=types.MessageType.Error, message="half \ud83d pair")
        ),
        # `data` holds anything: a dict with number keys, a tuple, an lsprotocol object inside.
        types.CompletionResponse(
            id="resolve-1",
            result=types.CompletionItem(
                label="smile",
                tags=[types.CompletionItemTag.Deprecated],
                data={1: ("a", 2.5), "range": types.Range(types.Position(0, 1), types.Position(0, 2))},
            ),
        ),
    ],
)
def test_messages_outside_a_session_read_as_pygls_writes_them(message: Any) -> None:
    protocol = CaptionProtocol(LanguageServer("wire", "1"), converter())
    assert json.loads(written_by(protocol, message)) == stock_json(message)


def test_a_value_no_json_can_hold_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(TypeError):
        message_bytes({"set": {1, 2}}, lambda value: json.JSONEncoder().default(value))


def test_an_answer_written_ahead_keeps_a_lone_surrogate_as_json_dumps_writes_it() -> None:
    protocol = CaptionProtocol(LanguageServer("wire", "1"), converter())
    items = {"isIncomplete": True, "items": [{"label": "half \ud83d pair", "filterText": "ソファ"}]}
    message = types.CompletionResponse(id=1, result=fragment(items))  # type: ignore[arg-type]
    assert json.loads(written_by(protocol, message))["result"] == items


def change_of(text: str) -> dict[str, Any]:
    span = {"start": {"line": 0, "character": 3}, "end": {"line": 0, "character": 3}}
    return {
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": "file:///d/a.txt", "version": 7},
            "contentChanges": [{"range": span, "text": text}],
        },
    }


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"jsonrpc": "2.0", **change_of("café, ソファ")}),
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "textDocument/completion",
                "params": {
                    "textDocument": {"uri": "file:///d/a.txt"},
                    "position": {"line": 0, "character": 4},
                },
            }
        ),
        '{"jsonrpc": "2.0", "id": 1, "result": [null, {"tagStyle": "spaces"}]}',
        '{"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "no"}}',
        # What orjson refuses or reads otherwise goes to `json.loads`: a lone surrogate (a client's
        # document may hold one), NaN, and an id past 64 bits (orjson would make it a float).
        json.dumps({"jsonrpc": "2.0", **change_of("half \ud83d pair")}),
        '{"jsonrpc": "2.0", "method": "$/setTrace", "params": {"value": "off", "x": NaN}}',
        '{"jsonrpc": "2.0", "id": 123456789012345678901234567890, "method": "shutdown"}',
        # Not a message: left as it is, for the protocol to refuse.
        "[1, 2]",
    ],
)
def test_messages_read_by_orjson_are_structured_as_pygls_reads_them(body: str) -> None:
    protocol = CaptionProtocol(LanguageServer("wire", "1"), converter())
    stock = json.loads(body, object_hook=protocol.structure_message)
    read = read_message(body.encode("utf-8", "surrogatepass"), protocol.structure_message)
    assert type(read) is type(stock)
    assert read == stock
