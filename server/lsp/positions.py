"""Offsets into a document's text <-> LSP positions and ranges, through pygls' position codec.

The domain code speaks in Python `str` indices (code points) into the whole text; the client speaks in
(line, character) with characters counted in its negotiated encoding (UTF-8, UTF-16 or UTF-32). Lines are
split the way the protocol says: at `\\n`, `\\r\\n` and `\\r` only.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """The lines of `text` with their line endings, as the protocol counts them."""
    return _LINE.findall(text)


class LineIndex:
    """Line starts of one text: converts offsets to positions and back in O(log lines)."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.text = text
        self.codec = codec
        self.lines: Sequence[str] = split_lines(text)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def _content(self, line: int) -> str:
        """Line `line` without its line ending ("" past the end)."""
        if line >= len(self.lines):
            return ""
        return self.lines[line].rstrip("\r\n")

    def position(self, offset: int) -> types.Position:
        """The client position of a code point offset (clamped into the text)."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self.starts, offset) - 1
        if line >= len(self.lines):
            if self.lines and not self.lines[-1].endswith(("\n", "\r")):
                line = len(self.lines) - 1  # the end of a last line without a line break
            else:
                # The very end of a text that ends with a line break (or is empty): the empty last line.
                return types.Position(line=len(self.lines), character=0)
        column = min(offset - self.starts[line], len(self._content(line)))
        return types.Position(line=line, character=self.codec.client_num_units(self._content(line)[:column]))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        """The code point offset of a client position; positions past a line's end clamp to it."""
        if position.line < 0:
            return 0
        if position.line >= len(self.lines):
            return len(self.text)
        content = self._content(position.line)
        units = 0
        column = 0
        for char in content:
            if units >= position.character:
                break
            units += self.codec.client_num_units(char)
            column += 1
        return self.starts[position.line] + column

    def span(self, range_: types.Range) -> tuple[int, int]:
        start, end = self.offset(range_.start), self.offset(range_.end)
        return (start, end) if start <= end else (end, start)
