"""The protocol's own dispatch (`CaptionProtocol.handle_message`): a didChange is applied and handed to the
server's handler without pygls' generator, and a failure in it is reported as pygls reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.kit.inprocess import InProcessServer, in_process_server


async def opened(
    monkeypatch: pytest.MonkeyPatch, root: Path, vocabulary: Path
) -> tuple[InProcessServer, str]:
    served = in_process_server(monkeypatch, vocabulary)
    await served.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
    served.notify("initialized", {})
    uri = (root / "a1.txt").as_uri()
    document = {"uri": uri, "languageId": "text", "version": 1, "text": "ohwxStyle, smile"}
    served.notify("textDocument/didOpen", {"textDocument": document})
    return served, uri


def change(uri: str, version: int, start: int, end: int, text: str) -> dict[str, Any]:
    span = {"start": {"line": 0, "character": start}, "end": {"line": 0, "character": end}}
    return {
        "textDocument": {"uri": uri, "version": version},
        "contentChanges": [{"range": span, "text": text}],
    }


async def test_an_edit_is_applied_and_diagnosed(
    monkeypatch: pytest.MonkeyPatch, dataset: Path, vocabulary_db: Path
) -> None:
    served, uri = await opened(monkeypatch, dataset, vocabulary_db)
    served.notify("textDocument/didChange", change(uri, 2, 16, 16, ", smile"))
    served.notify("textDocument/didChange", change(uri, 3, 0, 0, "anime, "))
    document = served.server.workspace.get_text_document(uri)
    assert (document.source, document.version) == ("anime, ohwxStyle, smile, smile", 3)
    published = await served.until_diagnosed(uri, 3)
    assert "duplicate-tag" in [d["code"] for d in published["diagnostics"]]


async def test_an_edit_of_a_document_never_opened_is_reported_and_the_session_goes_on(
    monkeypatch: pytest.MonkeyPatch, dataset: Path, vocabulary_db: Path
) -> None:
    served, uri = await opened(monkeypatch, dataset, vocabulary_db)
    served.notify("textDocument/didChange", change((dataset / "a2.txt").as_uri(), 2, 0, 0, "x"))
    shown = [m for m in served.messages() if m.get("method") == "window/showMessage"]
    assert [m["params"]["type"] for m in shown] == [1], shown  # an error, as pygls shows it
    answer = await served.request(
        "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 16}}
    )
    assert answer["result"]["items"]
