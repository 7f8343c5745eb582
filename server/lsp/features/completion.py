"""textDocument/completion and completionItem/resolve: suggestions for the tag slot under the cursor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.suggest import PERSONAL_LIST, DatasetTags, Suggestion, suggest

from ..workspace import CaptionView, CaptionWorkspace, Dataset
from .hover import tag_markdown

if TYPE_CHECKING:
    from ..server import CaptionServer

MAX_ITEMS = 50
# `{` and `|` start a wildcard's choice (`{smile|grin}`).
TRIGGER_CHARACTERS = [",", " ", "{", "|"]
_CATEGORY_KIND = {
    "general": types.CompletionItemKind.Value,
    "artist": types.CompletionItemKind.Constructor,
    "copyright": types.CompletionItemKind.Module,
    "character": types.CompletionItemKind.Class,
    "meta": types.CompletionItemKind.Property,
}


def register(server: CaptionServer) -> None:
    completer = server.completer
    server.handle(
        types.TEXT_DOCUMENT_COMPLETION,
        completer.complete,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )
    # A failed resolve answers with the item itself.
    server.handle(types.COMPLETION_ITEM_RESOLVE, completer.resolve, fallback=lambda item: item)
    server.on_initialize.append(lambda params: completer.use_client_capabilities(params.capabilities))


class Completer:
    """Completion state kept between requests: the dataset tags' search string."""

    def __init__(self, workspace: CaptionWorkspace) -> None:
        self.workspace = workspace
        self.dataset_tags: dict[Path, DatasetTags] = {}
        self.last_uri: str | None = None
        # Whether the client reads `itemDefaults.editRange` (set from its capabilities at initialize).
        self.edit_range_default = False
        # Group paths of tags shown in completion details, per vocabulary (and its generation).
        self._groups: dict[int, list[list[str]]] = {}
        self._groups_of: tuple[int, object] = (0, None)

    def complete(self, params: types.CompletionParams) -> types.CompletionList | None:
        view = self.workspace.view(params.text_document.uri)
        if view is None:
            return None
        self.last_uri = view.uri
        offset = view.lines.offset(params.position)
        start, end = view.caption.slot_at(offset)
        query = view.text[start:offset]
        dataset = view.dataset
        live = dataset.vocabulary
        tags = self.tags_for(dataset)
        suggestions = suggest(
            query,
            searcher=live.searcher,
            index=dataset.index,
            dataset_tags=tags,
            generation=dataset.generation,
            vocabulary_generation=live.generation,
            personal=live.vocabulary.list_keys(PERSONAL_LIST),
            exclude=view.keys_except(offset),
            own_keys=set(dataset.index.keys_of(view.path)),
            style=dataset.tag_style,
            escape_parentheses=dataset.escape_parentheses,
            limit=MAX_ITEMS,
        )
        prefix = _spacing_before(view, start)
        edit_range = view.lines.range(start, end)
        if self._groups_of != (live.generation, live):
            self._groups_of, self._groups = (live.generation, live), {}
        # Clients that take a list-wide edit range get each item's text alone: one range instead of 50.
        shared = edit_range if self.edit_range_default else None
        triggers = dataset.context().trigger_keys()
        items = [
            _item(
                suggestion, rank, query, prefix, edit_range, shared, self.groups(view, suggestion), triggers
            )
            for rank, suggestion in enumerate(suggestions)
        ]
        defaults = types.CompletionItemDefaults(edit_range=shared) if shared is not None else None
        return types.CompletionList(is_incomplete=True, items=items, item_defaults=defaults)

    def use_client_capabilities(self, capabilities: types.ClientCapabilities) -> None:
        completion = capabilities.text_document.completion if capabilities.text_document else None
        item_defaults = (
            completion.completion_list.item_defaults if completion and completion.completion_list else None
        )
        self.edit_range_default = "editRange" in (item_defaults or ())

    def tags_for(self, dataset: Dataset) -> DatasetTags:
        """The dataset's searchable tags (kept per dataset; they follow index swaps themselves)."""
        return self.dataset_tags.setdefault(dataset.root, DatasetTags())

    def groups(self, view: CaptionView, suggestion: Suggestion) -> list[list[str]]:
        if suggestion.tag is None:
            return []
        tag_id = suggestion.tag.id
        if tag_id not in self._groups:
            self._groups[tag_id] = view.dataset.vocabulary.vocabulary.group_paths(tag_id)
        return self._groups[tag_id]

    def resolve(self, item: types.CompletionItem) -> types.CompletionItem:
        name = item.data
        if not isinstance(name, str) or self.last_uri is None:
            return item
        view = self.workspace.view(self.last_uri)
        if view is None:
            return item
        item.documentation = types.MarkupContent(types.MarkupKind.Markdown, tag_markdown(view, name))
        return item


def _spacing_before(view: CaptionView, start: int) -> str:
    """A space when the slot starts right after a separator (`a,|`), so the caption reads `a, b`; none
    after `;;;` (a unit is written close) or inside a wildcard (`{smile|grin}`)."""
    if start == 0 or start != _slot_start_without_blanks(view, start):
        return ""
    line = view.caption.line_at(start)
    if line is None or any(wildcard.start < start < wildcard.end for wildcard in line.wildcards):
        return ""
    syntax = line.syntax
    marks = [mark for mark in (syntax.separator, syntax.keep_separator) if mark]
    return " " if any(view.text.endswith(mark, 0, start) for mark in marks) else ""


def _slot_start_without_blanks(view: CaptionView, start: int) -> int:
    segment = view.caption.segment_at(start)
    return start if segment is None or segment.start == start else -1


def _detail(suggestion: Suggestion, groups: list[list[str]], trigger: bool) -> str:
    # The trigger is the dataset's own word, whatever tag a list made of it ("general, 0 posts").
    parts = ["trigger"] if trigger else []
    if suggestion.tag is not None and not trigger:
        parts.append(suggestion.tag.category)
        posts = suggestion.tag.post_count
        parts.append(f"{posts:,} post{'s' if posts != 1 else ''}")
    if groups:
        parts.append(" > ".join(groups[0]))
    if suggestion.dataset_count:
        captions = "caption" if suggestion.dataset_count == 1 else "captions"
        parts.append(f"in {suggestion.dataset_count} {captions}")
    if suggestion.personal:
        parts.append("personal")
    return " · ".join(parts)


def _item(
    suggestion: Suggestion,
    rank: int,
    query: str,
    prefix: str,
    edit_range: types.Range,
    shared: types.Range | None,
    groups: list[list[str]],
    triggers: set[str],
) -> types.CompletionItem:
    new_text = prefix + suggestion.insert
    trigger = suggestion.key in triggers
    return types.CompletionItem(
        label=suggestion.label,
        kind=types.CompletionItemKind.Keyword
        if trigger
        else _CATEGORY_KIND.get(
            suggestion.tag.category if suggestion.tag else "", types.CompletionItemKind.Text
        ),
        detail=_detail(suggestion, groups, trigger),
        sort_text=f"{rank:04d}",
        # The server has already matched and ranked: filtering every item on what was typed keeps an
        # editor's own filter from dropping typo and alias matches (`lokking at`) or reordering them.
        filter_text=query.strip() or None,
        text_edit=None if shared is not None else types.TextEdit(range=edit_range, new_text=new_text),
        text_edit_text=new_text if shared is not None else None,
        preselect=True if rank == 0 else None,
        deprecated=suggestion.tag.deprecated
        if suggestion.tag is not None and suggestion.tag.deprecated
        else None,
        # Only the name: items are resolved for the document of the latest completion (`last_uri`).
        data=suggestion.matched,
    )
