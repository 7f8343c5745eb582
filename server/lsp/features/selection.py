"""Batch edits on a selection of captions as server commands, so every editor gets `captionls tags`.

    captionls.tagsList   {uri?, where?}                  -> {captions, tags: [{tag, captions}]}
    captionls.tagsAdd    {uri?, tags, at?, where?, apply?} -> {captions, applied} or {captions, edit}
    captionls.tagsRemove {uri?, tags, where?, apply?}      -> the same
    captionls.tagsMove   {uri?, tag, at, where?, apply?}   -> the same
    captionls.insertTag  {uri, position, tag}              -> {tag, edit: TextEdit | null}
    captionls.undo       {uri}                             -> {undone, captions} or {refused}
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

`insertTag` is a picker's or a tag panel's insert: the TextEdit (for the client to apply) putting `tag` as
a tag, in the dataset's phrasing, at a cursor `position` of the open caption `uri`: into the empty slot
there, else after the tag under the cursor, with the line's separator; `edit` is null when the line has
the tag already or is prose. `undo` undoes the last dataset-wide write of `uri`'s dataset that the
dataset's journal holds (the CLI's `tags`, `rename`, `check --fix`, `format`; see `captionls undo`), byte
for byte, and re-reads the restored captions the editor does not have open; `refused` says why nothing
was undone (a caption changed since, an unreadable journal entry). Edits the editor applied are undone
with the editor's own undo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from captionls.server.caption.files import UndoRefused, undo_last
from captionls.server.caption.journal import JournalError
from captionls.server.caption.rename import BadTagName
from captionls.vocab.normalize import tag_key

from ..edits import whole_change
from ..guard import guarded
from ..positions import LineIndex
from ..workspace import Dataset
from .commands import _dataset, _datasets, _taking_arguments

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
INSERT_TAG = "captionls.insertTag"
UNDO = "captionls.undo"
CAPTIONS_LIST = "captionls.captionsList"
# Listing thousands of captions checks each one: yield to the event loop between batches so the
# server keeps answering the editor meanwhile.
YIELD_EVERY = 100


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
        for _, paths in await selection(argument, CAPTIONS_LIST):
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

    def insert_tag(argument: dict[str, Any]) -> dict[str, Any]:
        uri, position, name = argument.get("uri"), argument.get("position"), argument.get("tag")
        view = server.captions.view(uri) if isinstance(uri, str) else None
        if view is None:
            raise JsonRpcInvalidParams(f"{INSERT_TAG}: uri must name a caption")
        if not (
            isinstance(position, dict)
            and all(isinstance(position.get(k), int) for k in ("line", "character"))
        ):
            raise JsonRpcInvalidParams(f"{INSERT_TAG}: position must be {{line, character}}")
        cursor = view.lines.offset(types.Position(position["line"], position["character"]))
        if not isinstance(name, str) or not tag_key(name):
            raise JsonRpcInvalidParams(f"{INSERT_TAG}: tag must be a tag name")
        from captionls.server.caption.selection.operations import editor_for, written_names

        context = view.dataset.context()
        try:
            (written,) = written_names([name], context)
        except BadTagName as bad:
            raise JsonRpcInvalidParams(f"{INSERT_TAG}: {bad}") from None
        insertion = editor_for(context).insertion(view.text, cursor, written)
        edit = (
            None
            if insertion is None
            else types.TextEdit(view.lines.range(insertion.start, insertion.end), insertion.new_text)
        )
        return {"tag": written, "edit": edit}

    def undo(argument: dict[str, Any]) -> dict[str, Any]:
        dataset = _dataset(server, argument.get("uri"), UNDO)
        if dataset is None:
            raise JsonRpcInvalidParams(f"{UNDO}: uri must name a caption or a dataset folder")
        try:
            undone = undo_last(dataset.root)
        except (JournalError, UndoRefused) as refused:
            return {"refused": str(refused)}
        if undone is None:
            return {"undone": None, "captions": 0}
        for item in undone.files:
            path = dataset.root / item.path
            # An open caption's buffer stays the truth until the editor reloads it.
            if unquote(path.as_uri()) not in server.workspace.text_documents:
                text = server.captions.text_of(path)
                if text is not None:
                    dataset.index.update(path, text)
        server.diagnostics.dataset_changed(dataset)
        return {"undone": undone.command, "captions": len(undone.files)}

    return {
        TAGS_LIST: tags_list,
        TAGS_ADD: tags_add,
        TAGS_REMOVE: tags_remove,
        TAGS_MOVE: tags_move,
        INSERT_TAG: insert_tag,
        UNDO: undo,
        CAPTIONS_LIST: captions_list,
    }
