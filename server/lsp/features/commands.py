"""workspace/executeCommand: what code actions and editor integrations ask the server to do.

Each command takes one JSON object; the server does the work itself, so the same commands work from
Neovim and VS Code. A `uri` names an open caption, or a folder that must be a workspace folder or lie
below one: a client never gets the server to scan the rest of the file system.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from captionls.server.caption.live_vocabulary import LiveVocabulary
from captionls.server.caption.suggest import PERSONAL_LIST, suggest
from captionls.vocab.normalize import styled, tag_name_problem
from captionls.vocab.store import WriterBusy

from ..guard import guarded
from ..workspace import Dataset

if TYPE_CHECKING:
    from ..server import CaptionServer

ADD_TO_PERSONAL = "captionls.addToPersonal"
REMOVE_FROM_PERSONAL = "captionls.removeFromPersonal"
SEARCH_VOCABULARY = "captionls.searchVocabulary"
CHECK_DATASET = "captionls.checkDataset"
VOCABULARY_INFO = "captionls.vocabularyInfo"
RELOAD_VOCABULARY = "captionls.reloadVocabulary"
YIELD_EVERY = 100
# "Check dataset" publishes every caption's diagnostics; past this many the editor's problem list is no
# place for them (`captionls check` is).
MAX_CHECKED_CAPTIONS = 20_000


def register(server: CaptionServer) -> None:
    for name, run in commands(server).items():
        server.command(name)(_taking_arguments(guarded(server.log, name, run, lambda argument: None)))


def _taking_arguments(run: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
    """pygls calls a command with its arguments; each command reads the first, a JSON object.

    Annotated so pygls does not take the first parameter for the server (it injects the server into
    handlers whose first parameter's annotation the server is an instance of, such as `object`).
    """
    if inspect.iscoroutinefunction(run):

        async def run_async(*arguments: dict[str, Any]) -> Any:
            return await run(_argument(arguments))

        return run_async

    def run_now(*arguments: dict[str, Any]) -> Any:
        return run(_argument(arguments))

    return run_now


def _argument(arguments: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return arguments[0] if arguments and isinstance(arguments[0], dict) else {}


def _dataset(server: CaptionServer, uri: object, command: str) -> Dataset | None:
    """The dataset of an open caption or of a folder in the workspace; None for no `uri`."""
    if not isinstance(uri, str):
        return None
    view = server.captions.view(uri)
    if view is not None:
        return view.dataset
    fs_path = to_fs_path(uri)
    if fs_path is None or not server.captions.in_workspace(Path(fs_path)):
        raise JsonRpcInvalidParams(f"{command}: {uri} is outside the workspace folders")
    if Path(fs_path).is_dir():
        return server.captions.dataset_at(Path(fs_path))
    return None


def _datasets(server: CaptionServer, uri: object, command: str) -> list[Dataset]:
    dataset = _dataset(server, uri, command)
    return [dataset] if dataset is not None else list(server.captions.datasets.values())


def commands(server: CaptionServer) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Command name -> handler taking the command's argument object."""

    def edit_personal(
        argument: dict[str, Any], command: str, edit: Callable[[LiveVocabulary, str], bool]
    ) -> bool:
        """Add a tag to (or remove it from) the personal list, then re-check what it changes."""
        name = argument.get("name")
        if not isinstance(name, str) or not name.strip():
            return False
        dataset = _dataset(server, argument.get("uri"), command)
        live = (
            dataset.vocabulary
            if dataset is not None
            else server.captions.vocabulary(server.captions.settings.vocabulary)
        )
        problem = tag_name_problem(name.strip())
        if problem is not None:
            raise JsonRpcInvalidParams(f"{command}: {problem}")
        try:
            changed = edit(live, name.strip())
        except WriterBusy:
            # The lock is held by an import: waiting here would stall every request behind this one.
            server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message="captionls: another import is writing the vocabulary; try again when it ends",
                )
            )
            return False
        server.captions.vocabulary_edited(live)
        server.diagnostics.refresh_all()
        return changed

    def add_to_personal(argument: dict[str, Any]) -> bool:
        return edit_personal(
            argument, ADD_TO_PERSONAL, lambda live, name: live.add_to_list(name, PERSONAL_LIST)
        )

    def remove_from_personal(argument: dict[str, Any]) -> bool:
        return edit_personal(
            argument, REMOVE_FROM_PERSONAL, lambda live, name: live.remove_from_list(name, PERSONAL_LIST)
        )

    def search_vocabulary(argument: dict[str, Any]) -> list[dict[str, Any]]:
        query = argument.get("query")
        if not isinstance(query, str):
            return []
        limit = argument.get("limit")
        dataset = _dataset(server, argument.get("uri"), SEARCH_VOCABULARY)
        live = (
            dataset.vocabulary
            if dataset is not None
            else server.captions.vocabulary(server.captions.settings.vocabulary)
        )
        if dataset is None:
            hits = live.searcher.search(query, limit=limit if isinstance(limit, int) else 50)
            return [
                {
                    "tag": styled(hit.tag.name),
                    "insert": styled(hit.tag.name),
                    "alias": styled(hit.alias) if hit.alias is not None else None,
                    "category": hit.tag.category,
                    "posts": hit.tag.post_count,
                    "captions": 0,
                }
                for hit in hits
            ]
        uri = argument.get("uri")
        view = server.captions.view(uri) if isinstance(uri, str) else None
        suggestions = suggest(
            query,
            ctx=dataset.context(),
            searcher=live.searcher,
            dataset_tags=server.completer.tags_for(dataset),
            generation=dataset.generation,
            vocabulary_generation=live.generation,
            personal=live.list_keys(PERSONAL_LIST),
            exclude=(),
            # What the caption being edited contributes, as completion leaves it out (a half-typed tag).
            own_keys=set(dataset.index.keys_of(view.path)) if view is not None else (),
            limit=limit if isinstance(limit, int) else 50,
        )
        # In the dataset's style, as completion writes them: the tag, what goes in, and what matched when
        # that was another phrasing (an alias).
        return [
            {
                "tag": styled(suggestion.tag.name, dataset.tag_style, dataset.escape_parentheses)
                if suggestion.tag is not None
                else suggestion.insert,
                "insert": suggestion.insert,
                "alias": suggestion.written,
                "category": suggestion.tag.category if suggestion.tag is not None else None,
                "posts": suggestion.tag.post_count if suggestion.tag is not None else 0,
                "captions": suggestion.dataset_count,
            }
            for suggestion in suggestions
        ]

    async def check_dataset(argument: dict[str, Any]) -> dict[str, Any]:
        """Every caption's diagnostics delivered, and counted as the client shows them: `findings` all of
        them, `problems` those a problem list shows (VS Code's leaves hints out), `hints` the rest."""
        diagnostics = server.diagnostics
        checked: set[str] = set()
        severities: Counter[types.DiagnosticSeverity | None] = Counter()
        with_problems = 0

        def summary(**extra: str) -> dict[str, Any]:
            hints = severities[types.DiagnosticSeverity.Hint]
            return {
                "captions": len(checked),
                "findings": severities.total(),
                "problems": severities.total() - hints,
                "hints": hints,
                "captionsWithProblems": with_problems,
                **extra,
            }

        for dataset in _datasets(server, argument.get("uri"), CHECK_DATASET):
            await server.indexer.indexed(dataset)
            for path in dataset.index.captions():
                uri = path.as_uri()
                if uri in checked:
                    continue  # a nested dataset's captions are in the index of the dataset around it too
                if len(checked) >= MAX_CHECKED_CAPTIONS:
                    message = (
                        f"{CHECK_DATASET}: stopped after {MAX_CHECKED_CAPTIONS} captions; "
                        "`captionls check` lists every finding"
                    )
                    server.log(message)
                    return summary(message=message)
                if len(checked) % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # a big dataset takes seconds: keep answering requests meanwhile
                view = server.captions.view(uri)
                if view is None:
                    continue
                checked.add(uri)
                # What the client gets (capped per caption), through the findings cache, so the pull or
                # publish that follows does not check again.
                shown = [diagnostic.severity for diagnostic in diagnostics.diagnostics(view)]
                severities.update(shown)
                with_problems += any(severity != types.DiagnosticSeverity.Hint for severity in shown)
                if diagnostics.pull:
                    diagnostics.checked.add(view.uri)
                else:
                    diagnostics.publish(view)
        if diagnostics.pull:
            diagnostics.refresh_all()
        return summary()

    def vocabulary_info(argument: dict[str, Any]) -> dict[str, Any]:
        datasets = _datasets(server, argument.get("uri"), VOCABULARY_INFO)
        live = (
            datasets[0].vocabulary
            if datasets
            else server.captions.vocabulary(server.captions.settings.vocabulary)
        )
        stats = live.vocabulary.stats()
        return {
            "tags": stats["tags"],
            "aliases": stats["aliases"],
            "path": str(live.path),
            "captions": sum(len(dataset.index) for dataset in datasets),
        }

    def reload_vocabulary(argument: dict[str, Any]) -> None:
        if server.captions.refresh_vocabularies():
            server.diagnostics.refresh_all()

    return {
        ADD_TO_PERSONAL: add_to_personal,
        REMOVE_FROM_PERSONAL: remove_from_personal,
        SEARCH_VOCABULARY: search_vocabulary,
        CHECK_DATASET: check_dataset,
        VOCABULARY_INFO: vocabulary_info,
        RELOAD_VOCABULARY: reload_vocabulary,
    }
