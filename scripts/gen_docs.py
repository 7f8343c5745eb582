#!/usr/bin/env python3
"""Write what the rule registry and the settings schema document into the files people read: the README's
rule table (between its `rules-table` markers) and the VS Code extension's settings, one per editor key of
the settings schema (the `captionls.rules` setting with one property per rule, its severities and
summary). Run from the repository root after adding or changing a rule or a setting:

    .venv/bin/python scripts/gen_docs.py           # rewrite both
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 and name the files that drifted

tests/test_generated_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from captionls.server.caption.config import Config
from captionls.server.caption.findings import SEVERITY_SETTINGS
from captionls.server.caption.rules.docs import rules_table, vscode_rule_properties
from captionls.server.caption.settings_schema import DETECTED, SECTION, SETTINGS, SettingKey

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PACKAGE_JSON = REPO / "editors" / "vscode" / "package.json"
TABLE_START = "<!-- rules-table:start (scripts/gen_docs.py writes this table from the registry) -->\n"
TABLE_END = "<!-- rules-table:end -->\n"
# What VS Code's settings UI says about DETECTED, the default of a `choice`.
DETECTED_DESCRIPTION = "From the dataset: as most of its tags are written"


def readme_text(current: str) -> str:
    """The README with the table between the markers replaced by the registry's."""
    start = current.index(TABLE_START) + len(TABLE_START)
    end = current.index(TABLE_END, start)
    return current[:start] + rules_table() + current[end:]


def vscode_setting(setting: SettingKey) -> dict[str, object]:
    """The `contributes.configuration` property of an editor key, editable in the settings UI: no `null`
    types or defaults (the UI shows those as a literal `null` and sends to settings.json to edit them)."""
    described: dict[str, object] = {"scope": "resource", "markdownDescription": setting.description}
    if setting.kind == "path":
        return {"type": "string", "default": "", **described}
    if setting.kind == "boolean":
        assert setting.toml is not None
        # The server's own default, so leaving the setting alone changes nothing.
        return {"type": "boolean", "default": Config.__dataclass_fields__[setting.toml].default, **described}
    if setting.kind == "choice":
        return {
            "type": "string",
            "enum": [DETECTED, *setting.choices],
            "enumDescriptions": [DETECTED_DESCRIPTION, *setting.choice_descriptions],
            "default": DETECTED,
            **described,
        }
    if setting.kind == "rules":
        return {
            "type": "object",
            "default": {},
            **described,
            "properties": vscode_rule_properties(),
            "additionalProperties": {"$ref": "#/definitions/severity"},
            "definitions": {"severity": {"type": "string", "enum": list(SEVERITY_SETTINGS)}},
        }
    raise ValueError(f"no VS Code setting for a {setting.kind} editor key ({setting.editor})")


def package_json_text(current: str) -> str:
    """package.json with a `captionls.*` setting per editor key of the settings schema (the extension's own
    settings, `captionls.server.path` and the like, stay as written)."""
    package = json.loads(current)
    properties = package["contributes"]["configuration"]["properties"]
    for setting in SETTINGS:
        if setting.editor is not None:
            properties[f"{SECTION}.{setting.editor}"] = vscode_setting(setting)
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file drifted")
    args = parser.parse_args()
    drifted = []
    for path, generate in ((README, readme_text), (PACKAGE_JSON, package_json_text)):
        current = path.read_text(encoding="utf-8")
        wanted = generate(current)
        if wanted == current:
            continue
        drifted.append(path.relative_to(REPO))
        if not args.check:
            path.write_text(wanted, encoding="utf-8")
    if args.check and drifted:
        names = ", ".join(map(str, drifted))
        print(
            f"{names} drifted from the rule registry: run .venv/bin/python scripts/gen_docs.py",
            file=sys.stderr,
        )
        return 1
    for path in drifted:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
