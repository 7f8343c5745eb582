"""`check`'s progress bar: on stderr when it is a terminal (a real pty here) and the run takes over a
second; never on stdout, never when stderr is piped, never for a short run."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import threading
from pathlib import Path

import pytest

from tests.kit.cli import SCRIPT
from tests.kit.datasets import EXAMPLES, grown_examples

pytestmark = pytest.mark.builtin_vocabulary

# Enough captions for well over a second in one process, even on a fast machine (8,000 took 1.5 s in all once
# the rules cached per distinct line and tag).
CAPTIONS = 30_000


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_examples(tmp_path_factory.mktemp("large") / "dataset", CAPTIONS - 15)


def _check(vocabulary: Path, dataset: Path, stderr_on_terminal: bool) -> tuple[int, str, str]:
    """`check DATASET --format json --jobs 1`, stdout piped; stderr on a pty or piped. (status, out, err)"""
    command = [str(SCRIPT), "check", str(dataset), "--format", "json", "--jobs", "1", "--db", str(vocabulary)]
    if not stderr_on_terminal:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        return result.returncode, result.stdout, result.stderr
    terminal, stderr = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    os.close(stderr)
    shown = bytearray()

    def read_terminal() -> None:
        while True:
            try:
                data = os.read(terminal, 4096)
            except OSError:  # EIO: the process closed its end
                return
            if not data:
                return
            shown.extend(data)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = process.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(terminal)
    return process.returncode, stdout, shown.decode("utf-8")


def test_a_long_run_shows_a_bar_on_the_terminal_and_nothing_on_stdout(large: Path, vocabulary: Path) -> None:
    status, stdout, shown = _check(vocabulary, large, stderr_on_terminal=True)
    assert status == 1
    assert "checking" in shown
    assert f"{CAPTIONS}/{CAPTIONS}" in shown  # the bar ends full
    assert shown.endswith("\x1b[?25h\r\n")  # the cursor given back, the line ended
    json.loads(stdout)
    assert "\r" not in stdout
    assert "\x1b" not in stdout


def test_no_bar_when_stderr_is_piped(large: Path, vocabulary: Path) -> None:
    status, stdout, stderr = _check(vocabulary, large, stderr_on_terminal=False)
    assert status == 1
    assert stderr == ""
    json.loads(stdout)


def test_no_bar_for_a_short_run(vocabulary: Path) -> None:
    status, stdout, shown = _check(vocabulary, EXAMPLES, stderr_on_terminal=True)
    assert status == 1
    assert shown == ""
    assert len(json.loads(stdout)) > 0
