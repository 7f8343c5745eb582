#!/usr/bin/env python3
"""Write what the rule registry documents into the files people read: the README's rule table (between
its `rules-table` markers) and the `captionls.rules` setting of the VS Code extension (one property per
rule, with its severities and summary). Run from the repository root after adding or changing a rule:

    .venv/bin/python scripts/gen_docs.py           # rewrite both
    .venv/bin/python scripts/gen_docs.py --check   # exit 1 and name the files that drifted

tests/test_generated_docs.py runs the check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from captionls.server.caption.rules.docs import rules_table, vscode_rule_properties

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
PACKAGE_JSON = REPO / "editors" / "vscode" / "package.json"
TABLE_START = "<!-- rules-table:start (scripts/gen_docs.py writes this table from the registry) -->\n"
TABLE_END = "<!-- rules-table:end -->\n"
RULES_SETTING = "captionls.rules"


def readme_text(current: str) -> str:
    """The README with the table between the markers replaced by the registry's."""
    start = current.index(TABLE_START) + len(TABLE_START)
    end = current.index(TABLE_END, start)
    return current[:start] + rules_table() + current[end:]


def package_json_text(current: str) -> str:
    """package.json with the `captionls.rules` setting's per-rule properties from the registry."""
    package = json.loads(current)
    setting = package["contributes"]["configuration"]["properties"][RULES_SETTING]
    setting["properties"] = vscode_rule_properties()
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
