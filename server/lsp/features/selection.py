"""Batch edits on a selection of captions as server commands, so every editor gets `captionls tags`.

    captionls.tagsList   {uri?, where?}                  -> {captions, tags: [{tag, captions}]}
    captionls.tagsAdd    {uri?, tags, at?, where?, apply?} -> {captions, applied} or {captions, edit}
    captionls.tagsRemove {uri?, tags, where?, apply?}      -> the same
    captionls.tagsMove   {uri?, tag, at, where?, apply?}   -> the same

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

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from captionls.server.caption.rename import BadTagName
from captionls.vocab.normalize import tag_key

from ..edits import whole_change
from ..guard import guarded
from ..positions import LineIndex
from ..workspace import Dataset
from .commands import _datasets, _taking_arguments

if TYPE_CHECKING:
    from captionls.server.caption.checker import CheckContext
    from captionls.server.caption.selection.query import Query
    from captionls.server.caption.selection.tag_edits import Placement, TagEditor

    from ..server import CaptionServer

# The selection language and the tag editor (captionls.server.caption.selection) are imported by the
# first command that uses them: no editor needs them before its first answer (about 25 ms of imports).

TAGS_LIST = "captionls.tagsList"
TAGS_ADD = "captionls.tagsAdd"
TAGS_REMOVE = "captionls.tagsRemove"
TAGS_MOVE = "captionls.tagsMove"


def register(server: CaptionServer) -> None:
    for name, run in _commands(server).items():
        server.command(name)(_taking_arguments(guarded(server.log, name, run, lambda argument: None)))


def _query(argument: dict[str, Any], command: str) -> Query | None:
    from captionls.server.caption.selection.query import QueryError, parse_query

    where = argument.get("where")
    if where is None or where == "":
        return None
    if not isinstance(where, str):
        raise JsonRpcInvalidParams(f"{command}: where must be a string")
    try:
        return parse_query(where)
    except QueryError as error:
        raise JsonRpcInvalidParams(f"{command}: where: {error}") from None


def _placement(argument: dict[str, Any], command: str, default: str | None) -> Placement:
    from captionls.server.caption.selection.tag_edits import BadPlacement, parse_placement

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
        from captionls.server.caption.selection.evaluate import select

        query = _query(argument, command)
        chosen = []
        for dataset in _datasets(server, argument.get("uri"), command):
            await server.indexer.indexed(dataset)
            chosen.append((dataset, select(query, dataset.context(), server.captions.text_of)))
        return chosen

    async def tags_list(argument: dict[str, Any]) -> dict[str, Any]:
        from captionls.server.caption.selection.operations import tag_uses

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
        from captionls.server.caption.selection.operations import editor_for, planned

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
            from captionls.server.caption.selection.operations import written_names

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

    return {TAGS_LIST: tags_list, TAGS_ADD: tags_add, TAGS_REMOVE: tags_remove, TAGS_MOVE: tags_move}
