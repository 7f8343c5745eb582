"""One settings schema (`settings_schema.SETTINGS`): captionls.toml parsing, the language server's editor
settings, VS Code's `contributes.configuration`, the Neovim config and the README all follow it."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from captionls.server.caption.config import Config, ConfigError, load_config
from captionls.server.caption.settings_schema import (
    DETECTED,
    EDITOR_KEYS,
    SECTION,
    SETTINGS,
    TOML_KEYS,
    SettingKey,
)
from captionls.server.lsp.settings import Settings, parse_settings

REPO = Path(__file__).resolve().parent.parent
# VS Code settings the extension reads itself (`captionls.server.path`, `.preview.follow`, `.trace.server`).
EDITOR_INTEGRATION_KEYS = ("server", "preview", "trace")
# A value no setting accepts (TOML and JSON alike): each key's reader must reject it by name.
WRONG = 1.5


def snake_case(name: str) -> str:
    return re.sub(r"[A-Z]", lambda match: "_" + match.group().lower(), name)


def test_config_fields_are_the_toml_keys() -> None:
    fields = [field.name for field in dataclasses.fields(Config)]
    assert fields == ["root", "path", *TOML_KEYS]


def test_an_unknown_toml_key_lists_the_schema_keys(tmp_path: Path) -> None:
    (tmp_path / "captionls.toml").write_text("bogus = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"(known: {', '.join(TOML_KEYS)})")):
        load_config(tmp_path)


@pytest.mark.parametrize("key", TOML_KEYS)
def test_every_toml_key_has_a_reader(tmp_path: Path, key: str) -> None:
    (tmp_path / "captionls.toml").write_text(f"{key} = {WRONG}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert "unknown key" not in str(raised.value)
    assert key in str(raised.value) and ":1: " in str(raised.value)


# A TOML value of each kind that every key of that kind accepts.
TOML_SAMPLES = {
    "string": '";"',
    "path": '"dataset-vocabulary.sqlite"',
    "integer": "10",
    "boolean": "true",
    "strings": '["ohwxStyle"]',
    "table": '{ subject = ["hair ornament"] }',
    "rules": '{ tag-count = "off" }',
}


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.toml is not None], ids=lambda s: s.toml)
def test_every_toml_key_reads_a_value_of_its_kind(tmp_path: Path, setting: SettingKey) -> None:
    sample = f'"{setting.choices[-1]}"' if setting.kind == "choice" else TOML_SAMPLES[setting.kind]
    (tmp_path / "captionls.toml").write_text(f"{setting.toml} = {sample}\n", encoding="utf-8")
    config = load_config(tmp_path)
    assert getattr(config, str(setting.toml)) != getattr(Config(root=tmp_path), str(setting.toml))


def test_editor_settings_fields_are_the_editor_keys() -> None:
    assert sorted(snake_case(key) for key in EDITOR_KEYS) == sorted(
        field.name for field in dataclasses.fields(Settings)
    )


@pytest.mark.parametrize("key", EDITOR_KEYS)
def test_every_editor_key_is_read(key: str) -> None:
    settings, problems = parse_settings({key: WRONG})
    assert settings == Settings()
    assert len(problems) == 1 and problems[0].startswith(f"settings: {key} "), problems


def test_detected_tag_style_leaves_it_to_the_dataset() -> None:
    settings, problems = parse_settings({"tagStyle": DETECTED}, Settings(tag_style="underscores"))
    assert settings.tag_style is None and problems == []


def vscode_properties() -> dict[str, dict[str, object]]:
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    properties: dict[str, dict[str, object]] = package["contributes"]["configuration"]["properties"]
    return properties


def json_types(schema: dict[str, object]) -> set[str]:
    kind = schema["type"]
    return set(kind) if isinstance(kind, list) else {str(kind)}


def test_vscode_declares_every_editor_key_with_its_kind() -> None:
    properties = vscode_properties()
    for setting in SETTINGS:
        if setting.editor is None:
            continue
        schema = properties[f"{SECTION}.{setting.editor}"]
        expected = {
            "path": "string",
            "string": "string",
            "boolean": "boolean",
            "choice": "string",
            "rules": "object",
        }[setting.kind]
        assert expected in json_types(schema), setting.editor
        if setting.kind == "choice":
            assert schema["enum"] == [DETECTED, *setting.choices]
        # Editable in the settings UI: it shows a null type or default as a literal `null`.
        assert "null" not in json_types(schema) and schema["default"] is not None, setting.editor
    for name in properties:
        section, key = name.split(".", 2)[:2]
        assert section == SECTION and (key in EDITOR_KEYS or key in EDITOR_INTEGRATION_KEYS), name


def test_neovim_config_documents_every_editor_key() -> None:
    lua = (REPO / "editors" / "nvim" / "lsp" / "captionls.lua").read_text(encoding="utf-8")
    documented = re.findall(r"^\s*--\s+(\w+) = ", lua, flags=re.MULTILINE)
    assert sorted(documented) == sorted(EDITOR_KEYS)


def test_readme_example_shows_every_toml_key() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = readme[readme.index("```toml\ntrigger = ") :]
    example = example[: example.index("```\n", 8)]
    shown = re.findall(r"^\[?(\w+)\]? ?=?", example, flags=re.MULTILINE)
    assert sorted(set(shown) & set(TOML_KEYS)) == sorted(TOML_KEYS)
