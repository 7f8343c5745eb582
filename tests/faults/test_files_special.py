"""Issue 15 items 8 and 17: files and folders that are not plain captions.

A FIFO named like a caption hung `check` (and the server's indexing) for ever on its open; a folder that
cannot be listed was skipped without a word. Each runs as a real process with a deadline.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.files import CaptionReadError, read_caption_file
from tests.kit.cli import run_process
from tests.kit.datasets import write_dataset

CLEAN = "1girl, solo, full body, sitting, smile, short hair, brown hair, indoors, couch"


def test_a_fifo_named_like_a_caption_is_a_read_error_not_a_hang(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": CLEAN, "pipe": ""})
    (root / "pipe.txt").unlink()
    os.mkfifo(root / "pipe.txt")
    result = run_process(vocabulary, "check", root, timeout=60)
    assert result.stdout.splitlines()[0] == (
        f"{root}/pipe.txt:1:1: error read-error cannot read (a FIFO, not a regular file)"
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    result = run_process(vocabulary, "format", root, timeout=60)
    assert result.returncode == 1 and "a FIFO" in result.stderr


def test_sockets_and_devices_are_never_opened(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"sock": "", "dev": ""})
    for name in ("sock.txt", "dev.txt"):
        (tmp_path / name).unlink()
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(tmp_path / "sock.txt"))
        (tmp_path / "dev.txt").symlink_to("/dev/zero")
        with pytest.raises(CaptionReadError, match="a socket, not a regular file"):
            read_caption_file(tmp_path / "sock.txt")
        with pytest.raises(CaptionReadError, match="a device, not a regular file"):
            read_caption_file(tmp_path / "dev.txt")
    finally:
        listener.close()


def test_the_index_reports_a_fifo_and_goes_on(tmp_path: Path) -> None:
    write_dataset(tmp_path, {"a": CLEAN, "pipe": ""})
    (tmp_path / "pipe.txt").unlink()
    os.mkfifo(tmp_path / "pipe.txt")
    index = DatasetIndex(tmp_path)
    index.scan()  # returns at once: the FIFO is never opened
    assert index.captions() == [tmp_path / "a.txt"]
    assert "a FIFO" in index.errors[tmp_path / "pipe.txt"]


# Root reads any folder whatever its mode; without these two capabilities it is refused like anyone.
SETPRIV = shutil.which("setpriv")
WITHOUT_DAC = ("--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all")


def _unreadable_folder_reproduces(folder: Path) -> bool:
    if SETPRIV is None:
        return False
    probe = subprocess.run(
        [SETPRIV, *WITHOUT_DAC, "ls", str(folder)], capture_output=True, check=False, timeout=30
    )
    return probe.returncode != 0


def test_an_unreadable_folder_is_a_read_error(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": CLEAN, "locked/b": CLEAN})
    locked = root / "locked"
    locked.chmod(0)
    try:
        if os.geteuid() == 0 and not _unreadable_folder_reproduces(locked):
            pytest.skip("cannot drop root's permission override here (no setpriv or no capabilities)")
        prefix = (str(SETPRIV), *WITHOUT_DAC) if os.geteuid() == 0 else ()
        result = run_process(vocabulary, "check", root, prefix=prefix)
        assert result.stdout.splitlines() == [
            f"{locked}:1:1: error read-error cannot read this folder (Permission denied)",
            "1 finding (read-error 1); 2 captions checked.",
        ]
        assert result.returncode == 1
    finally:
        locked.chmod(stat.S_IRWXU)


def test_a_missing_folder_is_reported_by_the_index(tmp_path: Path) -> None:
    # The root itself gone between the command line and the scan: a read error, not an empty dataset.
    index = DatasetIndex(tmp_path / "gone")
    index.scan()
    assert list(index.errors) == [tmp_path / "gone"]
    assert "cannot read this folder (No such file or directory)" in index.errors[tmp_path / "gone"]
