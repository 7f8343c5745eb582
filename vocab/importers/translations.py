"""BooruDatasetTagManager translation files: `tag=translation`, one per line.

As BDTM reads them: split at the LAST `=` (so `=_=` cannot be translated, as in BDTM), a leading `*`
marks a manual translation, `//` starts a comment line. The language is the file's name (`zh-CN.txt`)
unless `--lang` says otherwise. Translations attach to tags the vocabulary already has; a name it does
not know is counted and left out rather than invented as a tag.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import BinaryIO

from .common import BadLine, FileRequest, ImportContext, ImportFailed, Line, Progress, Settled

FORMAT = "translations"

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def language_from_name(file_name: str) -> str | None:
    """`zh-CN.txt` -> `zh-CN`; None when the stem does not look like a language tag."""
    stem = PurePath(file_name).stem
    return stem.replace("_", "-") if _LANGUAGE.match(stem) else None


def looks_like(text: str) -> bool:
    """`tag=translation` or a `//` comment."""
    return "=" in text or text.lstrip().startswith("//")


def import_translations(
    stream: BinaryIO, context: ImportContext, *, lang: str, progress: Progress | None = None
) -> None:
    writer = context.writer

    def handle(line: Line) -> None:
        text = line.text.strip()
        if not text or text.startswith("//"):
            return
        manual = text.startswith("*")
        if manual:
            text = text[1:]
        name, equals, translation = text.rpartition("=")
        if not equals:
            raise BadLine("no '=' between tag and translation")
        name, translation = name.strip(), translation.strip()
        if not name:
            raise BadLine("empty tag name")
        if not translation:
            # `:>==:>=` is BDTM's own file translating a tag that contains `=`: split at the last
            # `=` as BDTM does, nothing is left. Not a broken file, just nothing to import.
            writer.counts.note("empty translation")
            return
        tag_id = writer.tag_id(name)
        if tag_id is None:
            writer.counts.note("tag not in the vocabulary")
            return
        context.imported([tag_id])
        writer.translation(tag_id, lang, translation, manual=manual)

    context.each(context.lines(stream, progress), handle)


def run(stream: BinaryIO, context: ImportContext, request: FileRequest, progress: Progress | None) -> Settled:
    lang = request.lang or language_from_name(request.name)
    if lang is None:
        raise ImportFailed(f"{request.name}: cannot tell the language from the file name; pass --lang")
    import_translations(stream, context, lang=lang, progress=progress)
    return Settled(lang=lang)
