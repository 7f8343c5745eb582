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
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    """The lines of `text` with their line endings, as the protocol counts them."""
    return _LINE.findall(text)


class ClientCodec(PositionCodec):
    """pygls' position codec, counting ASCII text without a loop.

    pygls counts code units one character at a time in Python: about 80 us to convert a position on a
    300-character line, and an edit of a 30-tag caption converts a dozen (the edit's range, its
    diagnostics, a hover). An ASCII character is one code unit in UTF-8, UTF-16 and UTF-32 alike, and
    `str.isascii` costs nothing in CPython (strings know it), so ASCII lines, most captions, skip the loop.
    """

    def client_num_units(self, string: str) -> int:
        if string.isascii():
            return len(string)
        return int(super().client_num_units(string))

    def position_from_client_units(
        self, lines: Sequence[str], position: types.Position
    ) -> ServerTextPosition:
        if position.line >= len(lines) or not lines[position.line].isascii():
            return super().position_from_client_units(lines, position)
        # pygls' rules, each ASCII character one unit: CRLF counts as one, and a character past the end
        # is clamped to the line's last character (pygls writes that clamp into `position` too).
        line = lines[position.line].replace("\r\n", "\n")
        if not line:
            return ServerTextPosition(position.line, 0)
        if position.character > len(line):
            position.character = len(line) - 1
        return ServerTextPosition(position.line, position.character)


# Long lines get a cumulative code unit count every CHUNK characters, so that converting many offsets on
# one huge line (thousands of diagnostics) never re-counts the line from its start.
CHUNK = 256


class LineIndex:
    """Line starts of one text: converts offsets to positions and back in O(log lines + CHUNK)."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.text = text
        self.codec = codec
        self.lines: Sequence[str] = split_lines(text)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.contents = [line.rstrip("\r\n") for line in self.lines]
        self._checkpoints: dict[int, list[int]] = {}

    def _units(self, line: int, column: int) -> int:
        """Client code units in the first `column` characters of line `line`."""
        content = self._content(line)
        if column <= CHUNK:
            return int(self.codec.client_num_units(content[:column]))
        checkpoints = self._checkpoints.get(line)
        if checkpoints is None:
            checkpoints = [0]
            for start in range(0, len(content) - CHUNK + 1, CHUNK):
                checkpoints.append(
                    checkpoints[-1] + self.codec.client_num_units(content[start : start + CHUNK])
                )
            self._checkpoints[line] = checkpoints
        chunk = min(column // CHUNK, len(checkpoints) - 1)
        return checkpoints[chunk] + int(self.codec.client_num_units(content[chunk * CHUNK : column]))

    def _content(self, line: int) -> str:
        """Line `line` without its line ending ("" past the end)."""
        return self.contents[line] if line < len(self.contents) else ""

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
        return types.Position(line=line, character=self._units(line, column))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        """The code point offset of a client position; positions past a line's end clamp to it."""
        if position.line < 0:
            return 0
        if position.line >= len(self.lines):
            return len(self.text)
        content = self._content(position.line)
        if content.isascii():
            # One code unit per character in every encoding (see ClientCodec).
            return self.starts[position.line] + min(position.character, len(content))
        units = column = 0
        if len(content) > CHUNK:
            self._units(position.line, len(content))  # builds the line's checkpoints
            checkpoints = self._checkpoints[position.line]
            chunk = max(bisect.bisect_right(checkpoints, position.character) - 1, 0)
            units, column = checkpoints[chunk], chunk * CHUNK
        for char in content[column:]:
            if units >= position.character:
                break
            units += self.codec.client_num_units(char)
            column += 1
        return self.starts[position.line] + column

    def span(self, range_: types.Range) -> tuple[int, int]:
        start, end = self.offset(range_.start), self.offset(range_.end)
        return (start, end) if start <= end else (end, start)
