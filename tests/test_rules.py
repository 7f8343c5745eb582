"""Every rule: where it fires, its message, its fixes, and where it stays quiet."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captionls.server.caption.checker import CheckContext, check_text
from captionls.server.caption.config import Config, RuleSetting, load_config
from captionls.server.caption.files import apply_edits
from captionls.server.caption.findings import Finding
from captionls.server.caption.rules import inconsistent_tag
from captionls.server.caption.rules.registry import RULES
from captionls.server.caption.structure import builtin_section
from tests.kit.datasets import context, write_dataset

CLEAN = (
    "ohwxStyle, 1girl, solo, full body, from side, sitting, looking at viewer, smile, head tilt,"
    " short hair, brown hair, white dress, sunlight, indoors, couch, wooden floor"
)
TRIGGER = 'trigger = ["ohwxStyle"]\n'


def check(
    tmp_path: Path,
    vocabulary: Path,
    caption: str,
    others: dict[str, str] | None = None,
    config: str = TRIGGER,
) -> tuple[str, list[Finding], CheckContext]:
    root = write_dataset(tmp_path / "set", {"target": caption, **(others or {})}, config)
    ctx = context(root, vocabulary)
    return caption, check_text(root / "target.txt", caption, ctx), ctx


def of(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def fixed(text: str, finding: Finding) -> str:
    return apply_edits(text, finding.fixes[0].edits)


def test_a_clean_caption_has_no_findings(tmp_path: Path, vocabulary: Path) -> None:
    _, findings, _ = check(tmp_path, vocabulary, CLEAN)
    assert findings == []


def test_registry_rules_are_complete() -> None:
    # The names themselves are pinned by tests/rules/fixtures/<name>/, one folder per rule.
    for name, rule in RULES.items():
        assert name == rule.name and re.fullmatch(r"[a-z]+(-[a-z]+)+", name)
        assert rule.doc and rule.severity in ("error", "warning", "info", "hint")
        assert rule.summary and "\n" not in rule.summary and rule.fix
        assert "Bad: " in rule.doc and "Good: " in rule.doc, f"{name}'s doc needs a bad and a good example"


def test_duplicate_tag_after_normalisation_and_aliases(tmp_path: Path, vocabulary: Path) -> None:
    text = CLEAN + ", Short_Hair, (smile:1.2), smiling"
    _, findings, _ = check(tmp_path, vocabulary, text)
    duplicates = of(findings, "duplicate-tag")
    assert [text[d.start : d.end] for d in duplicates] == ["Short_Hair", "(smile:1.2)", "smiling"]
    assert duplicates[0].severity == "warning"
    assert duplicates[0].message == '"Short_Hair" repeats "short hair" earlier in this caption'
    assert duplicates[2].message == '"smiling" is the same tag as "smile" earlier in this caption'
    assert text[duplicates[0].related[0].start : duplicates[0].related[0].end] == "short hair"
    assert fixed(text, duplicates[1]) == CLEAN + ", Short_Hair, smiling"
    assert all(d.fixes[0].safe for d in duplicates)


def test_repeated_word(tmp_path: Path, vocabulary: Path) -> None:
    text = CLEAN.replace(", indoors", ", simple background, white background, lamp in background")
    _, findings, _ = check(tmp_path, vocabulary, text, {"other": "lamp in background"})
    (finding,) = of(findings, "repeated-word")
    assert finding.severity == "info"
    assert text[finding.start : finding.end] == "background"
    assert finding.message.startswith('"background" is named in 3 tags (simple background, white background,')
    assert [text[r.start : r.end] for r in finding.related] == ["background"] * 3
    assert finding.fixes == []


def test_repeated_word_options(tmp_path: Path, vocabulary: Path) -> None:
    text = "ohwxStyle, long hair, brown hair, wavy hair, walls, clock on wall, painted wall"
    _, findings, _ = check(tmp_path, vocabulary, text)
    assert sorted(f.message.split('"')[1] for f in of(findings, "repeated-word")) == ["hair", "wall"]
    config = TRIGGER + '[rules]\nrepeated-word = { min = 4, ignore = ["hair"] }\n'
    _, findings, _ = check(tmp_path / "2", vocabulary, text, config=config)
    assert of(findings, "repeated-word") == []


def test_non_canonical_tag(tmp_path: Path, vocabulary: Path) -> None:
    text = CLEAN.replace("smile", "smiling")
    _, findings, _ = check(tmp_path, vocabulary, text)
    (finding,) = of(findings, "non-canonical-tag")
    assert finding.message == '"smiling" is an alias of "smile"'
    assert fixed(text, finding) == CLEAN


def test_inconsistent_tag_through_an_alias(tmp_path: Path, vocabulary: Path) -> None:
    others = {f"o{i}": "ohwxStyle, arms up, 1girl" for i in range(10)}
    text = CLEAN.replace("head tilt", "raised arms")
    _, findings, _ = check(tmp_path, vocabulary, text, others)
    (finding,) = of(findings, "inconsistent-tag")
    assert finding.severity == "warning"
    assert finding.message == 'the dataset writes this as "arms up" in 10 captions ("raised arms": 1)'
    assert fixed(text, finding) == CLEAN.replace("head tilt", "arms up")


def test_inconsistent_tag_style_and_near_spelling(tmp_path: Path, vocabulary: Path) -> None:
    others = {f"o{i}": "ohwxStyle, looking at viewer, blue sky haze, 1girl" for i in range(3)}
    text = "ohwxStyle, looking_at_viewer, blue sky hase"
    _, findings, _ = check(tmp_path, vocabulary, text, others)
    found = {text[f.start : f.end]: f for f in of(findings, "inconsistent-tag")}
    assert set(found) == {"looking_at_viewer", "blue sky hase"}
    assert fixed(text, found["blue sky hase"]) == "ohwxStyle, looking_at_viewer, blue sky haze"
    # A tie is not "more often": nothing to converge on.
    _, findings, _ = check(tmp_path / "tie", vocabulary, "arms_up", {"o": "arms up"}, config="")
    assert of(findings, "inconsistent-tag") == []


def test_inconsistent_tag_never_pushes_towards_an_alias(tmp_path: Path, vocabulary: Path) -> None:
    others = {f"o{i}": "raised arms" for i in range(5)}
    _, findings, _ = check(tmp_path, vocabulary, "arms up", others, config="")
    assert of(findings, "inconsistent-tag") == []
    config = "[rules]\nnon-canonical-tag = 'off'\n"
    _, findings, _ = check(tmp_path / "off", vocabulary, "arms up", others, config=config)
    assert [f.message for f in of(findings, "inconsistent-tag")] == [
        'the dataset writes this as "raised arms" in 5 captions ("arms up": 1)'
    ]


def test_unknown_tag(tmp_path: Path, vocabulary: Path) -> None:
    # Only a typo is unknown: "lamp in background" and "my own thing" are close to no tag.
    text = "ohwxStyle, smlie, lamp in background, shared phrase, my own thing"
    _, findings, _ = check(tmp_path, vocabulary, text, {"other": "shared phrase"})
    unknown = of(findings, "unknown-tag")
    assert [text[f.start : f.end] for f in unknown] == ["smlie"]
    assert unknown[0].severity == "hint"
    assert unknown[0].message.startswith('"smlie" is not a known tag; did you mean "smile"?')
    titles = [fix.title for fix in unknown[0].fixes]
    assert titles[0] == 'Replace with "smile"' and len(titles) <= 3
    assert not any(fix.safe for fix in unknown[0].fixes)
    assert fixed(text, unknown[0]) == text.replace("smlie", "smile")


def test_structure_order(tmp_path: Path, vocabulary: Path) -> None:
    text = "smile, ohwxStyle, wooden floor, sitting, my own thing, short hair, 1girl"
    _, findings, _ = check(tmp_path, vocabulary, text)
    order = of(findings, "structure-order")
    # The fewest tags to move, one finding each (ohwxStyle, sitting, short hair are in order).
    assert [text[f.start : f.end] for f in order] == ["smile", "wooden floor", "1girl"]
    assert order[1].message.startswith(
        '"wooden floor" (background) stands before "sitting" (action); the order'
    )
    assert not order[0].fixes[0].safe
    # Sectionless "my own thing" keeps its neighbour "sitting"; triggers first.
    assert fixed(text, order[0]) == "ohwxStyle, 1girl, smile, sitting, my own thing, short hair, wooden floor"


def test_structure_order_keeps_runs_and_groups(tmp_path: Path, vocabulary: Path) -> None:
    text = "ohwxStyle, sitting, 1girl ||| wooden floor, smile"
    _, findings, _ = check(tmp_path, vocabulary, text)
    order = of(findings, "structure-order")
    assert fixed(text, order[0]) == "ohwxStyle, 1girl, sitting ||| wooden floor, smile"
    # Inside one weight group the tags can move; across a group's edge they cannot.
    grouped = "(wooden floor, smile:1.2)"
    _, findings, _ = check(tmp_path / "g", vocabulary, grouped, config="")
    assert fixed(grouped, of(findings, "structure-order")[0]) == "(smile, wooden floor:1.2)"
    grouped = "(wooden floor, smile:1.2), 1girl"
    _, findings, _ = check(tmp_path / "h", vocabulary, grouped, config="")
    assert [f.fixes for f in of(findings, "structure-order")] == [[], []]


def test_sections_from_config_and_builtin(tmp_path: Path, vocabulary: Path) -> None:
    assert builtin_section("coffee machine sitting on a countertop") == "background"
    assert builtin_section("pale pink dress with dark edges") == "subject"
    assert builtin_section("holding a phone") == "action"
    assert builtin_section("dreary environment") == "associations"
    assert builtin_section("stuffed animal in lap") is None
    config = TRIGGER + '[sections]\nbackground = ["sitting"]\n'
    _, findings, ctx = check(tmp_path, vocabulary, "ohwxStyle, smile, wooden floor, sitting", config=config)
    assert ctx.sections.section_of("sitting") == "background"
    assert of(findings, "structure-order") == []


def test_missing_trigger(tmp_path: Path, vocabulary: Path) -> None:
    text = "1girl, solo"
    _, findings, _ = check(tmp_path, vocabulary, text)
    (finding,) = of(findings, "missing-trigger")
    assert finding.message == 'the trigger "ohwxStyle" is missing; it goes first'
    assert fixed(text, finding) == "ohwxStyle, 1girl, solo"
    text = "1girl, ohwxStyle, solo"
    _, findings, _ = check(tmp_path / "2", vocabulary, text)
    (finding,) = of(findings, "missing-trigger")
    assert "tag 2, not within the first 1" in finding.message
    assert fixed(text, finding) == "ohwxStyle, 1girl, solo"
    text = "1girl ||| ohwxStyle, solo"
    _, findings, _ = check(tmp_path / "3", vocabulary, text, config=TRIGGER + "keep_tokens = 2\n")
    (finding,) = of(findings, "missing-trigger")
    assert "after |||" in finding.message
    _, findings, _ = check(tmp_path / "4", vocabulary, "", config=TRIGGER)
    assert fixed("", of(findings, "missing-trigger")[0]) == "ohwxStyle"


def test_empty_tag(tmp_path: Path, vocabulary: Path) -> None:
    text = "ohwxStyle,, 1girl , ,solo,"
    _, findings, _ = check(tmp_path, vocabulary, text)
    empty = of(findings, "empty-tag")
    assert len(empty) == 3
    assert all(text[f.start : f.end] == "," for f in empty)
    assert apply_edits(text, [e for f in empty for e in f.fixes[0].edits]) == "ohwxStyle, 1girl,solo"


def test_tag_count_per_line(tmp_path: Path, vocabulary: Path) -> None:
    text = CLEAN + "\nohwxStyle, 1girl\n"
    _, findings, _ = check(tmp_path, vocabulary, text)
    (finding,) = of(findings, "tag-count")
    assert finding.message == "2 tags in this caption variant, fewer than 8 (aim for 8 to 20)"
    assert finding.start == text.index("\n") + 1
    _, findings, _ = check(tmp_path / "2", vocabulary, CLEAN, config=TRIGGER + "max_tags = 10\n")
    assert of(findings, "tag-count")[0].message == "16 tags in this caption, more than 10 (aim for 8 to 10)"


def test_severity_options_select_and_ignore(tmp_path: Path, vocabulary: Path) -> None:
    text = "1girl,, solo"
    root = write_dataset(tmp_path / "s", {"target": text}, TRIGGER)
    base = load_config(root)
    config = Config(
        **{
            **base.__dict__,
            "rules": {"empty-tag": RuleSetting("error"), "tag-count": RuleSetting("off")},
        }
    )
    ctx = context(root, vocabulary, config)
    findings = check_text(root / "target.txt", text, ctx)
    assert {f.rule: f.severity for f in findings} == {"missing-trigger": "warning", "empty-tag": "error"}
    ctx = CheckContext(config, ctx.vocabulary, ctx.index, select={"empty-tag", "tag-count"})
    assert [f.rule for f in check_text(root / "target.txt", text, ctx)] == ["empty-tag"]
    ctx = CheckContext(config, ctx.vocabulary, ctx.index, ignore={"empty-tag"})
    assert [f.rule for f in check_text(root / "target.txt", text, ctx)] == ["missing-trigger"]


def test_triggers_are_never_unknown_or_repeated(tmp_path: Path, vocabulary: Path) -> None:
    config = 'trigger = ["ohwx background style"]\n'
    text = "ohwx background style, simple background, white background, 1girl"
    _, findings, _ = check(tmp_path, vocabulary, text, config=config)
    assert of(findings, "unknown-tag") == [] and of(findings, "repeated-word") == []


TOKENS = [
    "ohwxStyle",
    "smile",
    "Smile",
    "smiling",
    "arms up",
    "raised arms",
    "1girl",
    "wooden floor",
    "",
    " ",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from([",", ", ", " ,"]))
def test_safe_fixes_settle_and_stay_settled(
    tmp_path: Path, vocabulary: Path, tokens: list[str], glue: str
) -> None:
    text = glue.join(tokens)
    root = write_dataset(tmp_path / "h", {"target": text, "o1": "arms up, smile", "o2": "arms up"}, TRIGGER)
    ctx = context(root, vocabulary)
    path = root / "target.txt"
    for _ in range(5):
        edits = [e for f in check_text(path, text, ctx) for fix in f.fixes if fix.safe for e in fix.edits]
        fixed_text = apply_edits(text, edits)
        if fixed_text == text:
            break
        text = fixed_text
        ctx.index.update(path, text)
    else:
        raise AssertionError(f"fixes did not settle: {text!r}")
    assert not any(fix.safe for f in check_text(path, text, ctx) for fix in f.fixes)
    if tokens:
        assert text.startswith("ohwxStyle")


def test_unknown_tags_with_glob_characters_and_emoji(tmp_path: Path, vocabulary: Path) -> None:
    # SQLite 3.40's trigram GLOB crashed the process on `*🎨b[[]1girl*`: the search must not send it.
    text = "ohwxStyle, _🎨b[1girl, a*b?c, [x"
    _, findings, ctx = check(tmp_path, vocabulary, text)
    # None is a typo of a known tag; the searches behind that answer ran and survived them.
    assert of(findings, "unknown-tag") == []
    assert ctx.typo_matches("_🎨b[1girl", "_🎨b[1girl") == []


def test_near_duplicates_follow_the_dataset(tmp_path: Path, vocabulary: Path) -> None:
    others = {f"o{i}": "blue sky haze" for i in range(3)}
    _, _, ctx = check(tmp_path, vocabulary, "blue sky hase", others, config="")
    root = tmp_path / "set"
    phrasings = ctx.state(inconsistent_tag.Phrasings)
    assert phrasings.near_duplicate("blue sky hase", 2) == "blue sky haze"
    for i in range(3):
        ctx.index.update(root / f"o{i}.txt", "sky")
    assert phrasings.near_duplicate("blue sky hase", 2) is None
    for i in range(2):
        ctx.index.update(root / f"o{i}.txt", "blue sky hasf")
    assert phrasings.near_duplicate("blue sky hase", 2) == "blue sky hasf"
    findings = check_text(root / "target.txt", "blue sky hase", ctx)
    assert [f.message for f in of(findings, "inconsistent-tag")] == [
        'the dataset writes this as "blue sky hasf" in 2 captions ("blue sky hase": 1)'
    ]


def test_a_duplicated_tag_is_not_a_repeated_word(tmp_path: Path, vocabulary: Path) -> None:
    _, findings, _ = check(tmp_path, vocabulary, "ohwxStyle, long hair, long_hair, Long Hair, short hair")
    assert len(of(findings, "duplicate-tag")) == 2
    assert of(findings, "repeated-word") == []


def test_missing_trigger_goes_before_a_weight_group(tmp_path: Path, vocabulary: Path) -> None:
    text = "(1girl, solo:1.2), smile"
    _, findings, _ = check(tmp_path, vocabulary, text)
    assert fixed(text, of(findings, "missing-trigger")[0]) == "ohwxStyle, (1girl, solo:1.2), smile"
