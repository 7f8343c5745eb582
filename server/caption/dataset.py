"""Which files are captions, and the dataset index: tag -> captions, kept up to date one file at a time.

The index is BooruDatasetTagManager's "All tags" panel: every tag key with the captions that use it and
how each caption writes it. Tags used anywhere in the dataset count as known (`unknown-tag`) and their
majority phrasing drives `inconsistent-tag`. Prose lines have no tags (see `kinds`): they add nothing.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from captionls.vocab.normalize import TagStyle, is_kaomoji, tag_key
from captionls.vocab.verbatim import verbatim_names

from .config import IMAGE_EXTENSIONS, Config, load_config
from .files import CaptionFile, CaptionReadError, read_caption_file, resolve_inside
from .kinds import lead_of
from .parse import Caption, index_names


def _relative(path: Path, config: Config) -> str | None:
    # The folder is resolved, not the file: a caption may be a symlink (even one in a loop).
    folder = Path(os.path.realpath(path.parent))
    try:
        return (folder / path.name).relative_to(config.root).as_posix()
    except ValueError:
        return None


def _matches(relative: str, patterns: tuple[str, ...]) -> bool:
    """fnmatch globs against the path relative to the config's folder (`*` crosses `/`), or the name."""
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def is_caption(path: Path, config: Config, siblings: set[str] | None = None) -> bool:
    """Whether `path` is a caption: a caption extension and an image beside it, or an `include` glob.

    `siblings` (the lower-cased names in the file's folder) saves a stat per image extension when scanning.
    """
    suffix = path.suffix.lower()
    if suffix not in config.extensions:
        return False
    relative = _relative(path, config) if config.include or config.exclude else None
    if relative is not None:
        if config.exclude and _matches(relative, config.exclude):
            return False
        if config.include and _matches(relative, config.include):
            return True
    stem = path.name[: len(path.name) - len(path.suffix)]
    if siblings is not None:
        return any(f"{stem}{ext}".lower() in siblings for ext in IMAGE_EXTENSIONS)
    return any(
        path.with_name(stem + ext).exists() or path.with_name(stem + ext.upper()).exists()
        for ext in IMAGE_EXTENSIONS
    )


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A real folder (a symlinked one is not followed); an entry gone since the listing is not one."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


_KEY_LOG_KEPT = 10_000


def _style_of(name: str) -> TagStyle | None:
    """How a multi-word phrasing joins its words; None for one word (`1girl`), a face (`^_^`) or a
    verbatim tag."""
    if is_kaomoji(name):
        return None
    if "_" in name.strip("_"):
        # `score_9` is written so in any style: it says nothing of the dataset's.
        return None if name.casefold() in verbatim_names() else "underscores"
    if " " in name:
        return "spaces"
    return None


@dataclass(frozen=True, slots=True)
class _Entry:
    """What one caption contributes: each key once, with the phrasing it was first written in, and its
    lead (key, name): the first tag, or the words before the first sentence's end (`ohwx. A woman ...`).

    Two parallel tuples rather than a dict: a large dataset keeps one of these per caption.
    """

    keys: tuple[str, ...]
    names: tuple[str, ...]
    lead: tuple[str, str] | None

    @classmethod
    def of(cls, names: list[tuple[str, str]], lead: tuple[str, str] | None) -> _Entry:
        """From the caption's tags and its first segment (`index_names`)."""
        first: dict[str, str] = {}
        for key, name in names:
            if key and key not in first:
                first[key] = name
        if lead is not None:
            written = lead_of(lead[1])
            lead = lead if written == lead[1] else (tag_key(written), written)
        return cls(tuple(first), tuple(first.values()), lead)

    def items(self) -> zip[tuple[str, str]]:
        return zip(self.keys, self.names, strict=True)


class DatasetIndex:
    """Tag -> captions for a folder tree."""

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root
        self.config = config if config is not None else load_config(root)
        self._entries: dict[Path, _Entry] = {}
        self._captions: dict[str, set[Path]] = {}
        self._phrasings: dict[str, Counter[str]] = {}
        self.errors: dict[Path, str] = {}
        # Bumped whenever a key appears in or disappears from the dataset (caches keyed on the key set).
        self.keys_version = 0
        # The keys that appeared (True) or went (False), one per keys_version step from `_log_base` on,
        # so caches keyed on the key set can follow changes instead of rebuilding (see `key_changes`).
        self._key_log: list[tuple[str, bool]] = []
        self._log_base = 0
        # Multi-word phrasings written with underscores / with spaces, for the detected tag style.
        self._styles = {"underscores": 0, "spaces": 0}
        # Bumped on every change of what any caption contributes (phrasing counts included).
        self.version = 0
        # Parsed captions and file details from the last scan or update (the CLI re-uses them).
        self.files: dict[Path, CaptionFile] = {}
        # Lead (key, name) -> captions starting with it; bumped only when a caption's lead changes.
        self._leads: Counter[tuple[str, str]] = Counter()
        self.leads_version = 0

    def walk(self) -> Iterator[Path]:
        """Every caption file under the root, without following symlinked folders (no loops)."""
        for path, _ in self._walk():
            yield path

    def _walk(self) -> Iterator[tuple[Path, bool]]:
        """(caption, whether it is a symlink), folder by folder in name order, sub-folders after files.

        A folder that cannot be listed lands in `errors` (a dataset is never silently partial).
        """
        if self.root.is_file():
            if is_caption(self.root, self.config):
                yield self.root, self.root.is_symlink()
            return
        pending = [self.root]
        while pending:
            folder = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=lambda entry: entry.name)
            except OSError as error:
                reason = f"cannot read this folder ({error.strerror or error})"
                self.errors[folder] = str(CaptionReadError(folder, reason))
                continue
            siblings = {entry.name.lower() for entry in entries}
            folders = []
            for entry in entries:
                if _is_folder(entry):
                    if not entry.name.startswith("."):
                        folders.append(Path(entry.path))
                    continue
                path = Path(entry.path)
                if is_caption(path, self.config, siblings):
                    yield path, entry.is_symlink()
            pending.extend(reversed(folders))

    def scan(self) -> None:
        """Read every caption once; unreadable ones (and links leaving the root) land in `errors`."""
        for path, is_link in self._walk():
            try:
                if is_link:
                    resolve_inside(path, self.root)
                file = read_caption_file(path)
            except CaptionReadError as error:
                self.errors[path] = str(error)
                self.remove(path)
                continue
            self.files[path] = file
            self.update(path, file.text)

    def update(self, path: Path, text: str | Caption) -> None:
        """Replace what `path` contributes with its new text (or its already parsed caption)."""
        if isinstance(text, Caption):
            names = [(tag.key, tag.name) for line in text.lines if line.kind == "tags" for tag in line.tags]
            lead = next(((tag.key, tag.name) for tag in text.tags), None)
        else:
            names, lead = index_names(text, self.config.syntax)
        entry = _Entry.of(names, lead)
        old = self._entries.get(path)
        if old is not None:
            if old == entry:
                return
            self._forget(path, old)
        self._entries[path] = entry
        self.version += 1
        if entry.lead is not None:
            self._leads[entry.lead] += 1
        if old is None or old.lead != entry.lead:
            self.leads_version += 1
        self.errors.pop(path, None)
        captions, phrasings, styles = self._captions, self._phrasings, self._styles
        for key, name in entry.items():
            users = captions.get(key)
            if users is None:
                users = captions[key] = set()
                phrasings[key] = Counter()
                self._log_key(key, True)
            users.add(path)
            phrasings[key][name] += 1
            style = _style_of(name)
            if style is not None:
                styles[style] += 1

    def remove(self, path: Path) -> None:
        old = self._entries.pop(path, None)
        self.files.pop(path, None)
        if old is not None:
            self._forget(path, old)
            self.leads_version += 1

    def _forget(self, path: Path, entry: _Entry) -> None:
        self.version += 1
        if entry.lead is not None:
            self._leads[entry.lead] -= 1
            if self._leads[entry.lead] <= 0:
                del self._leads[entry.lead]
        for key, name in entry.items():
            users = self._captions[key]
            users.discard(path)
            phrasings = self._phrasings[key]
            phrasings[name] -= 1
            style = _style_of(name)
            if style is not None:
                self._styles[style] -= 1
            if phrasings[name] <= 0:
                del phrasings[name]
            if not users:
                del self._captions[key]
                del self._phrasings[key]
                self._log_key(key, False)

    def _log_key(self, key: str, added: bool) -> None:
        self.keys_version += 1
        self._key_log.append((key, added))
        if len(self._key_log) > _KEY_LOG_KEPT:
            dropped = len(self._key_log) // 2
            del self._key_log[:dropped]
            self._log_base += dropped

    def key_changes(self, since: int) -> list[tuple[str, bool]] | None:
        """The keys added (True) or removed (False) after `keys_version` was `since`; None if too old."""
        if since < self._log_base:
            return None
        return self._key_log[since - self._log_base :]

    def captions(self) -> list[Path]:
        return sorted(self._entries)

    def captions_using(self, key: str) -> list[Path]:
        return sorted(self._captions.get(key, ()))

    def count(self, key: str) -> int:
        users = self._captions.get(key)
        return 0 if users is None else len(users)

    def count_others(self, key: str, path: Path) -> int:
        """How many captions other than `path` use `key`."""
        users = self._captions.get(key)
        if users is None:
            return 0
        return len(users) - (path in users)

    def phrasings(self, key: str) -> dict[str, int]:
        """How the dataset writes `key`: written form -> number of captions, most used first."""
        return dict(self._phrasings.get(key, Counter()).most_common())

    def phrasing_count(self, key: str, name: str) -> int:
        """How many captions write `key` exactly as `name`."""
        phrasings = self._phrasings.get(key)
        return 0 if phrasings is None else phrasings.get(name, 0)

    def keys(self) -> list[str]:
        return list(self._captions)

    def keys_of(self, path: Path) -> list[str]:
        entry = self._entries.get(path)
        return [] if entry is None else list(entry.keys)

    def display(self, key: str) -> str:
        """The dataset's most used phrasing of `key`."""
        phrasings = self._phrasings.get(key)
        if not phrasings:
            return key
        return phrasings.most_common(1)[0][0]

    def tags(self) -> list[tuple[str, str, int]]:
        """(key, display, caption count) for every tag, most used first."""
        rows = [(key, self.display(key), len(users)) for key, users in self._captions.items()]
        rows.sort(key=lambda row: (-row[2], row[0]))
        return rows

    def leading_tag(self, share: float, minimum: int) -> tuple[str, str] | None:
        """(key, name) of the lead that starts at least `share` of the captions (and `minimum` of them).

        Written forms of one key count together; the name is the most used one.
        """
        totals: Counter[str] = Counter()
        for (key, _name), count in self._leads.items():
            totals[key] += count
        if not totals:
            return None
        key, count = totals.most_common(1)[0]
        if count < minimum or count < share * len(self._entries):
            return None
        name = max((item for item in self._leads.items() if item[0][0] == key), key=lambda item: item[1])
        return key, name[0][1]

    def detected_style(self) -> TagStyle:
        """The dataset's majority style among multi-word tags: `spaces` unless underscores win."""
        return "underscores" if self._styles["underscores"] > self._styles["spaces"] else "spaces"

    def tag_style(self) -> TagStyle:
        """The configured tag style, else the detected one."""
        return self.config.tag_style or self.detected_style()

    def __len__(self) -> int:
        return len(self._entries)
