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

# Larger files are not captions (a caption is a few hundred characters); reading stops there.
MAX_CAPTION_BYTES = 8 * 1024 * 1024
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
        raise CaptionReadError(
            f"{path}:1: larger than {MAX_CAPTION_BYTES // (1024 * 1024)} MiB, not a caption"
        )
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
    """Apply edits to `text`. Duplicates are applied once; an edit overlapping an earlier one is skipped.

    "Earlier" is the order given, so callers list the edits they prefer first.
    """
    accepted: list[Edit] = []
    for edit in edits:
        if any(edit == other for other in accepted):
            continue
        if any(_overlaps(edit, other) for other in accepted):
            continue
        accepted.append(edit)
    # Right to left, so earlier offsets stay valid; insertions at one offset keep their given order.
    ordered = sorted(enumerate(accepted), key=lambda item: (item[1].start, item[1].end, item[0]))
    parts: list[str] = []
    cursor = len(text)
    for _, edit in reversed(ordered):
        parts.append(text[edit.end : cursor])
        parts.append(edit.new_text)
        cursor = edit.start
    parts.append(text[:cursor])
    return "".join(reversed(parts))


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end or b.start == b.end:
        # Insertions only clash with an edit that replaces around them.
        point, other = (a, b) if a.start == a.end else (b, a)
        return other.start < point.start < other.end
    return a.start < b.end and b.start < a.end
