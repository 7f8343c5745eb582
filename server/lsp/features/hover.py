"""textDocument/hover: the synonym hover (canonical tag, aliases, groups, dataset usage) as Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.describe import TagDescription, describe_tag
from captionls.server.caption.parse import TagSpan
from captionls.server.caption.tokens.budget import line_tokens, tag_cost
from captionls.server.caption.trainer import tag_notes
from captionls.vocab.normalize import TagStyle, styled, tag_key

from ..workspace import CaptionView

if TYPE_CHECKING:
    from ..server import CaptionServer


def register(server: CaptionServer) -> None:
    server.handle(types.TEXT_DOCUMENT_HOVER, lambda params: hover(server, params))


def hover(server: CaptionServer, params: types.HoverParams) -> types.Hover | None:
    found = server.captions.tag_under(params.text_document.uri, params.position)
    if found is None:
        return None
    view, tag = found
    markdown = tag_markdown(view, tag.name, in_caption=True)
    notes = tag_notes(view.caption.lines[tag.line], tag, view.dataset.config)
    if notes:
        markdown += "\n" + "\n".join(f"- sd-scripts: {note}" for note in notes)
    markdown += "\n" + token_cost(view, tag)
    return types.Hover(
        contents=types.MarkupContent(types.MarkupKind.Markdown, markdown),
        range=view.lines.range(tag.name_start, tag.name_end),
    )


def token_cost(view: CaptionView, tag: TagSpan) -> str:
    """The hover's line on what the tag costs of its caption line's CLIP tokens."""
    line = view.caption.lines[tag.line]
    cost = tag_cost(view.caption, line, tag.name_start, tag.name_end)
    total = line_tokens(view.caption, line, view.dataset.config).tokens
    return f"- CLIP tokens: {cost} (of {total} in this line)"


def tag_markdown(view: CaptionView, name: str, *, in_caption: bool = False) -> str:
    """The hover of `name`: as the caption writes it (`in_caption`), else a name completion offers; one no
    caption writes (the vocabulary's) is read as the dataset would write it: the vocabulary's
    `looking_at_viewer` is the dataset's very `looking at viewer`, not another phrasing of it."""
    dataset = view.dataset
    context = dataset.context()
    key = tag_key(name)
    as_written = in_caption or dataset.index.phrasing_count(key, name) > 0
    written = name if as_written else styled(name, dataset.tag_style, dataset.escape_parentheses)
    description = describe_tag(
        written,
        vocabulary=dataset.vocabulary.vocabulary,
        searcher=dataset.vocabulary.searcher,
        index=dataset.index,
        section=context.sections.section_of(key),
        trigger=key in context.trigger_keys(),
    )
    return render(description, dataset.tag_style)


def _code(text: str) -> str:
    # Backticks inside a tag would end the code span early: use a longer fence.
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def render(description: TagDescription, style: TagStyle) -> str:
    """Markdown for one tag, every tag name written in the dataset's style (`long hair` or `long_hair`)."""

    def name(text: str) -> str:
        return styled(text, style)

    lines: list[str] = []
    details = description.details
    if description.trigger:
        # Whatever a list made of it ("general, 0 posts"), the trigger is the dataset's own word.
        lines.append(f"**{description.written}** — the dataset's trigger")
    elif details is None:
        lines.append(f"**{description.written}** — not in the vocabulary")
        if description.closest:
            lines.append("")
            lines.append("Closest tags: " + ", ".join(_code(name(close)) for close in description.closest))
    else:
        tag = details.tag
        title = f"**{name(tag.name)}**"
        if details.alias is not None:
            title = f"{_code(name(details.alias))} → **{name(tag.name)}** (alias)"
        lines.append(
            f"{title} · {tag.category} · {tag.post_count:,} post{'s' if tag.post_count != 1 else ''}"
        )
        if tag.deprecated:
            lines.append("")
            lines.append("Deprecated tag.")
        facts = [
            ("Synonyms", [_code(name(alias)) for alias in details.aliases]),
            ("Group", [" > ".join(path) for path in details.groups]),
            ("Implies", [_code(name(implied)) for implied in details.implies]),
            ("Implied by", [_code(name(implier)) for implier in details.implied_by]),
            ("Translations", [f"{lang}: {text}" for lang, text in details.translations.items()]),
            ("Lists", list(details.lists)),
        ]
        lines.append("")
        for label, values in facts:
            if values:
                lines.append(f"- {label}: {', '.join(values)}")
    if description.section is not None:
        lines.append(f"- Section: {description.section}")
    count = description.dataset_count
    lines.append(f"- This dataset: {count} caption{'s' if count != 1 else ''}")
    if description.other_phrasings:
        others = ", ".join(
            f"{_code(phrasing)} ({uses})" for phrasing, uses in description.other_phrasings.items()
        )
        lines.append(f"- Also written here as: {others}")
    return "\n".join(lines)
