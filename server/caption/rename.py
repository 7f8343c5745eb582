"""Rename a tag in every caption of a dataset (`captionls rename`, LSP rename, "Use X in all captions").

A caption that already has the new tag keeps it and loses the old one (a merge), so a rename never
creates a duplicate. The new name must stay one tag on one line (`check_new_name`). Prose lines are never
rewritten (see `kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from captionls.vocab.normalize import tag_key

from .dataset import DatasetIndex
from .files import CaptionReadError, read_caption_file
from .findings import Edit
from .parse import Caption, Syntax, parse_caption, tag_names
from .printable import is_control, printable
from .rules.base import remove_tag


class BadTagName(ValueError):
    """A new tag name that would not stay one tag; the message is one line."""


def check_new_name(name: str, syntax: Syntax) -> str:
    """`name` without surrounding blanks, or BadTagName when written into captions it would not be one
    tag: empty, a control character (a newline adds a caption line, NUL or ESC garble it), or the
    dataset's separators, `BREAK`, a wildcard or attention syntax splitting or changing it.
    """
    stripped = name.strip()
    if not tag_key(stripped):
        raise BadTagName("the new tag name is empty")
    control = next((char for char in stripped if is_control(char)), None)
    if control is not None:
        raise BadTagName(
            f'the new tag name "{printable(stripped)}" contains the control character'
            f" {printable(control)}; a tag name is one line of plain text"
        )
    names = tag_names(stripped, syntax)
    if len(names) != 1 or names[0][1] != stripped:
        marks = ", ".join(
            f'"{mark}"'
            for mark in (syntax.separator, syntax.keep_separator, syntax.secondary_separator)
            if mark
        )
        raise BadTagName(
            f'the new tag name "{stripped}" would not stay one tag in a caption ({marks}, BREAK,'
            " wildcards and attention brackets split or change it)"
        )
    return stripped


def caption_rename_edits(caption: Caption, old_key: str, new_display: str) -> list[Edit]:
    """The edits renaming `old_key` to `new_display` in one caption (every tag line)."""
    new_key = tag_key(new_display)
    edits: list[Edit] = []
    for line in caption.lines:
        if line.kind == "prose":
            continue
        olds = [tag for tag in line.tags if tag.key == old_key]
        if not olds:
            continue
        merge = new_key != old_key and any(tag.key == new_key for tag in line.tags)
        for tag in olds:
            if merge:
                edit = remove_tag(caption.text, line, tag)
            elif tag.name != new_display:
                edit = Edit(tag.name_start, tag.name_end, new_display)
            else:
                continue
            # A wildcard's expansion or a choice's removal is left to the captioner: never a broken `{a|b}`.
            if line.keeps_syntax(edit.start, edit.end, edit.new_text):
                edits.append(edit)
    return edits


def rename_edits(
    index: DatasetIndex,
    old_key: str,
    new_display: str,
    texts: Mapping[Path, str] | None = None,
) -> dict[Path, list[Edit]]:
    """Per caption file, the edits that rename the tag `old_key` to `new_display`.

    `texts` gives the current text of captions open in an editor; others are read from disk (or from the
    index's last scan). Files that cannot be read are skipped: they are in `index.errors`. A new name
    that would not stay one tag raises BadTagName (see `check_new_name`).
    """
    new_display = check_new_name(new_display, index.config.syntax)
    texts = texts or {}
    result: dict[Path, list[Edit]] = {}
    for path in index.captions_using(old_key):
        text = texts.get(path)
        if text is None:
            file = index.files.get(path)
            if file is None:
                try:
                    file = read_caption_file(path)
                except CaptionReadError:
                    continue
            text = file.text
        edits = caption_rename_edits(parse_caption(text, index.config.syntax), old_key, new_display)
        if edits:
            result[path] = [Edit(e.start, e.end, e.new_text, path) for e in edits]
    return result
