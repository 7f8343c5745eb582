"""BooruDatasetTagManager's `list.tag`: one tag per line, as people hand-edit it.

Blank lines, duplicates, mixed case and spaces or underscores are all fine: each line names a tag by
its key. A name the vocabulary already knows (as a tag or as an alias) is that tag, so a personal list
never splits `sole female` off from `1girl`; an unknown name becomes a new general tag.
"""

from __future__ import annotations

from typing import BinaryIO

from ..write import check_name
from .common import BATCH_LINES, FileRequest, ImportContext, Line, Progress, Settled

FORMAT = "listtag"


def import_listtag(stream: BinaryIO, context: ImportContext, progress: Progress | None = None) -> None:
    writer = context.writer
    batch: dict[str, str] = {}  # key -> the first spelling of it in this batch

    def flush() -> None:
        known = writer.resolve_keys(batch)
        new = [(key, name, None, None) for key, name in batch.items() if key not in known]
        if new:
            known.update(zip((row[0] for row in new), writer.tags(new, source=context.source), strict=True))
        context.imported(known[key] for key in batch)
        batch.clear()

    def handle(line: Line) -> None:
        name = line.text.strip()
        if not name:
            return
        batch.setdefault(check_name(name), name)
        if len(batch) >= BATCH_LINES:
            flush()

    context.each(context.lines(stream, progress), handle)
    flush()


def looks_like(text: str) -> bool:
    """Any line can name a tag: list.tag is what a file is when it is nothing else."""
    return True


def run(stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None) -> Settled:
    import_listtag(stream, context, progress)
    return Settled()
