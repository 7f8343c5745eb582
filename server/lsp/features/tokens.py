"""textDocument/semanticTokens/full: each tag coloured by its section of the guide's caption structure
(globals, type, action, subject, details, background, associations), its vocabulary category as a modifier.

Nearly every tag of a caption is "general", so colouring by category painted a caption in one colour; the
sections are what the guide's structure (and the `structure-order` rule) is about. The section is the one
`structure-order` and the inlay hints use (`Sections.section_of`), so a tag placed there by the guide's
built-in words is coloured even when the vocabulary does not know it.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.config import DEFAULT_STRUCTURE
from captionls.vocab.importers.tagcomplete import CATEGORY_NUMBERS

if TYPE_CHECKING:
    from ..server import CaptionServer

# A tag the vocabulary knows that no section of the guide holds (or one of a section a dataset's own
# `structure` adds: the legend is fixed when the server starts, so it cannot name those).
TAG = "tag"
TOKEN_TYPES = (*DEFAULT_STRUCTURE, TAG)
# Every category an importer gives a tag (Danbooru's, then e621's own).
CATEGORY_MODIFIERS = tuple(
    dict.fromkeys(chain.from_iterable(numbers.values() for numbers in CATEGORY_NUMBERS.values()))
)
DEPRECATED = types.SemanticTokenModifiers.Deprecated.value
LEGEND = types.SemanticTokensLegend(
    token_types=list(TOKEN_TYPES), token_modifiers=[*CATEGORY_MODIFIERS, DEPRECATED]
)
_TYPE_INDEX = {name: index for index, name in enumerate(LEGEND.token_types)}
_MODIFIER_BIT = {name: 1 << index for index, name in enumerate(LEGEND.token_modifiers)}


def register(server: CaptionServer) -> None:
    server.handle(
        types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, lambda params: semantic_tokens(server, params), LEGEND
    )


def semantic_tokens(server: CaptionServer, params: types.SemanticTokensParams) -> types.SemanticTokens | None:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return None
    context = view.dataset.context()
    triggers = context.trigger_keys()
    data: list[int] = []
    previous_line = previous_start = 0
    for tag in view.caption.tags:
        if view.text[tag.name_start : tag.name_end] != tag.name:
            continue  # a wildcard's expansion (`{simple|white} background`): its choices are no one span
        section = context.sections.section_of(tag.key)
        modifiers = 0
        if tag.key not in triggers:
            # The trigger is the trigger, whatever a vocabulary that lists it says about it.
            resolved = context.resolve(tag.key)
            if resolved is not None:
                modifiers = _MODIFIER_BIT.get(resolved.tag.category, 0)
                modifiers |= _MODIFIER_BIT[DEPRECATED] if resolved.tag.deprecated else 0
            elif section is None:
                continue  # unknown and in no section: the editor's plain text colour
        token_type = section if section in _TYPE_INDEX else TAG
        start, end = view.lines.position(tag.name_start), view.lines.position(tag.name_end)
        if start.line != end.line:
            continue  # tokens are single-line; a tag never spans lines anyway
        delta_line = start.line - previous_line
        delta_start = start.character - previous_start if delta_line == 0 else start.character
        data += [delta_line, delta_start, end.character - start.character, _TYPE_INDEX[token_type], modifiers]
        previous_line, previous_start = start.line, start.character
    return types.SemanticTokens(data=data)
