"""Text edits, and reading and rewriting caption files without disturbing their bytes.

A caption is decoded with its BOM remembered and its line endings left in the text, so writing the edited
text back with the same encoding and BOM changes only the edited characters. Rewrites go to a temporary
file in the same folder and replace the caption with `os.replace`, so a crash never leaves half a file.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .findings import Edit

# Larger files are not captions (a caption is a few hundred characters, a hundred variants a few dozen
# KiB); reading stops there, so a 5 MB one-line file is reported instead of checked for a minute.
MAX_CAPTION_BYTES = 256 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class CaptionReadError(Exception):
    """A caption file that cannot be read as text; the message is one line with the path."""


@dataclass(frozen=True)
class CaptionFile:
    """A caption's decoded text (line endings kept, BOM removed) and how to write it back."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False


def read_caption_file(path: Path) -> CaptionFile:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CAPTION_BYTES + 1)
    except OSError as error:
        raise CaptionReadError(f"{path}:1: cannot read ({error.strerror or error})") from None
    if len(raw) > MAX_CAPTION_BYTES:
        raise CaptionReadError(f"{path}:1: larger than {MAX_CAPTION_BYTES // 1024} KiB, not a caption")
    return decode_caption(path, raw)


def decode_caption(path: Path, raw: bytes) -> CaptionFile:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return CaptionFile(_decode(path, raw[len(bom) :], encoding), encoding, True)
    if b"\0" in raw:
        raise CaptionReadError(f"{path}:1: binary file (contains NUL bytes), not a caption")
    return CaptionFile(_decode(path, raw, "utf-8"))


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = f"0x{raw[error.start]:02x}"
        raise CaptionReadError(
            f"{path}:{line}: not {encoding.upper()} text (byte {byte} at offset {error.start})"
        ) from None


def encode_caption(file: CaptionFile, text: str) -> bytes:
    data = text.encode(file.encoding)
    if file.bom:
        data = next(bom for bom, encoding in _BOMS if encoding == file.encoding) + data
    return data


def write_atomic(path: Path, data: bytes) -> None:
    """Replace the file at `path` (through symlinks) with `data`, keeping its permissions."""
    target = path.resolve()
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_caption_file(path: Path, file: CaptionFile, text: str) -> None:
    """Write `text` back to `path` with the encoding and BOM `file` was read with."""
    write_atomic(path, encode_caption(file, text))


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits to `text`. Duplicates are applied once; of two overlapping edits the one given first
    wins, so callers list the edits they prefer first. Insertions at one offset keep their given order.
    """
    accepted: list[tuple[int, Edit]] = []
    seen: set[tuple[int, int, str]] = set()
    # A sweep in text order: the accepted edits never overlap, so only the last one can clash.
    for rank, edit in sorted(enumerate(edits), key=lambda item: (item[1].start, item[1].end, item[0])):
        identity = (edit.start, edit.end, edit.new_text)
        if identity in seen:
            continue
        wins = True
        while accepted and _overlaps(accepted[-1][1], edit):
            if accepted[-1][0] < rank:
                wins = False
                break
            seen.discard(_identity(accepted.pop()[1]))
        if wins:
            accepted.append((rank, edit))
            seen.add(identity)
    parts: list[str] = []
    cursor = 0
    for _, edit in accepted:
        parts.append(text[cursor : edit.start])
        parts.append(edit.new_text)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def _identity(edit: Edit) -> tuple[int, int, str]:
    return edit.start, edit.end, edit.new_text


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end or b.start == b.end:
        # Insertions only clash with an edit that replaces around them.
        point, other = (a, b) if a.start == a.end else (b, a)
        return other.start < point.start < other.end
    return a.start < b.end and b.start < a.end
