"""`captionls vocab import-danbooru` and `captionls vocab groups`: Danbooru's tag groups and tag data.

Attached to the `vocab` group from here (server/cli/__init__.py imports this module once).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from captionls.vocab.importers.danbooru import (
    CATEGORIES,
    DEFAULT_BASE_URL,
    DanbooruError,
    DanbooruImport,
    FolderSource,
    HttpSource,
    ImportPlan,
    ImportReport,
    Politeness,
    Source,
    credentials,
)
from captionls.vocab.normalize import tag_key
from captionls.vocab.query import Vocabulary

from .vocab import db_option, display, fail, open_store, plural


def _names(value: str | None) -> list[str]:
    return [name.strip() for name in (value or "").split(",") if name.strip()]


class _ProgressLine:
    """One self-rewriting status line on stderr (only when stderr is a terminal)."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, label: str, done: int, total: int | None) -> None:
        what = f"{done:,}/{total:,}" if total else f"page {done:,}"
        sys.stderr.write(f"\r{label}: {what}\033[K")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


def _warn(message: str, progress: _ProgressLine | None) -> None:
    if progress is not None:
        progress.close()  # the warning gets a line of its own; the next update redraws the status
    click.echo(f"warning: {message}", err=True)


def _committed(report: ImportReport) -> str:
    """What a failed run left in the database, for its error line."""
    parts = [name.replace("tag_", "") for name in report.committed_lists]
    if report.groups:
        parts.append(f"{len(report.groups)} whole tag group(s) ({', '.join(report.groups)})")
    if not parts:
        return "; nothing was written"
    return f"; committed {', '.join(parts)}, nothing of the rest: run the same command again to finish"


def _summary(report: ImportReport) -> Iterator[str]:
    if report.tags or report.aliases or report.implications:
        yield (
            f"tags: {report.tags:,} written, aliases: {report.aliases:,} added,"
            f" implications: {report.implications:,} added"
        )
    if report.groups:
        created = f", {plural(report.created, 'tag')} created" if report.created else ""
        if report.left_out:
            created += f", {plural(report.left_out, 'member')} left out (not among the imported tags)"
        yield (
            f"tag groups: {len(report.groups):,} stored ({', '.join(report.groups)}),"
            f" {plural(report.members, 'member')}{created}"
        )
    if report.wiki:
        yield f"wiki excerpts: {report.wiki:,}"


F = TypeVar("F", bound=Callable[..., Any])


def _politeness_options(command: F) -> F:
    """--rate, --retries, --backoff and --timeout, with `Politeness`' defaults."""
    defaults = Politeness()
    options = (
        ("--rate", click.FloatRange(min=0, min_open=True), defaults.rate, "Requests a second at most."),
        (
            "--retries",
            click.IntRange(min=0),
            defaults.retries,
            "Retries of a request on 429, 5xx, timeouts and dropped connections.",
        ),
        (
            "--backoff",
            click.FloatRange(min=0),
            defaults.backoff,
            "Seconds before the first retry, doubling each time (Retry-After wins when longer).",
        ),
        (
            "--timeout",
            click.FloatRange(min=0, min_open=True),
            defaults.timeout,
            "Seconds a whole response may take (connecting, headers, body, redirects).",
        ),
    )
    for name, kind, default, text in reversed(options):
        command = click.option(name, type=kind, default=default, show_default=True, help=text)(command)
    return command


@click.command("import-danbooru")
@click.option("--groups", metavar="A,B", help="Tag groups to import, e.g. posture,image_composition.")
@click.option(
    "--all-groups", is_flag=True, help="Every tag group the `tag_groups` index links to, recursively."
)
@click.option("--tags", "with_tags", is_flag=True, help="Tags with category and post count (/tags.json).")
@click.option(
    "--min-posts", type=click.IntRange(min=0), default=0, help="With --tags: only tags this popular."
)
@click.option("--categories", metavar="C,D", help=f"With --tags: only these ({', '.join(CATEGORIES)}).")
@click.option("--aliases", is_flag=True, help="Active aliases (/tag_aliases.json).")
@click.option("--implications", is_flag=True, help="Active implications (/tag_implications.json).")
@click.option("--wiki", is_flag=True, help="The first paragraph of each group member's wiki page.")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Any Danbooru instance.")
@_politeness_options
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep every raw JSON response in this folder.",
)
@click.option(
    "--from",
    "from_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Import from a folder made by --save, without network.",
)
@db_option
@click.pass_context
def import_danbooru(
    ctx: click.Context,
    groups: str | None,
    all_groups: bool,
    with_tags: bool,
    min_posts: int,
    categories: str | None,
    aliases: bool,
    implications: bool,
    wiki: bool,
    base_url: str,
    rate: float,
    retries: int,
    backoff: float,
    timeout: float,
    save_dir: Path | None,
    from_dir: Path | None,
) -> None:
    """Import tag groups, tags, aliases, implications and wiki excerpts from Danbooru.

    Credentials, when needed, come only from DANBOORU_LOGIN and DANBOORU_API_KEY. Tags, aliases
    and implications are written in one transaction; each tag group is committed whole, so an
    interrupted run can simply be run again.
    """
    plan = ImportPlan(
        groups=_names(groups),
        all_groups=all_groups,
        tags=with_tags,
        min_posts=min_posts,
        categories=_names(categories),
        aliases=aliases,
        implications=implications,
        wiki=wiki,
    )
    if not (plan.groups or all_groups or with_tags or aliases or implications):
        raise click.UsageError(
            "say what to import: --groups, --all-groups, --tags, --aliases or --implications"
        )
    if wiki and not (plan.groups or all_groups):
        raise click.UsageError("--wiki fetches the wiki pages of group members: add --groups or --all-groups")
    if save_dir is not None and from_dir is not None:
        raise click.UsageError("--save and --from do not go together")
    store = open_store(ctx)
    progress = _ProgressLine() if sys.stderr.isatty() else None
    source: Source | None = None
    run: DanbooruImport | None = None
    try:
        if from_dir is not None:
            source = FolderSource(from_dir, base_url)
        else:
            source = HttpSource(
                base_url,
                politeness=Politeness(rate=rate, retries=retries, backoff=backoff, timeout=timeout),
                auth=credentials(),
                save_dir=save_dir,
            )
        run = DanbooruImport(
            store,
            source,
            plan,
            warn=lambda message: _warn(message, progress),
            progress=progress,
        )
        report = run.run()
    except (DanbooruError, KeyboardInterrupt) as error:
        if progress is not None:
            progress.close()
        kept = _committed(run.report) if run is not None else "; nothing was written"
        fail(f"error: {str(error) or 'interrupted'}{kept}")
        return
    finally:
        if isinstance(source, HttpSource):
            source.close()
    if progress is not None:
        progress.close()
    for line in _summary(report):
        click.echo(line)
    if report.missing_groups:
        missing = ", ".join(report.missing_groups)
        fail(f"error: no such tag group on {source.origin}: {missing} (nothing written for it)")


# `vocab groups` ---------------------------------------------------------------------------------


def _children(vocabulary: Vocabulary, group_id: int | None) -> list[tuple[int, str]]:
    return [
        (int(row[0]), str(row[1]))
        for row in vocabulary.conn.execute(
            "SELECT id, name FROM groups WHERE coalesce(parent_id, 0) = coalesce(?, 0)"
            " ORDER BY position, key",
            (group_id,),
        )
    ]


def _members(vocabulary: Vocabulary, group_id: int) -> list[str]:
    return vocabulary.names(
        "SELECT tags.name FROM group_tags JOIN tags ON tags.id = group_tags.tag_id"
        " WHERE group_tags.group_id = ? ORDER BY group_tags.position, tags.key",
        (group_id,),
    )


def _tree(vocabulary: Vocabulary, group_id: int, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "count": len(vocabulary.group_tag_ids([group_id])),
        "tags": [display(member) for member in _members(vocabulary, group_id)],
        "subgroups": [
            _tree(vocabulary, child, child_name) for child, child_name in _children(vocabulary, group_id)
        ],
    }


def _tree_lines(tree: dict[str, Any], depth: int = 0) -> Iterator[str]:
    """`name (count): member, member`, subgroups indented below."""
    line = f"{'  ' * depth}{display(tree['name'])} ({tree['count']:,})"
    yield f"{line}: {', '.join(tree['tags'])}" if tree["tags"] else line
    for child in tree["subgroups"]:
        yield from _tree_lines(child, depth + 1)


def _find_groups(vocabulary: Vocabulary, name: str) -> list[tuple[int, str]]:
    """Top-level groups called `name` (`tag group:` or not), else groups of that name at any depth."""
    key = tag_key(name).removeprefix("tag group:").strip()
    top = [
        (group_id, group_name)
        for group_id, group_name in _children(vocabulary, None)
        if tag_key(group_name) == key
    ]
    if top:
        return top
    return [(group_id, vocabulary.group_path(group_id)[-1]) for group_id in vocabulary.group_ids(name)]


@click.command("groups")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
@click.pass_context
def groups_command(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """The tag groups, or the tree of group NAME: subgroups and tags, with tag counts."""
    vocabulary = Vocabulary(open_store(ctx))
    if name is None:
        counts = [
            (group_name, len(vocabulary.group_tag_ids([group_id])))
            for group_id, group_name in _children(vocabulary, None)
        ]
        if as_json:
            rows = [{"name": group_name, "count": count} for group_name, count in counts]
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for group_name, count in counts:
            click.echo(f"{display(group_name)} ({count:,})")
        return
    found = _find_groups(vocabulary, name)
    if not found:
        fail(f"no tag group called {name!r} (`captionls vocab groups` lists them)")
    trees = [_tree(vocabulary, group_id, group_name) for group_id, group_name in found]
    if as_json:
        click.echo(json.dumps(trees, ensure_ascii=False, indent=2))
        return
    for tree in trees:
        for line in _tree_lines(tree):
            click.echo(line)
