"""Where caption lines break: at `\\n`, `\\r\\n` and a lone `\\r`, as the LSP counts lines.

A trainer reads a caption file split at any of the three, so a file saved with old Mac line endings
(`a, b\\rc, d`) is two captions, and every position reported (CLI or editor) counts it as two lines.
"""

from __future__ import annotations

import bisect
import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """The offset where each line of `text` starts (the first is 0)."""
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


def position(starts: list[int], offset: int) -> tuple[int, int]:
    """1-based line and character column of a str offset, with `starts` from `line_starts`."""
    line = bisect.bisect_right(starts, offset) - 1
    return line + 1, offset - starts[line] + 1
