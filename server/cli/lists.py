"""`captionls vocab list ...`: curate named lists (the personal list.tag) as a whole.

Delete, rename, copy and compare lists; grow one from the tags datasets use (`add-from`) and show or
remove the tags none of them uses (`prune`). Errors go through `VocabGroup` like every vocab command.
"""

from __future__ import annotations

from pathlib import Path

import click

from captionls.server.caption.curation import DatasetMissing, UsedTag, used_tags
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import StoreError

from .vocab import db_option, display, open_store, plural, writing


def _members(vocabulary: Vocabulary, name: str) -> list[tuple[int, str]]:
    members = vocabulary.list_members(name)
    if members is None:
        raise StoreError(f"no list called {name!r}")
    return members


def _datasets(roots: tuple[Path, ...], vocabulary: Vocabulary, *, with_triggers: bool) -> list[UsedTag]:
    try:
        return used_tags(roots, vocabulary, with_triggers=with_triggers)
    except DatasetMissing as error:
        raise StoreError(str(error)) from None


@click.group("list")
def list_group() -> None:
    """Delete, rename, copy, compare, grow and prune named lists (see `vocab lists`)."""


@list_group.command("delete")
@click.argument("name")
@db_option
@click.pass_context
def delete_command(ctx: click.Context, name: str) -> None:
    """Forget the list NAME; its tags stay in the vocabulary."""
    with writing(ctx) as writer:
        count = writer.delete_list(name)
    click.echo(f"deleted list {name!r} ({plural(count, 'tag')}; they stay in the vocabulary)")


@list_group.command("rename")
@click.argument("old")
@click.argument("new")
@db_option
@click.pass_context
def rename_command(ctx: click.Context, old: str, new: str) -> None:
    """Rename the list OLD to NEW (which must not exist)."""
    with writing(ctx) as writer:
        writer.rename_list(old, new)
    click.echo(f"list {old!r} -> {new!r}")


@list_group.command("copy")
@click.argument("source")
@click.argument("target")
@db_option
@click.pass_context
def copy_command(ctx: click.Context, source: str, target: str) -> None:
    """Copy the list SOURCE to a new list TARGET: same tags, order, spelling and file layout."""
    with writing(ctx) as writer:
        count = writer.copy_list(source, target)
    click.echo(f"copied list {source!r} to {target!r} ({plural(count, 'tag')})")


@list_group.command("diff")
@click.argument("first")
@click.argument("second")
@db_option
@click.pass_context
def diff_command(ctx: click.Context, first: str, second: str) -> None:
    """The tags only in FIRST (`- name`) and only in SECOND (`+ name`), each in its list's order.

    A tag counts as the same whatever alias or spelling each list writes it with.
    """
    vocabulary = Vocabulary(open_store(ctx))
    first_members, second_members = _members(vocabulary, first), _members(vocabulary, second)
    first_ids = {tag_id for tag_id, _ in first_members}
    second_ids = {tag_id for tag_id, _ in second_members}
    for tag_id, name in first_members:
        if tag_id not in second_ids:
            click.echo(f"- {name}")
    for tag_id, name in second_members:
        if tag_id not in first_ids:
            click.echo(f"+ {name}")
    same = len(first_ids & second_ids)
    click.echo(f"{plural(same, 'tag')} in both", err=True)


@list_group.command("add-from")
@click.argument("datasets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--list", "list_name", metavar="L", default="personal", show_default=True)
@click.option(
    "--min-captions",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Only tags that at least this many captions use.",
)
@db_option
@click.pass_context
def add_from_command(
    ctx: click.Context, datasets: tuple[Path, ...], list_name: str, min_captions: int
) -> None:
    """Append to a list the tags the DATASETS' captions use, most used first.

    Tags are added in the vocabulary's canonical form (an alias counts as its tag); the datasets'
    triggers (configured, else inferred) and prose lines are left out. A tag the vocabulary lacks is
    added to it as a general tag, spelled as the captions mostly do.
    """
    vocabulary = Vocabulary(open_store(ctx))
    used = [
        tag for tag in _datasets(datasets, vocabulary, with_triggers=False) if tag.captions >= min_captions
    ]
    added = 0
    with writing(ctx) as writer:
        for tag in used:
            tag_id = tag.tag_id if tag.tag_id is not None else writer.tag(tag.name, source=list_name)
            if writer.add_to_list(list_name, tag_id):
                added += 1
                click.echo(f"+ {display(tag.name)}  ({plural(tag.captions, 'caption')})")
    click.echo(
        f"added {plural(added, 'tag')} to list {list_name!r}; {len(used) - added:,} were in it", err=True
    )


@list_group.command("prune")
@click.option("--list", "list_name", metavar="L", default="personal", show_default=True)
@click.option(
    "--unused-in",
    "datasets",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="A dataset folder (repeat for several): tags none of them uses are pruned.",
)
@click.option("--apply", is_flag=True, help="Remove them from the list (without it: only show them).")
@db_option
@click.pass_context
def prune_command(ctx: click.Context, list_name: str, datasets: tuple[Path, ...], apply: bool) -> None:
    """Show (with --apply: remove from the list) the listed tags that no caption of the datasets uses.

    A tag counts as used whatever alias or spelling a caption writes it with; triggers are used.
    """
    vocabulary = Vocabulary(open_store(ctx))
    members = _members(vocabulary, list_name)
    used_ids = {tag.tag_id for tag in _datasets(datasets, vocabulary, with_triggers=True)}
    unused = [(tag_id, name) for tag_id, name in members if tag_id not in used_ids]
    for _, name in unused:
        click.echo(f"- {name}")
    if not apply:
        click.echo(f"{plural(len(unused), 'tag')} of {len(members):,} unused; --apply removes them", err=True)
        return
    with writing(ctx) as writer:
        for tag_id, _ in unused:
            writer.remove_from_list(list_name, tag_id)
    click.echo(f"removed {plural(len(unused), 'tag')} from list {list_name!r}", err=True)
