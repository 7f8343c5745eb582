"""Issue 15 item 5 (captions): a new tag name that would not stay one tag is refused, by `captionls rename`
and by the domain rename the language server calls.

`rename smile "a, b"` split one tag into two; a newline added a caption line; NUL and ESC went into files.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.parse import Syntax
from captionls.server.caption.rename import BadTagName, check_new_name, rename_edits
from tests.kit.cli import SCRIPT, cli
from tests.kit.datasets import write_dataset

CAPTIONS = {"a": "1girl, smile, solo", "b": "smile; sitting"}


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("happy, grin", 'the new tag name "happy, grin" would not stay one tag'),
        ("happy\ngrin", 'the new tag name "happy\\ngrin" contains the control character \\n'),
        ("happy\rgrin", "contains the control character \\r"),
        ("happy\0", "contains the control character \\x00"),
        ("happy\x1b[2J", "contains the control character \\x1b"),
        ("happy\u2028grin", "contains the control character \\u2028"),
        ("happy ||| grin", "would not stay one tag"),
        ("happy BREAK grin", "would not stay one tag"),
        ("(happy:1.2)", "would not stay one tag"),
        ("  ", "the new tag name is empty"),
    ],
)
def test_rename_refuses_the_name_and_changes_nothing(tmp_path: Path, new: str, reason: str) -> None:
    root = write_dataset(tmp_path, CAPTIONS)
    before = {path.name: path.read_bytes() for path in root.iterdir()}
    result = cli("rename", "smile", new, root)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the new tag name") and reason in result.stderr
    assert result.stderr.endswith("\n") and result.stderr[:-1].isprintable()
    assert {path.name: path.read_bytes() for path in root.iterdir()} == before


def test_the_configured_separator_counts(tmp_path: Path) -> None:
    root = write_dataset(tmp_path, CAPTIONS, 'caption_separator = ";"\n')
    result = cli("rename", "smile", "happy; grin", root)
    assert result.exit_code == 2 and '(";", "|||", BREAK' in result.stderr
    # With `;` separating tags, a comma is part of a name.
    result = cli("rename", "smile", "happy, grin", root)
    assert result.exit_code == 0 and (root / "b.txt").read_text() == "happy, grin; sitting"


def test_the_domain_rename_refuses_it_for_the_language_server(tmp_path: Path) -> None:
    root = write_dataset(tmp_path, CAPTIONS)
    index = DatasetIndex(root)
    index.scan()
    with pytest.raises(BadTagName, match="would not stay one tag"):
        rename_edits(index, "smile", "happy, grin")
    assert check_new_name("  fate \\(series\\) ", Syntax()) == "fate \\(series\\)"
    assert list(rename_edits(index, "smile", " grin ")) == [root / "a.txt"]


async def _action_titles(client: LanguageClient, uri: str, character: int) -> list[str]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, character), types.Position(0, character)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    return [action.title for action in result or [] if isinstance(action, types.CodeAction)]


async def test_the_server_never_offers_a_phrasing_with_a_control_character(
    tmp_path: Path, vocabulary: Path
) -> None:
    # "Use X in all captions" renames to a phrasing the dataset has: one with an ESC is not offered.
    root = write_dataset(tmp_path, {"a": "arms_up, x\x1by", "b": "arms up, X\x1bY", "c": "arms up"})
    env = {**os.environ, "CAPTIONLS_DB": str(vocabulary)}
    client = await ClientServerConfig(server_command=[str(SCRIPT), "serve"], server_env=env).start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        text = (root / "a.txt").read_text()
        uri = (root / "a.txt").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "text", 1, text))
        )
        # Once the dataset is indexed, the plain tag gets its dataset-wide rewrite.
        for _ in range(200):
            if "Use `arms up` in all captions (1 file)" in await _action_titles(client, uri, 0):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the dataset was never indexed")
        titles = await _action_titles(client, uri, text.index("x\x1by"))
        assert not any("in all captions" in title for title in titles), titles
        assert titles  # the tag's other actions are still there
    finally:
        await client.shutdown_session()
        await client.stop()
