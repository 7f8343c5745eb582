"""`captionls tokens`: each caption line's CLIP tokens and 75-token chunks, against the trainer's limit."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..caption.config import Config
from ..caption.parse import parse_caption
from ..caption.printable import printable
from ..caption.rules.base import OptionError
from ..caption.rules.token_limit import configured_budget
from ..caption.tokens.budget import MODELS, Model, numbered_lines, t5_estimate
from .datasets import UsageProblem, datasets

# A caption that could not be read was left out: exit status 1, as `check` reports a read error.
EXIT_UNREADABLE = 1


def model_of(config: Config, name: str | None) -> Model:
    try:
        return configured_budget(config, name)
    except OptionError as error:
        raise UsageProblem(f"token-limit: {error}") from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--model",
    type=click.Choice(list(MODELS)),
    help="sd15 or sdxl: CLIP tokens against max_tokens; flux: T5 tokens (estimate) against 512.",
)
def tokens(paths: tuple[Path, ...], as_json: bool, model: str | None) -> None:
    """Each caption line's tokens and 75-token chunks (start and end tokens not counted).

    Exit status 1 when a caption could not be read (it is named on stderr), 2 on a usage error."""
    rows: list[dict[str, object]] = []
    unreadable = False
    for dataset in datasets(paths):
        limit = model_of(dataset.config, model)
        for path in dataset.targets:
            file = dataset.index.files.get(path)
            if file is None:
                # Listed among the dataset's errors: say so, and count nothing for it.
                click.echo(printable(dataset.index.errors.get(path, f"{path}: not read")), err=True)
                unreadable = True
                continue
            for number, counted in numbered_lines(
                parse_caption(file.text, dataset.config.syntax), dataset.config
            ):
                count = counted.tokens if limit.exact else t5_estimate(counted.tokens)
                if not as_json:
                    click.echo(_text_line(path, number, count, counted.chunks, limit))
                    continue
                row: dict[str, object] = {
                    "path": str(path),
                    "line": number,
                    "tokens": count,
                    "chunks": counted.chunks,
                    "limit": limit.limit,
                }
                if not limit.exact:
                    row["estimate"] = True
                rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    if unreadable:
        raise SystemExit(EXIT_UNREADABLE)


def _text_line(path: Path, number: int, count: int, chunks: int, limit: Model) -> str:
    estimate = "" if limit.exact else " (estimate)"
    over = "  over the limit" if count > limit.limit else ""
    return (
        f"{path}:{number}: {count}/{limit.limit} {limit.encoder} tokens{estimate},"
        f" {chunks} chunk{'s' if chunks != 1 else ''}{over}"
    )
