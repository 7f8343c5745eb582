"""Every setting captionls reads, defined once: its `captionls.toml` key, its editor key (in
`initializationOptions` and the workspace/configuration section `captionls`), its kind and what it does.

`config.py` reads the TOML keys, `server/lsp/settings.py` the editor keys, and the VS Code extension
declares the editor keys in `contributes.configuration`; tests/test_settings_schema.py holds all three to
this list, so a key added in one place and forgotten in another fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from captionls.vocab.normalize import TagStyle

# The editor setting section, and the editor's own keys in it that the server leaves alone
# (VS Code's `captionls.server.path`, `captionls.preview.follow`, `captionls.trace.server`).
SECTION = "captionls"
EDITOR_INTEGRATION_KEYS = ("server", "preview", "trace")

TAG_STYLES: tuple[TagStyle, ...] = get_args(TagStyle)

Kind = Literal["string", "path", "integer", "boolean", "strings", "choice", "table", "rules"]


@dataclass(frozen=True)
class SettingKey:
    """One setting. `toml` None: an editor setting only; `editor` None: a `captionls.toml` key only."""

    toml: str | None
    editor: str | None
    kind: Kind
    summary: str
    # The values of a `choice`.
    choices: tuple[str, ...] = ()


SETTINGS: tuple[SettingKey, ...] = (
    SettingKey("trigger", None, "strings", "global tags that must come first"),
    SettingKey("keep_tokens", None, "integer", "triggers must be within the first N tags"),
    SettingKey("separator", None, "string", "the tag separator (`|||` and `BREAK` are always understood)"),
    SettingKey("tag_style", "tagStyle", "choice", "multi-word tags with spaces or underscores", TAG_STYLES),
    SettingKey("escape_parentheses", "escapeParentheses", "boolean", "write `fate \\(series\\)`"),
    SettingKey("min_tags", None, "integer", "fewest tags a caption should have"),
    SettingKey("max_tags", None, "integer", "most tags a caption should have"),
    SettingKey("structure", None, "strings", "the caption's sections, in order"),
    SettingKey("sections", None, "table", "extra tags and `group:NAME`s per section"),
    SettingKey("rules", "rules", "rules", "per rule: a severity or `off`, or (TOML) a table with options"),
    SettingKey("include", None, "strings", "globs of captions without images"),
    SettingKey("exclude", None, "strings", "globs of files that are not captions"),
    SettingKey("vocab", "vocabulary", "path", "the vocabulary (SQLite) to use"),
    SettingKey("extensions", None, "strings", "caption file extensions"),
)

TOML_KEYS: tuple[str, ...] = tuple(key.toml for key in SETTINGS if key.toml is not None)
EDITOR_KEYS: tuple[str, ...] = tuple(key.editor for key in SETTINGS if key.editor is not None)
