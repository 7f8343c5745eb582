"""`check` on every core: forked workers index the dataset exactly as one process does, print exactly what
one process prints, `--fix` included, and a worker killed or a Ctrl-C ends the run with one line. Each run
is its own process, as users run it (the index is compared in this one)."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from captionls.server.caption.config import load_config
from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.rules.registry import RULES
from captionls.server.cli.datasets import datasets
from tests.kit.cli import SCRIPT, run_process
from tests.kit.datasets import PNG, grown_examples, index_state, write_dataset

pytestmark = [
    pytest.mark.builtin_vocabulary,
    pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only"),
]

# With 250 captions a chunk: the first chunk in the parent, the other three in two workers.
GROWN = 985
# A scan with two workers reads this many in eight chunks: the odd captions below fall among them.
SCANNED = 1_500


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_examples(tmp_path_factory.mktemp("grown") / "dataset", GROWN)


def test_a_scan_in_workers_builds_the_index_of_one_process(tmp_path: Path) -> None:
    root = grown_examples(tmp_path / "dataset", SCANNED)
    outside = write_dataset(tmp_path / "outside", {"secret": "password, hunter2"})
    # Among the chunks, not only in the first: captions that cannot be read, links, other encodings.
    odd = root / "more" / "00600"
    write_dataset(
        root / "more",
        {
            "00600a": codecs.BOM_UTF8 + "少女, smile\r\n".encode(),
            "00600b": codecs.BOM_UTF16_LE + "1girl, 少女, smile".encode("utf-16-le"),
            "00600c": b"binary\0file",
            "00600d": b"not utf-8 \xff",
            "01200a": "ohwx, long hair",
        },
    )
    os.mkfifo(f"{odd}e.txt")
    links = {"f": outside / "secret.txt", "g": root / "more" / "00001.txt", "h": odd / "gone"}
    for name, target in links.items():
        Path(f"{odd}{name}.txt").symlink_to(target)
        Path(f"{odd}{name}.png").write_bytes(PNG)
    Path(f"{odd}e.png").write_bytes(PNG)
    serial = DatasetIndex(root, load_config(root))
    serial.scan()
    assert len(serial.errors) == 5 and len(serial) == len(serial.files) > SCANNED
    with click.Context(click.Command("check")):
        (dataset,) = datasets([root], jobs=2)
    assert index_state(dataset.index) == index_state(serial)


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
    """`check` on a dataset large enough to need two workers, caught while both are at work. They are
    stopped (SIGSTOP), so the run cannot end before the test's signal lands (a signal that came as the
    interpreter exited would be lost, and the run would end as if none came); `_resumed` lets them go on."""
    for _ in range(3):
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
        for worker in workers:
            os.kill(worker, signal.SIGSTOP)
        if all(_stopped(worker) for worker in workers):
            return process, workers
        # A worker had finished its share already: the run was ending. Start it again.
        _resumed(workers)
        process.communicate(timeout=120)
    raise AssertionError("two workers were never caught at work")


def _stopped(pid: int) -> bool:
    """Whether process `pid` is stopped, once the SIGSTOP sent to it has landed; False when it had
    ended (a zombie, or reaped already)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        except (FileNotFoundError, ProcessLookupError):
            return False
        state = stat.rpartition(")")[2].split()[0]
        if state not in ("R", "S", "D"):  # running or sleeping: the signal has not landed yet
            return state in ("T", "t")
        time.sleep(0.001)
    return False


def _resumed(workers: list[int]) -> None:
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGCONT)


@contextlib.contextmanager
def _sigint_as_in_a_terminal() -> Iterator[None]:
    """A command started inside this block gets SIGINT's default disposition, as a terminal's foreground
    job does. A suite run as a background job without job control (`pytest &` in a script, a CI runner)
    ignores SIGINT, a child inherits an ignored signal across exec, and Python then installs no
    KeyboardInterrupt handler: the run would ignore the Ctrl-C and end as if none came. A handled
    signal is reset to the default across exec, so handling it here for the moment of the spawn is enough."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        # None: the handler was not set from Python; put back the default then.
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grown_examples(tmp_path_factory.mktemp("large") / "dataset", 20_000)


def test_a_killed_worker_ends_the_run_with_one_line(large: Path, vocabulary: Path) -> None:
    process, workers = _started_with_workers(vocabulary, large)
    os.kill(workers[0], signal.SIGKILL)
    _resumed(workers[1:])
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert stderr == "Error: a worker process ended early (killed by SIGKILL)\n"
    assert not any(Path(f"/proc/{worker}").exists() for worker in workers)


def test_ctrl_c_ends_the_run_and_its_workers_with_one_line(large: Path, vocabulary: Path) -> None:
    with _sigint_as_in_a_terminal():
        process, workers = _started_with_workers(vocabulary, large)
    # The terminal sends Ctrl-C's SIGINT to the whole foreground process group.
    os.killpg(process.pid, signal.SIGINT)
    _resumed(workers)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    # click's own words for an interrupted command, after a newline that ends the terminal's `^C` line.
    assert stderr == "\nAborted!\n"
    assert not any(Path(f"/proc/{worker}").exists() for worker in workers)
