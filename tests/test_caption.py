"""The caption parser: exact offsets, separators, `|||`, weights, escapes, BREAK and variant lines."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from captionls.server.caption.config import Config
from captionls.server.caption.formatter import format_caption
from captionls.server.caption.parse import Caption, Syntax, parse_caption, tag_names
from captionls.vocab.normalize import tag_key

# A last tag with an escape: it sends its line through the general parser (the tags before it must come
# out as a plain line's) and pairs with no bracket before it.
GENERAL = ", a\\(b"


def names(caption: Caption, line: int = 0) -> list[str]:
    return [tag.name for tag in caption.lines[line].tags]


def test_plain_tags_keep_exact_offsets() -> None:
    text = "ohwxStyle,  long hair , smile"
    caption = parse_caption(text)
    assert names(caption) == ["ohwxStyle", "long hair", "smile"]
    for tag in caption.tags:
        assert text[tag.start : tag.end] == tag.text == tag.name
        assert tag.key == tag_key(tag.name)
    assert [tag.index for tag in caption.tags] == [0, 1, 2]
    assert caption.tags[1].start == 12


def test_weights_are_syntax_not_name() -> None:
    text = "(long hair:1.2), ((smile)), [sky], (red hair, blue eyes:0.8), fate \\(series\\)"
    caption = parse_caption(text)
    assert names(caption) == ["long hair", "smile", "sky", "red hair", "blue eyes", "fate \\(series\\)"]
    tags = caption.tags
    assert tags[0].text == "(long hair:1.2)" and tags[0].weight == 1.2
    assert tags[1].text == "((smile))" and tags[1].weight == 1.21
    assert tags[2].weight == round(1 / 1.1, 4)
    # A group spanning two tags: each tag's span is its bare name, the brackets stay put.
    assert tags[3].text == "red hair" and tags[3].weight == 0.8
    assert tags[4].text == "blue eyes" and tags[4].weight == 0.8
    assert tags[5].key == "fate (series)" and tags[5].weight is None
    for tag in tags:
        assert text[tag.name_start : tag.name_end] == tag.name


def test_brackets_inside_names_are_read_as_the_general_parser_reads_them() -> None:
    text = "card (medium), >:), \\m/, a [b (c] d)"
    caption = parse_caption(text)
    assert names(caption) == ["card (medium)", ">:)", "\\m/", "a [b (c] d)"]
    assert caption.lines[0].tags == parse_caption(text + GENERAL).lines[0].tags[:-1]
    # A group over a separator is still one: `z` is weighted.
    assert [(tag.name, tag.weight) for tag in parse_caption("x (y, z)").tags] == [("x (y", None), ("z", 1.1)]


def test_parentheses_inside_a_tag_are_part_of_it() -> None:
    caption = parse_caption("fate (series), :), (unbalanced")
    assert names(caption) == ["fate (series)", ":)", "(unbalanced"]


def test_keep_tokens_separator_and_break() -> None:
    caption = parse_caption("ohwxStyle, 1girl ||| smile, BREAK, sky BREAK sea")
    line = caption.lines[0]
    assert names(caption) == ["ohwxStyle", "1girl", "smile", "sky", "sea"]
    assert [tag.keep for tag in line.tags] == [True, True, False, False, False]
    assert line.keep_separator == caption.text.index("|||")
    assert len(line.breaks) == 2
    assert line.empty_segments == []


def test_empty_segments() -> None:
    text = ", a,, b , ,c,"
    line = parse_caption(text).lines[0]
    assert [tag.name for tag in line.tags] == ["a", "b", "c"]
    assert [(segment.start, segment.end) for segment in line.empty_segments] == [
        (0, 0),
        (4, 4),
        (9, 10),
        (13, 13),
    ]


def test_variant_lines_and_crlf() -> None:
    text = "\ufeffa, b\r\n\r\nc, d\r\n"
    caption = parse_caption(text)
    assert [names(caption, i) for i in range(len(caption.lines))] == [["a", "b"], ["c", "d"]]
    assert caption.lines[1].index == 1
    assert caption.lines[1].tags[0].line == 1
    # Line ends exclude the `\r`.
    assert text[caption.lines[0].start : caption.lines[0].end] == "\ufeffa, b"


def test_configured_separator() -> None:
    assert names(parse_caption("a; b, c;d", Syntax(";"))) == ["a", "b, c", "d"]


def test_tag_at_and_slot_at() -> None:
    text = "long hair, , smi"
    caption = parse_caption(text)
    assert caption.tag_at(0) is caption.tags[0]
    assert caption.tag_at(9) is caption.tags[0]  # the cursor right after the tag
    assert caption.tag_at(11) is None
    assert caption.slot_at(11) == (11, 11)  # an empty slot after a separator
    assert caption.slot_at(len(text)) == (13, 16)  # the word being typed
    assert parse_caption("").slot_at(0) == (0, 0)
    assert caption.line_at(100) is None


def test_slot_at_in_attention_being_typed() -> None:
    # No closer yet: the name after the brackets is what completion replaces.
    for text in ("ohwx, (long ha", "ohwx, [[long ha", "ohwx, (long ha, smile"):
        offset = text.index("long ha") + len("long ha")
        assert parse_caption(text).slot_at(offset) == (text.index("long"), offset), text
    assert parse_caption("ohwx, (").slot_at(7) == (7, 7)
    # A name whose own parentheses are closed, or open inside it, is replaced whole.
    for text in ("ohwx, (o)_(o", "ohwx, ganyu (gen"):
        assert parse_caption(text).slot_at(len(text)) == (6, len(text)), text


def test_cjk_emoji_and_backslashes() -> None:
    text = "少女, 🐱 ears, a\\\\b, 長い髪"
    caption = parse_caption(text)
    assert names(caption) == ["少女", "🐱 ears", "a\\\\b", "長い髪"]
    assert caption.tags[1].start == text.index("🐱")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _,()[]:1.\\|\n\r BREAK\u3000😀")), max_size=60))
def test_never_raises_and_spans_are_consistent(text: str) -> None:
    caption = parse_caption(text)
    previous_end = 0
    for line in caption.lines:
        assert line.start <= line.end <= len(text)
        for tag in line.tags:
            assert line.start <= tag.start <= tag.name_start <= tag.name_end <= tag.end <= line.end
            assert tag.start >= previous_end
            previous_end = tag.end
            assert text[tag.name_start : tag.name_end] == tag.name
            assert tag.name.strip() == tag.name
            assert tag.key == tag_key(tag.name)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _,.:\n\r\t\u3000😀;()[]1\\")), max_size=40))
def test_plain_lines_parse_like_the_general_parser(text: str) -> None:
    # Brackets that pair up inside a tag and do not open it (`card (medium)`, `>:)`) keep a line plain.
    text = text.replace("\n", " ").replace("\r", " ")
    plain = parse_caption(text).lines[0]
    general = parse_caption(text + GENERAL).lines[0]
    assert general.tags[:-1] == plain.tags
    # A plain line counts its segments before making them (`empty-tag` asks of every line).
    assert plain.segment_count == general.segment_count - 1
    assert len(plain.segments) == plain.segment_count
    assert general.segments[: len(plain.segments) - 1] == plain.segments[:-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _,()[]:1.\\|\n\r BREAK\u3000😀")), max_size=60))
def test_tag_names_agree_with_the_parser(text: str) -> None:
    assert tag_names(text) == [(tag.key, tag.name) for tag in parse_caption(text).tags]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _,()[]:1.\\|\n\r BREAK\u3000😀;")), max_size=60))
def test_format_is_idempotent(text: str) -> None:
    config = Config(root=Path("."))
    once = format_caption(text, config, "spaces")
    assert format_caption(once, config, "spaces") == once
    assert [tag.key for tag in parse_caption(once).tags] == [tag.key for tag in parse_caption(text).tags]
