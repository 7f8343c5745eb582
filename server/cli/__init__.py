"""The `captionls` command line: a thin click layer over the domain code."""

import click

from .vocab import vocab


@click.group()
def main() -> None:
    """Tag vocabulary manager and language server for caption datasets."""


main.add_command(vocab)
