"""One fixture per rule: `fixtures/<rule>/dataset/` is a small dataset and `fixtures/<rule>/expected.txt` what
`captionls check --select <rule>` reports on it (each finding with its fixes) and what `--fix` would change.

A rule in the registry without a fixture fails here, so a new rule is its module, its registry line and its
fixture. After a deliberate change, regenerate the snapshots and read their diff:

    CAPTIONLS_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/rules
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.caption.rules.registry import RULES
from captionls.server.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
UPDATE = os.environ.get("CAPTIONLS_UPDATE_SNAPSHOTS") == "1"


pytestmark = pytest.mark.builtin_vocabulary


def run_check(vocabulary: Path, rule: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["check", ".", "--select", rule, "--db", str(vocabulary), *extra])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def render(rows: list[dict[str, object]]) -> list[str]:
    """Findings as `path:line:col: severity rule message`, each fix below it with its edits."""
    lines = []
    for row in rows:
        lines.append(
            f"{row['path']}:{row['line']}:{row['column']}: {row['severity']} {row['rule']} {row['message']}"
        )
        fixes = row["fixes"]
        assert isinstance(fixes, list)
        for fix in fixes:
            edits = " ".join(
                f"{edit['line']}:{edit['column']}-{edit['end_line']}:{edit['end_column']}={edit['new_text']!r}"
                for edit in fix["edits"]
            )
            lines.append(f"    fix: {fix['title']}: {edits}")
    return lines


def snapshot(vocabulary: Path, rule: str) -> str:
    rows = json.loads(run_check(vocabulary, rule, "--format", "json"))
    assert rows, f"the {rule} fixture must make the rule fire"
    lines = ["# captionls check --select " + rule, *render(rows)]
    # `--fix-order` only adds structure-order's sort to the safe fixes.
    diff = run_check(vocabulary, rule, "--diff", "--fix-order")
    lines += [
        "",
        f"# captionls check --select {rule} --diff --fix-order",
        *(diff.splitlines() or ["(nothing to fix)"]),
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_matches_its_fixture(rule: str, vocabulary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixture = FIXTURES / rule
    dataset = fixture / "dataset"
    assert dataset.is_dir(), (
        f"{rule} has no fixture: add {dataset.relative_to(FIXTURES.parent.parent.parent)}/"
    )
    monkeypatch.chdir(dataset)
    actual = snapshot(vocabulary, rule)
    expected = fixture / "expected.txt"
    if UPDATE:
        expected.write_text(actual, encoding="utf-8")
    assert expected.is_file(), f"{expected} is missing: run with CAPTIONLS_UPDATE_SNAPSHOTS=1"
    assert actual == expected.read_text(encoding="utf-8"), "run with CAPTIONLS_UPDATE_SNAPSHOTS=1 to update"


def test_every_fixture_is_a_rule() -> None:
    assert sorted(path.name for path in FIXTURES.iterdir()) == sorted(RULES)
