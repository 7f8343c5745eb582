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
_PROGRESS_EVERY = 4096
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
    if is_binary(peek(stream, _BINARY_SNIFF_BYTES)):
        raise ImportFailed(f"{name}:1: binary file (NUL bytes), not a text vocabulary")
    consumed = 0
    for number, (raw, size) in enumerate(_raw_lines(stream), start=1):
        consumed += size
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(consumed)
        try:
            if size > MAX_LINE_BYTES:
                raise BadLine("line too long", f"{size:,} bytes, at most {MAX_LINE_BYTES:,}")
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if b"\0" in raw:
                raise BadLine("NUL byte in line")
            text = _decode(raw)
        except BadLine as error:
            on_bad(error, f"{name}:{number}")
            continue
        stripped = text.rstrip("\r\n")
        yield Line(number, stripped, text[len(stripped) :])
    if progress is not None:
        progress(consumed)


def _raw_lines(stream: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """(line, its size in bytes); an over-long line comes as (b"", size), never held whole in memory."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        size = len(raw)
        if size <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield raw, size
            continue
        while not raw.endswith(b"\n"):
            raw = stream.readline(1 << 20)
            if not raw:
                break
            size += len(raw)
        yield b"", size


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
