"""What the dataset commands (`check`, `stats`, `rename`, `format`, `tags`, `tokens`, `undo`) share: the
datasets named on the command line, their vocabulary and section map, usage errors, and the one way
they write captions (as an undoable step) or show what they would write (a diff)."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import click

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.query import Vocabulary
from captionls.vocab.sections import SectionMap, load_section_map
from captionls.vocab.store import StoreError

from ..caption.config import Config, ConfigError, find_config, load_config
from ..caption.dataset import DatasetIndex, is_caption
from ..caption.diff import unified_diff
from ..caption.files import CaptionFile, CaptionWriteError, Rewrite, write_captions
from ..caption.journal import JournalError
from ..caption.printable import printable
from .vocab import open_store
from .workers import chunked, ordered_map, worker_count

# Exit codes: findings at warning or above (or a change to show), and usage or configuration errors.
EXIT_FINDINGS = 1
EXIT_USAGE = 2
# A scan's chunks per worker: this process adds a chunk per distinct written tag, so fewer chunks cost it
# less (100,000 captions in 200 chunks of 500: 3.7-4.7 s of CPU, in 8: 2.2-2.4 s), and more let it add
# the first chunks while the workers still read the last ones.
SCAN_CHUNKS_PER_WORKER = 4


class UsageProblem(click.ClickException):
    """A usage or configuration error: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


@contextmanager
def dataset_vocabulary(config: Config) -> Iterator[Vocabulary]:
    """The dataset's own vocabulary (`vocab` in captionls.toml), else the one `--db` names."""
    try:
        if config.vocab is None:
            yield Vocabulary(open_store(click.get_current_context()))
            return
        store = open_vocabulary(config.vocab)
    except StoreError as error:
        raise UsageProblem(str(error)) from None
    try:
        yield Vocabulary(store)
    finally:
        store.close()


def section_map() -> SectionMap:
    """The section map (`$CAPTIONLS_SECTIONS` or the built-in one); a broken file is a usage error."""
    try:
        return load_section_map()
    except StoreError as error:
        raise UsageProblem(str(error)) from None


@cache
def _no_collection_at_exit() -> None:
    """Freeze every object when the interpreter exits, so that its last collection walks none of them.

    What a command leaves behind is a cyclic graph of millions of objects (the rules' states point back
    to their context, which holds the index): the interpreter's last collection walked and freed it all
    after the output was written, 0.2 s of a 10,000-caption check and 0.5 s at 100,000. The process
    ends right after; the system takes the memory back at once."""
    atexit.register(gc.freeze)


@dataclass
class Dataset:
    """One dataset named on the command line: its root, configuration, index and the captions asked for."""

    root: Path
    config: Config
    index: DatasetIndex
    targets: list[Path] = field(default_factory=list)


def datasets(paths: Sequence[Path], jobs: int | None = None) -> list[Dataset]:
    """Group the PATH arguments by dataset (a file belongs to the folder of its captionls.toml) and index
    each, with `jobs` processes (`--jobs`; by default one per core for a large dataset)."""
    # A dataset is millions of small long-lived objects that form no cycles (tags, index entries):
    # the cycle collector would re-walk them all the time for nothing (10-20% of a check). A command
    # is a short-lived process, so it goes without until it ends.
    if gc.isenabled():
        gc.disable()
        click.get_current_context().call_on_close(gc.enable)
    _no_collection_at_exit()
    found_datasets: dict[Path, Dataset] = {}
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageProblem(f"{path}: no such file or folder")
        try:
            config = load_config(path)
        except ConfigError as error:
            raise UsageProblem(str(error)) from None
        path = Path(os.path.normpath(path))
        # The dataset is the folder of the captionls.toml governing PATH (else PATH's own folder),
        # spelled like the PATH given so that reported paths read the way the user typed them.
        folder = path if path.is_dir() else path.parent
        found = find_config(path)
        root = folder
        if found is not None and found.parent != folder.resolve():
            root = found.parent if path.is_absolute() else Path(os.path.relpath(found.parent))
        key = root.resolve()
        dataset = found_datasets.get(key)
        if dataset is None:
            dataset = found_datasets[key] = Dataset(root, config, DatasetIndex(root, config))
            _scan(dataset.index, jobs)
        if path.is_dir():
            captions = [*dataset.index.captions(), *dataset.index.errors]
            if path == root:
                dataset.targets.extend(captions)
            else:
                depth = len(path.parts)
                dataset.targets.extend(p for p in captions if p == path or _within(p, path, depth))
        elif is_caption(path, config):
            dataset.targets.append(path)
    for dataset in found_datasets.values():
        dataset.targets = sorted(set(dataset.targets), key=str)
    return list(found_datasets.values())


def _within(caption: Path, folder: Path, depth: int) -> bool:
    """Whether `folder` (of `depth` parts) holds `caption`: `folder in caption.parents`, with only the one
    parent that can be `folder` made (that test built every parent of every caption, for each folder
    named: 40% of the CPU of a check of ten folders)."""
    parents = caption.parents
    at = len(caption.parts) - depth - 1
    return 0 <= at < len(parents) and parents[at] == folder


def _scan(index: DatasetIndex, jobs: int | None) -> None:
    """`index.scan()` as a map and a reduce: forked workers read chunks of captions and sum up their tags,
    a slice of the walk each, and this process adds the chunks to the index in walk order (the same index
    as one process's scan). The walk and the adding stay here: they are the index."""
    walked = list(index.walk_links())
    workers = worker_count(jobs, len(walked))
    chunks = chunked(walked, max(1, -(-len(walked) // (workers * SCAN_CHUNKS_PER_WORKER))))
    with closing(ordered_map(index.read_chunk, chunks, workers)) as results:
        for chunk, scanned in zip(chunks, results, strict=True):
            index.add_chunk([path for path, _ in chunk], scanned)


def utf8_bom(file: CaptionFile) -> bool:
    """Whether the file starts with a UTF-8 BOM, which a diff shows as part of its first line."""
    return file.bom and file.encoding == "utf-8"


def write_all(dataset: Dataset, command: str, texts: dict[Path, str]) -> dict[Path, CaptionWriteError]:
    """Rewrite captions of `dataset` (path -> new text) as one undoable step (`captionls undo`); what kept
    a caption from being written (changed meanwhile, a link out of the dataset, a write error) is
    returned for the caller to report, and the other captions go on. A journal that cannot be written
    stops the command before any caption is touched.
    """
    rewrites = [
        Rewrite(path, dataset.index.files[path], text)
        for path, text in sorted(texts.items(), key=lambda item: str(item[0]))
    ]
    try:
        return write_captions(dataset.root, command, rewrites)
    except JournalError as error:
        raise click.ClickException(printable(str(error))) from None


def diff_or_write(dataset: Dataset, command: str, texts: dict[Path, str], dry_run: bool) -> None:
    """Print the diff of `texts` (path -> new text) or write them; then say how many captions changed."""
    failed = 0
    if dry_run:
        for caption in sorted(texts, key=str):
            file = dataset.index.files[caption]
            click.echo(unified_diff(caption, file.text, texts[caption], bom=utf8_bom(file)), nl=False)
    else:
        for error in write_all(dataset, command, texts).values():
            click.echo(printable(str(error)), err=True)
            failed += 1
    done = len(texts) - failed
    verb = "would change" if dry_run else "changed"
    click.echo(f"{verb} {done} caption{'s' if done != 1 else ''}", err=dry_run)
    if failed:
        sys.exit(EXIT_FINDINGS)


def described(command: str, where: str | None) -> str:
    """The journal's one-line description of a command (what `undo --list` shows)."""
    return command if where is None else f"{command} --where {where}"
