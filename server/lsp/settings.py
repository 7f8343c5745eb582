"""Editor settings: initializationOptions and the workspace/configuration section `captionls`.

Both carry the editor keys of the settings schema (`captionls.server.caption.settings_schema`, which
editors/nvim/lsp/captionls.lua and the VS Code extension document too). They are the editor's defaults;
a dataset's captionls.toml wins over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captionls.server.caption.findings import SEVERITY_SETTINGS
from captionls.server.caption.settings_schema import DETECTED, EDITOR_KEYS, TAG_STYLES
from captionls.server.caption.settings_schema import SECTION as SECTION  # re-exported for server.py


@dataclass(frozen=True)
class Settings:
    """The editor keys of the settings schema, each field the snake_case of its key."""

    vocabulary: Path | None = None
    tag_style: str | None = None
    escape_parentheses: bool | None = None
    rules: dict[str, str] = field(default_factory=dict)


def parse_settings(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a JSON object over `base`, and one message per value that was ignored."""
    base = base or Settings()
    if data is None:
        return base, []
    if not isinstance(data, dict):
        return base, [f"settings: expected an object, got {type(data).__name__}"]
    if isinstance(data.get(SECTION), dict):
        # Helix and eglot users pass their whole `{"captionls": {...}}` table as initializationOptions.
        data = data[SECTION]
    problems: list[str] = []
    vocabulary = base.vocabulary
    tag_style = base.tag_style
    escape = base.escape_parentheses
    rules = dict(base.rules)
    for name, value in data.items():
        if name not in EDITOR_KEYS:
            # The editor integration's own keys (VS Code's `server`, `preview`, `trace`): not ours.
            continue
        if name == "vocabulary":
            if isinstance(value, str) and value.strip():
                vocabulary = Path(value).expanduser()
            elif value not in (None, ""):
                problems.append("settings: vocabulary must be a path")
        elif name == "tagStyle":
            if value in TAG_STYLES:
                tag_style = value
            elif value == DETECTED:
                tag_style = None
            elif value is not None:
                problems.append(f"settings: tagStyle must be one of {', '.join((DETECTED, *TAG_STYLES))}")
        elif name == "escapeParentheses":
            if isinstance(value, bool):
                escape = value
            elif value is not None:
                problems.append("settings: escapeParentheses must be true or false")
        elif name == "rules":
            if not isinstance(value, dict):
                problems.append("settings: rules must be an object of rule name -> severity")
                continue
            for rule, severity in value.items():
                if severity in SEVERITY_SETTINGS:
                    rules[str(rule)] = severity
                else:
                    problems.append(f"settings: rules.{rule}: severity must be one of {SEVERITY_SETTINGS}")
    return Settings(vocabulary, tag_style, escape, rules), problems
