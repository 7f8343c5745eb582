"""Issue 15 item 11: the server's memory stays flat over thousands of didChange notifications.

pygls 2.1.1 keeps the Future of every notification its built-in generator handlers run (didOpen,
didChange, didClose...) in `_request_futures` under a fresh uuid and never removes it: about 2 KB per
keystroke, for the whole session.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.kit.lsp import Session
from tests.kit.lsp_faults import answered, served

__all__ = ["served"]

EDITS = 6_000
# Generous for allocator noise; the leak alone is ~12 MB over EDITS changes.
ALLOWED_GROWTH = 4 * 1024 * 1024


def resident_bytes(pid: int) -> int:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * 4096


async def toggle(session: Session, uri: str, first_version: int, count: int) -> None:
    texts = ["ohwxStyle, 1girl, solo, smile\n", "ohwxStyle, 1girl, solo, smiles\n"]
    for step in range(count):
        session.change(uri, first_version + step, texts[step % 2])
    # Any answer comes after every change before it has been handled.
    await answered(
        session.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 0))
        ),
        deadline=120,
    )


async def test_memory_stays_flat_over_many_changes(served: Session) -> None:
    process = served.client._server
    assert process is not None
    uri = served.open("a1.txt")
    await toggle(served, uri, 2, 2_000)  # warm every cache first
    before = resident_bytes(process.pid)
    await toggle(served, uri, 2_002, EDITS)
    grown = resident_bytes(process.pid) - before
    assert grown < ALLOWED_GROWTH, f"{grown / 1024:.0f} KiB more after {EDITS} changes"
