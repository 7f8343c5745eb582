"""What `captionls serve` does before its first answer: imports nothing only a later command needs, and
compiles the protocol classes' generated code once per machine."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.kit.datasets import make_dataset
from tests.kit.lsp import capabilities_of, server_command, server_env, start_session

CAPTIONLS_SERVE = [str(Path(sys.executable).with_name("captionls")), "serve"]
IMPORTED_AFTER_START = """
import sys
from captionls.server.lsp.server import create_server
create_server()
print("\\n".join(sorted(sys.modules)))
"""


def test_the_server_starts_without_the_selection_language() -> None:
    # tagsList/Add/Remove/Move import it when first run (tests/lsp/test_selection.py runs them).
    modules = subprocess.run(
        [sys.executable, "-c", IMPORTED_AFTER_START], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "captionls.server.lsp.features.selection" in modules
    assert not [name for name in modules if name.startswith("captionls.server.caption.selection")]


def _serve_until_eof(cache_home: Path, vocabulary: Path) -> None:
    """Start `captionls serve` and close its input at once: it starts up whole, then ends."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "CAPTIONLS_DB": str(vocabulary)}
    subprocess.run(CAPTIONLS_SERVE, stdin=subprocess.DEVNULL, env=env, check=True, timeout=60)


def test_serve_compiles_the_protocol_classes_once_per_machine(tmp_path: Path) -> None:
    """The first start saves the code attrs, dataclasses and typing generated (lsprotocol's classes and
    the server's own); later starts read it."""
    _serve_until_eof(tmp_path, tmp_path / "vocabulary.sqlite")
    (cache,) = (tmp_path / "captionls").iterdir()
    assert cache.name.startswith("start-code-") and cache.stat().st_size > 100_000
    saved = cache.stat().st_mtime_ns
    _serve_until_eof(tmp_path, tmp_path / "vocabulary.sqlite")
    assert cache.stat().st_mtime_ns == saved
    assert [path.name for path in (tmp_path / "captionls").iterdir()] == [cache.name]


async def test_a_first_start_saves_the_compiled_code_after_answering_the_first_messages(
    tmp_path: Path,
) -> None:
    """Writing the start's compiled code (about 2 MB) waits until the client's first messages are
    answered: not before the answer to `initialize`, but in the first idle moment after `initialized`."""
    env = {**server_env(tmp_path / "vocabulary.sqlite"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    client = await ClientServerConfig(server_command=server_command(), server_env=env).start()
    assert isinstance(client, LanguageClient)
    root = make_dataset(tmp_path / "dataset")
    params = types.InitializeParams(capabilities=capabilities_of("neovim"), root_uri=root.as_uri())
    # What `initialize_session` does before it sends `initialized`, which this test sends itself.
    client.capabilities = params.capabilities
    try:
        await client.initialize_async(params)
        assert not (tmp_path / "cache" / "captionls").exists()
        client.initialized(types.InitializedParams())
        deadline = asyncio.get_running_loop().time() + 20
        while not list((tmp_path / "cache" / "captionls").glob("start-code-*.bin")):
            assert asyncio.get_running_loop().time() < deadline, "the compiled code was never saved"
            await asyncio.sleep(0.05)
    finally:
        await client.shutdown_session()
        await client.stop()
    (cache,) = (tmp_path / "cache" / "captionls").glob("start-code-*.bin")
    assert cache.stat().st_size > 100_000


def test_a_first_start_unpacks_the_vocabulary_while_loading_and_removes_it_unused(tmp_path: Path) -> None:
    """No vocabulary yet: serve unpacks the built-in image into its folder as it starts (image.py,
    `unpack_ahead`). A server that opened no document made no vocabulary and leaves no file behind."""
    folder = tmp_path / "data"
    _serve_until_eof(tmp_path / "cache", folder / "vocabulary.sqlite")
    assert folder.is_dir() and list(folder.iterdir()) == []


async def test_a_first_start_answers_from_the_vocabulary_it_unpacked_while_loading(tmp_path: Path) -> None:
    vocabulary = tmp_path / "data" / "vocabulary.sqlite"
    session = await start_session(make_dataset(tmp_path / "dataset"), vocabulary, "neovim")
    try:
        uri = session.open("a1.txt", "ohwxStyle, contrap")
        position = types.Position(line=0, character=len("ohwxStyle, contrap"))
        result = await session.client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri=uri), position)
        )
        assert isinstance(result, types.CompletionList)
        assert "contrapposto" in [item.label for item in result.items]
    finally:
        await session.client.shutdown_session()
        await session.client.stop()
    assert [path.name for path in vocabulary.parent.iterdir() if path.suffix == ".tmp"] == []
