"""Import files read a block at a time: the same lines, errors and rows as reading them one by one."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captionls.vocab.importers import ImportFailed, ImportReport, Source, common, import_files, tagcomplete
from captionls.vocab.importers.common import BadLine, Block, Line, lines_of, read_lines
from captionls.vocab.store import Store

Event = tuple[object, ...]


def one_by_one(data: bytes) -> list[Event]:
    """What reading `data` line by line gives: each line, or why it is bad, in file order."""
    pieces = data.split(b"\n")
    raw_lines = [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    events: list[Event] = []
    for number, raw in enumerate(raw_lines, start=1):
        if len(raw) > common.MAX_LINE_BYTES:
            events.append(
                ("bad", f"line too long: {len(raw):,} bytes, at most {common.MAX_LINE_BYTES:,}", number)
            )
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if b"\0" in raw:
            events.append(("bad", "NUL byte in line", number))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex()
            events.append(("bad", f"not UTF-8: byte 0x{bad} at column {error.start + 1}", number))
            continue
        stripped = text.rstrip("\r\n")
        events.append(("line", number, stripped, text[len(stripped) :]))
    return events


def in_blocks(data: bytes) -> list[Event]:
    events: list[Event] = []

    def on_bad(error: BadLine, where: str) -> None:
        events.append(("bad", str(error), int(where.rsplit(":", 1)[1])))

    # A stream that cannot peek: a NUL is a bad line then, never a binary file.
    for line in read_lines(io.BytesIO(data), "f", on_bad=on_bad):  # type: ignore[arg-type]
        events.append(("line", line.number, line.text, line.ending))
    return events


_PIECES = st.sampled_from(
    [
        b"tag",
        b"long_hair",
        b"\xc3\xa9t\xc3\xa9",
        b"\r",
        b"\n",
        b"\n",
        b"\r\n",
        b"\0",
        b"\xff",
        b"\xc3",
        b"a" * 20,
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(_PIECES, max_size=30).map(b"".join),
    bom=st.booleans(),
    chunk_bytes=st.sampled_from([1, 5, 16, 64, 1 << 20]),
)
def test_lines_and_bad_lines_are_those_of_reading_one_by_one(
    monkeypatch: pytest.MonkeyPatch, data: bytes, bom: bool, chunk_bytes: int
) -> None:
    # Small enough that blocks end in the middle of lines, and lines run over the length limit.
    monkeypatch.setattr(common, "MAX_LINE_BYTES", 32)
    monkeypatch.setattr(common, "_CHUNK_BYTES", chunk_bytes)
    if bom:
        data = codecs.BOM_UTF8 + data
    assert in_blocks(data) == one_by_one(data)


def test_a_bad_row_before_a_bad_line_of_the_same_block_is_the_error(tmp_path: Path) -> None:
    """The NUL of line 1002 is found when its block is read, but line 1001 is reported, as it comes first.
    (A NUL in the first 8 KiB would make it a binary file.)"""
    path = tmp_path / "tags.csv"
    path.write_bytes(b"".join(b"tag%d,0,1\n" % i for i in range(1000)) + b"a,0\nb,0,\0\n")
    with (
        Store.open(tmp_path / "vocab.sqlite") as store,
        pytest.raises(ImportFailed, match=r"csv:1001: wrong"),
    ):
        import_files(store, [Source.file(path)])


def test_lines_of_a_block_keep_their_numbers_and_endings() -> None:
    block = Block(7, "a\r\nb\n\nc", iter(()))
    assert list(lines_of(block)) == [
        Line(7, "a", "\r\n"),
        Line(8, "b", "\n"),
        Line(9, "", "\n"),
        Line(10, "c", ""),
    ]


# tagcomplete rows: the one-regex reading of plain rows against line by line ---------------------------

_CSV_LINES = st.sampled_from(
    [
        "long_hair,0,12345,longhair",
        "fate_(series),3,99,",
        'holo,4,7,"spice_and_wolf_holo,horo"',
        "  spaced name  ,0,5,  alias one ,",
        '"quoted ""name""",0,1,',
        "x,0,1,a,b",
        "bad_category,2,5,",
        "neg,0,-5,",
        "big,0,99999999999999999999,",
        "five,0,meta,alias,translated",
        "[_],0,1,",
        "tag,0,1,[_]",
        "tab\there,0,1,",
        "alias_with_tab,0,1,x\ty",
        "long_hair,1,3,",
        "longhair,0,2,",
        "",
        "   ",
        "digits,0,\u0663,",
        "a" * 600 + ",0,1,",
        "cr,0,1,\r",
    ]
)


def _import(directory: Path, data: bytes) -> tuple[list[object], ImportReport]:
    path = directory / "tags.csv"
    path.write_bytes(data)
    with Store.open(directory / "vocab.sqlite") as store:
        (report,) = import_files(store, [Source.file(path)], fmt="csv", skip_bad=True, list_name="mine")
        rows = [
            *store.conn.execute("SELECT id, key, name, category, post_count FROM tags ORDER BY id"),
            *store.conn.execute("SELECT * FROM aliases ORDER BY key"),
            *store.conn.execute("SELECT * FROM list_tags ORDER BY 1, 2"),
            *store.conn.execute("SELECT rowid, * FROM terms ORDER BY rowid"),
        ]
    report.name = ""
    report.skipped.first = {kind: where.rsplit(":", 1)[1] for kind, where in report.skipped.first.items()}
    return rows, report


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_CSV_LINES, min_size=1, max_size=25), final_newline=st.booleans())
def test_plain_rows_read_in_one_go_import_as_line_by_line(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    final_newline: bool,
) -> None:
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    in_one_go = _import(tmp_path_factory.mktemp("block"), data)
    with monkeypatch.context() as patch:
        patch.setattr(tagcomplete, "_plain_rows", lambda block, categories: lines_of(block))
        line_by_line = _import(tmp_path_factory.mktemp("lines"), data)
    assert in_one_go == line_by_line


def test_most_rows_of_a_real_file_are_read_in_one_go(shared_data: Path) -> None:
    """The regex must take danbooru.csv's rows, or the import is as slow as before."""
    text = (shared_data / "tagcomplete" / "danbooru.csv").read_text(encoding="utf-8")
    categories = {str(number): name for number, name in tagcomplete.CATEGORY_NUMBERS["danbooru"].items()}
    items = list(tagcomplete._plain_rows(Block(1, text, iter(())), categories))
    assert sum(isinstance(item, Line) for item in items) < len(items) / 1000
