"""`captionls tags list|add|remove|move` and `captionls undo`: batch edits on a selection of captions.

Each edit rewrites only the captions it changes, as one step of the dataset's undo journal
(`captionls undo`); `--dry-run` prints a unified diff instead and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from captionls.vocab.normalize import tag_key

from ..caption.checker import CheckContext
from ..caption.files import UndoRefused, undo_last
from ..caption.journal import JournalEntry, JournalError, entries
from ..caption.printable import printable
from ..caption.rename import BadTagName
from ..caption.selection.operations import editor_for, planned, tag_uses, written_names
from ..caption.selection.tag_edits import PLACEMENT_HELP, BadPlacement, Placement, TagEditor, parse_placement
from .datasets import (
    Dataset,
    UsageProblem,
    dataset_vocabulary,
    datasets,
    described,
    diff_or_write,
    section_map,
)
from .vocab import db_option
from .where import selected, where_option


@contextmanager
def _selection(path: Path, where: str | None) -> Iterator[tuple[Dataset, CheckContext, list[Path]]]:
    """The dataset PATH belongs to, its check context and the captions under PATH that `where` selects."""
    (dataset,) = datasets([path])
    with dataset_vocabulary(dataset.config) as vocabulary:
        ctx = CheckContext(dataset.config, vocabulary, dataset.index, section_map())
        yield dataset, ctx, selected(ctx, dataset.targets, where)


def _placement(_context: click.Context, _param: click.Parameter, value: str) -> Placement:
    try:
        return parse_placement(value)
    except BadPlacement as error:
        raise UsageProblem(f"--at: {error}") from None


def _at_option(default: str | None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--at",
        default=default,
        required=default is None,
        callback=_placement,
        metavar="PLACE",
        help=f"Where the tags go: {PLACEMENT_HELP}." + (f" Default: {default}." if default else ""),
    )


_dry_run = click.option("--dry-run", is_flag=True, help="Print the changes as a unified diff; write nothing.")


@click.group()
def tags() -> None:
    """List, add, remove and move tags in the captions a query selects (`--where`)."""


@tags.command(name="list")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@where_option
@click.option("--json", "as_json", is_flag=True, help='Print a JSON list of {"tag", "captions"}.')
@db_option
def list_command(path: Path, where: str | None, as_json: bool) -> None:
    """The selected captions' tags with how many of them use each; tags common to all come first."""
    with _selection(path, where) as (dataset, _, paths):
        uses = tag_uses(dataset.index, paths)
    if as_json:
        click.echo(
            json.dumps([{"tag": use.tag, "captions": use.captions} for use in uses], ensure_ascii=False)
        )
        return
    click.echo(f"{len(paths)} caption{'s' if len(paths) != 1 else ''} selected, {len(uses)} distinct tags")
    width = len(str(uses[0].captions)) if uses else 1
    for use in uses:
        click.echo(printable(f"  {use.captions:>{width}}  {use.tag}"))


def _apply(
    path: Path,
    where: str | None,
    dry_run: bool,
    command: str,
    make: Callable[[CheckContext, TagEditor], Callable[[str], str]],
) -> None:
    """Plan the change `make` builds over the selection, then print it as a diff or write it."""
    with _selection(path, where) as (dataset, ctx, paths):
        try:
            change = make(ctx, editor_for(ctx))
        except BadTagName as bad:
            raise UsageProblem(str(bad)) from None
        files = dataset.index.files
        plan = planned(paths, lambda caption: file.text if (file := files.get(caption)) else None, change)
    diff_or_write(dataset, command, {caption: new for caption, (_, new) in plan.items()}, dry_run)


@tags.command()
@click.argument("names", nargs=-1, required=True, metavar="TAG...")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_at_option("end")
@where_option
@_dry_run
@db_option
def add(names: tuple[str, ...], path: Path, at: Placement, where: str | None, dry_run: bool) -> None:
    """Add TAGs to the selected captions under PATH that lack them (never before the trigger)."""

    def make(ctx: CheckContext, editor: TagEditor) -> Callable[[str], str]:
        written = written_names(names, ctx)
        return lambda text: editor.add(text, written, at)

    _apply(path, where, dry_run, described(f"tags add {', '.join(names)}", where), make)


@tags.command()
@click.argument("names", nargs=-1, required=True, metavar="TAG...")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@where_option
@_dry_run
@db_option
def remove(names: tuple[str, ...], path: Path, where: str | None, dry_run: bool) -> None:
    """Remove TAGs (any style, aliases) from the selected captions under PATH."""
    keys = [key for key in map(tag_key, names) if key]
    _apply(
        path,
        where,
        dry_run,
        described(f"tags remove {', '.join(names)}", where),
        lambda ctx, editor: lambda text: editor.remove(text, keys),
    )


@tags.command()
@click.argument("name", metavar="TAG")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_at_option(None)
@where_option
@_dry_run
@db_option
def move(name: str, path: Path, at: Placement, where: str | None, dry_run: bool) -> None:
    """Move TAG to another place in the selected captions under PATH (never across `|||`)."""
    key = tag_key(name)
    _apply(
        path,
        where,
        dry_run,
        described(f"tags move {name}", where),
        lambda ctx, editor: lambda text: editor.move(text, key, at),
    )


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--list", "show_list", is_flag=True, help="Show the journal, newest first; undo nothing.")
def undo(path: Path, show_list: bool) -> None:
    """Undo the last dataset-wide write under PATH's dataset (tags, rename, check --fix, format)."""
    (dataset,) = datasets([path])
    try:
        if show_list:
            history = entries(dataset.root)
            if not history:
                click.echo("nothing to undo")
            for past in reversed(history):
                click.echo(printable(f"{past.number}  {past.time}  {past.command}  ({_captions(past)})"))
            return
        undone = undo_last(dataset.root)
    except (JournalError, UndoRefused) as error:
        raise click.ClickException(printable(str(error))) from None
    if undone is None:
        click.echo("nothing to undo")
        return
    click.echo(printable(f"undid {undone.command} ({_captions(undone)} restored)"))


def _captions(entry: JournalEntry) -> str:
    count = len(entry.files)
    return f"{count} caption{'s' if count != 1 else ''}"
