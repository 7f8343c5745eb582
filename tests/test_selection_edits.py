"""Adding, removing and moving tags in one caption's text (the batch operations' domain)."""

from __future__ import annotations

import pytest

from captionls.server.caption.parse import Syntax
from captionls.server.caption.selection.tag_edits import BadPlacement, Placement, TagEditor, parse_placement

ALIASES = {"longhair": "long hair", "smiling": "smile"}
EDITOR = TagEditor(lambda key: ALIASES.get(key, key), frozenset({"ohwx"}), Syntax())


def add(text: str, *names: str, at: str = "end") -> str:
    return EDITOR.add(text, list(names), parse_placement(at))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("end", "ohwx, 1girl, smile, solo, hat"),
        ("start", "ohwx, hat, 1girl, smile, solo"),  # never before the trigger
        ("1", "ohwx, hat, 1girl, smile, solo"),
        ("3", "ohwx, 1girl, hat, smile, solo"),
        ("99", "ohwx, 1girl, smile, solo, hat"),
        ("after:smile", "ohwx, 1girl, smile, hat, solo"),
        ("before:smiling", "ohwx, 1girl, hat, smile, solo"),  # an alias names its tag
        ("before:ohwx", "ohwx, hat, 1girl, smile, solo"),
        ("after:absent", "ohwx, 1girl, smile, solo, hat"),
    ],
)
def test_add_at(at: str, expected: str) -> None:
    assert add("ohwx, 1girl, smile, solo", "hat", at=at) == expected


def test_add_skips_what_is_there_in_any_style_or_alias() -> None:
    assert add("ohwx, long_hair, smile", "longhair", "Smile", "hat") == "ohwx, long_hair, smile, hat"
    assert add("ohwx, long hair", "long hair") == "ohwx, long hair"
    assert add("ohwx, solo", "hat", "hat") == "ohwx, solo, hat"


def test_add_keeps_line_endings_variants_and_prose() -> None:
    prose = "A girl sits by the window and smiles at the camera.\r\n"
    text = "ohwx, 1girl\r\nohwx, 1girl, smile\r\n" + prose
    assert add(text, "hat") == "ohwx, 1girl, hat\r\nohwx, 1girl, smile, hat\r\n" + prose


def test_add_follows_the_line_style_and_keep_separator() -> None:
    assert add("ohwx,1girl,smile", "hat", at="start") == "ohwx,hat,1girl,smile"
    assert add("ohwx, 1girl ||| smile, solo", "hat", at="start") == "ohwx, 1girl ||| hat, smile, solo"
    assert add("ohwx, 1girl |||", "hat", at="start") == "ohwx, 1girl ||| hat"
    assert add("", "hat") == "hat"


def test_remove_every_occurrence_with_its_separator() -> None:
    assert EDITOR.remove("ohwx, smile, 1girl, smiling, solo", ["smile"]) == "ohwx, 1girl, solo"
    assert EDITOR.remove("smile, ohwx", ["smile"]) == "ohwx"
    assert EDITOR.remove("ohwx, (smile:1.2), solo", ["smile"]) == "ohwx, solo"
    prose = "ohwx, smile\nShe has a smile, and a hat."
    assert EDITOR.remove(prose, ["smile"]) == "ohwx\nShe has a smile, and a hat."


def test_move() -> None:
    assert (
        EDITOR.move("ohwx, 1girl, smile, solo", "solo", parse_placement("start"))
        == "ohwx, solo, 1girl, smile"
    )
    assert EDITOR.move("ohwx, (solo:1.2), 1girl", "solo", parse_placement("end")) == "ohwx, 1girl, (solo:1.2)"
    assert EDITOR.move("ohwx, a, b, c", "a", parse_placement("after:c")) == "ohwx, b, c, a"


def test_move_never_crosses_the_keep_separator() -> None:
    text = "ohwx, 1girl ||| smile, solo"
    assert EDITOR.move(text, "solo", parse_placement("start")) == "ohwx, 1girl ||| solo, smile"
    assert EDITOR.move(text, "1girl", parse_placement("end")) == text
    assert EDITOR.move(text, "smile", parse_placement("1")) == text
    assert EDITOR.move("ohwx, a, b ||| c", "a", parse_placement("3")) == "ohwx, b, a ||| c"


def test_placements() -> None:
    assert parse_placement("after:Long_Hair") == Placement("after", key="long hair")
    assert parse_placement("2") == Placement("index", 2)
    for bad in ("0", "middle", "after:", "-1"):
        with pytest.raises(BadPlacement, match="is not a place for tags"):
            parse_placement(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # `‸` is the cursor; the tag goes after the tag under or before it, or into the empty slot there.
        ("ohwx, 1girl, smi‸le, solo", "ohwx, 1girl, smile, hat, solo"),
        ("ohwx, 1girl, smile‸, solo", "ohwx, 1girl, smile, hat, solo"),
        ("ohwx, 1girl, smile, ‸solo", "ohwx, 1girl, smile, hat, solo"),
        ("ohwx, 1girl, smile, solo‸", "ohwx, 1girl, smile, solo, hat"),
        ("ohwx, 1girl,‸", "ohwx, 1girl, hat"),
        ("ohwx, 1girl, ‸", "ohwx, 1girl, hat"),
        ("ohwx, 1girl,‸, solo", "ohwx, 1girl, hat, solo"),
        ("‸ohwx, 1girl", "ohwx, hat, 1girl"),  # never before the trigger
        ("ohwx,1gi‸rl,solo", "ohwx,1girl,hat,solo"),  # the line's own separator style
        ("ohwx, 1girl ||| smile‸", "ohwx, 1girl ||| smile, hat"),
        ("ohwx, 1girl |||‸ smile", "ohwx, 1girl ||| hat, smile"),
        ("‸", "hat"),
        # The variant under the cursor.
        ("ohwx, 1girl\r\nohwx, smile‸\r\n", "ohwx, 1girl\r\nohwx, smile, hat\r\n"),
    ],
)
def test_insertion_at_a_cursor(text: str, expected: str) -> None:
    offset = text.index("‸")
    text = text.replace("‸", "")
    edit = EDITOR.insertion(text, offset, "hat")
    assert edit is not None
    assert text[: edit.start] + edit.new_text + text[edit.end :] == expected


def test_insertion_leaves_a_tag_that_is_there_and_prose_alone() -> None:
    assert EDITOR.insertion("ohwx, long hair, smile", 5, "longhair") is None
    assert EDITOR.insertion("She has a smile and a hat by the window.", 3, "solo") is None
