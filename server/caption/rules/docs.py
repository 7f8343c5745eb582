"""What the registry says about the rules, for people: `captionls rules [--json]`, the README's rule table
and the VS Code settings schema all come from here, so none of them is kept by hand."""

from __future__ import annotations

import json
from typing import Any

from ..findings import SEVERITY_SETTINGS
from .base import Rule
from .registry import RULES

_TYPE_NAMES: dict[object, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    tuple[str, ...]: "list of strings",
}


def options_of(rule: Rule[Any]) -> dict[str, dict[str, object]]:
    """Each option's type name and default (JSON values: a tuple default is a list)."""
    described: dict[str, dict[str, object]] = {}
    for name, kind in rule.option_types().items():
        default = getattr(rule.options, name)
        described[name] = {
            "type": _TYPE_NAMES[kind],
            "default": list(default) if isinstance(default, tuple) else default,
        }
    return described


def rule_record(rule: Rule[Any]) -> dict[str, object]:
    """One rule as `captionls rules --json` prints it."""
    return {
        "name": rule.name,
        "severity": rule.severity,
        "summary": rule.summary,
        "options": options_of(rule),
        "fix": rule.fix,
        "safe_fix": rule.safe_fix,
        "doc": rule.doc,
    }


def rule_page(rule: Rule[Any]) -> str:
    """One rule's documentation as `captionls rules NAME` prints it (markdown)."""
    options = "".join(
        f"- `{name}` ({option['type']}, default `{json.dumps(option['default'])}`)\n"
        for name, option in options_of(rule).items()
    )
    header = f"# {rule.name}\n\nDefault severity: {rule.severity}. Fires when: {rule.summary}.\n\n"
    return header + (f"Options in `[rules]`:\n\n{options}\n" if options else "") + rule.doc


def rules_table() -> str:
    """The README's table of rules (markdown, one row per rule in registry order)."""
    rows = [
        "| rule | default | fires when | `--fix` |",
        "| --- | --- | --- | --- |",
        *(
            f"| `{rule.name}` | {rule.severity} | {_cell(rule.summary)} | {_cell(rule.fix)} |"
            for rule in RULES.values()
        ),
    ]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """Markdown table cell text: a `|` (kohya's `|||`) would end the cell."""
    return text.replace("|", "\\|")


def vscode_rule_properties() -> dict[str, object]:
    """The `captionls.rules` setting's properties in VS Code's `contributes.configuration`: one per rule."""
    return {
        rule.name: {
            "type": "string",
            "enum": list(SEVERITY_SETTINGS),
            "default": rule.severity,
            "markdownDescription": f"Default: `{rule.severity}`. Fires when: {rule.summary}.",
        }
        for rule in RULES.values()
    }
