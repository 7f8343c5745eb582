"""Importing vocabulary files: list.tag, tagcomplete CSV and BDTM translations.

`import_files` is the one entry point (the CLI and the built-in bootstrap use it): it detects each file's
format from its content, runs all files in ONE transaction (a bad line stops everything and leaves the
database exactly as it was, unless `skip_bad`), records each import and refreshes the search index.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Literal

from ..store import Store
from ..write import Counts, Writer
from . import listtag, tagcomplete, translations
from .common import FileFormat, FileRequest, ImportContext, ImportFailed, Numbering, Progress, Skipped, peek

__all__ = ["ImportFailed", "ImportReport", "Source", "detect_format", "import_files"]

# Every file format, in the order detection tries them; the last is what a file is when it is nothing else.
FILE_FORMATS: tuple[FileFormat, ...] = (tagcomplete, translations, listtag)
_BY_NAME = {module.FORMAT: module for module in FILE_FORMATS}
FORMATS: tuple[str, ...] = tuple(sorted(_BY_NAME))
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_LINES = 200
_IMPORT_CACHE_KIB = 96 * 1024


@dataclass(frozen=True)
class Source:
    """A file to import: a path, or a named stream (the built-in vocabulary ships gzipped)."""

    name: str
    path: Path | None = None
    open_stream: Callable[[], BinaryIO] | None = None
    size: int = 0
    # The format this file is read as whatever `--format` says (a file of a BDTM folder), else None.
    fmt: str | None = None

    @classmethod
    def file(cls, path: Path | str) -> Source:
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise ImportFailed(f"{path}: {error.strerror or error}") from None
        return cls(str(path), path, None, size)

    @classmethod
    def paths(cls, path: Path | str) -> list[Source]:
        """A file, or every file BDTM reads from a folder: a `Tags/` folder's `*.csv` (tagcomplete
        style) then `*.txt` (plain lists), a `Translations/` folder's `*.txt` (by language)."""
        path = Path(path)
        if not path.is_dir():
            return [cls.file(path)]
        kinds: tuple[tuple[str, str], ...]
        if path.name.lower() == "translations":
            kinds = (("*.txt", translations.FORMAT),)
        else:
            kinds = (("*.csv", tagcomplete.FORMAT), ("*.txt", listtag.FORMAT))
        found = [
            replace(cls.file(file), fmt=fmt)
            for pattern, fmt in kinds
            for file in sorted(path.glob(pattern))
            if file.is_file()
        ]
        if not found:
            wanted = " or ".join(pattern for pattern, _ in kinds)
            raise ImportFailed(f"{path}: a folder with no {wanted} files to import")
        return found

    @contextmanager
    def stream(self) -> Iterator[BinaryIO]:
        if self.open_stream is not None:
            with self.open_stream() as stream:
                yield stream
            return
        assert self.path is not None
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed below, errors reported first
        except OSError as error:
            raise ImportFailed(f"{self.name}: {error.strerror or error}") from None
        with handle:
            yield handle


@dataclass
class ImportReport:
    """What one file's import did."""

    name: str
    format: str
    counts: Counts
    skipped: Skipped = field(default_factory=Skipped)
    lang: str | None = None
    numbering: Numbering | None = None


def _sample(stream: BinaryIO) -> list[str]:
    head = peek(stream, _SAMPLE_BYTES)
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    if lines and not head.endswith(b"\n"):
        lines.pop()  # the peek may end in the middle of a line
    return [line for line in lines if line.strip()][:_SAMPLE_LINES]


def detect_format(sample: list[str]) -> str:
    """The first format that at least half of the sample's lines look like (csv, then translations), else
    list.tag."""
    *specific, fallback = FILE_FORMATS
    for module in specific:
        if sample and sum(map(module.looks_like, sample)) * 2 >= len(sample):
            return module.FORMAT
    return fallback.FORMAT


def import_files(
    store: Store,
    sources: Sequence[Source],
    *,
    fmt: str = "auto",
    list_name: str | None = None,
    numbering: Numbering | Literal["auto"] = "auto",
    lang: str | None = None,
    skip_bad: bool = False,
    progress: Callable[[Source], Progress | None] | None = None,
) -> list[ImportReport]:
    """Import every source in one transaction; raises ImportFailed (database untouched) on a bad line."""
    reports = []
    with store.transaction():
        for source in sources:
            writer = Writer(store)
            context = ImportContext(
                writer, source.name, skip_bad=skip_bad, list_name=list_name, source=source.name
            )
            with _big_page_cache(store), _no_cycle_collection(), source.stream() as stream:
                report = _import_one(
                    stream, source, context, fmt, numbering, lang, progress(source) if progress else None
                )
            writer.finish()
            writer.record_import(source.name, report.format)
            reports.append(report)
    return reports


@contextmanager
def _big_page_cache(store: Store) -> Iterator[None]:
    """A 96 MB page cache while a file's rows are written, the usual one after, for the search index.

    With SQLite's default 2 MB, a large import spends most of its time re-reading and spilling
    index pages (writing the tags of a 600,000-tag import: 18.7 s wall instead of 7.3 s). The
    memory is taken only as pages are used, and given back when the cache shrinks again. The search
    index (`Writer.finish`) is built with the small cache: SQLite sorts an index in memory chunks as
    big as the cache, and with 96 MB the three `terms` indexes of a 2M-tag import took 18 s of CPU
    and 210 MB instead of 11 s and 18 MB, and its trigram index 13 s instead of 10 s.
    """
    (previous,) = store.conn.execute("PRAGMA cache_size").fetchone()
    store.conn.execute(f"PRAGMA cache_size = -{_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        store.conn.execute(f"PRAGMA cache_size = {int(previous)}")


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a file's rows are read and written, as it was after.

    Reading makes a few tuples per line and no reference cycles, yet every 700 of them start a
    collection: danbooru.csv's import ran 375 collections (0.05 s), a 2M-tag import 4,074 (0.6 s).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import_one(
    stream: BinaryIO,
    source: Source,
    context: ImportContext,
    fmt: str,
    numbering: Numbering | Literal["auto"],
    lang: str | None,
    progress: Progress | None,
) -> ImportReport:
    sample = _sample(stream)
    if source.fmt is not None:
        fmt = source.fmt
    elif fmt == "auto":
        fmt = detect_format(sample)
    request = FileRequest(source.name, sample, None if numbering == "auto" else numbering, lang)
    settled = _BY_NAME[fmt].run(stream, context, request, progress)
    return ImportReport(
        source.name, fmt, context.writer.counts, context.skipped, settled.lang, settled.numbering
    )
