"""Reading an import file line by line, with exact `file:line` errors for everything that can go wrong.

Every importer reads through `read_lines`, so UTF-8 with or without a BOM, CRLF or LF, binary files,
undecodable bytes and absurdly long lines are handled (and reported) the same way everywhere.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, NamedTuple, Protocol

from ..store import StoreError
from ..write import Writer

# A tag is at most a few hundred characters and a tagcomplete row with many aliases a few thousand;
# a longer line is not a vocabulary line (and must not be held in memory whole many times over).
MAX_LINE_BYTES = 64 * 1024
_BINARY_SNIFF_BYTES = 8192
# Lines are read and decoded this many bytes at a time (then split), not one call per line.
_CHUNK_BYTES = 1 << 20
# Importers write tags in batches of this many lines: one statement per batch, not per line.
BATCH_LINES = 2000

Progress = Callable[[int], None]
# How a tagcomplete CSV numbers its categories.
Numbering = Literal["danbooru", "e621"]


@dataclass(frozen=True)
class FileRequest:
    """One file's import as asked for: its name, its first lines, and the user's options (None: decide)."""

    name: str
    sample: list[str]
    numbering: Numbering | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Settled:
    """What a format decided for the file (the numbering or language it used), for the report."""

    numbering: Numbering | None = None
    lang: str | None = None


class FileFormat(Protocol):
    """What every importer module provides; `importers.FILE_FORMATS` lists them in detection order."""

    FORMAT: str

    def looks_like(self, text: str) -> bool:
        """Whether one non-blank sample line reads as this format (most of the sample must)."""
        ...

    def run(
        self, stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None
    ) -> Settled:
        """Import the stream; raise ImportFailed for what the request lacks."""
        ...


class ImportFailed(Exception):
    """An import that cannot go on; the message is `file:line: reason`, one line for the user."""


class BadLine(Exception):
    """One line that cannot be imported. `kind` groups lines in the `--skip-bad` report."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class Line(NamedTuple):
    """One line of text (no line ending, no BOM), its 1-based number and the ending it had
    ("\r\n", "\n", or "" for a last line without one). A named tuple: an import makes one per
    line, and a frozen dataclass takes several times as long to make."""

    number: int
    text: str
    ending: str = ""


@dataclass
class Skipped:
    """The lines `--skip-bad` stepped over: how many per reason and where each reason first happened."""

    counts: dict[str, int] = field(default_factory=dict)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, where: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.first.setdefault(kind, where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def is_binary(head: bytes) -> bool:
    """A NUL byte never occurs in UTF-8 text files; it does in images, archives and databases."""
    return b"\0" in head


def peek(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes from the start of a buffered stream, without consuming them."""
    peek_method = getattr(stream, "peek", None)
    return b"" if peek_method is None else bytes(peek_method(size))[:size]


class Block(NamedTuple):
    """Consecutive whole lines of a file, the first numbered `first`. `text` holds them all as read (line
    ends kept, line 1's BOM gone) when every one is good UTF-8 of a sane length, which a format may parse in
    one go; else `text` is None and `lines` the good ones (the bad went to `on_bad`)."""

    first: int
    text: str | None
    lines: Iterator[Line]


def read_lines(
    stream: BinaryIO,
    name: str,
    *,
    on_bad: Callable[[BadLine, str], None],
    progress: Progress | None = None,
) -> Iterator[Line]:
    """The decoded lines of `stream`; bad lines go to `on_bad(error, "file:line")` instead.

    `on_bad` either raises (stop the import) or records the line and returns (skip it).
    A binary file is refused as a whole: skipping its "lines" would import garbage.
    """
    for block in read_blocks(stream, name, on_bad=on_bad, progress=progress):
        yield from block.lines if block.text is None else lines_of(block)


def read_blocks(
    stream: BinaryIO,
    name: str,
    *,
    on_bad: Callable[[BadLine, str], None],
    progress: Progress | None = None,
) -> Iterator[Block]:
    """`read_lines` a block of about _CHUNK_BYTES at a time: decoded in one call, not one per line."""
    if is_binary(peek(stream, _BINARY_SNIFF_BYTES)):
        raise ImportFailed(f"{name}:1: binary file (NUL bytes), not a text vocabulary")
    consumed = 0
    number = 1
    for chunk in _line_chunks(stream):
        if isinstance(chunk, int):
            consumed += chunk
            on_bad(_too_long(chunk), f"{name}:{number}")
            number += 1
        else:
            consumed += len(chunk)
            text = _clean_text(chunk, first=number == 1)
            if text is not None:
                yield Block(number, text, iter(()))
                number += text.count("\n") + (not text.endswith("\n"))
            else:
                raw_lines = _split_keeping_ends(chunk)
                yield Block(number, None, _checked_lines(raw_lines, number, name, on_bad))
                number += len(raw_lines)
        if progress is not None:
            progress(consumed)
    if progress is not None and consumed == 0:
        progress(0)


def lines_of(block: Block) -> Iterator[Line]:
    """The lines of a block read in one go (`block.text`), numbered."""
    assert block.text is not None
    texts = block.text.split("\n")
    last = texts.pop()
    if "\r" in block.text:
        for number, text in enumerate(texts, start=block.first):
            yield split_line(number, text, "\n")
    else:
        for number, text in enumerate(texts, start=block.first):
            yield Line(number, text, "\n")
    if last:
        yield split_line(block.first + len(texts), last, "")


def split_line(number: int, piece: str, ending: str) -> Line:
    """Line `number` of a block's text split at "\n": `piece` with its "\r"s moved to the ending, then
    `ending` ("\n", or "" for a last line without one)."""
    stripped = piece.rstrip("\r")
    return Line(number, stripped, piece[len(stripped) :] + ending)


def _checked_lines(
    raw_lines: list[bytes], first: int, name: str, on_bad: Callable[[BadLine, str], None]
) -> Iterator[Line]:
    """Each line checked and decoded on its own; a bad one goes to `on_bad` when its turn comes."""
    for number, raw in enumerate(raw_lines, start=first):
        try:
            text = _checked_line(raw, number)
        except BadLine as error:
            on_bad(error, f"{name}:{number}")
            continue
        stripped = text.rstrip("\r\n")
        yield Line(number, stripped, text[len(stripped) :])


def _too_long(size: int) -> BadLine:
    return BadLine("line too long", f"{size:,} bytes, at most {MAX_LINE_BYTES:,}")


def _checked_line(raw: bytes, number: int) -> str:
    """One line's text with its ending (and line 1's BOM gone), or a BadLine saying why it has none."""
    if len(raw) > MAX_LINE_BYTES:
        raise _too_long(len(raw))
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    if b"\0" in raw:
        raise BadLine("NUL byte in line")
    return _decode(raw)


def _split_keeping_ends(chunk: bytes) -> list[bytes]:
    lines = [line + b"\n" for line in chunk.split(b"\n")]
    last = lines.pop()[:-1]
    return [*lines, last] if last else lines


def _clean_text(chunk: bytes, *, first: bool) -> str | None:
    """`chunk` decoded (line 1's BOM gone) when all its lines are good, else None: then each line is
    checked on its own, for its exact error."""
    if b"\0" in chunk:
        return None
    if len(chunk) > MAX_LINE_BYTES and max(map(len, chunk.split(b"\n"))) >= MAX_LINE_BYTES:
        return None
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if first and text.startswith("\ufeff"):
        # A file of only a BOM is one empty line, which an empty block would not say: read it line by line.
        text = text[1:]
        return text or None
    return text


def _line_chunks(stream: BinaryIO) -> Iterator[bytes | int]:
    """The stream as runs of whole lines (about _CHUNK_BYTES each; the last may lack its line end), or
    for a line longer than MAX_LINE_BYTES with no end in sight, its size: it is never held whole."""
    pending = b""
    while True:
        block = stream.read(_CHUNK_BYTES)
        if not block:
            if pending:
                yield pending
            return
        block = pending + block
        end = block.rfind(b"\n") + 1
        if end:
            yield block[:end]
            pending = block[end:]
        elif len(block) <= MAX_LINE_BYTES:
            pending = block
        else:
            size = len(block)
            while not block.endswith(b"\n"):
                block = stream.readline(1 << 20)
                if not block:
                    break
                size += len(block)
            yield size
            pending = b""


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        raise BadLine("not UTF-8", f"byte 0x{bad} at column {error.start + 1}") from None


@dataclass
class ImportContext:
    """What one file's import shares with its format reader: the writer, the rules for bad lines,
    the list every imported tag joins, and the tally the report is made of."""

    writer: Writer
    name: str
    skip_bad: bool = False
    list_name: str | None = None
    source: str = ""
    skipped: Skipped = field(default_factory=Skipped)

    def bad(self, error: BadLine, where: str) -> None:
        """Stop the import at a bad line, or (with `--skip-bad`) count it and go on."""
        if not self.skip_bad:
            raise ImportFailed(f"{where}: {error}")
        self.skipped.add(error.kind, where)
        self.writer.counts.skipped += 1

    def lines(self, stream: BinaryIO, progress: Progress | None = None) -> Iterator[Line]:
        return read_lines(stream, self.name, on_bad=self.bad, progress=progress)

    def blocks(self, stream: BinaryIO, progress: Progress | None = None) -> Iterator[Block]:
        return read_blocks(stream, self.name, on_bad=self.bad, progress=progress)

    def each(self, lines: Iterator[Line], handle: Callable[[Line], None]) -> None:
        """Run `handle` on every line; its BadLine or StoreError becomes a `file:line` error."""
        for line in lines:
            try:
                handle(line)
            except BadLine as error:
                self.bad(error, f"{self.name}:{line.number}")
            except StoreError as error:
                self.bad(BadLine(str(error)), f"{self.name}:{line.number}")

    def imported(self, tag_ids: Iterable[int]) -> None:
        """Tags this file names: they join `--list` when one was given."""
        self.imported_as((tag_id, None) for tag_id in tag_ids)

    def imported_as(self, members: Iterable[tuple[int, str | None]]) -> None:
        """Tags this file names, each with the spelling the list keeps (None: the tag's own name)."""
        if self.list_name is not None:
            self.writer.add_many_to_list(self.list_name, members)
