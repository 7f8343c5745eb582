"""Tag suggestions (the domain behind completion): one item per concept, flagged tags after the right one."""

from __future__ import annotations

from pathlib import Path

from tests.kit.datasets import context, suggestions, write_dataset
from tests.kit.vocabularies import make_vocabulary


def test_a_typo_the_dataset_uses_comes_right_after_the_tag_it_should_be(tmp_path: Path) -> None:
    vocabulary = make_vocabulary(
        tmp_path / "vocabulary.sqlite", tags={"contrapposto": 30_000, "contra": 50}, aliases={}
    )
    captions = {"c1": "1girl, contraposto", "c2": "1girl, solo", "c3": "1girl, solo"}
    ctx = context(write_dataset(tmp_path / "set", captions), vocabulary)
    found = suggestions(ctx, "contra")
    assert [s.insert for s in found[:2]] == ["contrapposto", "contraposto"], found
    assert (found[1].instead, found[1].dataset_count) == ("contrapposto", 1)


def test_a_phrase_is_never_taken_for_a_typo(tmp_path: Path) -> None:
    """Tag rules leave descriptive phrases alone: completion keeps a phrase the dataset uses in its place."""
    vocabulary = make_vocabulary(
        tmp_path / "vocabulary.sqlite", tags={"pale pink dress with dark edge": 10}, aliases={}
    )
    captions = {"c1": "1girl, pale pink dress with dark edges", "c2": "1girl, solo", "c3": "1girl, solo"}
    ctx = context(write_dataset(tmp_path / "set", captions), vocabulary)
    found = suggestions(ctx, "pale pink")
    assert [(s.insert, s.instead) for s in found] == [
        ("pale pink dress with dark edges", None),
        ("pale pink dress with dark edge", None),
    ]


def test_a_concept_is_offered_once_with_the_captions_of_all_its_phrasings(tmp_path: Path) -> None:
    vocabulary = make_vocabulary(tmp_path / "vocabulary.sqlite")
    captions = {"c1": "1girl, raised arms", "c2": "1girl, arms up", "c3": "1girl, Arms_Up", "c4": "solo"}
    ctx = context(write_dataset(tmp_path / "set", captions), vocabulary)
    found = suggestions(ctx, "arms")
    assert [(s.label, s.insert, s.dataset_count) for s in found] == [("arms up", "arms up", 3)], found
    found = suggestions(ctx, "raised")
    assert [(s.label, s.dataset_count) for s in found] == [("raised arms → arms up", 3)], found
