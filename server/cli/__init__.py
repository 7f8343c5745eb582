"""The `captionls` command line: a thin click layer over the domain code."""

import click

from captionls.vocab.version import VERSION

from .lazy import LazyGroup

_COMMANDS = {
    "vocab": "captionls.server.cli.vocab:vocab",
    "check": "captionls.server.cli.check:check",
    "stats": "captionls.server.cli.check:stats",
    "rename": "captionls.server.cli.check:rename",
    "format": "captionls.server.cli.check:format_command",
    "rules": "captionls.server.cli.check:rules",
    "tags": "captionls.server.cli.tags:tags",
    "tokens": "captionls.server.cli.tokens:tokens",
    "undo": "captionls.server.cli.tags:undo",
    "serve": "captionls.server.cli.serve:serve",
    "init": "captionls.server.cli.init:init_command",
}


@click.group(cls=LazyGroup, lazy_commands=_COMMANDS)
# What editors (`:checkhealth captionls`) report.
@click.version_option(VERSION, prog_name="captionls", message="%(prog)s %(version)s")
def main() -> None:
    """Tag vocabulary manager and language server for caption datasets."""
