"""textDocument/semanticTokens/full: each tag coloured by its vocabulary category, triggers as keywords."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import CaptionServer

# Standard token types, so every theme has a colour for them.
CATEGORY_TOKENS = {
    "trigger": types.SemanticTokenTypes.Keyword,
    "general": types.SemanticTokenTypes.Variable,
    "character": types.SemanticTokenTypes.Class,
    "copyright": types.SemanticTokenTypes.Namespace,
    "artist": types.SemanticTokenTypes.Function,
    "meta": types.SemanticTokenTypes.Macro,
}
LEGEND = types.SemanticTokensLegend(
    token_types=[str(token.value) for token in dict.fromkeys(CATEGORY_TOKENS.values())],
    token_modifiers=[types.SemanticTokenModifiers.Deprecated.value],
)
_INDEX = {token: LEGEND.token_types.index(str(token.value)) for token in CATEGORY_TOKENS.values()}


def register(server: CaptionServer) -> None:
    server.handle(
        types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, lambda params: semantic_tokens(server, params), LEGEND
    )


def semantic_tokens(server: CaptionServer, params: types.SemanticTokensParams) -> types.SemanticTokens | None:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return None
    context = view.dataset.context()
    data: list[int] = []
    previous_line = previous_start = 0
    for tag in view.caption.tags:
        if view.text[tag.name_start : tag.name_end] != tag.name:
            continue  # a wildcard's expansion (`{simple|white} background`): its choices are no one span
        if tag.key in context.triggers:
            category, deprecated = "trigger", False
        else:
            resolved = context.resolve(tag.key)
            if resolved is None:
                continue  # unknown tags keep the editor's plain text colour
            category, deprecated = resolved.tag.category, resolved.tag.deprecated
        token = CATEGORY_TOKENS.get(category)
        if token is None:
            continue
        start, end = view.lines.position(tag.name_start), view.lines.position(tag.name_end)
        if start.line != end.line:
            continue  # tokens are single-line; a tag never spans lines anyway
        delta_line = start.line - previous_line
        delta_start = start.character - previous_start if delta_line == 0 else start.character
        data += [delta_line, delta_start, end.character - start.character, _INDEX[token], int(deprecated)]
        previous_line, previous_start = start.line, start.character
    return types.SemanticTokens(data=data)
