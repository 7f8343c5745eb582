from __future__ import annotations

import pytest

from captionls.vocab.normalize import is_kaomoji, strip_weight, styled, tag_key


@pytest.mark.parametrize(
    "written",
    [
        "long_hair",
        "Long Hair",
        "long hair",
        "  long   hair ",
        "(long_hair:1.2)",
        "((long hair))",
        "[Long_Hair]",
    ],
)
def test_spellings_of_one_tag_share_a_key(written: str) -> None:
    assert tag_key(written) == "long hair"


def test_escaped_parentheses_are_the_same_tag_as_plain_ones() -> None:
    assert tag_key(r"fate \(series\)") == tag_key("fate (series)") == "fate (series)"
    assert tag_key(r"(fate \(series\):0.8)") == "fate (series)"


def test_parentheses_inside_a_tag_are_not_attention_syntax() -> None:
    assert strip_weight("fate (series)") == "fate (series)"
    assert strip_weight("(a) and (b)") == "(a) and (b)"
    assert strip_weight("()") == "()"
    assert strip_weight(":)") == ":)"


def test_non_ascii_keys_are_case_folded_not_mangled() -> None:
    assert tag_key("Ｃａｆé_ＣＪＫ 猫") == "ｃａｆé ｃｊｋ 猫"
    assert tag_key("🐱_Cat") == "🐱 cat"
    assert tag_key("STRASSE") == tag_key("straße")


def test_kaomoji_keep_their_underscores_when_styled() -> None:
    assert is_kaomoji("^_^") and is_kaomoji("o_o") and is_kaomoji("(o)_(o)")
    assert not is_kaomoji("long_hair")
    assert styled("^_^") == "^_^"
    assert styled("long_hair") == "long hair"
    assert styled("long hair", "underscores") == "long_hair"


def test_styled_escapes_parentheses_once() -> None:
    assert styled("fate_(series)", escape_parentheses=True) == r"fate \(series\)"
    assert styled(r"fate \(series\)", escape_parentheses=True) == r"fate \(series\)"
