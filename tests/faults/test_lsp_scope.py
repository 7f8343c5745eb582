"""Issue 15 item 2: commands scan only the workspace folders (or a dataset root below one)."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.kit.lsp import Session
from tests.kit.lsp_faults import answered, served

__all__ = ["served"]

INVALID_PARAMS = -32602


async def execute(session: Session, command: str, argument: dict[str, Any]) -> Any:
    return await answered(
        session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[argument])
        )
    )


def indexed_roots(session: Session) -> set[str]:
    """The folders the server began indexing (each announces itself with work-done progress)."""
    return {
        str(report.message)
        for reports in session.client.progress_reports.values()
        for report in reports
        if isinstance(report, types.WorkDoneProgressBegin)
    }


@pytest.mark.parametrize("uri", ["file:///", "file:///usr", "file:///tmp/.."])
async def test_check_dataset_outside_the_workspace_is_refused(served: Session, uri: str) -> None:
    await served.indexed()
    commands = ["checkDataset", "vocabularyInfo", "searchVocabulary", "addToPersonal", "removeFromPersonal"]
    for command in commands:
        with pytest.raises(JsonRpcException) as raised:
            await execute(served, f"captionls.{command}", {"uri": uri, "query": "1girl", "name": "1girl"})
        assert raised.value.code == INVALID_PARAMS
        assert "outside the workspace folders" in str(raised.value)
    assert indexed_roots(served) == {str(served.root)}


async def test_check_dataset_below_a_workspace_folder(served: Session) -> None:
    await served.indexed()
    sub = served.root / "10_sub"
    sub.mkdir()
    (sub / "b1.png").write_bytes((served.root / "a1.png").read_bytes())
    (sub / "b1.txt").write_text("ohwxStyle, 1girl, solo, smile\n", encoding="utf-8")
    (sub / "captionls.toml").write_text('trigger = ["ohwxStyle"]\n', encoding="utf-8")
    checked = await execute(served, "captionls.checkDataset", {"uri": sub.as_uri()})
    assert checked["captions"] == 1
