"""textDocument/inlayHint: where each section of the caption's structure begins (`type:`, `action:`...), and
each line's token count (`63/75`) with a mark where each of A1111's 75-token chunks ends (`|75`).

Labels take room in a line that is already long beside the image, so they go only where they help:
- never before the trigger (`globals`: it leads every caption; a label would only push it right);
- once per section on a line, where it begins: a section met again further on (tags out of order) is
  `structure-order`'s business, and a second label would crowd the line where it is already untidy;
- not on a line of fewer than MIN_TAGS tags: there most sections hold one tag, so nearly every tag would
  carry a label as long as itself, and the line is read at a glance anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.rules.token_limit import configured_budget
from captionls.server.caption.structure import GLOBALS
from captionls.server.caption.tokens.budget import line_tokens, t5_estimate

from ..workspace import CaptionView

if TYPE_CHECKING:
    from ..server import CaptionServer

# Editors ask for the visible range; a request for a whole 10,000-line document gets the first ones.
MAX_HINTS = 1000
MIN_TAGS = 8


def register(server: CaptionServer) -> None:
    server.handle(types.TEXT_DOCUMENT_INLAY_HINT, lambda params: inlay_hints(server, params))


def inlay_hints(server: CaptionServer, params: types.InlayHintParams) -> list[types.InlayHint] | None:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return None
    start, end = view.lines.span(params.range)
    return [*section_hints(view, start, end), *token_hints(view, start, end)][:MAX_HINTS]


def section_hints(view: CaptionView, start: int, end: int) -> list[types.InlayHint]:
    sections = view.dataset.context().sections
    hints: list[types.InlayHint] = []
    for line in view.caption.lines:
        if len(hints) >= MAX_HINTS or line.start > end:
            break
        if line.end < start or len(line.tags) < MIN_TAGS:
            continue
        labelled = {GLOBALS}
        for tag in line.tags:
            # A wildcard's choice or a later part of a `;;;` unit starts no section (as structure-order).
            if not line.leads(tag):
                continue
            section = sections.section_of(tag.key)
            if section is None or section in labelled:
                continue
            labelled.add(section)
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


def token_hints(view: CaptionView, start: int, end: int) -> list[types.InlayHint]:
    """At the end of each caption line its token count against the trainer's limit; where a 75-token
    chunk ends, a mark with the tokens before it."""
    config = view.dataset.context().config
    budget = configured_budget(config)
    caption = view.caption
    hints: list[types.InlayHint] = []
    for line in caption.lines:
        if len(hints) >= MAX_HINTS or line.start > end:
            break
        if line.end < start:
            continue
        counted = line_tokens(caption, line, config)
        if budget.exact:
            for offset, before in counted.chunk_ends:
                hints.append(
                    types.InlayHint(
                        position=view.lines.position(line.start + offset),
                        label=f"|{before}",
                        padding_left=True,
                        tooltip=f"A 75-token CLIP chunk ends here ({before} tokens before it; A1111 ends a"
                        " chunk at a comma within its last 20 tokens)",
                    )
                )
        total = counted.tokens if budget.exact else t5_estimate(counted.tokens)
        label, what = f"{total}/{budget.limit}", f"{total} CLIP tokens"
        if not budget.exact:
            label, what = f"~{label} T5", f"about {total} T5 tokens (estimated from the CLIP count)"
        hints.append(
            types.InlayHint(
                position=view.lines.position(line.end),
                label=label,
                padding_left=True,
                tooltip=f"{what}, start and end tokens not counted; the trainer keeps {budget.limit}",
            )
        )
    return hints
