"""Issue 15 item 16: a lone CR ends a line, everywhere, and output never carries raw control characters.

`a, b\\rc, d` is two captions to a trainer; `format` merged them into one line, `check` said `1:37` where
the editor says line 2, and printed the CR (or a tag's escape sequence) raw into the terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol.types import PositionEncodingKind
from pygls.workspace.position_codec import PositionCodec

from captionls.server.caption.checker import check_text
from captionls.server.caption.parse import parse_caption, tag_names
from captionls.server.lsp.positions import LineIndex
from tests.kit.cli import cli, run
from tests.kit.datasets import context, write_dataset

TRIGGER = 'trigger = ["ohwxStyle"]\n'
FIRST = "ohwxStyle, 1girl, solo, full body, sitting, smile, short hair, indoors"


def test_format_keeps_lone_cr_lines_apart(tmp_path: Path) -> None:
    root = write_dataset(tmp_path, {"a": b"a ,b\rc ,d\r\re ,f\r\n"})
    result = cli("format", root)
    assert result.exit_code == 0
    assert (root / "a.txt").read_bytes() == b"a, b\rc, d\r\re, f\r\n"


def test_the_parser_and_the_index_see_three_lines() -> None:
    text = "a, b\rc, d\r\ne"
    assert [line.index for line in parse_caption(text).lines] == [0, 1, 2]
    assert [text[line.start : line.end] for line in parse_caption(text).lines] == ["a, b", "c, d", "e"]
    assert [name for _, name in tag_names(text)] == ["a", "b", "c", "d", "e"]


def test_check_counts_lines_as_the_editor_does(tmp_path: Path, vocabulary: Path) -> None:
    text = FIRST + "\r" + FIRST + ", smile\r\n" + FIRST + ",, solo\n"
    root = write_dataset(tmp_path, {"a": text}, TRIGGER)
    result = run(vocabulary, "check", root, "--format", "json", "--select", "duplicate-tag,empty-tag")
    rows = json.loads(result.stdout)
    assert [(row["rule"], row["line"]) for row in rows] == [
        ("duplicate-tag", 2),
        ("empty-tag", 3),
        ("duplicate-tag", 3),
    ]
    # The same line and character the language server gives the same findings (1-based here).
    ctx = context(root, vocabulary)
    findings = [f for f in check_text(root / "a.txt", text, ctx) if f.rule in ("duplicate-tag", "empty-tag")]
    lines = LineIndex(text, PositionCodec(PositionEncodingKind.Utf32))
    editor = [(lines.position(f.start).line + 1, lines.position(f.start).character + 1) for f in findings]
    assert [(row["line"], row["column"]) for row in rows] == editor
    assert editor[0] == (2, len(FIRST) + 3)


def test_no_raw_control_character_reaches_the_terminal(tmp_path: Path, vocabulary: Path) -> None:
    name = "x\x1b]0;pwned\x07y"
    text = f"{FIRST}, {name}\u2028z, {name}\u2028z\r"
    root = write_dataset(tmp_path, {"a": text, "b\nforged.txt:1:1: error": FIRST}, TRIGGER)
    result = run(vocabulary, "check", root, "--select", "duplicate-tag,empty-tag")
    lines = result.stdout.split("\n")
    assert all(line.isprintable() for line in lines), result.stdout
    assert '"x\\x1b]0;pwned\\x07y\\u2028z" repeats' in result.stdout
    assert not any(line.startswith("forged.txt") for line in lines)


def test_json_output_escapes_what_json_leaves_raw(tmp_path: Path, vocabulary: Path) -> None:
    # \x9b is a one-byte CSI to many terminals; json.dumps(ensure_ascii=False) keeps it, and U+2028.
    name = "x\x9b2Jy\u2028z\x85"
    root = write_dataset(tmp_path, {"a": f"{FIRST}, {name}, {name}"}, TRIGGER)
    result = run(vocabulary, "check", root, "--format", "json", "--select", "duplicate-tag")
    assert result.stdout.replace("\n", "").isprintable()
    assert [row["message"] for row in json.loads(result.stdout)] == [
        f'"{name}" repeats "{name}" earlier in this caption'
    ]
