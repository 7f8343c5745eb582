"""Which files are captions, and the dataset index: tag -> captions, kept up to date one file at a time.

The index is BooruDatasetTagManager's "All tags" panel: every tag key with the captions that use it and
how each caption writes it. Tags used anywhere in the dataset count as known (`unknown-tag`) and their
majority phrasing drives `inconsistent-tag`. Prose lines have no tags (see `kinds`): they add nothing.
"""

from __future__ import annotations

import fnmatch
import os
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice, pairwise
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from captionls.vocab.normalize import TagStyle, tag_key

from .config import IMAGE_EXTENSIONS, Config, load_config
from .files import CaptionFile, CaptionReadError, read_caption_file, resolve_inside
from .kinds import lead_of
from .parse import Caption, index_names
from .written_forms import WrittenForms


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
    # `path.suffix` and `path.stem` from the name, once: a scan asks this of every caption.
    name = path.name
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""
    if suffix.lower() not in config.extensions:
        return False
    relative = _relative(path, config) if config.include or config.exclude else None
    if relative is not None:
        if config.exclude and _matches(relative, config.exclude):
            return False
        if config.include and _matches(relative, config.include):
            return True
    stem = name[: len(name) - len(suffix)]
    if siblings is not None:
        # A loop, not `any()` over a generator: half the time (0.5 us a caption).
        for ext in IMAGE_EXTENSIONS:  # noqa: SIM110
            if f"{stem}{ext}".lower() in siblings:
                return True
        return False
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
# Captions per chunk of a scan: read together (by one worker, in the CLI), then added to the index.
SCAN_CHUNK = 2_000
# A caption's entry: the id of its lead (this when it has none), then the ids of its tags.
_NO_LEAD = 0xFFFFFFFF


def _entry(forms: WrittenForms, names: list[tuple[str, str]], lead: tuple[str, str] | None) -> array[int]:
    """What one caption contributes, its ids held in `forms`: its lead (key, name), the first tag or the
    words before the first sentence's end (`ohwx. A woman ...`), then each key once, with the phrasing it
    was first written in.

    An array of 4-byte ids rather than objects: a large dataset keeps one of these per caption.
    """
    first: dict[str, str] = {}
    for key, name in names:
        first.setdefault(key, name)
    first.pop("", None)
    lead_id = _NO_LEAD
    if lead is not None:
        written = lead_of(lead[1])
        lead_id = forms.hold(*lead) if written == lead[1] else forms.hold(tag_key(written), written)
    return array("I", [lead_id, *forms.hold_all(first.items())])


def _release(forms: WrittenForms, entry: array[int]) -> None:
    if entry[0] != _NO_LEAD:
        forms.release(entry[0])
    for form_id in entry[1:]:
        forms.release(form_id)


class ScannedChunk(NamedTuple):
    """Consecutive walked captions as a scan reads them (`read_chunk`, in this process or a forked worker),
    summed up per distinct written tag: the index then adds a chunk's few thousand written forms, not each
    of its ten thousand tags (that merge is what a scan's workers wait for). Form ids are the chunk's own
    (numbered in the order a one-by-one scan would first hold them); captions are numbered from 0 among
    the chunk's readable ones. A tuple of lists and arrays: it travels back from a worker pickled, without
    the paths (the parent walked them)."""

    # Per walked caption: its file, or why it cannot be read (a `CaptionReadError`'s message).
    files: list[CaptionFile | str]
    # The chunk's written forms (key, name), and how many of its captions hold each (as lead or tag).
    forms: list[tuple[str, str]]
    holders: list[int]
    # The readable captions' entries (see `_entry`) back to back, and where each one ends.
    entries: array[int]
    ends: array[int]
    # Tag form -> captions writing it; lead form -> captions starting with it. Both in order of first use
    # (a tie between two phrasings goes to the first written).
    written: dict[int, int]
    leads: dict[int, int]
    # Each key (as its first form), in order of first use, with the captions using it back to back.
    keys: array[int]
    users: array[int]
    users_ends: array[int]


def _holds(captions: array[int], caption: int) -> bool:
    """Whether the sorted ids `captions` hold `caption`."""
    at = bisect_left(captions, caption)
    return at < len(captions) and captions[at] == caption


class DatasetIndex:
    """Tag -> captions for a folder tree.

    Compact for large datasets: each caption is an int id and an array of written-form ids
    (`WrittenForms`), and each key's captions a sorted array of caption ids.
    """

    def __init__(self, root: Path, config: Config | None = None, keep_files: bool = True) -> None:
        self.root = root
        self._keep_files = keep_files
        self.config = config if config is not None else load_config(root)
        self._forms = WrittenForms()
        # Caption id -> path and entry (None once removed; the id then goes to `_free_ids`).
        self._ids: dict[Path, int] = {}
        self._paths: list[Path | None] = []
        self._entries: list[array[int] | None] = []
        self._free_ids: list[int] = []
        # Key -> the sorted ids of the captions using it, and how many captions write each phrasing.
        self._captions: dict[str, array[int]] = {}
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
        # Each caption's text and encoding as the scan read it, when `keep_files`: the CLI checks and
        # rewrites from them. A server keeps none (a third of the index's memory): it reads a file when
        # it needs one, so the text is also never older than the file.
        self.files: dict[Path, CaptionFile] = {}
        # Lead (key, name) -> captions starting with it; bumped only when a caption's lead changes.
        self._leads: Counter[tuple[str, str]] = Counter()
        self.leads_version = 0

    def walk(self) -> Iterator[Path]:
        """Every caption file under the root, without following symlinked folders (no loops)."""
        for path, _ in self.walk_links():
            yield path

    def walk_links(self) -> Iterator[tuple[Path, bool]]:
        """(caption, whether it is a symlink), folder by folder in name order, sub-folders after files.

        A folder that cannot be listed lands in `errors` (a dataset is never silently partial).
        """
        if self.root.is_file():
            if is_caption(self.root, self.config):
                yield self.root, self.root.is_symlink()
            return
        extensions = self.config.extensions
        pending = [self.root]
        while pending:
            folder = pending.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=attrgetter("name"))
            except OSError as error:
                reason = f"cannot read this folder ({error.strerror or error})"
                self.errors[folder] = str(CaptionReadError(folder, reason))
                continue
            siblings = {entry.name.lower() for entry in entries}
            folders = []
            for entry in entries:
                if _is_folder(entry):
                    if not entry.name.startswith("."):
                        folders.append(folder / entry.name)
                    continue
                # Most entries are images: a caption's extension ends its name, so they are passed over
                # before a path is made (a path per entry took a third of the walk).
                if not entry.name.lower().endswith(extensions):
                    continue
                path = folder / entry.name
                if is_caption(path, self.config, siblings):
                    yield path, entry.is_symlink()
            pending.extend(reversed(folders))

    def scan(self) -> None:
        """Read every caption once; unreadable ones (and links leaving the root) land in `errors`.

        A scan is `read_chunk` of consecutive walked captions, then `add_chunk` in walk order; the CLI
        runs the reads in forked workers (`cli/datasets.py`), which gives the same index."""
        walked = self.walk_links()
        while chunk := list(islice(walked, SCAN_CHUNK)):
            self.add_chunk([path for path, _ in chunk], self.read_chunk(chunk))

    def read_chunk(self, walked: Iterable[tuple[Path, bool]]) -> ScannedChunk:
        """The captions `walked` ((path, whether it is a symlink) as `walk_links` gives them) read for the
        index; changes nothing, so any process sharing this index can run it."""
        forms = WrittenForms()
        files: list[CaptionFile | str] = []
        entries, ends = array("I"), array("I")
        leads: Counter[int] = Counter()
        # Form -> the captions writing it as a tag, and the forms in the order they were first written.
        writers: list[array[int]] = []
        first_written: list[int] = []
        for path, is_link in walked:
            try:
                if is_link:
                    resolve_inside(path, self.root)
                file = read_caption_file(path)
            except CaptionReadError as error:
                files.append(str(error))
                continue
            files.append(file)
            caption = len(ends)
            entry = _entry(forms, *index_names(file.text, self.config.syntax))
            if entry[0] != _NO_LEAD:
                leads[entry[0]] += 1
            writers.extend(array("I") for _ in range(len(forms.forms) - len(writers)))
            for form_id in entry[1:]:
                captions = writers[form_id]
                if not captions:
                    first_written.append(form_id)
                captions.append(caption)
            entries.extend(entry)
            ends.append(len(entries))
        # A caption writes each key once: a key's captions are those of its forms, merged in order.
        by_key: dict[str, list[int]] = {}
        for form_id in first_written:
            by_key.setdefault(forms.forms[form_id][0], []).append(form_id)
        users, users_ends = array("I"), array("I")
        for key_forms in by_key.values():
            if len(key_forms) == 1:
                users.extend(writers[key_forms[0]])
            else:
                users.extend(sorted(chain.from_iterable(writers[form_id] for form_id in key_forms)))
            users_ends.append(len(users))
        return ScannedChunk(
            files,
            forms.forms,
            forms.holders,
            entries,
            ends,
            {form_id: len(writers[form_id]) for form_id in first_written},
            dict(leads),
            array("I", [key_forms[0] for key_forms in by_key.values()]),
            users,
            users_ends,
        )

    def add_chunk(self, paths: Sequence[Path], chunk: ScannedChunk) -> None:
        """What `read_chunk` found for the walked captions `paths`: the same index as `update` of each
        readable caption (and its file kept) and each other's read error, in order.

        Captions new to the index take the next ids, so each written form, key and lead is added once
        per chunk with its counts; a chunk of captions the index holds already goes one by one."""
        if self._free_ids or any(path in self._ids for path in paths):
            self._add_each(paths, chunk)
            return
        hold = self._forms.hold
        table = {
            local: hold(key, name, times)
            for local, ((key, name), times) in enumerate(zip(chunk.forms, chunk.holders, strict=True))
        }
        table[_NO_LEAD] = _NO_LEAD
        entries = array("I", map(table.__getitem__, chunk.entries))
        readable, files = [], []
        for path, file in zip(paths, chunk.files, strict=True):
            if isinstance(file, str):
                self.errors[path] = file
            else:
                readable.append(path)
                files.append(file)
        first = len(self._paths)
        self._ids.update(zip(readable, range(first, first + len(readable)), strict=True))
        self._paths.extend(readable)
        self._entries.extend(entries[start:end] for start, end in pairwise(chain((0,), chunk.ends)))
        if self._keep_files:
            self.files.update(zip(readable, files, strict=True))
        if self.errors:
            for path in readable:
                self.errors.pop(path, None)
        forms, styles = self._forms.forms, self._forms.styles
        users = chunk.users if first == 0 else array("I", map(first.__add__, chunk.users))
        start = 0
        for local, end in zip(chunk.keys, chunk.users_ends, strict=True):
            key = forms[table[local]][0]
            known = self._captions.get(key)
            if known is None:
                self._captions[key] = users[start:end]
                self._phrasings[key] = Counter()
                self._log_key(key, True)
            else:
                known.extend(users[start:end])
            start = end
        for local, count in chunk.written.items():
            form_id = table[local]
            key, name = forms[form_id]
            self._phrasings[key][name] += count
            style = styles[form_id]
            if style is not None:
                self._styles[style] += count
        for local, count in chunk.leads.items():
            self._leads[forms[table[local]]] += count
        self.version += len(readable)
        self.leads_version += len(readable)

    def _add_each(self, paths: Sequence[Path], chunk: ScannedChunk) -> None:
        """`add_chunk` one caption at a time, for captions the index may hold already."""
        hold = self._forms.hold
        start = 0
        ends = iter(chunk.ends)
        for path, file in zip(paths, chunk.files, strict=True):
            if isinstance(file, str):
                self.errors[path] = file
                self.remove(path)
                continue
            end = next(ends)
            entry = array(
                "I",
                [
                    local if local == _NO_LEAD else hold(*chunk.forms[local])
                    for local in chunk.entries[start:end]
                ],
            )
            start = end
            if self._keep_files:
                self.files[path] = file
            self._place(path, entry)

    def update(self, path: Path, text: str | Caption) -> None:
        """Replace what `path` contributes with its new text (or its already parsed caption)."""
        if isinstance(text, Caption):
            names = [(tag.key, tag.name) for line in text.lines if line.kind == "tags" for tag in line.tags]
            lead = next(((tag.key, tag.name) for tag in text.tags), None)
        else:
            names, lead = index_names(text, self.config.syntax)
        self._contribute(path, names, lead)

    def _contribute(self, path: Path, names: list[tuple[str, str]], lead: tuple[str, str] | None) -> None:
        """Replace what `path` contributes with a caption of these tag `names` and this `lead`."""
        self._place(path, _entry(self._forms, names, lead))

    def _place(self, path: Path, entry: array[int]) -> None:
        """Replace what `path` contributes with `entry` (its ids held already)."""
        caption = self._ids.get(path)
        if caption is None:
            caption = self._free_ids.pop() if self._free_ids else len(self._paths)
            if caption == len(self._paths):
                self._paths.append(path)
                self._entries.append(None)
            self._paths[caption] = path
            self._ids[path] = caption
        old = self._entries[caption]
        if old == entry:
            _release(self._forms, entry)
            return
        self._entries[caption] = entry
        self._change(caption, old, entry)
        if old is not None:
            _release(self._forms, old)
        self.errors.pop(path, None)

    def remove(self, path: Path) -> None:
        self.files.pop(path, None)
        caption = self._ids.pop(path, None)
        if caption is None:
            return
        old = self._entries[caption]
        self._entries[caption] = self._paths[caption] = None
        self._free_ids.append(caption)
        if old is not None:
            self._change(caption, old, None)
            _release(self._forms, old)

    def _change(self, caption: int, old: array[int] | None, new: array[int] | None) -> None:
        """Move the counts from what `caption` contributed (`old`) to what it contributes now (`new`).

        Only what differs is touched: an edit that adds one tag moves one key's captions, not twenty.
        """
        self.version += 1
        forms, styles, phrasings = self._forms.forms, self._styles, self._phrasings
        old_lead = _NO_LEAD if old is None else old[0]
        new_lead = _NO_LEAD if new is None else new[0]
        if old_lead != new_lead:
            if old_lead != _NO_LEAD:
                lead = forms[old_lead]
                self._leads[lead] -= 1
                if self._leads[lead] <= 0:
                    del self._leads[lead]
            if new_lead != _NO_LEAD:
                self._leads[forms[new_lead]] += 1
        if old is None or new is None or old_lead != new_lead:
            self.leads_version += 1
        old_tags = () if old is None else old[1:]
        new_tags = () if new is None else new[1:]
        old_ids = set(old_tags)
        old_keys = {forms[form_id][0] for form_id in old_tags}
        # What stays is looked up only when something was there (not for each caption of a scan).
        new_ids = set(new_tags) if old_tags else set()
        new_keys = {forms[form_id][0] for form_id in new_tags} if old_tags else set()
        for form_id in old_tags:
            if form_id not in new_ids:
                key, name = forms[form_id]
                counts = phrasings[key]
                counts[name] -= 1
                if counts[name] <= 0:
                    del counts[name]
                style = self._forms.styles[form_id]
                if style is not None:
                    styles[style] -= 1
        for form_id in old_tags:
            key = forms[form_id][0]
            if key not in new_keys:
                self._leave(key, caption)
        for form_id in new_tags:
            key, name = forms[form_id]
            if key not in old_keys:
                self._join(key, caption)
            if form_id not in old_ids:
                phrasings[key][name] += 1
                style = self._forms.styles[form_id]
                if style is not None:
                    styles[style] += 1

    def _join(self, key: str, caption: int) -> None:
        users = self._captions.get(key)
        if users is None:
            self._captions[key] = array("I", [caption])
            self._phrasings[key] = Counter()
            self._log_key(key, True)
        elif users[-1] < caption:
            users.append(caption)  # a scan numbers captions in order: no search
        else:
            users.insert(bisect_left(users, caption), caption)

    def _leave(self, key: str, caption: int) -> None:
        users = self._captions[key]
        del users[bisect_left(users, caption)]
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
        return sorted(self._ids)

    def captions_using(self, key: str) -> list[Path]:
        paths = self._paths
        return sorted(paths[caption] for caption in self._captions.get(key, ()))  # type: ignore[misc]

    def count(self, key: str) -> int:
        users = self._captions.get(key)
        return 0 if users is None else len(users)

    def count_others(self, key: str, path: Path) -> int:
        """How many captions other than `path` use `key`."""
        users = self._captions.get(key)
        if users is None:
            return 0
        caption = self._ids.get(path)
        return len(users) - (caption is not None and _holds(users, caption))

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
        caption = self._ids.get(path)
        entry = None if caption is None else self._entries[caption]
        if entry is None:
            return []
        forms = self._forms.forms
        return [forms[form_id][0] for form_id in entry[1:]]

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
        if count < minimum or count < share * len(self):
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
        return len(self._ids)
