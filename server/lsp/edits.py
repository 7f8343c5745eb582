"""Domain edits (code point offsets, per path) -> a WorkspaceEdit in the client's position encoding."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.files import apply_edits
from captionls.server.caption.findings import Edit

from .positions import LineIndex
from .workspace import CaptionView

if TYPE_CHECKING:
    from .server import CaptionServer


def uri_of(view: CaptionView, path: Path) -> str:
    """The view's own URI for its document (as the client spelled it), a file URI for any other."""
    return view.uri if path == view.path else path.as_uri()


def workspace_edit(server: CaptionServer, view: CaptionView, edits: Iterable[Edit]) -> types.WorkspaceEdit:
    """One WorkspaceEdit; an edit whose path is None belongs to the view's document."""
    by_path: dict[Path, list[Edit]] = {}
    for edit in edits:
        by_path.setdefault(edit.path or view.path, []).append(edit)
    changes: dict[str, list[types.TextEdit]] = {}
    for path, path_edits in by_path.items():
        if path == view.path:
            text, lines = view.text, view.lines
        else:
            other = server.captions.text_of(path)
            if other is None:
                continue
            text, lines = other, LineIndex(other, view.lines.codec)
        changes[uri_of(view, path)] = [
            types.TextEdit(lines.range(edit.start, edit.end), edit.new_text)
            for edit in non_overlapping(text, path_edits)
        ]
    return types.WorkspaceEdit(changes=changes)


def non_overlapping(text: str, edits: list[Edit]) -> list[Edit]:
    """The edits themselves when they are disjoint; else one edit covering what they change together."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    if all(a.end <= b.start and (a.start, a.end) != (b.start, b.end) for a, b in itertools.pairwise(ordered)):
        return ordered
    return [whole_change(text, apply_edits(text, edits))]


def whole_change(old: str, new: str) -> Edit:
    """The smallest single edit turning `old` into `new` (common prefix and suffix kept)."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    # Never split a CRLF: a position between its two characters does not exist for the client.
    if 0 < prefix < len(old) and old[prefix - 1] == "\r" and old[prefix] == "\n":
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    end = len(old) - suffix
    if 0 < end < len(old) and old[end - 1] == "\r" and old[end] == "\n":
        suffix -= 1
    return Edit(prefix, len(old) - suffix, new[prefix : len(new) - suffix])
