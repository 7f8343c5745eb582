"""BooruDatasetTagManager's `list.tag`: one tag per line, as people hand-edit it.

Blank lines, duplicates, mixed case and spaces or underscores are all fine: each line names a tag by
its key. A name the vocabulary already knows (as a tag or as an alias) is that tag, so a personal list
never splits `sole female` off from `1girl`; an unknown name becomes a new general tag.

Imported with `--list`, the list keeps the file's order, each line's spelling and the file's layout
(BOM, line ending, final newline), so `export --list` gives the file back; whatever it cannot give back
(a blank line, a tag listed twice, a second line ending) is counted in the report.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO

from ..write import ListLayout, check_name
from .common import BATCH_LINES, FileRequest, ImportContext, Line, Progress, Settled, peek

FORMAT = "listtag"


def import_listtag(stream: BinaryIO, context: ImportContext, progress: Progress | None = None) -> None:
    writer = context.writer
    batch: list[tuple[str, str]] = []  # (key, name) per line, in file order
    listed: dict[int, str] = {}  # tag id -> the key of the line that listed it first
    endings: list[str] = []  # the first line's ending, then the last line's

    def flush() -> None:
        known = writer.resolve_keys(key for key, _ in batch)
        new: dict[str, str] = {}
        for key, name in batch:
            if key not in known:
                new.setdefault(key, name)
        if new:
            rows = [(key, name, None, None) for key, name in new.items()]
            known.update(zip(new, writer.tags(rows, source=context.source), strict=True))
        members = []
        for key, name in batch:
            tag_id = known[key]
            first = listed.get(tag_id)
            if first is None:
                listed[tag_id] = key
                members.append((tag_id, name))
            elif first == key:
                differs("a line repeats an earlier one (export writes it once)")
            else:
                differs(
                    "a line names an earlier line's tag through an alias (export writes the earlier line)"
                )
        context.imported_as(members)
        batch.clear()

    def differs(reason: str) -> None:
        if context.list_name is not None:
            writer.counts.differs(reason)

    def handle(line: Line) -> None:
        if not endings:
            endings.append(line.ending)
        elif line.ending and line.ending != endings[0]:
            differs(
                f"a line ends in {line.ending!r}, not {endings[0]!r} as the first (export uses the first)"
            )
        endings[1:] = [line.ending]
        name = line.text.strip()
        if not name:
            differs("a blank line (export leaves it out)")
            return
        if name != line.text:
            differs("spaces around a name (export trims them)")
        batch.append((check_name(name), name))
        if len(batch) >= BATCH_LINES:
            flush()

    bom = peek(stream, len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    context.each(context.lines(stream, progress), handle)
    flush()
    if context.list_name is not None and endings:
        newline = endings[0] or "\n"
        writer.list_layout(context.list_name, ListLayout(bom, newline, final_newline=bool(endings[-1])))


def looks_like(text: str) -> bool:
    """Any line can name a tag: list.tag is what a file is when it is nothing else."""
    return True


def run(stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None) -> Settled:
    import_listtag(stream, context, progress)
    return Settled()
