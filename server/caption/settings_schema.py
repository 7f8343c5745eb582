"""Every setting captionls reads, defined once: its `captionls.toml` key, its editor key (in
`initializationOptions` and the workspace/configuration section `captionls`) and its kind.

`config.py` reads the TOML keys, `server/lsp/settings.py` the editor keys, and the VS Code extension
declares the editor keys in `contributes.configuration` (scripts/gen_docs.py writes them from here);
tests/test_settings_schema.py holds all three to this list, so a key added in one place and forgotten in
another fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from captionls.vocab.normalize import TagStyle

# The editor setting section (initializationOptions may also carry it whole).
SECTION = "captionls"

TAG_STYLES: tuple[TagStyle, ...] = get_args(TagStyle)

# The editor value of a `choice` that leaves it to the dataset (tagStyle: its majority). The editors' settings
# UIs offer it as the default choice; an empty (null) one shows as a literal `null` there.
DETECTED = "detected"

Kind = Literal["string", "path", "integer", "boolean", "strings", "choice", "table", "rules"]


@dataclass(frozen=True)
class SettingKey:
    """One setting. `toml` None: an editor setting only; `editor` None: a `captionls.toml` key only."""

    toml: str | None
    editor: str | None
    kind: Kind
    # The values of a `choice`.
    choices: tuple[str, ...] = ()
    # An editor key's description in the editor's settings UI (markdown), and one per choice.
    description: str = ""
    choice_descriptions: tuple[str, ...] = ()


# In the README's order; what each key means is in the README ("Checking captions" and "The language server").
SETTINGS: tuple[SettingKey, ...] = (
    SettingKey("trigger", None, "strings"),
    SettingKey("keep_tokens", None, "integer"),
    SettingKey("shuffle_caption", None, "boolean"),
    SettingKey("caption_separator", None, "string"),
    SettingKey("keep_tokens_separator", None, "string"),
    SettingKey("secondary_separator", None, "string"),
    SettingKey("enable_wildcard", None, "boolean"),
    SettingKey("caption_prefix", None, "string"),
    SettingKey("caption_suffix", None, "string"),
    SettingKey(
        "tag_style",
        "tagStyle",
        "choice",
        TAG_STYLES,
        description="How completion writes multi-word tags (`tag_style` in `captionls.toml`, which wins).",
        choice_descriptions=("long hair", "long_hair"),
    ),
    SettingKey(
        "escape_parentheses",
        "escapeParentheses",
        "boolean",
        description="Insert `\\(` `\\)` for parentheses inside tags "
        "(`escape_parentheses` in `captionls.toml`, which wins).",
    ),
    SettingKey("min_tags", None, "integer"),
    SettingKey("max_tags", None, "integer"),
    SettingKey("structure", None, "strings"),
    SettingKey("sections", None, "table"),
    SettingKey(
        "rules",
        "rules",
        "rules",
        description="Severity per rule (`[rules]` in `captionls.toml`, which wins): "
        "`error`, `warning`, `info`, `hint` or `off`.",
    ),
    SettingKey("include", None, "strings"),
    SettingKey("exclude", None, "strings"),
    SettingKey(
        "vocab",
        "vocabulary",
        "path",
        description="The vocabulary database (SQLite) the server uses. Empty: your personal vocabulary store "
        "(`CAPTIONLS_DB` or the platform's data folder). A dataset's `captionls.toml` `vocab` key wins.",
    ),
    SettingKey("extensions", None, "strings"),
)

TOML_KEYS: tuple[str, ...] = tuple(key.toml for key in SETTINGS if key.toml is not None)
EDITOR_KEYS: tuple[str, ...] = tuple(key.editor for key in SETTINGS if key.editor is not None)
