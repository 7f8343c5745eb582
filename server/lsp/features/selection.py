"""Batch edits on a selection of captions as server commands, so every editor gets `captionls tags`.

    captionls.tagsList   {uri?, where?}                  -> {captions, tags: [{tag, captions}]}
    captionls.tagsAdd    {uri?, tags, at?, where?, apply?} -> {captions, applied} or {captions, edit}
    captionls.tagsRemove {uri?, tags, where?, apply?}      -> the same
    captionls.tagsMove   {uri?, tag, at, where?, apply?}   -> the same
    captionls.captionsList {uri?, where?, findings?}     -> {captions: [{uri, text, findings?}]}

Every command also takes `paths?`, a list of caption URIs that narrows the selection to those captions
(a gallery's multi-select). captionsList gives each selected caption's text in one answer, for a client
that shows the dataset (the VS Code gallery); with `"findings": true` also its number of findings, which
checks each caption (about a millisecond each), so a gallery asks for the counts of the captions in view.

`uri` names a caption or a folder of the workspace (its dataset); without it, every dataset of the
workspace. `where` is the selection language of `--where` (a bad query is an InvalidParams error with
the column); `at` is `start`, `end` (the default for tagsAdd), a position `N`, `after:TAG` or
`before:TAG`. The edits read each caption as the editor has it (an open buffer, else the file). With
`apply` (the default) the server sends them as one workspace/applyEdit, so the editor's own undo takes
them back, and answers whether the editor applied them; with `"apply": false` it answers the
WorkspaceEdit instead (a preview, or a client that applies edits itself), as it does for a client without
workspace/applyEdit. Counts are of the selected captions the edit changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from captionls.server.caption.checker import CheckContext
from captionls.server.caption.rename import BadTagName
from captionls.server.caption.selection.evaluate import select
from captionls.server.caption.selection.operations import editor_for, planned, tag_uses, written_names
from captionls.server.caption.selection.query import Query, QueryError, parse_query
from captionls.server.caption.selection.tag_edits import BadPlacement, Placement, TagEditor, parse_placement
from captionls.vocab.normalize import tag_key

from ..edits import whole_change
from ..guard import guarded
from ..positions import LineIndex
from ..workspace import Dataset
from .commands import _datasets, _taking_arguments

if TYPE_CHECKING:
    from ..server import CaptionServer

TAGS_LIST = "captionls.tagsList"
TAGS_ADD = "captionls.tagsAdd"
TAGS_REMOVE = "captionls.tagsRemove"
TAGS_MOVE = "captionls.tagsMove"
CAPTIONS_LIST = "captionls.captionsList"
# Listing thousands of captions checks each one: yield to the event loop between batches so the
# server keeps answering the editor meanwhile.
YIELD_EVERY = 100


def register(server: CaptionServer) -> None:
    for name, run in _commands(server).items():
        server.command(name)(_taking_arguments(guarded(server.log, name, run, lambda argument: None)))


def _query(argument: dict[str, Any], command: str) -> Query | None:
    where = argument.get("where")
    if where is None or where == "":
        return None
    if not isinstance(where, str):
        raise JsonRpcInvalidParams(f"{command}: where must be a string")
    try:
        return parse_query(where)
    except QueryError as error:
        raise JsonRpcInvalidParams(f"{command}: where: {error}") from None


def _chosen_paths(argument: dict[str, Any], command: str) -> set[Path] | None:
    """The captions `paths` names (URIs), or None when the argument is absent."""
    uris = argument.get("paths")
    if uris is None:
        return None
    if not isinstance(uris, list) or not all(isinstance(uri, str) for uri in uris):
        raise JsonRpcInvalidParams(f"{command}: paths must be a list of caption URIs")
    chosen = set()
    for uri in uris:
        fs_path = to_fs_path(uri)
        if fs_path is None:
            raise JsonRpcInvalidParams(f"{command}: paths: {uri} is not a file URI")
        chosen.add(Path(fs_path))
    return chosen


def _placement(argument: dict[str, Any], command: str, default: str | None) -> Placement:
    at = argument.get("at", default)
    if not isinstance(at, str):
        raise JsonRpcInvalidParams(f"{command}: at is required (start, end, N, after:TAG or before:TAG)")
    try:
        return parse_placement(at)
    except BadPlacement as error:
        raise JsonRpcInvalidParams(f"{command}: at: {error}") from None


def _names(argument: dict[str, Any], command: str) -> list[str]:
    tags = argument.get("tags")
    names = [tag for tag in tags if isinstance(tag, str) and tag_key(tag)] if isinstance(tags, list) else []
    if not names or len(names) != len(tags or ()):
        raise JsonRpcInvalidParams(f"{command}: tags must be a non-empty list of tag names")
    return names


def _commands(server: CaptionServer) -> dict[str, Callable[[dict[str, Any]], Any]]:
    async def selection(argument: dict[str, Any], command: str) -> list[tuple[Dataset, list[Path]]]:
        """Each dataset `uri` names (or every one) with its captions `where` selects."""
        query = _query(argument, command)
        named = _chosen_paths(argument, command)
        chosen = []
        for dataset in _datasets(server, argument.get("uri"), command):
            await server.indexer.indexed(dataset)
            paths = select(query, dataset.context(), server.captions.text_of)
            chosen.append((dataset, paths if named is None else [path for path in paths if path in named]))
        return chosen

    async def captions_list(argument: dict[str, Any]) -> dict[str, Any]:
        counted = argument.get("findings", False) is True
        listed: list[dict[str, Any]] = []
        for _dataset, paths in await selection(argument, CAPTIONS_LIST):
            for path in paths:
                if len(listed) % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                if not counted:
                    text = server.captions.text_of(path)
                    if text is not None:
                        listed.append({"uri": path.as_uri(), "text": text})
                    continue
                view = server.captions.view(path.as_uri())
                if view is not None:
                    findings = len(server.diagnostics.findings(view))
                    listed.append({"uri": view.uri, "text": view.text, "findings": findings})
        return {"captions": listed}

    async def tags_list(argument: dict[str, Any]) -> dict[str, Any]:
        uses: dict[str, int] = {}
        captions = 0
        for dataset, paths in await selection(argument, TAGS_LIST):
            captions += len(paths)
            for use in tag_uses(dataset.index, paths):
                uses[use.tag] = uses.get(use.tag, 0) + use.captions
        ordered = sorted(uses.items(), key=lambda item: (item[1] != captions, -item[1], item[0]))
        return {"captions": captions, "tags": [{"tag": tag, "captions": count} for tag, count in ordered]}

    async def edit(
        argument: dict[str, Any],
        command: str,
        label: str,
        make: Callable[[CheckContext, TagEditor], Callable[[str], str]],
    ) -> dict[str, Any]:
        changes: dict[str, list[types.TextEdit]] = {}
        for dataset, paths in await selection(argument, command):
            try:
                context = dataset.context()
                change = make(context, editor_for(context))
            except BadTagName as bad:
                raise JsonRpcInvalidParams(f"{command}: {bad}") from None
            for path, (old, new) in planned(paths, server.captions.text_of, change).items():
                lines = LineIndex(old, server.workspace.position_codec)
                change_edit = whole_change(old, new)
                changes[path.as_uri()] = [
                    types.TextEdit(lines.range(change_edit.start, change_edit.end), change_edit.new_text)
                ]
        workspace_edit = types.WorkspaceEdit(changes=changes)
        count = len(changes)
        workspace = server.client_capabilities.workspace
        if argument.get("apply", True) is False or not (workspace is not None and workspace.apply_edit):
            return {"captions": count, "edit": workspace_edit}
        if not changes:
            return {"captions": 0, "applied": True}
        result = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(workspace_edit, label=f"captionls: {label} ({count} captions)")
        )
        return {"captions": count, "applied": result.applied}

    async def tags_add(argument: dict[str, Any]) -> dict[str, Any]:
        names = _names(argument, TAGS_ADD)
        at = _placement(argument, TAGS_ADD, "end")

        def make(context: CheckContext, editor: TagEditor) -> Callable[[str], str]:
            written = written_names(names, context)
            return lambda text: editor.add(text, written, at)

        return await edit(argument, TAGS_ADD, f"add {', '.join(names)}", make)

    async def tags_remove(argument: dict[str, Any]) -> dict[str, Any]:
        names = _names(argument, TAGS_REMOVE)
        keys = [tag_key(name) for name in names]
        return await edit(
            argument,
            TAGS_REMOVE,
            f"remove {', '.join(names)}",
            lambda context, editor: lambda text: editor.remove(text, keys),
        )

    async def tags_move(argument: dict[str, Any]) -> dict[str, Any]:
        name = argument.get("tag")
        if not isinstance(name, str) or not tag_key(name):
            raise JsonRpcInvalidParams(f"{TAGS_MOVE}: tag must be a tag name")
        at = _placement(argument, TAGS_MOVE, None)
        key = tag_key(name)

        def make(context: CheckContext, editor: TagEditor) -> Callable[[str], str]:
            return lambda text: editor.move(text, key, at)

        return await edit(argument, TAGS_MOVE, f"move {name}", make)

    return {
        TAGS_LIST: tags_list,
        TAGS_ADD: tags_add,
        TAGS_REMOVE: tags_remove,
        TAGS_MOVE: tags_move,
        CAPTIONS_LIST: captions_list,
    }
