"""a1111-sd-webui-tagcomplete CSV: `name,category,post_count,aliases` and the 5-column extra format.

No header. `aliases` is one field, quoted when it holds several comma-separated names, empty when none.
The extra format (`name,category,meta_text,aliases,translation`) shows a text in place of the count, so
its tags keep the count they have (0 when new). Category numbers depend on the site the list was made
from: Danbooru and e621 number them differently.
"""

from __future__ import annotations

import csv
import re
from typing import BinaryIO, NamedTuple

from ..store import StoreError
from ..write import MAX_POST_COUNT, check_name
from .common import BATCH_LINES, BadLine, FileRequest, ImportContext, Line, Numbering, Progress, Settled

FORMAT = "csv"


CATEGORY_NUMBERS: dict[Numbering, dict[int, str]] = {
    "danbooru": {0: "general", 1: "artist", 3: "copyright", 4: "character", 5: "meta"},
    "e621": {
        -1: "invalid",
        0: "general",
        1: "artist",
        2: "contributor",
        3: "copyright",
        4: "character",
        5: "species",
        6: "invalid",
        7: "meta",
        8: "lore",
    },
}
# Numbers only e621 uses: one of them in a file's first rows settles the numbering.
_E621_ONLY = {-1, 2, 6, 7, 8}
_CSV_ROW = re.compile(r"^[^,]+,(-?\d+),")
# A count of fewer digits than MAX_POST_COUNT has is always within it.
_SAFE_COUNT_DIGITS = len(str(MAX_POST_COUNT))


def guess_numbering(file_name: str, sample: list[str]) -> Numbering:
    """e621 when the file says so by name or by a category number Danbooru never uses."""
    if "e621" in file_name.casefold():
        return "e621"
    for text in sample:
        match = _CSV_ROW.match(text)
        if match and int(match.group(1)) in _E621_ONLY:
            return "e621"
    return "danbooru"


def looks_like(text: str) -> bool:
    """`name,number,...`: a tag row."""
    return _CSV_ROW.match(text) is not None


def split_row(text: str) -> list[str]:
    if '"' not in text:
        return text.split(",")
    return next(csv.reader([text]))


class _Row(NamedTuple):
    """A checked line waiting for its batch to be written (a tuple: one is made per line)."""

    key: str
    name: str
    category: str
    post_count: int | None
    aliases: list[str]
    translation: str


def _count(text: str) -> int:
    text = text.strip()
    try:
        count = int(text)
    except ValueError:
        raise BadLine("post count is not a number", repr(text)) from None
    if count < 0:
        raise BadLine("negative post count", text)
    if count > MAX_POST_COUNT:
        raise BadLine("post count too large", f"{text}, at most {MAX_POST_COUNT:,}")
    return count


def import_tagcomplete(
    stream: BinaryIO,
    context: ImportContext,
    *,
    numbering: Numbering,
    lang: str | None = None,
    progress: Progress | None = None,
) -> None:
    """Import rows; the extra format's translation column is kept only when `lang` names its language."""
    writer = context.writer
    categories = CATEGORY_NUMBERS[numbering]

    batch: list[_Row] = []

    def flush() -> None:
        ids = writer.tags([row[:4] for row in batch], source=context.source)
        context.imported(ids)
        aliases = []
        for row, tag_id in zip(batch, ids, strict=True):
            if not row.aliases and not row.translation:
                continue
            for alias in row.aliases:
                # An alias is a side note of its row: one that cannot be a name (`[_]` normalises
                # to nothing) is left out and counted, it does not make the whole row bad.
                try:
                    aliases.append((check_name(alias), alias, tag_id, row.key))
                except StoreError as error:
                    writer.counts.note(f"unusable alias ({error})")
            if row.translation:
                if lang is None:
                    writer.counts.note("translation column ignored (no --lang)")
                else:
                    writer.translation(tag_id, lang, row.translation)
        writer.imported_aliases(aliases)
        batch.clear()

    def handle(line: Line) -> None:
        text = line.text
        if not text or text.isspace():
            return
        fields = split_row(text)
        columns = len(fields)
        if columns not in (3, 4, 5):
            raise BadLine(
                "wrong column count",
                f"{columns} columns, expected name,category,post_count,aliases"
                " (or the 5-column extra format)",
            )
        name = fields[0].strip()
        if not name:
            raise BadLine("empty tag name")
        key = check_name(name)
        try:
            number = int(fields[1])
        except ValueError:
            raise BadLine("category is not a number", repr(fields[1])) from None
        category = categories.get(number)
        if category is None:
            raise BadLine("unknown category", f"{number} in {numbering} numbering")
        post_count: int | None = None
        if columns != 5:
            count = fields[2]
            # Nearly every count is plain digits, far below the limit: only the others need `_count`.
            post_count = (
                int(count) if count.isdecimal() and len(count) < _SAFE_COUNT_DIGITS else _count(count)
            )
        aliases = (
            [alias for alias in fields[3].split(",") if alias.strip()] if columns > 3 and fields[3] else []
        )
        translation = fields[4].strip() if columns == 5 else ""
        batch.append(_Row(key, name, category, post_count, aliases, translation))
        if len(batch) >= BATCH_LINES:
            flush()

    context.each(context.lines(stream, progress), handle)
    flush()


def run(stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None) -> Settled:
    numbering = request.numbering or guess_numbering(request.name, request.sample)
    import_tagcomplete(stream, context, numbering=numbering, lang=request.lang, progress=progress)
    return Settled(numbering=numbering, lang=request.lang)
