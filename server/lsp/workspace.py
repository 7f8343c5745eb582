"""What the server knows: editor settings, vocabularies, datasets (config + index) and parsed documents.

Only caption files (as `dataset.is_caption` decides) get a `CaptionView`; every feature starts by asking
for one, so a README.txt gets nothing from any feature. The workspace also owns freshness: a view is
handed out only after its vocabulary was checked for changes on disk, and every change of what a
dataset's diagnostics depend on goes through `dataset_changed`. A document larger than any caption
(`MAX_CAPTION_BYTES`, as `captionls check` reads files) gets no view either: no feature does per-tag work
on it, and diagnostics report the size instead.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import Workspace

from captionls.server.caption.checker import CheckContext
from captionls.server.caption.config import Config, ConfigError, RuleSetting, find_config, load_config
from captionls.server.caption.dataset import DatasetIndex, is_caption
from captionls.server.caption.files import (
    MAX_CAPTION_BYTES,
    CaptionReadError,
    encodable,
    read_caption_file,
)
from captionls.server.caption.live_vocabulary import LiveVocabulary
from captionls.server.caption.parse import Caption, TagSpan, parse_caption
from captionls.vocab.normalize import TagStyle
from captionls.vocab.sections import SectionMap, load_section_map

from .positions import LineIndex
from .settings import Settings

Log = Callable[[str], None]


def oversized(text: str) -> bool:
    """More than MAX_CAPTION_BYTES in UTF-8 (counted without encoding when the length alone decides)."""
    if len(text) > MAX_CAPTION_BYTES:
        return True
    return (
        len(text) * 4 > MAX_CAPTION_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_CAPTION_BYTES
    )


OVERSIZED_MESSAGE = (
    f"larger than {MAX_CAPTION_BYTES // 1024} KiB, not a caption: no checks, completion or hints"
)


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime, size) of a file, None when it is gone: enough to notice an edit."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.cache
def section_map() -> SectionMap:
    return load_section_map()


@dataclass
class Dataset:
    """One dataset: the folder its captionls.toml governs (or a caption's own folder)."""

    root: Path
    config: Config
    index: DatasetIndex
    vocabulary: LiveVocabulary
    # Bumped when anything a caption's diagnostics depend on changes outside that caption.
    generation: int = 0
    _context: CheckContext | None = None
    _context_for: tuple[int, int, int, int] = (-1, -1, -1, -1)

    def context(self) -> CheckContext:
        """The rules' context, rebuilt when the configuration or the vocabulary changed."""
        stamp = (id(self.config), id(self.index), id(self.vocabulary), self.vocabulary.generation)
        if self._context is None or stamp != self._context_for:
            live = self.vocabulary
            self._context = CheckContext(
                self.config, live.vocabulary, self.index, section_map(), searcher=live.searcher
            )
            self._context_for = stamp
        return self._context

    @property
    def tag_style(self) -> TagStyle:
        return self.index.tag_style()

    @property
    def escape_parentheses(self) -> bool:
        return self.config.escape_parentheses


@dataclass
class CaptionView:
    """One caption document as the features see it: its text parsed, with its dataset."""

    uri: str
    path: Path
    version: int | None
    text: str
    caption: Caption
    lines: LineIndex
    dataset: Dataset

    def keys_except(self, offset: int) -> set[str]:
        """Keys of the caption line at `offset`, without the tag under it (what completion must not offer)."""
        line = self.caption.line_at(offset)
        here = self.caption.tag_at(offset)
        return {tag.key for tag in (line.tags if line else []) if tag is not here}


def effective_config(config: Config, settings: Settings) -> Config:
    """captionls.toml over the editor settings: editor values fill what the file leaves unset."""
    rules = {
        name: RuleSetting(severity)
        for name, severity in settings.rules.items()
        if config.setting(name).severity is None
    }
    merged_rules = dict(config.rules)
    for name, setting in rules.items():
        merged_rules[name] = RuleSetting(setting.severity, config.setting(name).options)
    return dataclasses.replace(
        config,
        tag_style=config.tag_style or settings.tag_style,  # type: ignore[arg-type]
        escape_parentheses=config.escape_parentheses or bool(settings.escape_parentheses),
        rules=merged_rules,
        vocab=config.vocab or settings.vocabulary,
    )


class CaptionWorkspace:
    """Datasets and caption views for one server session."""

    def __init__(self, documents: Callable[[], Workspace], log: Log) -> None:
        self._documents = documents
        self.log = log
        self.settings = Settings()
        self.vocabularies: dict[Path | None, LiveVocabulary] = {}
        self.datasets: dict[Path, Dataset] = {}
        self._configs: dict[Path, Config] = {}
        # Every captionls.toml in use, with its (mtime, size) when read: polled for edits.
        self.config_files: dict[Path, tuple[int, int] | None] = {}
        # An open document's view, by uri, with the editor's text it was made from (view.text, unless
        # that held a lone surrogate: `encodable`).
        self._views: dict[str, tuple[str, CaptionView]] = {}
        self._reported: set[str] = set()
        # Called with a dataset the first time it is seen, so the server can index it in the background.
        self.on_new_dataset: Callable[[Dataset], None] = lambda dataset: None

    # Settings and configuration -------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> None:
        """New editor settings: forget every dataset's configuration (indexes are kept)."""
        self.settings = settings
        self.reload_configs()

    def reload_configs(self) -> None:
        self._configs.clear()
        self.config_files.clear()
        self._views.clear()
        for dataset in self.datasets.values():
            config = self.config_for(dataset.root)
            dataset.config = config
            dataset.index.config = config
            dataset.vocabulary = self.vocabulary(config.vocab)
            self.dataset_changed(dataset)

    # Freshness ------------------------------------------------------------------------------

    def dataset_changed(self, dataset: Dataset) -> None:
        """Something the diagnostics of the dataset's captions depend on changed outside them."""
        dataset.generation += 1

    def fresh(self, dataset: Dataset) -> bool:
        """Reopen the dataset's vocabulary if it changed on disk; True when it did."""
        if dataset.vocabulary.changed():
            self.dataset_changed(dataset)
            return True
        return False

    def refresh_vocabularies(self) -> bool:
        """`fresh` for every dataset; True when any vocabulary changed."""
        return any([self.fresh(dataset) for dataset in self.datasets.values()])

    def vocabulary_edited(self, live: LiveVocabulary) -> None:
        """The server itself wrote to a vocabulary (the personal list): every dataset may read it."""
        live.changed()
        for dataset in self.datasets.values():
            self.dataset_changed(dataset)

    def report_once(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            self.log(message)

    def config_for(self, folder: Path) -> Config:
        config = self._configs.get(folder)
        if config is None:
            found = find_config(folder)
            if found is not None:
                self.config_files[found] = file_stamp(found)
            try:
                config = load_config(folder)
            except ConfigError as error:
                # A broken captionls.toml: say so once, keep serving with the defaults.
                self.report_once(str(error))
                config = Config(root=folder.resolve())
            if config.path is None:
                # No captionls.toml: the dataset is the workspace folder holding the caption (kohya's
                # `10_name/` subfolders belong to it), else the caption's own folder.
                config = dataclasses.replace(config, root=self._workspace_folder(folder) or config.root)
            config = effective_config(config, self.settings)
            self._configs[folder] = config
        return config

    def _workspace_folder(self, folder: Path) -> Path | None:
        resolved = folder.resolve()
        for uri in self._documents().folders:
            fs_path = to_fs_path(uri)
            if fs_path is not None and resolved.is_relative_to(Path(fs_path).resolve()):
                return Path(fs_path).resolve()
        return None

    def folders(self) -> list[Path]:
        """The workspace folders (the root when the client names no folders)."""
        documents = self._documents()
        uris = [folder.uri for folder in documents.folders.values()]
        if not uris and documents.root_uri:
            uris = [documents.root_uri]
        paths = [to_fs_path(uri) for uri in uris]
        return [Path(path) for path in paths if path is not None]

    def in_workspace(self, path: Path) -> bool:
        """Whether `path` is a workspace folder or lies below one: all a client may have scanned."""
        resolved = path.resolve()
        return any(resolved.is_relative_to(folder.resolve()) for folder in self.folders())

    def vocabulary(self, path: Path | None) -> LiveVocabulary:
        key = path.resolve() if path is not None else None
        live = self.vocabularies.get(key)
        if live is None:
            live = self.vocabularies[key] = LiveVocabulary(key)
            if live.error:
                self.report_once(f"vocabulary: {live.error}")
        return live

    # Datasets and documents -----------------------------------------------------------------

    def dataset_for(self, path: Path) -> Dataset | None:
        """The dataset of a caption file; None when `path` is not a caption."""
        config = self.config_for(path.parent)
        if not is_caption(path, config):
            return None
        return self._dataset(config)

    def dataset_at(self, root: Path) -> Dataset:
        """The dataset governing a folder (a workspace folder to index)."""
        return self._dataset(self.config_for(root))

    def _dataset(self, config: Config) -> Dataset:
        dataset = self.datasets.get(config.root)
        if dataset is None:
            index = DatasetIndex(config.root, config)
            dataset = Dataset(config.root, config, index, self.vocabulary(config.vocab))
            self.datasets[config.root] = dataset
            self.on_new_dataset(dataset)
        return dataset

    def view(self, uri: str) -> CaptionView | None:
        """The caption view of a document (open, or read from disk), its vocabulary fresh; None when it is
        not a caption, or too large to be one."""
        document = self._documents().get_text_document(uri)
        source, cached = self._views.get(uri, (None, None))
        if cached is not None and cached.version == document.version and source is document.source:
            self.fresh(cached.dataset)
            return cached
        if document.version is not None and oversized(document.source):
            return None
        fs_path = to_fs_path(uri)
        if fs_path is None:
            return None
        path = Path(fs_path)
        dataset = self.dataset_for(path)
        if dataset is None:
            return None
        if document.version is None:
            # Not open in the editor: the file on disk is the truth.
            try:
                text = read_caption_file(path).text
            except CaptionReadError as error:
                self.report_once(str(error))
                return None
        else:
            text = encodable(document.source)
        self.fresh(dataset)
        caption = parse_caption(text, dataset.config.syntax)
        view = CaptionView(
            uri, path, document.version, text, caption, LineIndex(text, document.position_codec), dataset
        )
        if document.version is not None:
            self._views[uri] = (document.source, view)
        return view

    def tag_under(self, uri: str, position: types.Position) -> tuple[CaptionView, TagSpan] | None:
        """The caption view and the tag under a client position (None: not a caption, or no tag there)."""
        view = self.view(uri)
        if view is None:
            return None
        tag = view.caption.tag_at(view.lines.offset(position))
        if tag is None or not tag.key:
            return None
        return view, tag

    def oversized_documents(self) -> list[tuple[str, int | None]]:
        """(uri, version) of the open captions too large to be captions."""
        return [
            (uri, document.version)
            for uri, document in list(self._documents().text_documents.items())
            if self.is_oversized(uri)
        ]

    def is_oversized(self, uri: str) -> bool:
        """An open document named like a caption, too large to be one."""
        document = self._documents().text_documents.get(uri)
        if document is None or not oversized(document.source):
            return False
        fs_path = to_fs_path(uri)
        return fs_path is not None and self.dataset_for(Path(fs_path)) is not None

    def forget(self, uri: str) -> None:
        self._views.pop(uri, None)

    def open_views(self) -> list[CaptionView]:
        views = []
        for uri in list(self._documents().text_documents):
            view = self.view(uri)
            if view is not None:
                views.append(view)
        return views

    def text_of(self, path: Path) -> str | None:
        """A caption's current text: the editor's buffer when open, else the file."""
        document = self._documents().text_documents.get(unquote(path.as_uri()))
        if document is not None:
            return encodable(document.source)
        try:
            return read_caption_file(path).text
        except CaptionReadError:
            return None
