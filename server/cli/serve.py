"""`captionls serve`: the language server over stdio (what editors start) or TCP (for debugging)."""

from __future__ import annotations

import logging

import click


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
    from captionls.server.lsp.server import create_server
    from captionls.server.lsp.transport import serve_stdio

    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO)
    server = create_server()
    if transport == "tcp":
        server.start_tcp(host, port)
    else:
        serve_stdio(server)
