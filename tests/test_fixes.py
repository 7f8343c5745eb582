"""The fix loop both `captionls check --fix` and the editor's fix-all use."""

from __future__ import annotations

from pathlib import Path

from captionls.server.caption.checker import check_text
from captionls.server.caption.findings import Edit, Finding, Fix
from captionls.server.caption.fixes import fix_text, fixed_text
from tests.kit.datasets import context, write_dataset
from tests.kit.vocabularies import make_vocabulary


def test_fix_text_applies_every_safe_fix_and_settles(tmp_path: Path) -> None:
    text = "ohwxStyle, 1girl, raised arms,, smile, Smile, arms up"
    root = write_dataset(tmp_path / "set", {"a": text}, config='trigger = ["ohwxStyle"]\n')
    ctx = context(root, make_vocabulary(tmp_path / "v.sqlite"))
    path = root / "a.txt"
    fixed = fix_text(path, text, ctx)
    assert fixed == "ohwxStyle, 1girl, arms up, smile"
    assert fix_text(path, fixed, ctx) == fixed
    safe_rules = {"duplicate-tag", "empty-tag", "non-canonical-tag"}
    assert not safe_rules & {finding.rule for finding in check_text(path, fixed, ctx)}


def test_fixed_text_leaves_edits_of_other_captions_alone() -> None:
    here, there = Path("a.txt"), Path("b.txt")
    finding = Finding(
        rule="empty-tag",
        severity="warning",
        start=0,
        end=1,
        message="",
        fixes=[Fix("remove", [Edit(0, 1, ""), Edit(0, 1, "x", path=there)], safe=True)],
    )
    assert fixed_text("a,b", [finding], here) == ",b"
