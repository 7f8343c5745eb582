"""The README's main job (`captionls check examples/dataset`) and the guide's own examples, on the
built-in vocabulary a fresh machine gets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.caption.rules.registry import RULES
from captionls.server.cli import main
from tests.kit.datasets import write_dataset

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "dataset"

# The guide's FULL EXAMPLE OF A SINGLE IMAGE, "All together", verbatim (the real-style corpus keeps it).
FULL_EXAMPLE = (
    (Path(__file__).resolve().parent / "data" / "realstyle" / "guide" / "01.txt")
    .read_text(encoding="utf-8")
    .strip()
)

# What each planted caption must report, and nothing else; captions 01-08 report nothing.
PLANTED = {
    "09_hilltop.txt": {"inconsistent-tag", "non-canonical-tag"},
    "10_park.txt": {"duplicate-tag", "empty-tag"},
    "11_studio.txt": {"repeated-word", "redundant-tag"},
    "12_kitchen.txt": {"structure-order", "unknown-tag"},
    "13_sketch.txt": {"missing-trigger", "tag-count"},
    "14_tagger.txt": {"redundant-tag", "rating-tag"},
    "15_livingroom.txt": {"token-limit"},
}


pytestmark = pytest.mark.builtin_vocabulary


def check_json(vocabulary: Path, *args: str | Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json", "--db", str(vocabulary)])
    assert result.exit_code in (0, 1), result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_every_rule_fires_where_planted_and_nowhere_else(vocabulary: Path) -> None:
    rows = check_json(vocabulary, EXAMPLES)
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(Path(str(row["path"])).name, set()).add(str(row["rule"]))
    assert found == PLANTED
    # Planted findings are of registry rules (every rule has its own fixture in tests/rules/fixtures/).
    assert set().union(*PLANTED.values()) <= set(RULES)
    assert "README.txt" not in found


def test_fixing_a_copy_of_the_examples_is_idempotent(vocabulary: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(EXAMPLES, tmp_path / "dataset")
    runner = CliRunner()
    first = runner.invoke(main, ["check", str(copy), "--fix", "--db", str(vocabulary)])
    assert "4 captions fixed" in first.stdout
    fixed = {path.name: path.read_bytes() for path in copy.iterdir() if path.is_file()}
    second = runner.invoke(main, ["check", str(copy), "--fix", "--db", str(vocabulary)])
    assert "fixed" not in second.stdout
    assert {path.name: path.read_bytes() for path in copy.iterdir() if path.is_file()} == fixed
    assert fixed["09_hilltop.txt"].startswith(b"ohwxStyle, anime, 1girl, solo, full body, standing, arms up,")


def test_the_guides_full_example_has_no_duplicate_tag(vocabulary: Path, tmp_path: Path) -> None:
    root = write_dataset(tmp_path, {"full": FULL_EXAMPLE}, 'trigger = ["ohwxStyle"]\nmax_tags = 30\n')
    rules = {str(row["rule"]) for row in check_json(vocabulary, root)}
    assert "duplicate-tag" not in rules
    # The guide's own order is the default structure: nothing is out of order.
    assert "structure-order" not in rules


def test_adding_three_backgrounds_fires_repeated_word(vocabulary: Path, tmp_path: Path) -> None:
    text = FULL_EXAMPLE.replace(
        "dreary environment", "simple background, white background, lamp in background, dreary environment"
    )
    root = write_dataset(tmp_path, {"full": text}, 'trigger = ["ohwxStyle"]\nmax_tags = 40\n')
    repeated = [row for row in check_json(vocabulary, root) if row["rule"] == "repeated-word"]
    messages = [str(row["message"]) for row in repeated]
    background = [m for m in messages if m.startswith('"background" is named in 4 tags')]
    assert background, messages
    assert "simple background, white background, lamp in background" in background[0]
