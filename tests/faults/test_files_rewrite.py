"""Issue 15 items 13 and 14: a rewrite loses nothing.

A caption saved by someone else between reading and rewriting is left as they saved it; the owner, group,
mode and hard links of a rewritten caption stay what they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from captionls.server.caption.files import CaptionWriteError, read_caption_file
from tests.kit.cli import run
from tests.kit.datasets import listed, rewrite_caption, write_dataset

NOBODY = 65534
MESSY = "ohwxStyle, 1girl,, smile, solo, short hair, sitting, indoors, couch, lamp"
FIXED = "ohwxStyle, 1girl, smile, solo, short hair, sitting, indoors, couch, lamp"


def test_a_caption_saved_meanwhile_is_left_as_saved(tmp_path: Path) -> None:
    caption = tmp_path / "a.txt"
    caption.write_text("a, b")
    file = read_caption_file(caption)
    caption.write_text("a, b, what the user typed")  # the editor saves while the fix runs
    with pytest.raises(CaptionWriteError, match=r"a.txt:1: changed on disk since it was read; left as it is"):
        rewrite_caption(caption, file, "a", tmp_path)
    assert caption.read_text() == "a, b, what the user typed"
    assert listed(tmp_path) == ["a.txt"]  # no temporary file left


def test_a_caption_replaced_by_a_longer_one_with_the_same_start_is_changed_too(tmp_path: Path) -> None:
    caption = tmp_path / "a.txt"
    caption.write_text("a, b")
    file = read_caption_file(caption)
    caption.write_text("a, b, c")
    with pytest.raises(CaptionWriteError, match="changed on disk"):
        rewrite_caption(caption, file, "a", tmp_path)


def test_check_fix_reports_the_caption_it_could_not_write(tmp_path: Path, vocabulary: Path) -> None:
    # Two names for one file: fixing the first changes what the second was read as, which is exactly
    # what a save in an editor during the run looks like.
    root = write_dataset(tmp_path, {"a": MESSY}, 'trigger = ["ohwxStyle"]\n')
    (root / "b.txt").symlink_to(root / "a.txt")
    (root / "b.png").write_bytes(b"")
    result = run(vocabulary, "check", root, "--fix", "--select", "empty-tag")
    assert (root / "a.txt").read_text() == FIXED
    assert result.stdout.splitlines() == [
        f"{root}/b.txt:1:1: error write-error changed on disk since it was read; left as it is",
        "1 finding (write-error 1); 2 captions checked, 1 caption fixed.",
    ]
    assert result.exit_code == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_fix_keeps_owner_group_and_mode(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": MESSY}, 'trigger = ["ohwxStyle"]\n')
    caption = root / "a.txt"
    os.chown(caption, NOBODY, NOBODY)
    caption.chmod(0o2640)  # set-group-ID too, which a chown clears
    result = run(vocabulary, "check", root, "--fix")
    assert "1 caption fixed" in result.stdout
    status = caption.stat()
    assert caption.read_text() == FIXED
    assert (status.st_uid, status.st_gid, status.st_mode & 0o7777) == (NOBODY, NOBODY, 0o2640)


def test_fix_keeps_hard_links(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": MESSY}, 'trigger = ["ohwxStyle"]\n')
    backup = tmp_path / "a-backup.txt"
    os.link(root / "a.txt", backup)
    inode = (root / "a.txt").stat().st_ino
    result = run(vocabulary, "check", root, "--fix")
    assert "1 caption fixed" in result.stdout
    assert (root / "a.txt").stat().st_ino == inode
    assert backup.read_text() == FIXED and (root / "a.txt").read_text() == FIXED
    assert listed(root) == ["a.png", "a.txt", "captionls.toml"]


SETPRIV = shutil.which("setpriv")


@pytest.mark.skipif(os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv to act as nobody")
def test_a_user_who_cannot_give_the_file_away_rewrites_it_in_place() -> None:
    # nobody may write root's caption (mode 0666) in a folder open to all, but not chown a new file to root.
    # pytest's tmp_path is closed to other users: this folder is made in the system's temporary folder.
    with tempfile.TemporaryDirectory() as shared:
        folder = Path(shared)
        folder.chmod(0o1777)
        _rewrite_as_nobody(folder)


def _rewrite_as_nobody(folder: Path) -> None:
    caption = folder / "a.txt"
    caption.write_text("a,, b")
    caption.chmod(0o666)
    write = (
        "import sys; from pathlib import Path; from captionls.server.caption import files; "
        "p = Path(sys.argv[1]); f = files.read_caption_file(p); "
        "files.write_captions(p.parent, 'test', [files.Rewrite(p, f, 'a, b')])"
    )
    command = [str(SETPRIV), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    done = subprocess.run(
        [*command, sys.executable, "-c", write, str(caption)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    status = caption.stat()
    assert caption.read_text() == "a, b"
    assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (0, 0, 0o666)
    assert listed(folder) == ["a.txt"]
