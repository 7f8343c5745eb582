"""The README's rule table and the VS Code rule settings are generated from the rule registry
(scripts/gen_docs.py): they must not drift from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from captionls.server.caption.rules.registry import RULES

REPO = Path(__file__).resolve().parent.parent
GEN_DOCS = REPO / "scripts" / "gen_docs.py"


def test_readme_and_vscode_settings_follow_the_registry() -> None:
    result = subprocess.run(
        [sys.executable, GEN_DOCS, "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_drifted_readme_is_reported_with_the_command(tmp_path: Path) -> None:
    # The script edits the files of the checkout it lives in: run a copy in a scratch tree.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "editors" / "vscode").mkdir(parents=True)
    script = tmp_path / "scripts" / "gen_docs.py"
    script.write_bytes(GEN_DOCS.read_bytes())
    (tmp_path / "README.md").write_bytes((REPO / "README.md").read_bytes())
    (tmp_path / "editors" / "vscode" / "package.json").write_bytes(
        (REPO / "editors" / "vscode" / "package.json").read_bytes()
    )
    subprocess.run([sys.executable, script], check=True, capture_output=True)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    (tmp_path / "README.md").write_text(
        readme.replace(f"| `{next(iter(RULES))}` |", "| `old-name` |"), encoding="utf-8"
    )
    check = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 1
    assert check.stderr.strip() == (
        "README.md drifted from the rule registry: run .venv/bin/python scripts/gen_docs.py"
    )
    subprocess.run([sys.executable, script], check=True, capture_output=True)
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == readme


def test_vscode_lists_every_rule_with_its_severities() -> None:
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    setting = package["contributes"]["configuration"]["properties"]["captionls.rules"]
    assert list(setting["properties"]) == list(RULES)
    for name, rule in RULES.items():
        assert setting["properties"][name]["enum"] == ["error", "warning", "info", "hint", "off"]
        assert setting["properties"][name]["default"] == rule.severity
