"""sd-scripts' caption syntax (`|||`, `;;;`, `{a|b}`, prefix and suffix): the caption model, the text the
trainer sees, and every rule, fix and `format` on captions that use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captionls.server.caption.checker import check_text
from captionls.server.caption.config import Config
from captionls.server.caption.findings import Edit
from captionls.server.caption.fixes import fix_text
from captionls.server.caption.formatter import format_caption
from captionls.server.caption.parse import Syntax, parse_caption
from captionls.server.caption.trainer import trained_text
from tests.kit.datasets import context, write_dataset
from tests.kit.vocabularies import make_vocabulary

UNITS = Syntax(secondary_separator=";;;")


def names(text: str, syntax: Syntax = UNITS) -> list[tuple[str, int, int | None, int]]:
    """(name, unit, wildcard offset, choice) of each tag."""
    return [(tag.name, tag.unit, tag.wildcard, tag.choice) for tag in parse_caption(text, syntax).tags]


def test_a_secondary_unit_is_one_unit_of_several_tags() -> None:
    assert names("a, sky;;;cloud;;;day, b") == [
        ("a", 0, None, 0),
        ("sky", 1, None, 0),
        ("cloud", 1, None, 0),
        ("day", 1, None, 0),
        ("b", 2, None, 0),
    ]
    # Without the key, `;;;` is part of a name.
    assert [tag.name for tag in parse_caption("a, sky;;;cloud").tags] == ["a", "sky;;;cloud"]


def test_a_wildcard_segment_holds_each_choice_with_its_own_span() -> None:
    text = "ohwx, {smile|grin, open mouth|}, b"
    caption = parse_caption(text)
    at = text.index("{")
    assert names(text) == [
        ("ohwx", 0, None, 0),
        ("smile", 1, at, 0),
        ("grin", 1, at, 1),
        ("open mouth", 1, at, 1),
        ("b", 2, None, 0),
    ]
    for tag in caption.tags:
        assert text[tag.name_start : tag.name_end] == tag.name
    # The separator inside the braces cuts nothing: three segments.
    assert len(caption.lines[0].segments) == 3


def test_a_wildcard_inside_a_tag_expands_to_each_choice() -> None:
    text = "{simple|white} background, {{retro style}}"
    assert names(text) == [
        ("simple background", 0, 0, 0),
        ("white background", 0, 0, 1),
        ("{{retro style}}", 1, None, 0),
    ]
    tag = parse_caption(text).tags[0]
    # An expansion is no span of the text: it covers its segment, and no edit may cut into the braces.
    assert (tag.name_start, tag.name_end) == (0, text.index(","))
    line = parse_caption(text).lines[0]
    assert not line.keeps_syntax(0, 7, "plain")  # the `{` goes
    assert not line.keeps_syntax(1, 25, "plain background")
    assert line.keeps_syntax(1, 7, "plain")  # inside the first choice
    assert not line.keeps_syntax(1, 7, "a|b")
    assert line.keeps_syntax(0, text.index(","), "")  # the whole wildcard


def test_the_keep_separator_fixes_a_prefix_and_a_suffix() -> None:
    caption = parse_caption("a, b ||| c, d ||| e, f")
    assert [tag.keep for tag in caption.tags] == [True, True, False, False, True, True]
    assert [tag.unit for tag in caption.tags] == [0, 1, 2, 3, 4, 5]
    other = parse_caption("a, b ### c", Syntax(keep_separator="###"))
    assert [tag.keep for tag in other.tags] == [True, True, False]
    literal = parse_caption("a, b ||| c", Syntax(keep_separator=""))
    assert [tag.name for tag in literal.tags] == ["a", "b ||| c"]


def test_a_wildcard_choice_is_what_the_cursor_is_in() -> None:
    text = "ohwx, {smile|gri}"
    caption = parse_caption(text)
    assert caption.slot_at(len(text) - 1) == (text.index("gri"), len(text) - 1)
    assert caption.slot_at(text.index("|") + 1) == (text.index("gri"), len(text) - 1)
    assert caption.slot_at(text.index("{") + 1) == (text.index("smile"), text.index("|"))
    # Typing a wildcard, no `}` yet: the choice under the cursor.
    typing = parse_caption("ohwx, {smile|sit")
    assert typing.slot_at(16) == (13, 16)
    assert typing.slot_at(9) == (7, 12)
    expansion = parse_caption("{simple|white} backgr")
    assert expansion.slot_at(len("{simple|white} backgr")) == (21, 21)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*"ab ,;{}|()\\:1\n", "|||", ";;;", "{{", "}}", "BREAK"]), max_size=40).map(
        "".join
    )
)
def test_wildcards_never_raise_and_spans_stay_in_the_line(text: str) -> None:
    caption = parse_caption(text, UNITS)
    for line in caption.lines:
        for tag in line.tags:
            assert line.start <= tag.start <= tag.name_start <= tag.name_end <= tag.end <= line.end
            # Only a wildcard's expansion is a name that is not a span of the text.
            assert text[tag.name_start : tag.name_end] == tag.name or tag.wildcard is not None
            assert tag.name.strip() == tag.name


CONFIG = Config(
    root=Path("."),
    shuffle_caption=True,
    secondary_separator=";;;",
    enable_wildcard=True,
    caption_prefix="ohwx,",
    caption_suffix=", best quality",
)


@pytest.mark.parametrize(
    ("line", "config", "trained"),
    [
        # sd-scripts' own examples (docs/config_README-en.md).
        (
            "1girl, hatsune miku, vocaloid ||| stage, microphone ||| best quality, rating: general",
            Config(root=Path("."), shuffle_caption=True),
            "1girl, hatsune miku, vocaloid, stage, microphone, best quality, rating: general",
        ),
        (
            "upper body, sky;;;cloud;;;day",
            Config(root=Path("."), secondary_separator=";;;"),
            "upper body, sky,cloud,day",
        ),
        (
            "1girl, {simple|white} background",
            Config(root=Path("."), enable_wildcard=True),
            "1girl, simple background",
        ),
        ("1girl, {{retro style}}", Config(root=Path("."), enable_wildcard=True), "1girl, {retro style}"),
        # Without enable_wildcard the braces are trained as written; without shuffling `|||` stays.
        ("a, {b|cc}", Config(root=Path(".")), "a, {b|cc}"),
        ("a ||| b", Config(root=Path(".")), "a ||| b"),
        # The prefix and suffix join with a space; empty tags around `|||` go, others stay.
        (
            "1girl ||| {smile|grin, open mouth}, sky;;;sea",
            CONFIG,
            "ohwx, 1girl, grin, open mouth, sky,sea, best quality",
        ),
        ("a,,b", Config(root=Path("."), shuffle_caption=True), "a, , b"),
    ],
)
def test_trained_text_follows_process_caption(line: str, config: Config, trained: str) -> None:
    assert trained_text(line, config) == trained


def dataset(tmp_path: Path, captions: dict[str, str], config: str) -> tuple[Path, Path]:
    root = write_dataset(tmp_path / "set", captions, config)
    return root, make_vocabulary(tmp_path / "vocabulary.sqlite")


SD_CAPTIONS = {
    "a": "ohwxStyle, 1girl ||| {smile|grin}, long hair, sky;;;cloud, sitting ||| best quality",
    "b": "ohwxStyle, 1girl, solo ||| {short|long} hair, {standing|sitting}, from side, closed eyes",
    "c": "ohwxStyle ||| 1girl, {{retro style}}, full body, {smile|smile, looking at viewer}, head tilt",
}
SD_CONFIG = """\
trigger = ["ohwxStyle"]
keep_tokens = 1
secondary_separator = ";;;"
enable_wildcard = true
min_tags = 3
"""


def test_captions_with_the_syntax_have_no_findings(tmp_path: Path) -> None:
    root, vocabulary = dataset(tmp_path, SD_CAPTIONS, SD_CONFIG)
    ctx = context(root, vocabulary)
    for name, text in SD_CAPTIONS.items():
        findings = check_text(root / f"{name}.txt", text, ctx)
        assert [(f.rule, f.message) for f in findings if f.rule != "structure-order"] == [], name


def test_the_trigger_may_stand_anywhere_before_the_keep_separator(tmp_path: Path) -> None:
    captions = {
        "a": "1girl, solo, ohwxStyle ||| smile",
        "b": "1girl ||| ohwxStyle, smile",
        "c": "1girl, ohwxStyle",
    }
    root, vocabulary = dataset(tmp_path, captions, 'trigger = ["ohwxStyle"]\nkeep_tokens = 1\n')
    ctx = context(root, vocabulary)
    messages = {
        name: [f.message for f in check_text(root / f"{name}.txt", text, ctx) if f.rule == "missing-trigger"]
        for name, text in captions.items()
    }
    assert messages == {
        "a": [],
        "b": ['the trigger "ohwxStyle" is after |||; move it to the front'],
        "c": ['the trigger "ohwxStyle" is tag 2, not within the first 1; move it to the front'],
    }


def test_a_trigger_the_prefix_adds_is_never_missing(tmp_path: Path) -> None:
    captions = {"a": "1girl, smile", "b": "ohwxStyle, 1girl"}
    config = 'trigger = ["ohwxStyle", "1girl"]\nkeep_tokens = 2\ncaption_prefix = "ohwxStyle,"\n'
    root, vocabulary = dataset(tmp_path, captions, config)
    ctx = context(root, vocabulary)
    found = {
        name: [f.message for f in check_text(root / f"{name}.txt", text, ctx) if f.rule == "missing-trigger"]
        for name, text in captions.items()
    }
    # The prefix is the first kept tag: `1girl` must be the caption's first.
    assert found == {
        "a": [],
        "b": ['the trigger "1girl" is tag 2, not within the first 1; move it to the front'],
    }


def test_without_keep_tokens_the_prefix_does_not_move_the_trigger(tmp_path: Path) -> None:
    captions = {"a": "ohwxStyle, 1girl, smile", "b": "1girl, ohwxStyle"}
    root, vocabulary = dataset(
        tmp_path, captions, 'trigger = ["ohwxStyle"]\ncaption_prefix = "masterpiece,"\n'
    )
    ctx = context(root, vocabulary)
    found = {
        name: [f.message for f in check_text(root / f"{name}.txt", text, ctx) if f.rule == "missing-trigger"]
        for name, text in captions.items()
    }
    assert found == {
        "a": [],
        "b": ['the trigger "ohwxStyle" is tag 2, not within the first 1; move it to the front'],
    }


def test_duplicates_count_units_and_choices_but_not_alternatives(tmp_path: Path) -> None:
    captions = {
        "a": "ohwxStyle, {smile|grin}, smile, {short hair|long hair, short hair}",
        "b": "ohwxStyle, sky;;;cloud;;;sky, 1girl",
    }
    root, vocabulary = dataset(tmp_path, captions, SD_CONFIG)
    ctx = context(root, vocabulary)
    a = [f for f in check_text(root / "a.txt", captions["a"], ctx) if f.rule == "duplicate-tag"]
    assert [f.message for f in a] == ['"smile" repeats "smile" earlier in this caption']
    assert (
        fix_text(root / "a.txt", captions["a"], ctx)
        == "ohwxStyle, {smile|grin}, {short hair|long hair, short hair}"
    )
    # The later part of a unit goes with its `;;;`, and the unit stays one.
    assert fix_text(root / "b.txt", captions["b"], ctx) == "ohwxStyle, sky;;;cloud, 1girl"


def test_a_fix_that_would_cut_a_wildcard_is_not_offered(tmp_path: Path) -> None:
    captions = {"a": "ohwxStyle, smile, {smile|grin}, 1girl"}
    root, vocabulary = dataset(tmp_path, captions, SD_CONFIG)
    ctx = context(root, vocabulary)
    duplicate = next(f for f in check_text(root / "a.txt", captions["a"], ctx) if f.rule == "duplicate-tag")
    assert duplicate.fixes == []
    assert fix_text(root / "a.txt", captions["a"], ctx) == captions["a"]


def test_a_choice_is_renamed_inside_its_braces(tmp_path: Path) -> None:
    captions = {"a": "ohwxStyle, 1girl, {smiling|grin}, {smiling|grin} face"}
    root, vocabulary = dataset(tmp_path, captions, SD_CONFIG)
    ctx = context(root, vocabulary)
    findings = [f for f in check_text(root / "a.txt", captions["a"], ctx) if f.rule == "non-canonical-tag"]
    # The whole-segment choice is renamed in place; the expansion `smiling face` cannot be, and is not one
    # the vocabulary knows as an alias.
    assert [(f.message, [fix.edits for fix in f.fixes]) for f in findings] == [
        (findings[0].message, [[Edit(19, 26, "smile")]])
    ]


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        (
            "ohwxStyle,1girl|||{smile|grin,  open_mouth} ,sky;;;cloud",
            "ohwxStyle, 1girl ||| {smile|grin,  open_mouth}, sky;;;cloud",
        ),
        ("a ,, {simple|white}  background,long_hair", "a, {simple|white}  background, long hair"),
    ],
)
def test_format_keeps_wildcards_and_units(text: str, formatted: str) -> None:
    config = Config(root=Path("."), secondary_separator=";;;")
    assert format_caption(text, config, "spaces") == formatted
    assert format_caption(formatted, config, "spaces") == formatted


def _stray_braces(text: str, syntax: Syntax) -> str:
    """The braces of `text` that are neither escaped nor a wildcard's."""
    for line in parse_caption(text, syntax).lines:
        for wildcard in reversed(line.wildcards):
            text = text[: wildcard.start] + text[wildcard.end :]
    return "".join(char for char in text.replace("{{", "").replace("}}", "") if char in "{}")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *("smile", "Smile", "smiling", "sole female", "1girl", "{smile|grin}", "{smiling|grin}"),
                *("{simple|white} background", "sky;;;cloud", "sky;;;sky", "{a|}", "{{x}}", "", " ||| "),
                *("long_hair", "(smile:1.2)", "{long hair|short hair, smile}", "wooden floor", "sitting"),
            ]
        ),
        max_size=8,
    )
)
def test_fix_and_format_never_break_a_wildcard(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[str]
) -> None:
    text = ", ".join(pieces)
    root, vocabulary = dataset(tmp_path_factory.mktemp("fuzz"), {"a": text}, SD_CONFIG)
    ctx = context(root, vocabulary)
    syntax = ctx.config.syntax
    count = sum(len(line.wildcards) for line in parse_caption(text, syntax).lines)
    for result in (
        fix_text(root / "a.txt", text, ctx, fix_order=True),
        format_caption(text, ctx.config, "spaces"),
    ):
        # A fix may rename a choice, or delete a wildcard whole; braces are never left broken.
        assert _stray_braces(result, syntax) == "", (text, result)
        assert sum(len(line.wildcards) for line in parse_caption(result, syntax).lines) <= count
