"""Precision on sd-scripts' syntax: the example dataset's clean captions, rewritten with `|||`, `;;;` units
and wildcards as sd-scripts users write them, stay clean on the built-in vocabulary a fresh machine gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.cli import main
from tests.kit.datasets import write_dataset

pytestmark = pytest.mark.builtin_vocabulary

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "dataset"
CLEAN = [f"0{number}" for number in range(1, 9)]
CONFIG = """\
trigger = ["ohwxStyle"]
keep_tokens = 1
shuffle_caption = true
secondary_separator = ";;;"
enable_wildcard = true
# A `;;;` unit counts once: the rewritten captions have one tag fewer.
min_tags = 7
max_tags = 20

[rules]
repeated-word = { min = 3 }
"""


def sd_scripts_style(caption: str) -> str:
    """`ohwxStyle ||| a, {b|b, c}, ..., y;;;z`: the trigger kept by `|||`, the second tag a wildcard whose
    other choice adds the third, the last two tags one unit."""
    trigger, first, second, *rest = [tag.strip() for tag in caption.strip().split(",")]
    *middle, last_but_one, last = rest
    tags = [f"{{{first}|{first}, {second}}}", *middle, f"{last_but_one};;;{last}"]
    return f"{trigger} ||| " + ", ".join(tags) + "\n"


def test_the_syntax_adds_no_finding(tmp_path: Path, vocabulary: Path) -> None:
    captions = {}
    for path in sorted(EXAMPLES.glob("*.txt")):
        if path.stem[:2] in CLEAN:
            captions[path.stem] = sd_scripts_style(path.read_text(encoding="utf-8"))
    assert len(captions) == 8
    root = write_dataset(tmp_path / "set", captions, CONFIG)
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--db", str(vocabulary)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    assert (
        "{anime|anime, 1girl}" in captions["01_couch"]
        and "wooden floor;;;dreary environment" in captions["01_couch"]
    )
