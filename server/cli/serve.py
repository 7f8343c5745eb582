"""`captionls serve`: the language server over stdio (what editors start) or TCP (for debugging)."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from types import ModuleType

import click
import platformdirs

from .code_cache import CompileCache, cache_file

_START_SWITCH_INTERVAL = 0.0005


@click.command()
@click.option("--stdio", "transport", flag_value="stdio", default=True, help="Talk LSP over stdin/stdout.")
@click.option("--tcp", "transport", flag_value="tcp", help="Listen on a TCP socket instead.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on with --tcp.")
@click.option(
    "--port", default=2087, show_default=True, type=click.IntRange(0, 65535), help="Port for --tcp."
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Write the server's own log here (the editor gets window/logMessage either way).",
)
def serve(transport: str, host: str, port: int, log_file: str | None) -> None:
    """Run the captionls language server."""
    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO)
    # Start-up makes a few hundred thousand long-lived objects (lsprotocol's classes, the modules) and no
    # garbage: the collections they would trigger cost about a sixth of it. They are frozen out of the
    # collector's walks before it runs again.
    gc.disable()
    # On a first start the vocabulary's image unpacks on another thread (`_unpack_vocabulary_ahead`):
    # after each of its ~64 reads it waits for the interpreter lock, which the imports hold, a whole switch
    # interval each time. Short intervals let it through: beside this start-up (6 runs each, load 7.7) it
    # took a median 0.67 s instead of 1.09 s. Without another thread waiting they change nothing.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(_START_SWITCH_INTERVAL)
    start_code, generating = _generated_code_cache()
    try:
        with start_code.serving(*generating):
            _unpack_vocabulary_ahead()
            from captionls.server.lsp.server import create_server

            server = create_server()
    finally:
        sys.setswitchinterval(switch_interval)
        gc.freeze()
        gc.enable()
    # Writing the file (about 2 MB marshalled) when this start compiled anything new took 12 ms before the
    # first answer on a fresh machine: it waits until the client's first messages are answered, and is
    # made at the end of the session at the latest.
    server.on_initialized.append(lambda: server.idle.defer(start_code, start_code.save))
    # The first messages make cattrs write and compile the converter's functions for their types (about
    # 110 before the first completion answer): cached as attrs' code is, saved when the session ends.
    import cattrs.gen

    from captionls.server.lsp.transport import serve_stdio

    cattrs_code = CompileCache(_code_cache("cattrs-code"))
    try:
        with cattrs_code.serving(cattrs.gen):
            if transport == "tcp":
                server.start_tcp(host, port)
            else:
                serve_stdio(server)
    finally:
        start_code.save()  # when the session ended before its first idle moment
        cattrs_code.save()


def _code_cache(name: str) -> Path:
    """The file keeping `name`'s compiled code (code_cache.py), in the user cache directory."""
    return cache_file(Path(platformdirs.user_cache_dir("captionls")), name)


def _unpack_vocabulary_ahead() -> None:
    """On a machine's first start the default vocabulary does not exist yet: its image is unpacked now, on
    the other core, while the modules below load, so the first document only links it into place (image.py).
    When the settings name another vocabulary, the unpacked file is removed at exit, unused."""
    from captionls.vocab.builtin import image
    from captionls.vocab.store import default_path

    target = default_path()
    if not target.exists():
        image.unpack_ahead(target.parent)


def _generated_code_cache() -> tuple[CompileCache, list[ModuleType]]:
    """The cache of the code attrs, cattrs, dataclasses and typing write at run time, compiled once per
    machine (code_cache.py), and those modules: attrs' for lsprotocol's ~550 classes is a quarter of the
    start-up otherwise, dataclasses' for the server's own about a tenth."""
    import dataclasses
    import typing

    # Imported before the cache: attrs writes `hash()` of a string, salted per process, into a frozen
    # class's `__hash__` (cattrs has one), so that code is new on every start and would have the file
    # saved again.
    import cattrs.gen

    generating: list[ModuleType] = [cattrs.gen, dataclasses, typing]
    try:
        # attrs' private module that compiles the generated methods; without it, attrs compiles as usual.
        import attr._make
    except ImportError:
        pass
    else:
        generating.append(attr._make)
    return CompileCache(_code_cache("start-code")), generating
