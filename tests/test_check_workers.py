"""`check` on every core: forked workers print exactly what one process prints, `--fix` included, and a
worker killed or a Ctrl-C ends the run with one line. Each run is its own process, as users run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from captionls.server.caption.rules.registry import RULES
from tests.kit.cli import SCRIPT, run_process
from tests.kit.datasets import grown_examples

pytestmark = [
    pytest.mark.builtin_vocabulary,
    pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only"),
]

# With 250 captions a chunk: the first chunk in the parent, the other three in two workers.
GROWN = 985


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_examples(tmp_path_factory.mktemp("grown") / "dataset", GROWN)


@pytest.mark.parametrize("form", ["text", "json"])
def test_workers_print_what_one_process_prints(grown: Path, vocabulary: Path, form: str) -> None:
    alone = run_process(vocabulary, "check", grown, "--format", form, "--jobs", "1")
    forked = run_process(vocabulary, "check", grown, "--format", form, "--jobs", "2")
    assert alone.returncode == forked.returncode == 1, alone.stderr + forked.stderr
    assert forked.stdout == alone.stdout
    assert forked.stderr == alone.stderr == ""
    if form == "json":
        # Every rule has a finding, so every rule's output went through a worker or the parent.
        assert {row["rule"] for row in json.loads(forked.stdout)} == set(RULES)


def test_workers_fix_what_one_process_fixes_and_undo_restores(
    grown: Path, vocabulary: Path, tmp_path: Path
) -> None:
    fixed: dict[str, dict[str, bytes]] = {}
    outputs = {}
    for jobs in ("1", "2"):
        copy = tmp_path / f"jobs-{jobs}"
        subprocess.run(["cp", "-a", str(grown), str(copy)], check=True)
        result = run_process(vocabulary, "check", copy, "--fix", "--format", "json", "--jobs", jobs)
        assert result.returncode == 1, result.stderr
        outputs[jobs] = result.stdout.replace(str(copy), "DATASET")
        fixed[jobs] = {str(p.relative_to(copy)): p.read_bytes() for p in copy.rglob("*.txt")}
        undone = run_process(vocabulary, "undo", copy)
        assert undone.returncode == 0, undone.stderr
        for path in copy.rglob("*.txt"):
            assert path.read_bytes() == (grown / path.relative_to(copy)).read_bytes()
    assert outputs["2"] == outputs["1"]
    assert fixed["2"] == fixed["1"]
    assert fixed["1"] != {str(p.relative_to(grown)): p.read_bytes() for p in grown.rglob("*.txt")}


def test_the_diff_with_workers_is_the_diff_of_one_process(grown: Path, vocabulary: Path) -> None:
    alone = run_process(vocabulary, "check", grown, "--diff", "--jobs", "1")
    forked = run_process(vocabulary, "check", grown, "--diff", "--jobs", "2")
    assert forked.returncode == alone.returncode == 1
    assert forked.stdout == alone.stdout != ""


def _children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    return [int(child) for child in listed.split()]


def _started_with_workers(vocabulary: Path, dataset: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """`check` on a dataset large enough to keep its two workers busy, once they are there."""
    process = subprocess.Popen(
        [str(SCRIPT), "check", str(dataset), "--jobs", "2", "--db", str(vocabulary)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(workers := _children(process.pid)) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no workers started"
        time.sleep(0.005)
    return process, workers


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_examples(tmp_path_factory.mktemp("large") / "dataset", 20_000)


def test_a_killed_worker_ends_the_run_with_one_line(large: Path, vocabulary: Path) -> None:
    process, workers = _started_with_workers(vocabulary, large)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert stderr == "Error: a worker process ended early (killed by SIGKILL)\n"
    assert not any(Path(f"/proc/{worker}").exists() for worker in workers)


def test_ctrl_c_ends_the_run_and_its_workers_with_one_line(large: Path, vocabulary: Path) -> None:
    process, workers = _started_with_workers(vocabulary, large)
    # The terminal sends Ctrl-C's SIGINT to the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    # click's own words for an interrupted command, after a newline that ends the terminal's `^C` line.
    assert stderr == "\nAborted!\n"
    assert not any(Path(f"/proc/{worker}").exists() for worker in workers)
