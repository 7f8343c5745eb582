"""`captionls vocab ...`: import, search, show and curate the tag vocabulary.

A thin click layer: every command opens the vocabulary through `open_vocabulary` (so a fresh database
gets the built-in tags), calls domain code in `captionls.vocab`, and prints. Errors the user can fix
(unknown tag, bad import line, unusable database) are caught in one place, `VocabGroup.invoke`, and
printed as one line on stderr with exit code 1; click's own usage errors exit with 2.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.export import export as export_tags
from captionls.vocab.export import export_translations
from captionls.vocab.importers import FORMATS, ImportFailed, ImportReport, Source, import_files
from captionls.vocab.importers.common import Progress
from captionls.vocab.normalize import styled
from captionls.vocab.query import TagDetails, Vocabulary
from captionls.vocab.search import Hit, Searcher
from captionls.vocab.store import Store, StoreError, default_path
from captionls.vocab.write import Writer

from .lazy import LazyGroup

CATEGORIES = (
    "general",
    "artist",
    "copyright",
    "character",
    "meta",
    "species",
    "lore",
    "invalid",
    "contributor",
)
_DB_KEY = "captionls.db"
_STORE_KEY = "captionls.store"

F = TypeVar("F", bound=Callable[..., Any])


def _remember_db(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    # ctx.meta is shared by the group and its subcommands: the last --db given wins.
    if value is not None:
        ctx.meta[_DB_KEY] = value


def db_option(command: F) -> F:
    """`--db PATH`: the vocabulary file (default `$CAPTIONLS_DB`, else the user data directory)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        callback=_remember_db,
        help="Vocabulary database (default: $CAPTIONLS_DB, else the user data directory).",
    )(command)


def open_store(ctx: click.Context) -> Store:
    """The vocabulary this invocation works on, opened once and closed when the command ends."""
    store = ctx.meta.get(_STORE_KEY)
    if store is None:
        path = ctx.meta.get(_DB_KEY) or default_path()
        if not Path(path).exists():
            click.echo(f"creating {path} from the built-in vocabulary", err=True)
        # A command queues behind another process's import for as long as it takes, saying so.
        store = open_vocabulary(
            path,
            write_wait=None,
            on_wait=lambda: click.echo(
                f"waiting: another import or edit is writing {path}; this one goes on when it has"
                " finished (Ctrl-C stops it)",
                err=True,
            ),
        )
        ctx.meta[_STORE_KEY] = store
        ctx.call_on_close(store.close)
    assert isinstance(store, Store)
    return store


def fail(message: str) -> None:
    """One line on stderr, exit code 1."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


class VocabGroup(LazyGroup):
    """Turns the errors a user can act on into one line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (StoreError, ImportFailed) as error:
            fail(str(error))
        except sqlite3.Error as error:
            fail(f"{ctx.meta.get(_DB_KEY) or 'vocabulary'}: {error}")
        except OSError as error:
            fail(f"{error.filename or ''}{': ' if error.filename else ''}{error.strerror or error}")


def display(name: str) -> str:
    return styled(name, "spaces")


@click.group(
    cls=VocabGroup,
    lazy_commands={
        "import-danbooru": "captionls.server.cli.danbooru:import_danbooru",
        "groups": "captionls.server.cli.danbooru:groups_command",
        "list": "captionls.server.cli.lists:list_group",
    },
)
@db_option
def vocab() -> None:
    """Import, search, show and curate the tag vocabulary."""


# Import ----------------------------------------------------------------------------------------


class _LazyProgressBar:
    """A progress bar on stderr that appears only once an import has run for a second."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.started = time.monotonic()
        self.bar: Any = None

    def __call__(self, done: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < 1.0 or not self.source.size:
                return
            self.bar = click.progressbar(length=self.source.size, label=self.source.name, file=sys.stderr)
            self.bar.render_progress()
        self.bar.update(done - self.bar.pos)
        if done >= self.source.size:
            self.bar.render_finish()


def _progress_for(source: Source) -> Progress | None:
    return _LazyProgressBar(source) if sys.stderr.isatty() else None


def plural(count: int, word: str, plural: str = "") -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def _report_lines(report: ImportReport) -> Iterator[str]:
    how: str = report.format
    if report.numbering:
        how += f", {report.numbering} categories"
    if report.lang:
        how += f", language {report.lang}"
    counts = report.counts
    yield (
        f"{report.name} ({how}): {plural(counts.tags, 'tag')} added or changed,"
        f" {plural(counts.aliases, 'alias', 'aliases')}, {plural(counts.translations, 'translation')}"
    )
    if report.skipped.total:
        yield f"  skipped {plural(report.skipped.total, 'bad line')}:"
        for kind, count in sorted(report.skipped.counts.items()):
            yield f"    {count:,} x {kind} (first at {report.skipped.first[kind]})"
    for reason, count in sorted(counts.notes.items()):
        yield f"  left out: {count:,} x {reason}"
    for reason, count in sorted(counts.export_differs.items()):
        yield f"  export --list will differ: {count:,} x {reason}"


def report_json(report: ImportReport) -> dict[str, Any]:
    """One file's import as `vocab import --json` prints it (what the VS Code extension reports)."""
    counts, skipped = report.counts, report.skipped
    return {
        "file": report.name,
        "format": report.format,
        "categories": report.numbering,
        "lang": report.lang,
        "tags": counts.tags,
        "aliases": counts.aliases,
        "translations": counts.translations,
        "skipped": skipped.total,
        "skipped_lines": {
            kind: {"count": count, "first": skipped.first[kind]}
            for kind, count in sorted(skipped.counts.items())
        },
        "left_out": dict(sorted(counts.notes.items())),
    }


@vocab.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="File format; auto detects it from the content.",
)
@click.option("--list", "list_name", metavar="NAME", help="Also put every imported tag into this list.")
@click.option(
    "--categories",
    type=click.Choice(["auto", "danbooru", "e621"]),
    default="auto",
    show_default=True,
    help="Category numbering of a tagcomplete CSV; auto: e621 if the name or the numbers say so.",
)
@click.option("--lang", metavar="LANG", help="Language of a translation file (default: from its name).")
@click.option("--skip-bad", is_flag=True, help="Skip bad lines (and report them) instead of stopping.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of what each file's import did.")
@db_option
@click.pass_context
def import_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    list_name: str | None,
    categories: str,
    lang: str | None,
    skip_bad: bool,
    as_json: bool,
) -> None:
    """Import list.tag, tagcomplete CSV or BDTM translation files, all in one transaction.

    A folder is read as BDTM reads it: a `Tags/` folder's *.csv and *.txt, a `Translations/` folder's *.txt.

    A bad line stops the import with `file:line: reason` and leaves the vocabulary as it was,
    unless --skip-bad.
    """
    sources = [source for path in paths for source in Source.paths(path)]
    reports = import_files(
        open_store(ctx),
        sources,
        fmt=fmt,
        list_name=list_name,
        numbering=categories,  # type: ignore[arg-type]
        lang=lang,
        skip_bad=skip_bad,
        progress=_progress_for,
    )
    if as_json:
        click.echo(json.dumps([report_json(report) for report in reports], ensure_ascii=False, indent=2))
        return
    for report in reports:
        for line in _report_lines(report):
            click.echo(line)


# Search and show -------------------------------------------------------------------------------


def _within(vocabulary: Vocabulary, group: str | None, list_name: str | None) -> set[int] | None:
    within: set[int] | None = None
    if group is not None:
        group_ids = vocabulary.group_ids(group)
        if not group_ids:
            raise StoreError(f"no tag group called {group!r}")
        within = vocabulary.group_tag_ids(group_ids)
    if list_name is not None:
        members = vocabulary.list_tag_ids(list_name)
        if members is None:
            raise StoreError(f"no list called {list_name!r}")
        within = members if within is None else within & members
    return within


def hit_json(vocabulary: Vocabulary, hit: Hit) -> dict[str, Any]:
    return {
        "tag": display(hit.tag.name),
        "category": hit.tag.category,
        "post_count": hit.tag.post_count,
        "matched": display(hit.matched),
        "match": hit.match,
        "groups": vocabulary.group_paths(hit.tag.id),
    }


def _hit_lines(hits: list[Hit]) -> Iterator[str]:
    width = max(len(display(hit.tag.name)) for hit in hits)
    for hit in hits:
        line = (
            f"{display(hit.tag.name):<{width}}  {hit.tag.category:<9}  {hit.tag.post_count:>9,}  {hit.match}"
        )
        if hit.lang is not None:
            line += f"  ({hit.lang}: {hit.alias})"
        elif hit.alias is not None:
            line += f"  (alias: {display(hit.alias)})"
        yield line


@vocab.command()
@click.argument("query")
@click.option("--group", metavar="G", help="Only tags in this tag group (and its subgroups).")
@click.option("--category", type=click.Choice(CATEGORIES), help="Only tags of this category.")
@click.option("--list", "list_name", metavar="L", help="Only tags in this list.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits.")
@db_option
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    group: str | None,
    category: str | None,
    list_name: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Ranked search: exact, prefix, word, substring and typo-tolerant matches, popular tags first.

    Exit code 1 when nothing matches.
    """
    vocabulary = Vocabulary(open_store(ctx))
    within = _within(vocabulary, group, list_name)
    hits = Searcher(vocabulary).search(query, limit, within=within, category=category)
    if as_json:
        click.echo(json.dumps([hit_json(vocabulary, hit) for hit in hits], ensure_ascii=False, indent=2))
    elif hits:
        for line in _hit_lines(hits):
            click.echo(line)
    if not hits:
        fail(f"no tag matches {query!r}")


def _unknown_tag(vocabulary: Vocabulary, name: str) -> StoreError:
    hits = Searcher(vocabulary).search(name, 1)
    hint = f" (did you mean {display(hits[0].tag.name)!r}?)" if hits else ""
    return StoreError(f"unknown tag {name!r}{hint}")


def details_json(details: TagDetails) -> dict[str, Any]:
    return {
        "tag": display(details.tag.name),
        "category": details.tag.category,
        "post_count": details.tag.post_count,
        "aliases": [display(name) for name in details.aliases],
        "implies": [display(name) for name in details.implies],
        "implied_by": [display(name) for name in details.implied_by],
        "groups": details.groups,
        "translations": details.translations,
        "lists": details.lists,
        "wiki": details.wiki,
    }


def _details_lines(details: TagDetails) -> Iterator[str]:
    tag = details.tag
    yield f"{display(tag.name)}  ({tag.category}, {plural(tag.post_count, 'post')})"
    if details.alias is not None:
        yield f"  looked up as: {display(details.alias)} (an alias)"
    for label, names in (
        ("aliases", details.aliases),
        ("implies", details.implies),
        ("implied by", details.implied_by),
    ):
        if names:
            yield f"  {label}: {', '.join(display(name) for name in names)}"
    for path in details.groups:
        yield f"  group: {' > '.join(path)}"
    for lang, text in details.translations.items():
        yield f"  {lang}: {text}"
    if details.lists:
        yield f"  lists: {', '.join(details.lists)}"
    if details.wiki:
        yield f"  wiki: {details.wiki}"


@vocab.command()
@click.argument("tag")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@db_option
@click.pass_context
def show(ctx: click.Context, tag: str, as_json: bool) -> None:
    """Everything about a tag: category, count, aliases, implications, groups, translations, lists.

    An alias shows its canonical tag.
    """
    vocabulary = Vocabulary(open_store(ctx))
    details = vocabulary.details(tag)
    if details is None:
        raise _unknown_tag(vocabulary, tag)
    if as_json:
        click.echo(json.dumps(details_json(details), ensure_ascii=False, indent=2))
    else:
        for line in _details_lines(details):
            click.echo(line)


# Curating --------------------------------------------------------------------------------------


@contextmanager
def writing(ctx: click.Context) -> Iterator[Writer]:
    """One transaction and a Writer; the search index is refreshed before it commits."""
    store = open_store(ctx)
    with store.transaction():
        writer = Writer(store)
        yield writer
        writer.finish()


def _existing(writer: Writer, name: str) -> int:
    tag_id = writer.tag_id(name)
    if tag_id is None:
        raise StoreError(f"unknown tag {name!r}")
    return tag_id


@vocab.command()
@click.argument("tags", nargs=-1, required=True)
@click.option("--list", "list_name", metavar="L", help="Also put the tags into this list.")
@click.option("--category", type=click.Choice(CATEGORIES), help="Category of the tags (default: general).")
@db_option
@click.pass_context
def add(ctx: click.Context, tags: tuple[str, ...], list_name: str | None, category: str | None) -> None:
    """Add tags to the vocabulary (a known name or alias is that tag), and to a list with --list."""
    with writing(ctx) as writer:
        for name in tags:
            tag_id = writer.tag_id(name)
            if tag_id is None:
                tag_id = writer.tag(name, category=category)
            elif category is not None:
                (canonical,) = writer.conn.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
                writer.tag(canonical, category=category)
            if list_name is not None:
                writer.add_to_list(list_name, tag_id, name)
    where = f" and list {list_name!r}" if list_name else ""
    click.echo(f"{plural(len(tags), 'tag')} in the vocabulary{where}")


@vocab.command()
@click.argument("tags", nargs=-1, required=True)
@click.option("--list", "list_name", metavar="L", help="Remove from this list only, not the vocabulary.")
@db_option
@click.pass_context
def remove(ctx: click.Context, tags: tuple[str, ...], list_name: str | None) -> None:
    """Remove tags from a list (--list) or from the vocabulary. All or nothing."""
    with writing(ctx) as writer:
        for name in tags:
            tag_id = _existing(writer, name)
            if list_name is None:
                writer.remove_tag(tag_id)
            elif not writer.remove_from_list(list_name, tag_id):
                raise StoreError(f"{name!r} is not in list {list_name!r}")
    where = f"list {list_name!r}" if list_name else "the vocabulary"
    click.echo(f"removed {plural(len(tags), 'tag')} from {where}")


@vocab.command()
@click.argument("alias_name", metavar="ALIAS")
@click.argument("canonical")
@db_option
@click.pass_context
def alias(ctx: click.Context, alias_name: str, canonical: str) -> None:
    """Make ALIAS another name of CANONICAL. If ALIAS was a tag, it is merged into CANONICAL."""
    with writing(ctx) as writer:
        writer.alias(alias_name, canonical, merge=True)
    click.echo(f"{display(alias_name)} -> {display(canonical)}")


@vocab.command()
@click.argument("old")
@click.argument("new")
@db_option
@click.pass_context
def rename(ctx: click.Context, old: str, new: str) -> None:
    """Rename a tag; the old name stays as an alias."""
    with writing(ctx) as writer:
        writer.rename(old, new)
    click.echo(f"{display(old)} -> {display(new)} (the old name is now an alias)")


@vocab.command("lists")
@db_option
@click.pass_context
def lists_command(ctx: click.Context) -> None:
    """The named lists and how many tags each holds."""
    for name, count in Vocabulary(open_store(ctx)).lists():
        click.echo(f"{name}\t{count:,}")


@vocab.command("path")
@db_option
@click.pass_context
def path_command(ctx: click.Context) -> None:
    """Where the vocabulary file is (--db, else $CAPTIONLS_DB, else the user data directory); it is
    not created or opened, so editors and scripts can ask cheaply."""
    click.echo(ctx.meta.get(_DB_KEY) or default_path())


@vocab.command()
@db_option
@click.pass_context
def stats(ctx: click.Context) -> None:
    """How many tags, aliases, implications, groups, translations and lists; the imports so far."""
    store = open_store(ctx)
    click.echo(f"database: {store.path}")
    for table, count in Vocabulary(store).stats().items():
        click.echo(f"{table}: {count:,}")
    for path, fmt, at, tags in store.conn.execute(
        "SELECT path, format, at, tags FROM imports ORDER BY id DESC LIMIT 10"
    ):
        click.echo(f"  imported {at}: {path} ({fmt}, {plural(int(tags), 'tag')})")


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a file replaced atomically once everything is written."""
    if path is None:
        yield sys.stdout
        return
    fd, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@vocab.command("export")
@click.option("--list", "list_name", metavar="L", help="Only the tags of this list.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["listtag", "csv", "bdtm-tags", "translations"]),
    default="listtag",
    show_default=True,
    help="bdtm-tags: a CSV in the BDTM Tags/ folder -o names; translations: BDTM Translations/<lang>.txt.",
)
@click.option(
    "--categories",
    type=click.Choice(["danbooru", "e621"]),
    default="danbooru",
    show_default=True,
    help="Category numbering of the CSV.",
)
@click.option("--lang", metavar="LANG", help="The language of --format translations.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here, not stdout.")
@db_option
@click.pass_context
def export_command(
    ctx: click.Context,
    list_name: str | None,
    fmt: str,
    categories: str,
    lang: str | None,
    output: Path | None,
) -> None:
    """Write the vocabulary (or a list) as list.tag, tagcomplete CSV, or BDTM's Tags/ and Translations/.

    A list comes out in its order and spelling, with the BOM and line endings of the list.tag it was
    imported from. `--format bdtm-tags -o Tags/` writes Tags/<list, or captionls>.csv, which BDTM reads;
    `--format translations --lang zh-CN -o Translations/` writes Translations/zh-CN.txt.
    """
    store = open_store(ctx)
    if fmt == "translations":
        if lang is None:
            raise click.UsageError("--format translations needs --lang (the file BDTM reads is <lang>.txt)")
        if output is not None:
            output.mkdir(parents=True, exist_ok=True)
            output = output / f"{lang}.txt"
        with _output(output) as out:
            count, left_out = export_translations(store, out, lang=lang, list_name=list_name)
        if left_out:
            click.echo(
                f"left out: {plural(left_out, 'translation')} holding '=' (BDTM cannot read them)", err=True
            )
    else:
        if fmt == "bdtm-tags":
            if output is None:
                raise click.UsageError("--format bdtm-tags needs -o, the BDTM Tags/ folder")
            output.mkdir(parents=True, exist_ok=True)
            output = output / f"{list_name or 'captionls'}.csv"
        elif output is not None and output.is_dir():
            raise StoreError(f"{output}: a folder; -o names the file to write")
        with _output(output) as out:
            count = export_tags(
                store,
                out,
                fmt="listtag" if fmt == "listtag" else "csv",
                list_name=list_name,
                numbering=categories,  # type: ignore[arg-type]
            )
    if output is not None:
        click.echo(f"{output}: {plural(count, 'tag' if fmt != 'translations' else 'translation')}", err=True)
