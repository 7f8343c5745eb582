"""Dataset-wide navigation: rename (with prepareRename), references and workspace symbols."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.files import CaptionReadError
from captionls.server.caption.parse import parse_caption
from captionls.server.caption.rename import rename_edits
from captionls.vocab.normalize import tag_key

from ..edits import workspace_edit
from ..positions import LineIndex
from ..workspace import CaptionView, Dataset

if TYPE_CHECKING:
    from ..server import CaptionServer

MAX_SYMBOLS = 500
MAX_REFERENCES = 2000


def register(server: CaptionServer) -> None:
    server.handle(types.TEXT_DOCUMENT_PREPARE_RENAME, lambda params: prepare_rename(server, params))
    server.handle(
        types.TEXT_DOCUMENT_RENAME,
        lambda params: rename(server, params),
        types.RenameOptions(prepare_provider=True),
    )
    server.handle(types.TEXT_DOCUMENT_REFERENCES, lambda params: references(server, params))
    server.handle(types.WORKSPACE_SYMBOL, lambda params: workspace_symbols(server, params))


def prepare_rename(
    server: CaptionServer, params: types.PrepareRenameParams
) -> types.PrepareRenameResult | None:
    found = server.captions.tag_under(params.text_document.uri, params.position)
    if found is None:
        return None
    view, tag = found
    if view.text[tag.name_start : tag.name_end] != tag.name:
        return None  # a wildcard's expansion (`{simple|white} background`): rename a choice instead
    return types.PrepareRenamePlaceholder(
        range=view.lines.range(tag.name_start, tag.name_end), placeholder=tag.name
    )


def rename(server: CaptionServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    """Rename the tag under the cursor in every caption of the dataset (merging where the new one exists)."""
    found = server.captions.tag_under(params.text_document.uri, params.position)
    new_name = params.new_name.strip()
    if found is None or not tag_key(new_name):
        return None
    view, tag = found
    edits = rename_edits(view.dataset.index, tag.key, new_name, _open_texts(server, view))
    all_edits = [edit for path_edits in edits.values() for edit in path_edits]
    return workspace_edit(server, view, all_edits)


def _open_texts(server: CaptionServer, view: CaptionView) -> dict[Path, str]:
    texts = {
        other.path: other.text for other in server.captions.open_views() if other.dataset is view.dataset
    }
    texts[view.path] = view.text
    return texts


def references(server: CaptionServer, params: types.ReferenceParams) -> list[types.Location] | None:
    """Every place in the dataset that writes the tag under the cursor (any phrasing, aliases included)."""
    found = server.captions.tag_under(params.text_document.uri, params.position)
    if found is None:
        return None
    view, tag = found
    context = view.dataset.context()
    keys = set(context.concept_keys(context.concept(tag.key))) | {tag.key}
    paths = sorted({path for key in keys for path in view.dataset.index.captions_using(key)} - {view.path})
    # This caption first; every file costs a read, so a tag in 100,000 captions stops at MAX_REFERENCES.
    locations = _locations(server, view, view.path, keys)
    for path in paths:
        if len(locations) >= MAX_REFERENCES:
            server.log(
                f"references: the first {MAX_REFERENCES} of {len(paths) + 1} captions", types.MessageType.Info
            )
            break
        locations.extend(_locations(server, view, path, keys))
    return locations


def _locations(server: CaptionServer, view: CaptionView, path: Path, keys: set[str]) -> list[types.Location]:
    if path == view.path:
        text, uri, lines = view.text, view.uri, view.lines
    else:
        other = server.captions.text_of(path)
        if other is None:
            return []
        text, uri, lines = other, path.as_uri(), LineIndex(other, view.lines.codec)
    caption = parse_caption(text, view.dataset.config.syntax)
    return [
        types.Location(uri, lines.range(tag.name_start, tag.name_end))
        for tag in caption.tags
        if tag.key in keys
    ]


def workspace_symbols(
    server: CaptionServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    """The datasets' tags with their caption counts, most used first: an "All tags" panel in any editor."""
    query = tag_key(params.query)
    symbols: list[types.SymbolInformation] = []
    for dataset in server.captions.datasets.values():
        for key, display, count in dataset.index.tags():
            if len(symbols) >= MAX_SYMBOLS:
                return symbols
            if query and query not in key:
                continue
            location = _first_use(server, dataset, key)
            if location is None:
                continue
            symbols.append(
                types.SymbolInformation(
                    name=f"{display} ({count})",
                    kind=types.SymbolKind.Constant,
                    location=location,
                    container_name=dataset.root.name,
                )
            )
    return symbols


def _first_use(server: CaptionServer, dataset: Dataset, key: str) -> types.Location | None:
    for path in dataset.index.captions_using(key)[:1]:
        try:
            text = server.captions.text_of(path)
        except CaptionReadError:
            text = None
        if text is None:
            continue
        caption = parse_caption(text, dataset.config.syntax)
        lines = LineIndex(text, server.workspace.position_codec)
        for tag in caption.tags:
            if tag.key == key:
                return types.Location(path.as_uri(), lines.range(tag.name_start, tag.name_end))
    return None
