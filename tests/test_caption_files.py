"""Caption files: which files are captions, the dataset index, edits, and byte-preserving rewrites."""

from __future__ import annotations

import codecs
import os
import pickle
from pathlib import Path

import pytest

from captionls.server.caption.config import Config, load_config
from captionls.server.caption.dataset import DatasetIndex, is_caption
from captionls.server.caption.files import (
    CaptionFile,
    CaptionReadError,
    apply_edits,
    encodable,
    read_caption_file,
)
from captionls.server.caption.findings import Edit
from tests.kit.datasets import listed, rewrite_caption, write_dataset

# --- which files are captions -------------------------------------------------------------------


def test_a_caption_needs_an_image_beside_it(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"a": "x", "b.caption": "y"})
    (tmp_path / "README.txt").write_text("not a caption")
    (tmp_path / "requirements.txt").write_text("click")
    (tmp_path / "c.JPEG").write_bytes(b"")
    (tmp_path / "c.txt").write_text("z")
    config = load_config(tmp_path)
    found = sorted(path.name for path in DatasetIndex(tmp_path, config).walk())
    assert found == ["a.txt", "b.caption", "c.txt"]
    assert not is_caption(tmp_path / "README.txt", config)
    assert is_caption(tmp_path / "c.txt", config)


def test_a_captions_extension_and_stem_are_read_from_its_name_as_pathlib_reads_them(tmp_path: Path) -> None:
    # `.txt` alone has no suffix (a hidden file); the last dot starts it; case does not matter.
    names = [
        ".txt",
        ".png",
        "a.b.TXT",
        "a.b.png",
        "c.txt",
        "c.PNG",
        "d.txt.",
        "d.png",
        "e.caption",
        "e.txt.png",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    config = load_config(tmp_path)
    found = sorted(path.name for path in DatasetIndex(tmp_path, config).walk())
    assert found == ["a.b.TXT", "c.txt"]
    assert [name for name in names if is_caption(tmp_path / name, config)] == found


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    (tmp_path / "text-only").mkdir()
    (tmp_path / "text-only" / "one.txt").write_text("a, b")
    write_dataset(tmp_path, {"drafts/old": "a", "keep": "b"})
    config = Config(root=tmp_path.resolve(), include=("text-only/*.txt",), exclude=("drafts/*",))
    found = sorted(path.relative_to(tmp_path).as_posix() for path in DatasetIndex(tmp_path, config).walk())
    assert found == ["keep.txt", "text-only/one.txt"]


def test_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"a": "x"})
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    (tmp_path / "self.png").write_bytes(b"")
    index = DatasetIndex(tmp_path, load_config(tmp_path))
    index.scan()
    assert index.captions() == [tmp_path / "a.txt"]
    assert "self.txt:1: cannot read" in index.errors[tmp_path / "self.txt"]


# --- the index ------------------------------------------------------------------------------------


def test_index_counts_phrasings_and_updates_incrementally(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"a": "arms up, smile", "b": "arms_up, smile, smile", "c": "Arms Up"})
    index = DatasetIndex(tmp_path)
    index.scan()
    assert index.count("arms up") == 3
    assert index.count("smile") == 2  # once per caption
    assert index.phrasings("arms up") == {"arms up": 1, "arms_up": 1, "Arms Up": 1}
    assert index.captions_using("smile") == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert index.tags()[0] == ("arms up", "arms up", 3)
    version = index.keys_version
    index.update(tmp_path / "c.txt", "arms up, sky")
    assert index.phrasings("arms up") == {"arms up": 2, "arms_up": 1}
    assert index.count("sky") == 1 and index.keys_version == version + 1
    assert index.count_others("sky", tmp_path / "c.txt") == 0
    index.remove(tmp_path / "c.txt")
    assert index.count("sky") == 0 and "sky" not in index.keys()  # noqa: SIM118
    assert index.count("arms up") == 2
    assert len(index) == 2


def test_detected_style_is_the_majority(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"a": "long_hair, arms_up, solo", "b": "short hair"})
    index = DatasetIndex(tmp_path)
    index.scan()
    assert index.detected_style() == "underscores"


# --- edits ----------------------------------------------------------------------------------------


def test_apply_edits_right_to_left_and_skips_overlaps() -> None:
    text = "a, b, c"
    edits = [Edit(3, 4, "B"), Edit(0, 0, "x, "), Edit(3, 6, "nope"), Edit(3, 4, "B"), Edit(0, 0, "y, ")]
    assert apply_edits(text, edits) == "x, y, a, B, c"


@pytest.mark.parametrize(
    ("raw", "encoding", "bom"),
    [
        (b"a, b\r\nc\r\n", "utf-8", False),
        (codecs.BOM_UTF8 + "少女, b\r\n".encode(), "utf-8", True),
        (codecs.BOM_UTF16_LE + "a, ü".encode("utf-16-le"), "utf-16-le", True),
    ],
)
def test_read_and_write_keep_every_byte(tmp_path: Path, raw: bytes, encoding: str, bom: bool) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(raw)
    os.chmod(path, 0o640)
    file = read_caption_file(path)
    assert (file.encoding, file.bom) == (encoding, bom)
    assert "\ufeff" not in file.text
    rewrite_caption(path, file, file.text, tmp_path)
    assert path.read_bytes() == raw
    assert (path.stat().st_mode & 0o777) == 0o640
    rewrite_caption(path, file, file.text.replace("a", "A", 1), tmp_path)
    assert path.read_bytes() == raw.replace("a".encode(encoding), "A".encode(encoding), 1)
    assert listed(tmp_path) == ["a.txt"]  # no temporary file left


def test_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("a")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    rewrite_caption(link, CaptionFile("a"), "b", tmp_path)
    assert link.is_symlink() and target.read_text() == "b"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"a, caf\xe9\n", ":1: not UTF-8 text (byte 0xe9 at offset 6)"),
        (b"line one\n\xff", ":2: not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", ":1: binary file"),
        (b"x, " * 1_700_000, ":1: larger than 256 KiB, not a caption"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, raw: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(raw)
    with pytest.raises(CaptionReadError) as raised:
        read_caption_file(path)
    assert str(raised.value).startswith(str(path))
    assert reason in str(raised.value)


def test_unreadable_file(tmp_path: Path) -> None:
    # Tests may run as root, for whom chmod 000 still reads: a folder named like a caption cannot be.
    path = tmp_path / "folder.txt"
    path.mkdir()
    with pytest.raises(CaptionReadError, match=r"folder.txt:1: cannot read \(Is a directory\)"):
        read_caption_file(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("a, b")
    path.chmod(0)
    with pytest.raises(CaptionReadError, match=r"secret.txt:1: cannot read \(Permission denied\)"):
        read_caption_file(path)


def test_a_caption_file_travels_from_a_worker_as_it_was_read() -> None:
    for file in (CaptionFile("a, b\r\n"), CaptionFile("ä", "utf-16-le", bom=True)):
        copy = pickle.loads(pickle.dumps(file, protocol=pickle.HIGHEST_PROTOCOL))
        assert (copy.text, copy.encoding, copy.bom) == (file.text, file.encoding, file.bom)


def test_encodable_replaces_only_lone_surrogates_one_for_one() -> None:
    assert encodable("1girl, café 😀") == "1girl, café 😀"
    plain = "1girl, solo"
    assert encodable(plain) is plain
    assert encodable("caf\ud800e, \udfff") == "caf\ufffde, \ufffd"
