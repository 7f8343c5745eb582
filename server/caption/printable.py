"""Text from a caption or a file name made safe to print on one terminal line.

A tag or a path may hold a carriage return, an escape sequence or a line separator; printed raw, it
would move the cursor, recolour the terminal or forge another output line.
"""

from __future__ import annotations

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_control(char: str) -> bool:
    """A control character, or a line or paragraph separator (which some readers break lines at)."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def printable(text: str) -> str:
    """`text` with every control character written as an escape (`\\r`, `\\x1b`, `\\u2028`)."""
    if text.isprintable():
        return text
    return "".join(_escape(char) if is_control(char) else char for char in text)


def _escape(char: str) -> str:
    escaped = _ESCAPES.get(char)
    if escaped is not None:
        return escaped
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
