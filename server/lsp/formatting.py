"""textDocument/formatting: exactly what `captionls format` writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.formatter import format_caption

from .edits import whole_change

if TYPE_CHECKING:
    from .server import CaptionServer


def format_document(
    server: CaptionServer, params: types.DocumentFormattingParams
) -> list[types.TextEdit] | None:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return None
    triggers = view.dataset.context().trigger_keys()
    formatted = format_caption(view.text, view.dataset.config, protected=triggers)
    if formatted == view.text:
        return []
    edit = whole_change(view.text, formatted)
    return [types.TextEdit(view.lines.range(edit.start, edit.end), edit.new_text)]
