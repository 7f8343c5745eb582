"""Tag suggestions (the domain behind completion): one item per concept, flagged tags after the right one."""

from __future__ import annotations

from pathlib import Path

from captionls.server.caption.suggest import DatasetTags, _kind, suggest
from captionls.vocab.search import Searcher
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


def test_the_phrasing_offered_follows_an_edit_that_keeps_the_dataset_keys(tmp_path: Path) -> None:
    """The dataset's phrasings are remembered between keystrokes, until the index changes: re-phrasing a tag
    changes no key (nor the generation a caller passes), and the next suggestion writes it the new way."""
    vocabulary = make_vocabulary(tmp_path / "vocabulary.sqlite", tags={"long hair": 1000}, aliases={})
    root = write_dataset(tmp_path / "set", {"c1": "1girl, Long Hair", "c2": "1girl, solo", "c3": "solo"})
    ctx = context(root, vocabulary)
    searcher, tags = Searcher(ctx.vocabulary), DatasetTags()

    def inserted() -> list[str]:
        found = suggest(
            "long",
            ctx=ctx,
            searcher=searcher,
            dataset_tags=tags,
            generation=0,
            vocabulary_generation=0,
            personal=(),
            exclude=(),
        )
        return [s.insert for s in found]

    assert inserted() == ["Long Hair"]
    ctx.index.update(root / "c1.txt", "1girl, long hair")
    ctx.index.update(root / "c2.txt", "1girl, solo, long hair")
    assert inserted() == ["long hair"]


def dataset_matches(tags: DatasetTags, key: str, wanted: int) -> list[tuple[str, str]]:
    """`DatasetTags.matching` by its definition: the most used keys starting with `key` or with a word
    starting with it; if too few, then the next keys holding it, those that hold it inside a word."""
    separators = " (-/"

    def word_start(candidate: str) -> bool:
        return any(
            candidate.startswith(key, at)
            for at in range(len(candidate))
            if at == 0 or candidate[at - 1] in separators
        )

    starts = [candidate for candidate in tags.keys if word_start(candidate)]
    found = [(candidate, _kind(key, candidate)) for candidate in starts[:wanted]]
    if len(found) >= wanted:
        return found
    holding = [candidate for candidate in tags.keys if key in candidate and candidate not in starts][:wanted]
    inside = [(candidate, "substring") for candidate in holding if _kind(key, candidate) == "substring"]
    return found + inside[: wanted - len(found)]


def test_dataset_keys_matching_what_is_typed_follow_the_dataset(tmp_path: Path) -> None:
    """Keys found through their word starts (kept until the set of keys changes) are the ones a scan of
    every key finds, in the order of the counts of the moment."""
    vocabulary = make_vocabulary(tmp_path / "vocabulary.sqlite")
    captions = {
        "c1": "long hair, hair ornament, holding hair-dryer, hat (hairy), pink/hair, chair, 1girl",
        "c2": "long hair, chair, blue hair, hairband, 1girl",
        "c3": "hair, chair, armchair, 1girl",
    }
    root = write_dataset(tmp_path / "set", captions)
    ctx = context(root, vocabulary)
    tags = DatasetTags()

    def compare() -> None:
        tags.refresh(ctx.index, 0, ctx.vocabulary, 0)
        for key in ["h", "ha", "hair", "hair d", "air", "chair", "i", "1", "(hairy", "dryer", "x"]:
            for wanted in (1, 2, 3, 50):
                assert tags.matching(key, wanted) == dataset_matches(tags, key, wanted), (key, wanted)

    compare()
    ctx.index.update(root / "c3.txt", "hair, chair, chair hair, long hair, 1girl")  # a new key, new counts
    compare()
    assert "chair hair" in [found for found, _ in tags.matching("hair", 50)]
    ctx.index.update(root / "c2.txt", "chair, blue hair, hairband, 1girl, hair ornament")  # counts only
    compare()
