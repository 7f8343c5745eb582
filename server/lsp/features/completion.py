"""textDocument/completion and completionItem/resolve: suggestions for the tag slot under the cursor.

Items go in as snippets (escaped, no placeholders) for clients that take them: Neovim 0.11 makes the word
it inserts from a plain item's text edit only up to the first space (`long hair` would go in as `long`),
while a snippet item's word is its whole label and its text edit is applied when the item is accepted.

The answer is written here, as the JSON lsprotocol's converter would write for the same CompletionList
(its field order, fields at their default left out), and handed on as an `orjson.Fragment`: making 50
lsprotocol items and unstructuring them took about a third of a keystroke's server time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from lsprotocol import types

from captionls.server.caption.suggest import PERSONAL_LIST, DatasetTags, Suggestion, suggest

from ..wire import fragment
from ..workspace import CaptionView, CaptionWorkspace, Dataset
from .hover import tag_markdown

if TYPE_CHECKING:
    from ..server import CaptionServer
    from .indexing import Indexer

MAX_ITEMS = 50
# `(` too: it ends a Neovim completion in progress (not a keyword character), and `saber (fate)` goes on;
# `{` and `|` start a wildcard's choice (`{smile|grin}`).
TRIGGER_CHARACTERS = [",", " ", "(", "{", "|"]
# The first completion in a dataset with nothing typed yet waits this long (seconds) at most for the
# dataset's first scan, so it offers the dataset's own tags; every other answers at once, from the vocabulary
# and what is indexed so far.
INDEX_WAIT = 0.3
_CATEGORY_KIND = {
    "general": types.CompletionItemKind.Value.value,
    "artist": types.CompletionItemKind.Constructor.value,
    "copyright": types.CompletionItemKind.Module.value,
    "character": types.CompletionItemKind.Class.value,
    "meta": types.CompletionItemKind.Property.value,
}
_TRIGGER_KIND = types.CompletionItemKind.Keyword.value
_OTHER_KIND = types.CompletionItemKind.Text.value
_SNIPPET = types.InsertTextFormat.Snippet.value
# A JSON object: what lsprotocol's CompletionItem, Range or list defaults unstructure to.
Json = dict[str, Any]
_SNIPPET_SPECIAL = re.compile(r"([\\$}])")


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
    """Completion state kept between requests: the dataset tags' search string, what the client takes."""

    def __init__(self, workspace: CaptionWorkspace, indexer: Indexer) -> None:
        self.workspace = workspace
        self.indexer = indexer
        self.dataset_tags: dict[Path, DatasetTags] = {}
        self.last_uri: str | None = None
        # Datasets whose first completion has had its wait for the first scan.
        self._waited: set[Path] = set()
        # Whether the client reads `itemDefaults.editRange` (set from its capabilities at initialize).
        self.edit_range_default = False
        # Whether the client takes snippets, and the insert text format as a list-wide default.
        self.snippets = False
        self.format_default = False

    async def complete(self, params: types.CompletionParams) -> orjson.Fragment | None:
        """The CompletionList, as JSON (see the module's doc)."""
        view = self.workspace.view(params.text_document.uri)
        if view is None:
            return None
        offset = view.lines.offset(params.position)
        start, end = view.caption.slot_at(offset)
        query = view.text[start:offset]
        dataset = view.dataset
        if not query.strip() and dataset.root not in self._waited:
            # Nothing typed yet: the list is the dataset's own tags, so it waits for them (once).
            self._waited.add(dataset.root)
            await self.indexer.indexed_within(dataset, INDEX_WAIT)
        self.last_uri = view.uri
        live = dataset.vocabulary
        suggestions = suggest(
            query,
            ctx=dataset.context(),
            searcher=live.searcher,
            dataset_tags=self.tags_for(dataset),
            generation=dataset.generation,
            vocabulary_generation=live.generation,
            personal=live.list_keys(PERSONAL_LIST),
            exclude=view.keys_except(offset),
            own_keys=set(dataset.index.keys_of(view.path)),
            limit=MAX_ITEMS,
        )
        prefix = _spacing_before(view, start)
        edit_range = _range_json(view.lines.range(start, end))
        # Clients that take a list-wide edit range get each item's text alone: one range instead of 50.
        shared = edit_range if self.edit_range_default else None
        triggers = dataset.context().trigger_keys()
        # Snippets for clients that take them, said once for the list where the client reads that.
        text_format = _SNIPPET if self.snippets else None
        list_format = text_format if self.format_default else None
        items = [
            _item(
                suggestion,
                rank,
                query,
                prefix,
                (edit_range, shared),
                (text_format, list_format is None),
                trigger=suggestion.key in triggers,
            )
            for rank, suggestion in enumerate(suggestions)
        ]
        answer: Json = {"isIncomplete": True, "items": items}
        if shared is not None or list_format is not None:
            defaults: Json = {}
            if shared is not None:
                defaults["editRange"] = shared
            if list_format is not None:
                defaults["insertTextFormat"] = list_format
            answer["itemDefaults"] = defaults
        return fragment(answer)

    def use_client_capabilities(self, capabilities: types.ClientCapabilities) -> None:
        completion = capabilities.text_document.completion if capabilities.text_document else None
        item_defaults = (
            completion.completion_list.item_defaults if completion and completion.completion_list else None
        )
        self.edit_range_default = "editRange" in (item_defaults or ())
        item = completion.completion_item if completion else None
        self.snippets = bool(item and item.snippet_support)
        self.format_default = self.snippets and "insertTextFormat" in (item_defaults or ())

    def tags_for(self, dataset: Dataset) -> DatasetTags:
        """The dataset's searchable tags (kept per dataset; they follow index swaps themselves)."""
        return self.dataset_tags.setdefault(dataset.root, DatasetTags())

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


def _detail(suggestion: Suggestion, trigger: bool) -> str:
    """Short, so the label is never cut off: the dataset's use first; the rest is in the documentation.
    The trigger is the dataset's own word, whatever tag a list made of it ("general, 0 posts")."""
    parts = ["trigger"] if trigger else []
    if suggestion.dataset_count:
        captions = "caption" if suggestion.dataset_count == 1 else "captions"
        parts.append(f"in {suggestion.dataset_count} {captions}")
    if suggestion.instead is not None:
        parts.append(f"did you mean {suggestion.instead}?")
    if suggestion.personal:
        parts.append("personal")
    if not suggestion.dataset_count and suggestion.tag is not None and not trigger:
        posts = suggestion.tag.post_count
        parts.append(f"{posts:,} post{'s' if posts != 1 else ''}")
    return " · ".join(parts)


def _range_json(span: types.Range) -> Json:
    return {
        "start": {"line": span.start.line, "character": span.start.character},
        "end": {"line": span.end.line, "character": span.end.character},
    }


def _item(
    suggestion: Suggestion,
    rank: int,
    query: str,
    prefix: str,
    ranges: tuple[Json, Json | None],
    formats: tuple[int | None, bool],
    *,
    trigger: bool,
) -> Json:
    """One item, put in over `ranges` (its own edit range, and the list's when the list says it); its text
    escaped when it goes in as a snippet (`formats`: the format, and whether the item says it itself).
    Keys in CompletionItem's field order, as lsprotocol writes them."""
    edit_range, shared = ranges
    text_format, says_format = formats
    insert = suggestion.insert
    if text_format == _SNIPPET:
        insert = _SNIPPET_SPECIAL.sub(r"\\\1", insert)
    new_text = prefix + insert
    tag = suggestion.tag
    item: Json = {
        "label": suggestion.label,
        "kind": _TRIGGER_KIND if trigger else _CATEGORY_KIND.get(tag.category if tag else "", _OTHER_KIND),
        "detail": _detail(suggestion, trigger),
    }
    if tag is not None and tag.deprecated:
        item["deprecated"] = True
    if rank == 0:
        item["preselect"] = True
    item["sortText"] = f"{rank:04d}"
    # The server has already matched and ranked: filtering every item on what was typed keeps an
    # editor's own filter from dropping typo and alias matches (`lokking at`) or reordering them.
    filter_text = query.strip()
    if filter_text:
        item["filterText"] = filter_text
    if says_format and text_format is not None:
        item["insertTextFormat"] = text_format
    if shared is None:
        item["textEdit"] = {"range": edit_range, "newText": new_text}
    else:
        item["textEditText"] = new_text
    # The phrasing to describe: items are resolved for the document of the latest completion.
    item["data"] = suggestion.written or suggestion.insert
    return item
