"""The `captionls` command line: a thin click layer over the domain code."""

import click

from . import danbooru as _danbooru  # noqa: F401  (adds import-danbooru and groups to `vocab`)
from .check import COMMANDS as CHECK_COMMANDS
from .serve import serve
from .vocab import vocab


@click.group()
def main() -> None:
    """Tag vocabulary manager and language server for caption datasets."""


main.add_command(vocab)
main.add_command(serve)
for command in CHECK_COMMANDS:
    main.add_command(command)
