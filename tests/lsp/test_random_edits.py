"""Property: thousands of random incremental edits with multi-byte text never break the server.

A real client sends each edit as a ranged didChange in its own position encoding (UTF-8 for Neovim, UTF-16
for VS Code). After every edit the diagnostics must lie inside the document as the client has it, and
a hover's range must cover text of one tag.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from tests.kit.lsp import Session

PIECES = [
    *"ab ,()[]\\_:|1.",
    "猫耳",
    "ねこ",
    "🎨",
    "👩‍🎨",
    "e\u0301",
    "\r\n",
    "\n",
    "\r",
    ", ",
    "1girl",
    "contra",
    "sole female",
    "\t",
    "\u3000",
    "BREAK",
    "|||",
]
EDIT = st.tuples(
    st.floats(0, 1),
    st.floats(0, 1),
    st.lists(st.sampled_from(PIECES), max_size=5).map("".join),
)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_of(text: str) -> list[str]:
    """The document's lines as a client counts them (the model the server must agree with)."""
    return _LINE.findall(text)


def units(text: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def position_at(text: str, offset: int, encoding: str) -> types.Position:
    line_start = 0
    for number, line in enumerate(lines_of(text)):
        if offset < line_start + len(line) or (
            offset == line_start + len(line) and not line.endswith(("\n", "\r"))
        ):
            return types.Position(number, units(text[line_start:offset], encoding))
        line_start += len(line)
    return types.Position(len(lines_of(text)), 0)


def valid_offset(text: str, fraction: float) -> int:
    offset = round(fraction * len(text))
    # No position exists between the two characters of a CRLF.
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1
    return offset


def inside(text: str, range_: types.Range, encoding: str) -> bool:
    lines = lines_of(text)
    for position in (range_.start, range_.end):
        if position.line > len(lines):
            return False
        if position.line == len(lines):
            if position.character != 0:
                return False
            continue
        if position.character > units(lines[position.line].rstrip("\r\n"), encoding):
            return False
    return (range_.start.line, range_.start.character) <= (range_.end.line, range_.end.character)


def text_in(text: str, range_: types.Range, encoding: str) -> str:
    """The model text a range covers (brute force: find the offsets whose positions match)."""
    offsets = {
        (p.line, p.character): offset
        for offset in range(len(text) + 1)
        for p in [position_at(text, offset, encoding)]
    }
    start = offsets[(range_.start.line, range_.start.character)]
    end = offsets[(range_.end.line, range_.end.character)]
    return text[start:end]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(EDIT, min_size=20, max_size=60), probe=st.floats(0, 1))
async def test_random_incremental_edits(
    session: Session, edits: list[tuple[float, float, str]], probe: float
) -> None:
    encoding = session.result.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    text = "ohwxStyle, 猫耳, 1girl\r\n🎨 contra, sole female\n"
    uri = session.open("a1.txt", text)
    document = types.TextDocumentIdentifier(uri=uri)
    for version, (a, b, new_text) in enumerate(edits, start=2):
        start, end = sorted((valid_offset(text, a), valid_offset(text, b)))
        change = types.TextDocumentContentChangePartial(
            range=types.Range(position_at(text, start, encoding), position_at(text, end, encoding)),
            text=new_text,
        )
        session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]
            )
        )
        text = text[:start] + new_text + text[end:]
        for diagnostic in await session.diagnostics(uri):
            assert inside(text, diagnostic.range, encoding), (text, diagnostic)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(document, position_at(text, valid_offset(text, probe), encoding))
    )
    if hover is not None and hover.range is not None:
        assert inside(text, hover.range, encoding)
        covered = text_in(text, hover.range, encoding)
        # (A lone `\r` is a line break to the client but not to the caption parser, which splits at `\n`.)
        assert covered.strip() and "," not in covered and "\n" not in covered, covered
    session.client.text_document_did_close(types.DidCloseTextDocumentParams(document))
