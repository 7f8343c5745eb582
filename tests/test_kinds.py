"""Caption kinds on real-style captions: tags, phrases and prose (tests/data/kinds/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captionls.server.caption.config import Config
from captionls.server.caption.formatter import format_caption
from captionls.server.caption.kinds import lead_of, line_kind, segment_kind
from captionls.server.caption.parse import parse_caption

KINDS = Path(__file__).resolve().parent / "data" / "kinds"
LINE_KINDS = {
    "wd14.txt": "tags",
    "template.txt": "tags",
    "guide.txt": "tags",
    "blip.txt": "prose",
    "vlm.txt": "prose",
    "hybrid.txt": "prose",
}


def captions(name: str) -> list[str]:
    return [line for line in (KINDS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(("name", "kind"), sorted(LINE_KINDS.items()))
def test_every_caption_of_a_style_gets_its_line_kind(name: str, kind: str) -> None:
    lines = captions(name)
    assert len(lines) >= 4
    wrong = [text for text in lines if parse_caption(text).lines[0].kind != kind]
    assert wrong == []


def test_the_template_captions_have_38_tags() -> None:
    assert {len(parse_caption(text).lines[0].tags) for text in captions("template.txt")} == {38}


def test_vlm_paragraphs_are_60_to_200_words() -> None:
    assert all(60 <= len(text.split()) <= 200 for text in captions("vlm.txt"))


@pytest.mark.parametrize(
    ("kind", "text"), [tuple(line.split("\t")) for line in captions("segments.txt")], ids=lambda v: v[:30]
)
def test_segment_kinds(kind: str, text: str) -> None:
    assert segment_kind(text) == kind


def test_each_line_of_a_file_has_its_own_kind() -> None:
    caption = parse_caption("ohwx, 1girl, smile, sitting\nA woman sits on a bench. She smiles.\n")
    assert [line.kind for line in caption.lines] == ["tags", "prose"]


def test_a_line_with_a_few_clauses_among_tags_stays_a_tag_list() -> None:
    line = parse_caption(captions("guide.txt")[1]).lines[0]
    assert line.kind == "tags"
    kinds = {tag.name: tag.kind for tag in line.tags}
    assert kinds["the ships are red and white"] == "prose"
    assert kinds["small waves"] == "tag"


def test_a_line_of_names_seen_before_gets_the_same_kind() -> None:
    # Names met on tag lists are remembered as plain: a line of only those is a tag list at once; a line
    # with one more name (prose here) is judged in full again.
    tag_list = ["ohwx", "1girl", "smile", "sitting", "couch"]
    hybrid = ["ohwx", "a young woman with long brown hair sitting on the couch in her room"]
    sentences = ["ohwx. A woman sits", "smile"]
    first = [line_kind(names) for names in (tag_list, hybrid, sentences)]
    again = [line_kind(names) for names in (tag_list, hybrid, sentences, tag_list[:3])]
    assert first == ["tags", "prose", "prose"]
    assert again == [*first, "tags"]


def test_an_empty_line_is_a_tag_list() -> None:
    assert line_kind([]) == "tags"
    assert parse_caption("").lines[0].kind == "tags"


def test_lead_is_the_text_before_a_sentence_end() -> None:
    assert lead_of("ohwx. A young woman lies on a bed") == "ohwx"
    assert lead_of("ohwx") == "ohwx"
    assert lead_of("dr. stone") == "dr. stone"
    assert lead_of("A woman sits. She smiles.") == "A woman sits"
    assert lead_of("score_9") == "score_9"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab _,.!?AB()[]|\n\r\u3000😀", "BREAK", "She is", "the "])).map("".join))
def test_any_text_gets_kinds_and_format_keeps_its_prose_lines(text: str) -> None:
    caption = parse_caption(text)
    formatted = parse_caption(format_caption(text, Config(root=Path(".")), "spaces"))
    for line in caption.lines:
        assert line.kind in ("tags", "prose")
        assert all(tag.kind in ("tag", "phrase", "prose") for tag in line.tags)
        assert all(lead_of(tag.name) in tag.name for tag in line.tags)
    prose = [text[line.start : line.end] for line in caption.lines if line.kind == "prose"]
    kept = [formatted.text[line.start : line.end] for line in formatted.lines]
    assert all(line in kept for line in prose)
