"""Settings: initializationOptions, workspace/configuration, didChangeConfiguration and captionls.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types

from captionls.server.lsp.settings import parse_settings
from tests.kit.lsp import Session, start_session
from tests.kit.vocabularies import build_vocabulary

DUPLICATE = "ohwxStyle, anime, 1girl, solo, 1girl, full body, sitting, couch"


def severity_of(diagnostics: list[types.Diagnostic], code: str) -> types.DiagnosticSeverity | None:
    return next((d.severity for d in diagnostics if d.code == code), None)


async def stop(session: Session) -> None:
    await session.client.shutdown_session()
    await session.client.stop()


async def test_initialization_options_set_severities(dataset: Path, vocabulary_db: Path) -> None:
    session = await start_session(
        dataset,
        vocabulary_db,
        "neovim",
        initialization_options={"rules": {"duplicate-tag": "error"}, "server": {}},
    )
    try:
        uri = session.open("a1.txt", DUPLICATE)
        assert severity_of(await session.diagnostics(uri), "duplicate-tag") == types.DiagnosticSeverity.Error
    finally:
        await stop(session)


async def test_workspace_configuration_and_its_changes(dataset: Path, vocabulary_db: Path) -> None:
    session = await start_session(
        dataset, vocabulary_db, "visual-studio-code", settings={"rules": {"duplicate-tag": "off"}}
    )
    try:
        uri = session.open("a1.txt", DUPLICATE)
        # The configuration arrives just after `initialized`; diagnostics follow it.
        await session.wait_diagnostics(uri, lambda ds: severity_of(ds, "duplicate-tag") is None)
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"captionls": {"rules": {"duplicate-tag": "info"}}})
        )
        await session.wait_diagnostics(
            uri, lambda ds: severity_of(ds, "duplicate-tag") == types.DiagnosticSeverity.Information
        )
    finally:
        await stop(session)


async def test_captionls_toml_wins_and_is_reread(dataset: Path, vocabulary_db: Path) -> None:
    toml = dataset / "captionls.toml"
    toml.write_text(
        'trigger = ["ohwxStyle"]\nmin_tags = 3\n[rules]\nduplicate-tag = "hint"\n', encoding="utf-8"
    )
    session = await start_session(
        dataset, vocabulary_db, "neovim", initialization_options={"rules": {"duplicate-tag": "error"}}
    )
    try:
        uri = session.open("a1.txt", DUPLICATE)
        assert severity_of(await session.diagnostics(uri), "duplicate-tag") == types.DiagnosticSeverity.Hint
        # Edited outside the editor: the server notices without a file watcher.
        toml.write_text(
            'trigger = ["ohwxStyle"]\nmin_tags = 3\n[rules]\nduplicate-tag = "off"\n', encoding="utf-8"
        )
        await session.wait_diagnostics(uri, lambda ds: severity_of(ds, "duplicate-tag") is None)
        # A broken captionls.toml is reported once and the defaults apply.
        toml.write_text("min_tags = 'many'\n", encoding="utf-8")
        await session.wait_diagnostics(
            uri, lambda ds: severity_of(ds, "duplicate-tag") == types.DiagnosticSeverity.Error
        )
        assert any("captionls.toml:1: min_tags" in m.message for m in session.client.log_messages)
    finally:
        await stop(session)


async def test_vocabulary_path_setting(dataset: Path, vocabulary_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    shutil.copy(vocabulary_db, other)
    empty = tmp_path / "empty-default.sqlite"
    build_vocabulary(empty)  # the environment's default, which the setting must override
    session = await start_session(dataset, empty, "neovim", initialization_options={"vocabulary": str(other)})
    try:
        text = "ohwxStyle, contra"
        uri = session.open("a1.txt", text)
        result = await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="captionls.vocabularyInfo", arguments=[{"uri": uri}])
        )
        assert result["path"] == str(other.resolve())
        assert result["tags"] > 20
    finally:
        await stop(session)


def test_settings_wrapped_in_their_section_are_read() -> None:
    flat, flat_problems = parse_settings({"tagStyle": "underscores", "rules": {"tag-count": "off"}})
    wrapped, wrapped_problems = parse_settings(
        {"captionls": {"tagStyle": "underscores", "rules": {"tag-count": "off"}}}
    )
    assert wrapped == flat and wrapped.tag_style == "underscores"
    assert wrapped_problems == flat_problems == []
