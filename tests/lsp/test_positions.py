"""Offsets <-> client positions in UTF-8, UTF-16 and UTF-32, lines split as the protocol says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from captionls.server.lsp.positions import ClientCodec, LineIndex, split_lines

ENCODINGS = [
    types.PositionEncodingKind.Utf8,
    types.PositionEncodingKind.Utf16,
    types.PositionEncodingKind.Utf32,
]
TEXT = st.text(alphabet=st.sampled_from(list("ab, ()\\_猫耳🎨é\r\n\u2028\x0c")), max_size=40)


def test_only_protocol_line_breaks_split_lines() -> None:
    assert split_lines("a\r\nb\rc\nd\u2028e\x0cf") == ["a\r\n", "b\r", "c\n", "d\u2028e\x0cf"]
    assert split_lines("") == []
    assert split_lines("a\n") == ["a\n"]


@pytest.mark.parametrize(
    ("encoding", "column"),
    [
        (types.PositionEncodingKind.Utf8, 8),
        (types.PositionEncodingKind.Utf16, 4),
        (types.PositionEncodingKind.Utf32, 3),
    ],
)
def test_columns_count_code_units(encoding: types.PositionEncodingKind, column: int) -> None:
    text = "x\r\n猫🎨, b"
    lines = LineIndex(text, PositionCodec(encoding))
    offset = text.index(",") + 1
    assert lines.position(offset) == types.Position(1, column)
    assert lines.offset(types.Position(1, column)) == offset
    assert lines.position(len(text)) == types.Position(1, column + 2)
    assert lines.position(text.index("\r")) == types.Position(0, 1)


def test_out_of_range_positions_clamp() -> None:
    lines = LineIndex("ab\ncd", PositionCodec(types.PositionEncodingKind.Utf16))
    assert lines.offset(types.Position(0, 99)) == 2
    assert lines.offset(types.Position(99, 0)) == 5
    assert lines.position(-5) == types.Position(0, 0)
    assert lines.position(99) == types.Position(1, 2)
    assert LineIndex("ab\n", PositionCodec()).position(3) == types.Position(1, 0)


@given(TEXT, st.sampled_from(ENCODINGS))
def test_every_offset_round_trips(text: str, encoding: types.PositionEncodingKind) -> None:
    lines = LineIndex(text, PositionCodec(encoding))
    for offset in range(len(text) + 1):
        if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
            continue  # no position exists between the two characters of a CRLF
        assert lines.offset(lines.position(offset)) == offset


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_long_lines_count_like_the_codec(encoding: types.PositionEncodingKind) -> None:
    codec = PositionCodec(encoding)
    line = "".join("猫🎨a,é"[i % 5] for i in range(3000))
    text = f"first\n{line}\nlast"
    lines = LineIndex(text, codec)
    for column in (0, 1, 255, 256, 257, 1000, 2999, 3000):
        expected = types.Position(1, codec.client_num_units(line[:column]))
        assert lines.position(6 + column) == expected
        assert lines.offset(expected) == 6 + column


ASCII_TEXT = st.text(alphabet=st.sampled_from(list("ab, ()\\_\r\n\t")), max_size=40)


@given(st.one_of(ASCII_TEXT, TEXT), st.sampled_from(ENCODINGS), st.integers(0, 3), st.integers(0, 45))
def test_the_client_codec_converts_like_pygls(
    text: str, encoding: types.PositionEncodingKind, line: int, character: int
) -> None:
    """ClientCodec's ASCII shortcut gives pygls' answers, its clamps of the given position included."""
    ours, pygls = ClientCodec(encoding), PositionCodec(encoding)
    lines = split_lines(text)
    ours_position, pygls_position = types.Position(line, character), types.Position(line, character)
    assert ours.position_from_client_units(lines, ours_position) == pygls.position_from_client_units(
        lines, pygls_position
    )
    assert ours_position == pygls_position
    for content in [text, *lines]:
        assert ours.client_num_units(content) == pygls.client_num_units(content)


@given(st.one_of(ASCII_TEXT, TEXT), st.sampled_from(ENCODINGS), st.integers(0, 3), st.integers(0, 45))
def test_offsets_of_positions_agree_with_either_codec(
    text: str, encoding: types.PositionEncodingKind, line: int, character: int
) -> None:
    position = types.Position(line, character)
    expected = LineIndex(text, PositionCodec(encoding)).offset(position)
    assert LineIndex(text, ClientCodec(encoding)).offset(position) == expected
