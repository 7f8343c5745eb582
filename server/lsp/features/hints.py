"""textDocument/inlayHint: where each section of the caption's structure begins (`type:`, `action:`...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import CaptionServer

# Editors ask for the visible range; a request for a whole 10,000-line document gets the first ones.
MAX_HINTS = 1000


def register(server: CaptionServer) -> None:
    server.handle(types.TEXT_DOCUMENT_INLAY_HINT, lambda params: inlay_hints(server, params))


def inlay_hints(server: CaptionServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return None
    start, end = view.lines.span(params.range)
    sections = view.dataset.context().sections
    hints: list[types.InlayHint] = []
    for line in view.caption.lines:
        if len(hints) >= MAX_HINTS or line.start > end:
            break
        if line.end < start:
            continue
        current: str | None = None
        for tag in line.tags:
            # A wildcard's choice or a later part of a `;;;` unit starts no section (as structure-order).
            if not line.leads(tag):
                continue
            section = sections.section_of(tag.key)
            if section is None or section == current:
                continue
            current = section
            if start <= tag.start <= end and len(hints) < MAX_HINTS:
                hints.append(
                    types.InlayHint(
                        position=view.lines.position(tag.start),
                        label=f"{section}:",
                        padding_right=True,
                        tooltip=f"The {section} section of the caption structure starts here",
                    )
                )
    return hints
