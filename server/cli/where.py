"""`--where QUERY`: the selection language on the command line (see `caption.selection.query`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ..caption.checker import CheckContext
from ..caption.selection.evaluate import select
from ..caption.selection.query import Query, QueryError, parse_query

F = TypeVar("F", bound=Callable[..., object])
WHERE_HELP = (
    'Only the captions the query selects: tags ("long hair", any style, aliases), AND, OR, NOT,'
    " parentheses, tags<N, tags>N, rule:NAME, path:GLOB."
)


class BadQuery(click.ClickException):
    """A query that does not parse: one line on stderr with the column, exit code 2 (a usage error)."""

    exit_code = 2


def parsed_where(where: str | None) -> Query | None:
    """The `--where` query; None (every caption) without one. A bad query is a BadQuery."""
    if where is None:
        return None
    try:
        return parse_query(where)
    except QueryError as error:
        raise BadQuery(f"--where: {error}") from None


def _checked(_context: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    parsed_where(value)  # refused before the dataset is read
    return value


def where_option(command: F) -> F:
    """`--where QUERY`: the command receives `where`, the query as typed (None: every caption)."""
    return click.option("--where", metavar="QUERY", callback=_checked, help=WHERE_HELP)(command)


def selected(ctx: CheckContext, targets: list[Path], where: str | None) -> list[Path]:
    """The captions among `targets` (those PATH names) that `where` selects, in path order."""
    files = ctx.index.files
    query = parsed_where(where)
    chosen = set(select(query, ctx, lambda path: file.text if (file := files.get(path)) else None))
    return [path for path in targets if path in chosen]
