"""BooruDatasetTagManager's `list.tag`: one tag per line, as people hand-edit it.

Blank lines, duplicates, mixed case and spaces or underscores are all fine: each line names a tag by
its key. A name the vocabulary already knows (as a tag or as an alias) is that tag, so a personal list
never splits `sole female` off from `1girl`; an unknown name becomes a new general tag.
"""

from __future__ import annotations

from typing import BinaryIO

from .common import ImportContext, Line, Progress

FORMAT = "listtag"


def import_listtag(stream: BinaryIO, context: ImportContext, progress: Progress | None = None) -> None:
    writer = context.writer

    def handle(line: Line) -> None:
        name = line.text.strip()
        if not name:
            return
        tag_id = writer.tag_id(name)
        if tag_id is None:
            tag_id = writer.tag(name, source=context.source)
        context.imported(tag_id)

    context.each(context.lines(stream, progress), handle)
