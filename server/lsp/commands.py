"""workspace/executeCommand: what code actions and editor integrations ask the server to do.

Each command takes one JSON object (the editors contract in TEAM.md); the server does the work itself,
so the same commands work from Neovim and VS Code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from captionls.server.caption.suggest import PERSONAL_LIST, suggest
from captionls.vocab.normalize import styled

from .workspace import Dataset

if TYPE_CHECKING:
    from .server import CaptionServer

ADD_TO_PERSONAL = "captionls.addToPersonal"
SEARCH_VOCABULARY = "captionls.searchVocabulary"
CHECK_DATASET = "captionls.checkDataset"
VOCABULARY_INFO = "captionls.vocabularyInfo"
RELOAD_VOCABULARY = "captionls.reloadVocabulary"
YIELD_EVERY = 100


def _argument(arguments: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return arguments[0] if arguments and isinstance(arguments[0], dict) else {}


def _dataset(server: CaptionServer, uri: object) -> Dataset | None:
    if not isinstance(uri, str):
        return None
    view = server.captions.view(uri)
    if view is not None:
        return view.dataset
    fs_path = to_fs_path(uri)
    if fs_path is not None and Path(fs_path).is_dir():
        return server.captions.dataset_at(Path(fs_path))
    return None


def _datasets(server: CaptionServer, uri: object) -> list[Dataset]:
    dataset = _dataset(server, uri)
    return [dataset] if dataset is not None else list(server.captions.datasets.values())


def commands(server: CaptionServer) -> dict[str, Callable[..., Any]]:
    """Command name -> handler taking the command's arguments."""

    def guarded(name: str, run: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
        # Annotated so pygls does not take the first parameter for the server (it injects the server
        # into handlers whose first parameter's annotation the server is an instance of, such as `object`).
        def handler(*arguments: dict[str, Any]) -> Any:
            try:
                return run(_argument(arguments))
            except Exception as error:
                server.log(f"{name} failed: {error}", types.MessageType.Error)
                return None

        return handler

    def guarded_async(name: str, run: Callable[[dict[str, Any]], Awaitable[Any]]) -> Callable[..., Any]:
        async def handler(*arguments: dict[str, Any]) -> Any:
            try:
                return await run(_argument(arguments))
            except Exception as error:
                server.log(f"{name} failed: {error}", types.MessageType.Error)
                return None

        return handler

    def add_to_personal(argument: dict[str, Any]) -> bool:
        name = argument.get("name")
        if not isinstance(name, str) or not name.strip():
            return False
        dataset = _dataset(server, argument.get("uri"))
        live = (
            dataset.vocabulary
            if dataset is not None
            else server.captions.vocabulary(server.captions.settings.vocabulary)
        )
        added = live.add_to_list(name.strip(), PERSONAL_LIST)
        live.changed()
        for known in server.captions.datasets.values():
            known.generation += 1
        server.sync.refresh_all()
        return added

    def search_vocabulary(argument: dict[str, Any]) -> list[dict[str, Any]]:
        query = argument.get("query")
        if not isinstance(query, str):
            return []
        limit = argument.get("limit")
        dataset = _dataset(server, argument.get("uri"))
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
        style = dataset.tag_style
        suggestions = suggest(
            query,
            searcher=live.searcher,
            index=dataset.index,
            dataset_tags=server.completer.tags_for(dataset),
            generation=dataset.generation,
            vocabulary_generation=live.generation,
            personal=live.vocabulary.list_keys(PERSONAL_LIST),
            exclude=(),
            style=style,
            escape_parentheses=dataset.escape_parentheses,
            limit=limit if isinstance(limit, int) else 50,
        )
        return [
            {
                "tag": styled(suggestion.tag.name, style) if suggestion.tag is not None else suggestion.label,
                "insert": suggestion.insert,
                "alias": styled(suggestion.alias, style) if suggestion.alias is not None else None,
                "category": suggestion.tag.category if suggestion.tag is not None else None,
                "posts": suggestion.tag.post_count if suggestion.tag is not None else 0,
                "captions": suggestion.dataset_count,
            }
            for suggestion in suggestions
        ]

    async def check_dataset(argument: dict[str, Any]) -> dict[str, int]:
        captions = findings = 0
        for dataset in _datasets(server, argument.get("uri")):
            for path in dataset.index.captions():
                if captions % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # a big dataset takes seconds: keep answering requests meanwhile
                view = server.captions.view(path.as_uri())
                if view is None:
                    continue
                # Through the diagnoser's cache, so the pull or publish that follows does not check again.
                captions += 1
                findings += len(server.diagnoser.findings(view))
                if server.pull_diagnostics:
                    server.sync.checked.add(view.uri)
                else:
                    server.sync.publish(view)
        if server.pull_diagnostics:
            server.sync.refresh_all()
        return {"captions": captions, "findings": findings}

    def vocabulary_info(argument: dict[str, Any]) -> dict[str, Any]:
        datasets = _datasets(server, argument.get("uri"))
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
        changed = False
        for dataset in server.captions.datasets.values():
            if dataset.vocabulary.changed():
                dataset.generation += 1
                changed = True
        if changed:
            server.sync.refresh_all()

    return {
        ADD_TO_PERSONAL: guarded(ADD_TO_PERSONAL, add_to_personal),
        SEARCH_VOCABULARY: guarded(SEARCH_VOCABULARY, search_vocabulary),
        CHECK_DATASET: guarded_async(CHECK_DATASET, check_dataset),
        VOCABULARY_INFO: guarded(VOCABULARY_INFO, vocabulary_info),
        RELOAD_VOCABULARY: guarded(RELOAD_VOCABULARY, reload_vocabulary),
    }
