"""Each rule's documented example is true: its `Bad:` caption makes the rule fire, its `Good:` one does not.

A doc may set the scene: a line `Other captions (N): `caption`` puts N such captions beside the example,
and `trigger = [...]` or `keep_tokens = N` in backticks go into its captionls.toml (default: the trigger
`ohwxStyle`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.rules.registry import RULES
from captionls.vocab.sections import load_section_map
from tests.kit.datasets import context, write_dataset

pytestmark = pytest.mark.builtin_vocabulary


def example(doc: str, label: str) -> str:
    found = re.search(rf"^{label}: `([^`]+)`$", doc, flags=re.MULTILINE)
    assert found is not None, f"no `{label}: ` example"
    return found.group(1)


def fires(root: Path, vocabulary: Path, rule: str, caption: str) -> bool:
    doc = RULES[rule].doc
    others = {}
    scene = re.search(r"^Other captions \((\d+)\): `([^`]+)`$", doc, flags=re.MULTILINE)
    if scene is not None:
        others = {f"other{i}": scene.group(2) for i in range(int(scene.group(1)))}
    config = "\n".join(re.findall(r"`((?:trigger|keep_tokens) = [^`]+)`", doc)) or 'trigger = ["ohwxStyle"]'
    root = write_dataset(root, {"example": caption, **others}, config + "\n")
    base = context(root, vocabulary)
    ctx = CheckContext(base.config, base.vocabulary, base.index, load_section_map(), select={rule})
    return bool(check_text(root / "example.txt", caption, ctx))


@pytest.mark.parametrize("rule", list(RULES))
def test_the_documented_example_is_true(rule: str, vocabulary: Path, tmp_path: Path) -> None:
    doc = RULES[rule].doc
    assert fires(tmp_path / "bad", vocabulary, rule, example(doc, "Bad")), "the bad example does not fire"
    assert not fires(tmp_path / "good", vocabulary, rule, example(doc, "Good")), "the good example fires"
