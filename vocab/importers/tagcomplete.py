"""a1111-sd-webui-tagcomplete CSV: `name,category,post_count,aliases` and the 5-column extra format.

No header. `aliases` is one field, quoted when it holds several comma-separated names, empty when none.
The extra format (`name,category,meta_text,aliases,translation`) shows a text in place of the count, so
its tags keep the count they have (0 when new). Category numbers depend on the site the list was made
from: Danbooru and e621 number them differently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import BinaryIO

from ..normalize import tag_key, tag_name_problem
from ..store import StoreError
from ..write import MAX_POST_COUNT, check_name
from .common import (
    BATCH_LINES,
    BadLine,
    Block,
    FileRequest,
    ImportContext,
    Line,
    Numbering,
    Progress,
    Settled,
    split_line,
)

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


def _checked_key(name: str, clean: bool) -> str:
    """`check_name(name)`, where `clean` says the name is known to pass `tag_name_problem` already."""
    key = tag_key(name) if clean else ""
    return key or check_name(name)


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

    # A batch's tag rows for `Writer.tags`, and the rows with aliases or a translation: (the row's place in
    # the batch, its aliases, its translation, whether the whole line is a valid name).
    tag_rows: list[tuple[str, str, str, int | None]] = []
    extras: list[tuple[int, list[str], str, bool]] = []

    def flush() -> None:
        ids = writer.tags(tag_rows, source=context.source)
        context.imported(ids)
        aliases = []
        for at, row_aliases, translation, clean in extras:
            tag_id, tag_key = ids[at], tag_rows[at][0]
            for alias in row_aliases:
                # An alias is a side note of its row: one that cannot be a name (`[_]` normalises
                # to nothing) is left out and counted, it does not make the whole row bad.
                try:
                    aliases.append((_checked_key(alias, clean), alias, tag_id, tag_key))
                except StoreError as error:
                    writer.counts.note(f"unusable alias ({error})")
            if translation:
                if lang is None:
                    writer.counts.note("translation column ignored (no --lang)")
                else:
                    writer.translation(tag_id, lang, translation)
        writer.imported_aliases(aliases)
        tag_rows.clear()
        extras.clear()

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
        # When the whole line could be a tag name, every name in it can: one check for the line
        # instead of one per name.
        clean = tag_name_problem(text) is None
        key = _checked_key(name, clean)
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
        aliases: list[str] = []
        translation = ""
        if (columns > 3 and fields[3]) or columns == 5:
            aliases = [alias for alias in fields[3].split(",") if alias.strip()] if fields[3] else []
            translation = fields[4].strip() if columns == 5 else ""
        add((key, name, category, post_count), aliases, translation, clean)

    def add(row: tuple[str, str, str, int | None], aliases: list[str], translation: str, clean: bool) -> None:
        if aliases or translation:
            extras.append((len(tag_rows), aliases, translation, clean))
        tag_rows.append(row)
        if len(tag_rows) >= BATCH_LINES:
            flush()

    plain_categories = {str(number): name for number, name in categories.items() if 0 <= number <= 9}
    for block in context.blocks(stream, progress):
        if block.text is None:
            context.each(block.lines, handle)
            continue
        for item in _plain_rows(block, plain_categories):
            if isinstance(item, Line):
                context.each(iter((item,)), handle)
            else:
                row, aliases, clean = item
                add(row, aliases, "", clean)
    flush()


# A line as nearly all of a tagcomplete file's are: name, one-digit category, plain count, maybe aliases
# (quoted when there are several); or any other line, with every group empty.
_FIELD = r'[^,"\r\n]'
_PLAIN_ROW = re.compile(
    rf'^(?:({_FIELD}+),([0-9]),([0-9]{{1,{_SAFE_COUNT_DIGITS - 1}}})(?:,(?:"([^"\r\n]*)"|({_FIELD}*)))?|.*)$',
    re.MULTILINE,
)
_PlainRow = tuple[tuple[str, str, str, int], list[str], bool]


def _plain_rows(block: Block, categories: dict[str, str]) -> Iterator[_PlainRow | Line]:
    """A block's lines, read with one regex instead of one by one: each line that `handle` would take as
    it is as (tag row, aliases, whether the aliases are valid names), any other as the Line to handle."""
    assert block.text is not None
    pieces = block.text.split("\n")
    last = len(pieces) - 1
    # One match per line, the other alternative taking any line (an empty match after a final line end).
    for at, (piece, (name, number, count, quoted, unquoted)) in enumerate(
        zip(pieces, _PLAIN_ROW.findall(block.text), strict=True)
    ):
        name = name.strip()
        key = tag_key(name) if name and tag_name_problem(name) is None else ""
        category = categories.get(number)
        if key and category is not None:
            aliases = quoted or unquoted
            if aliases:
                yield (
                    (key, name, category, int(count)),
                    [alias for alias in aliases.split(",") if alias.strip()],
                    tag_name_problem(aliases) is None,
                )
            else:
                yield (key, name, category, int(count)), [], True
        elif at < last or piece:
            yield split_line(block.first + at, piece, "\n" if at < last else "")


def run(stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None) -> Settled:
    numbering = request.numbering or guess_numbering(request.name, request.sample)
    import_tagcomplete(stream, context, numbering=numbering, lang=request.lang, progress=progress)
    return Settled(numbering=numbering, lang=request.lang)
