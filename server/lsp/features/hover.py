"""textDocument/hover: the synonym hover (canonical tag, aliases, groups, dataset usage) as Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.describe import TagDescription, describe_tag
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
    markdown = tag_markdown(view, tag.name)
    notes = tag_notes(view.caption.lines[tag.line], tag, view.dataset.config)
    if notes:
        markdown += "\n" + "\n".join(f"- sd-scripts: {note}" for note in notes)
    return types.Hover(
        contents=types.MarkupContent(types.MarkupKind.Markdown, markdown),
        range=view.lines.range(tag.name_start, tag.name_end),
    )


def tag_markdown(view: CaptionView, name: str) -> str:
    dataset = view.dataset
    context = dataset.context()
    description = describe_tag(
        name,
        vocabulary=dataset.vocabulary.vocabulary,
        searcher=dataset.vocabulary.searcher,
        index=dataset.index,
        section=context.sections.section_of(tag_key(name)),
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
    if details is None:
        lines.append(f"**{description.written}** — not in the vocabulary")
        if description.closest:
            lines.append("")
            lines.append("Closest tags: " + ", ".join(_code(name(close)) for close in description.closest))
    else:
        tag = details.tag
        title = f"**{name(tag.name)}**"
        if details.alias is not None:
            title = f"{_code(name(details.alias))} → **{name(tag.name)}** (alias)"
        lines.append(f"{title} · {tag.category} · {tag.post_count:,} posts")
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
