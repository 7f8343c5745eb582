"""Findings a captioner trusts, on real-style captions (tests/data/realstyle/) and the built-in vocabulary:
each rule fires on the real problem and stays quiet on what is fine (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.config import ConfigError, load_config
from captionls.server.caption.files import apply_edits
from captionls.server.caption.findings import Finding
from captionls.server.caption.fixes import fix_text
from captionls.server.caption.parse import parse_caption
from captionls.server.caption.rules.repeated_word import words_of
from captionls.server.caption.rules.tag_like import is_tag_like
from captionls.server.caption.structure import Sections
from captionls.server.cli import main
from captionls.vocab.store import Store
from captionls.vocab.write import Writer
from tests.kit.datasets import context, write_dataset

CORPUS = Path(__file__).resolve().parent / "data" / "realstyle"
TRIGGER = 'trigger = ["ohwxStyle"]\n'
NOISY_RULES = {"structure-order", "unknown-tag", "repeated-word", "tag-count"}


pytestmark = pytest.mark.builtin_vocabulary


def check_folder(root: Path, vocabulary: Path) -> tuple[CheckContext, dict[str, list[Finding]]]:
    ctx = context(root, vocabulary)
    results = {path.name: check_text(path, ctx.index.files[path].text, ctx) for path in ctx.index.captions()}
    return ctx, results


def check_one(
    tmp_path: Path, vocabulary: Path, caption: str, config: str = TRIGGER, **others: str
) -> tuple[str, list[Finding]]:
    root = write_dataset(tmp_path, {"target": caption, **others}, config)
    ctx = context(root, vocabulary)
    return caption, check_text(root / "target.txt", caption, ctx)


def spans(text: str, findings: list[Finding], rule: str) -> list[str]:
    return [text[f.start : f.end] for f in findings if f.rule == rule]


def expected(kind: str) -> set[tuple[str, str, str]]:
    rows = set()
    for line in (CORPUS / kind / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, rule, text = line.split("\t")
            rows.add((name, rule, text))
    return rows


def found(root: Path, results: dict[str, list[Finding]]) -> set[tuple[str, str, str]]:
    rows = set()
    for name, findings in results.items():
        text = (root / name).read_text(encoding="utf-8")
        for finding in findings:
            underlined = "*" if finding.rule == "tag-count" else text[finding.start : finding.end]
            rows.add((name, finding.rule, underlined))
    return rows


@pytest.mark.parametrize("kind", ["wd14", "guide", "template"])
def test_every_expected_finding_is_found_and_tag_rules_stay_quiet(vocabulary: Path, kind: str) -> None:
    _, results = check_folder(CORPUS / kind, vocabulary)
    rows = found(CORPUS / kind, results)
    assert expected(kind) - rows == set()
    noisy = sum(f.rule in NOISY_RULES for findings in results.values() for f in findings)
    assert noisy <= len(results)


@pytest.mark.parametrize("kind", ["blip", "vlm"])
def test_prose_gets_no_tag_findings_and_fix_leaves_it_byte_identical(vocabulary: Path, kind: str) -> None:
    ctx, results = check_folder(CORPUS / kind, vocabulary)
    assert results and all(findings == [] for findings in results.values())
    for path in ctx.index.captions():
        text = ctx.index.files[path].text
        assert fix_text(path, text, ctx) == text


def test_prose_and_phrases_are_told_from_tags() -> None:
    blip = parse_caption((CORPUS / "blip" / "04.txt").read_text(encoding="utf-8"))
    vlm = parse_caption((CORPUS / "vlm" / "01.txt").read_text(encoding="utf-8"))
    guide = parse_caption((CORPUS / "guide" / "01.txt").read_text(encoding="utf-8"))
    assert blip.lines[0].kind == "prose" and vlm.lines[0].kind == "prose"
    assert guide.lines[0].kind != "prose"
    phrases = [tag.name for tag in guide.tags if not is_tag_like(tag.name)]
    assert "holding a phone" in phrases and "pale pink dress with dark edges" in phrases
    assert all(is_tag_like(name) for name in ("brown couch", "looking at viewer", "short brown hair"))
    # One descriptive phrase that starts like a sentence does not make a tag list prose.
    mixed = parse_caption(
        "ohwxStyle, 1girl, lokking at viewer, a dreary room with grey light from the window"
    )
    assert mixed.lines[0].kind != "prose"
    assert parse_caption("ohwx, a woman with long hair sitting on a couch").lines[0].kind == "prose"


def test_the_guides_full_example_gets_only_what_the_guide_would_say(vocabulary: Path, tmp_path: Path) -> None:
    text = (CORPUS / "guide" / "01.txt").read_text(encoding="utf-8")
    _, findings = check_one(tmp_path, vocabulary, text)
    assert len(findings) <= 6
    assert {(f.rule, text[f.start : f.end]) for f in findings} == {
        ("non-canonical-tag", "smiling"),
        ("non-canonical-tag", "eyes closed"),
        ("repeated-word", "couch"),
        ("repeated-word", "walls"),
        ("tag-count", text[: text.index(", dreary")] + ", dreary environment"),
        # 127 CLIP tokens: sd-scripts keeps the 75 up to "wooden floor".
        ("token-limit", text[text.index("white water-stained") :].rstrip("\n")),
    }
    (limit,) = [f for f in findings if f.rule == "token-limit"]
    assert limit.message == (
        "127 CLIP tokens, over the 75 the trainer keeps: it drops everything from"
        ' "white water-stained paint on walls" on'
    )


def test_unknown_tag_is_a_typo_of_a_known_tag(vocabulary: Path, tmp_path: Path) -> None:
    caption = (
        "ohwxStyle, 1girl, smlie, hair ornment, lokking at viewer, hair long, golds, female_child,"
        " clock on wall, snow globe collection, bk_bini_teen, Hatsune Mku"
    )
    text, findings = check_one(tmp_path, vocabulary, caption)
    unknown = {text[f.start : f.end]: f.message for f in findings if f.rule == "unknown-tag"}
    assert set(unknown) == {"smlie", "hair ornment", "lokking at viewer", "hair long", "golds", "Hatsune Mku"}
    assert unknown["smlie"].startswith('"smlie" is not a known tag; did you mean "smile"?')
    assert '"hair ornament"' in unknown["hair ornment"]
    assert '"looking at viewer"' in unknown["lokking at viewer"]
    assert '"long hair"' in unknown["hair long"]
    # A general tag, not a character; and a name gets names.
    assert unknown["golds"].startswith('"golds" is not a known tag; did you mean "gold"?')
    assert '"hatsune miku"' in unknown["Hatsune Mku"]


def test_repeated_word_is_about_things_not_modifiers(vocabulary: Path, tmp_path: Path) -> None:
    caption = (
        "ohwxStyle, 1girl, black hair, black jacket, black loafers, long hair, long sleeves,"
        " girl and her cat, simple background, white background, lamp in background"
    )
    text, findings = check_one(tmp_path, vocabulary, caption)
    assert spans(text, findings, "repeated-word") == ["background"]
    assert words_of("she and her") == []


def test_structure_order_names_the_fewest_misplaced_tags(vocabulary: Path, tmp_path: Path) -> None:
    caption = "ohwxStyle, anime, 1girl, grass field, cowboy shot, sitting, smile, long hair, outdoors"
    text, findings = check_one(tmp_path, vocabulary, caption)
    order = [f for f in findings if f.rule == "structure-order"]
    assert [text[f.start : f.end] for f in order] == ["grass field"]
    assert order[0].message.startswith('"grass field" (background) stands before "cowboy shot" (type)')


def test_sections_come_only_from_confident_sources(vocabulary: Path, tmp_path: Path) -> None:
    ctx = context(write_dataset(tmp_path, {"a": "x"}), vocabulary)
    sections: Sections = ctx.sections
    # `v` sits in "List of style parodies", `building` in "Gerunds" (the guide's background words
    # place it), `highres` in "Format", `lonely` in "Emotions" (the guide: a mood, last).
    assert [sections.section_of(key) for key in ("v", "building", "highres", "lonely")] == [
        None,
        "background",
        None,
        "associations",
    ]
    caption = "ohwxStyle, 1girl, smile, v, long hair, building, outdoors, highres"
    text, findings = check_one(tmp_path / "2", vocabulary, caption)
    assert spans(text, findings, "structure-order") == []


def test_shuffle_caption_keeps_only_the_kept_tags_in_order(vocabulary: Path, tmp_path: Path) -> None:
    caption = "ohwxStyle, 1girl, long hair, smile, outdoors, full body, sitting, brown hair, indoors"
    text, findings = check_one(tmp_path, vocabulary, caption)
    assert spans(text, findings, "structure-order")
    shuffled = TRIGGER + "shuffle_caption = true\nkeep_tokens = 2\n"
    _, findings = check_one(tmp_path / "2", vocabulary, caption, shuffled)
    assert spans(text, findings, "structure-order") == []
    kept_wrong = "1girl, ohwxStyle ||| long hair, smile, outdoors, full body"
    _, findings = check_one(tmp_path / "3", vocabulary, kept_wrong, TRIGGER + "shuffle_caption = true\n")
    assert spans(kept_wrong, findings, "structure-order") == ["1girl"]


def test_shuffle_caption_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "captionls.toml").write_text('trigger = "x"\nshuffle_caption = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"captionls.toml:2: shuffle_caption must be true or false"):
        load_config(tmp_path)


def test_a_dataset_in_its_own_order_gets_no_structure_hints(vocabulary: Path, tmp_path: Path) -> None:
    # WD14's confidence order in every caption: the dataset's convention, not a mistake per caption.
    _, results = check_folder(CORPUS / "wd14", vocabulary)
    assert not any(f.rule == "structure-order" for findings in results.values() for f in findings)
    result = CliRunner().invoke(main, ["check", str(CORPUS / "wd14"), "--db", str(vocabulary)])
    assert "structure-order: most captions in" in result.stdout
    assert "keep an order of their own (a tagger's or a template's), so no order hints" in result.stdout
    mostly_ordered = {f"o{i}": "ohwxStyle, 1girl, sitting, long hair, outdoors" for i in range(6)}
    caption = "ohwxStyle, outdoors, 1girl, sitting, long hair"
    text, findings = check_one(tmp_path, vocabulary, caption, **mostly_ordered)
    assert spans(text, findings, "structure-order") == ["outdoors"]


def test_redundant_tag_by_name(vocabulary: Path, tmp_path: Path) -> None:
    caption = (
        "ohwxStyle, 1girl, skirt, pleated skirt, shirt, white shirt, twintails, short twintails, holding,"
        " holding bag, simple background, white background, long hair, hair between eyes, running track,"
        " running, star (sky), sky"
    )
    text, findings = check_one(tmp_path, vocabulary, caption)
    redundant = [f for f in findings if f.rule == "redundant-tag"]
    assert [text[f.start : f.end] for f in redundant] == [
        "skirt",
        "shirt",
        "twintails",
        "holding",
        "simple background",
    ]
    assert redundant[0].severity == "info"
    assert (
        redundant[0].message == '"skirt" is already said by "pleated skirt"; the generic tag only adds weight'
    )
    assert apply_edits(text, redundant[0].fixes[0].edits).startswith("ohwxStyle, 1girl, pleated skirt, shirt")
    assert not redundant[0].fixes[0].safe


def test_redundant_tag_through_the_vocabularys_implications(vocabulary: Path, tmp_path: Path) -> None:
    copy = shutil.copyfile(vocabulary, tmp_path / "implied.sqlite")
    store = Store.open(copy)
    with store.transaction():
        writer = Writer(store)
        assert writer.implication("cat ears", "animal ears")
        writer.finish()
    store.close()
    text, findings = check_one(tmp_path / "set", copy, "ohwxStyle, 1girl, animal ears, cat ears, smile")
    assert spans(text, findings, "redundant-tag") == ["animal ears"]
    text, findings = check_one(tmp_path / "plain", vocabulary, "ohwxStyle, 1girl, animal ears, cat ears")
    assert spans(text, findings, "redundant-tag") == []


def test_rating_tag(vocabulary: Path, tmp_path: Path) -> None:
    caption = (
        "ohwxStyle, general, 1girl, sensitive, rating:safe, questionable, explicit, rating_safe, score_9"
    )
    text, findings = check_one(tmp_path, vocabulary, caption)
    ratings = [f for f in findings if f.rule == "rating-tag"]
    assert [text[f.start : f.end] for f in ratings] == [
        "general",
        "sensitive",
        "rating:safe",
        "questionable",
        "explicit",
    ]
    assert ratings[0].severity == "warning" and ratings[0].fixes[0].safe
    assert apply_edits(text, ratings[0].fixes[0].edits).startswith("ohwxStyle, 1girl, sensitive")


def test_tag_count_counts_tag_lists_only(vocabulary: Path, tmp_path: Path) -> None:
    prose = "ohwxStyle. A young woman with long brown hair sits on a couch, reading a book."
    _, findings = check_one(tmp_path, vocabulary, prose)
    assert [f.rule for f in findings if f.rule != "missing-trigger"] == []


def test_alias_and_near_spelling_rules_leave_phrases_alone(vocabulary: Path, tmp_path: Path) -> None:
    others = {f"o{i}": "ohwxStyle, 1girl, of a young woman, smile" for i in range(4)}
    text, findings = check_one(tmp_path, vocabulary, "ohwxStyle, 1girl, of a young man, smile", **others)
    assert spans(text, findings, "inconsistent-tag") == []
    blip = "a woman smiling with her eyes closed"
    text, findings = check_one(tmp_path / "2", vocabulary, blip, "")
    assert findings == []


def test_check_summary_groups_a_repeated_pattern(vocabulary: Path, tmp_path: Path) -> None:
    captions = {f"c{i}": "1girl, skirt, pleated skirt, smile, general" for i in range(3)}
    root = write_dataset(tmp_path, captions)
    result = CliRunner().invoke(main, ["check", str(root), "--db", str(vocabulary)])
    lines = result.stdout.splitlines()
    assert 'redundant-tag: 3 captions write "skirt" beside "pleated skirt"' in lines
    assert 'rating-tag: 3 captions carry the rating label "general"' in lines
    assert lines[-1].endswith("3 captions checked.")
