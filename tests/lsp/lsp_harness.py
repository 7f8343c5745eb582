"""Test helpers: a real vocabulary file, a real dataset folder, a real client talking to `captionls serve`."""

from __future__ import annotations

import asyncio
import os
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from captionls.vocab.store import Store
from captionls.vocab.write import Writer


def _png() -> bytes:
    """A valid 1x1 grey PNG: captions are files whose stem matches an image beside them."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\x80"))
        + chunk(b"IEND", b"")
    )


PNG = _png()

# (name, category, post count, aliases)
VOCABULARY: list[tuple[str, str, int, list[str]]] = [
    ("1girl", "general", 6_008_644, ["sole female", "1girls"]),
    ("solo", "general", 5_000_954, ["female solo"]),
    ("long hair", "general", 4_500_000, ["longhair"]),
    ("very long hair", "general", 900_000, []),
    ("short hair", "general", 2_500_000, []),
    ("brown hair", "general", 1_500_000, []),
    ("short brown hair", "general", 900, []),
    ("looking at viewer", "general", 3_500_000, []),
    ("smile", "general", 3_000_000, []),
    ("sitting", "general", 900_000, []),
    ("standing", "general", 800_000, []),
    ("arms up", "general", 200_000, ["raised arms"]),
    ("head tilt", "general", 150_000, []),
    ("contrapposto", "general", 30_005, []),
    ("contra", "copyright", 53, []),
    ("full body", "general", 700_000, []),
    ("from side", "general", 300_000, []),
    ("anime", "general", 50_000, []),
    ("drawing", "general", 40_000, []),
    ("couch", "general", 120_000, []),
    ("wooden floor", "general", 100_000, []),
    ("simple background", "general", 2_000_000, []),
    ("white background", "general", 1_800_000, []),
    ("cat ears", "general", 600_000, ["nekomimi"]),
    ("fate (series)", "copyright", 400_000, ["fate"]),
    ("^_^", "general", 20_000, []),
]


def build_vocabulary(path: Path) -> Path:
    """The test vocabulary: tags, aliases, an implication, a translation, a group and the personal list."""
    with Store.open(path) as store, store.transaction():
        writer = Writer(store)
        for name, category, posts, aliases in VOCABULARY:
            writer.tag(name, category=category, post_count=posts, source="test")
            for alias in aliases:
                writer.alias(alias, name)
        writer.implication("very long hair", "long hair")
        cat_ears = writer.tag_id("cat ears")
        assert cat_ears is not None
        writer.translation(cat_ears, "ja", "猫耳")
        posture = writer.group("posture", None, 0, source="test")
        sitting = writer.group("sitting", posture, 0, source="test")
        for position, name in enumerate(["sitting", "contrapposto"]):
            tag_id = writer.tag_id(name)
            assert tag_id is not None
            writer.add_to_group(sitting, tag_id, position)
        head_tilt = writer.tag_id("head tilt")
        assert head_tilt is not None
        writer.add_to_list("personal", head_tilt)
        writer.finish()
    return path


CAPTIONS = {
    "a1": "ohwxStyle, anime, 1girl, solo, full body, sitting, arms up, long hair, couch, wooden floor",
    "a2": "ohwxStyle, anime, 1girl, solo, full body, standing, arms up, short hair, couch, wooden floor",
    "a3": "ohwxStyle, drawing, 1girl, solo, from side, sitting, head tilt, long hair, smile, couch",
    "a4": "ohwxStyle, drawing, 1girl, solo, full body, standing, arms up, brown hair, smile, wooden floor",
}


def make_dataset(root: Path, captions: dict[str, str] | None = None) -> Path:
    """A dataset folder: images with captions beside them, a captionls.toml and a README.txt."""
    root.mkdir(parents=True, exist_ok=True)
    for stem, text in (captions if captions is not None else CAPTIONS).items():
        (root / f"{stem}.png").write_bytes(PNG)
        (root / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    (root / "captionls.toml").write_text('trigger = ["ohwxStyle"]\nmin_tags = 3\n', encoding="utf-8")
    (root / "README.txt").write_text("sole female, 1girl, 1girl, contra\n", encoding="utf-8")
    return root


def server_command() -> list[str]:
    return [str(Path(sys.executable).with_name("captionls")), "serve"]


def server_env(vocabulary: Path) -> dict[str, str]:
    """The server's environment: its default vocabulary is the test file, never the user's."""
    return {**os.environ, "CAPTIONLS_DB": str(vocabulary)}


@dataclass
class Session:
    """A started client, what it was started with, and helpers to talk about files."""

    client: LanguageClient
    root: Path
    capabilities: str
    result: types.InitializeResult

    @property
    def pull(self) -> bool:
        """Whether the server chose pull diagnostics for this client."""
        return self.result.capabilities.diagnostic_provider is not None

    async def indexed(self, timeout: float = 20.0) -> None:
        """Until the server reported the end of its background indexing (work-done progress)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(
            isinstance(report, types.WorkDoneProgressEnd)
            for reports in self.client.progress_reports.values()
            for report in reports
        ):
            assert asyncio.get_running_loop().time() < deadline, "indexing never finished"
            await asyncio.sleep(0.02)

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str | None = None, version: int = 1) -> str:
        path = self.root / name
        if text is None:
            text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="text", version=version, text=text)
            )
        )
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The document's diagnostics the way this client gets them (pulled, or the last published)."""
        if self.pull:
            report = await self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri=uri))
            )
            assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
            return list(report.items)
        # The server publishes while handling the change; any answer after it comes after the publish.
        await self.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri=uri), types.Position(0, 0))
        )
        return list(self.client.diagnostics.get(uri, []))

    async def wait_diagnostics(
        self, uri: str, predicate: Callable[[list[types.Diagnostic]], bool], timeout: float = 10.0
    ) -> list[types.Diagnostic]:
        """Until the document's diagnostics satisfy `predicate` (refreshes come a moment after a change)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            diagnostics = await self.diagnostics(uri)
            if predicate(diagnostics):
                return diagnostics
            assert asyncio.get_running_loop().time() < deadline, f"diagnostics never matched: {diagnostics}"
            await asyncio.sleep(0.05)


PULL_CLIENT = "visual-studio-code+pull"


def capabilities_of(name: str) -> types.ClientCapabilities:
    """pytest-lsp's recorded capabilities; `+pull` adds pull diagnostics with refresh (newer VS Code)."""
    if name != PULL_CLIENT:
        return client_capabilities(name)
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(related_document_support=True)
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def start_session(
    root: Path,
    vocabulary: Path,
    capabilities: str,
    initialization_options: Any = None,
    settings: dict[str, Any] | None = None,
) -> Session:
    config = ClientServerConfig(server_command=server_command(), server_env=server_env(vocabulary))
    client = await config.start()
    assert isinstance(client, LanguageClient)
    if settings is not None:
        client.set_configuration(settings, section="captionls")
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities_of(capabilities),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=initialization_options,
        )
    )
    return Session(client, root, capabilities, result)


def with_item_defaults(result: types.CompletionList) -> types.CompletionList:
    """Items as a client sees them: `itemDefaults.editRange` + `textEditText` become each item's text edit."""
    defaults = result.item_defaults
    if defaults is None or defaults.edit_range is None:
        return result
    assert isinstance(defaults.edit_range, types.Range)
    for item in result.items:
        assert item.text_edit is None and item.text_edit_text is not None
        item.text_edit = types.TextEdit(range=defaults.edit_range, new_text=item.text_edit_text)
    return result
