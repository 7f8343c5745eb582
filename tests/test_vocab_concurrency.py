"""Several processes on one vocabulary: imports queue instead of failing, readers never block."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time
from pathlib import Path

from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from tests.kit.cli import CLI, run_cli
from tests.kit.vocabularies import builtin_db


def write_csv(path: Path, prefix: str, count: int) -> Path:
    path.write_text(
        "".join(f"{prefix}_tag_{i},0,{i},{prefix}_alias_{i}\n" for i in range(count)), encoding="utf-8"
    )
    return path


def start_import(db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "vocab", "import", *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_imports_at_once(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    first = start_import(db, str(write_csv(tmp_path / "first.csv", "first", 40_000)), "--list", "one")
    second = start_import(db, str(write_csv(tmp_path / "second.csv", "second", 40_000)), "--list", "two")
    for process in (first, second):
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "locked" not in err
    with Store.open(db) as store:
        vocabulary = Vocabulary(store)
        assert dict(vocabulary.lists()) == {"one": 40_000, "two": 40_000}
        for name in ("first_tag_39999", "second alias 0", "1girl"):
            assert vocabulary.resolve(name) is not None
        # Both imports' search index entries survived the other's.
        searcher = Searcher(vocabulary)
        assert searcher.search("first_tag_3999", 1)[0].tag.name == "first_tag_3999"
        assert searcher.search("second alias 12345", 1)[0].tag.name == "second_tag_12345"


def test_searching_during_an_import(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    importer = start_import(db, str(write_csv(tmp_path / "big.csv", "big", 60_000)))
    searches_during_import = 0
    with Store.open(db) as store:
        searcher = Searcher(Vocabulary(store))
        while importer.poll() is None:
            assert searcher.search("contra", 5)[0].tag.name == "contrapposto"
            searches_during_import += 1
            time.sleep(0.01)
    _out, err = importer.communicate()
    assert importer.returncode == 0, err
    assert searches_during_import > 0
    # A whole separate process reading while another writes, too.
    importer = start_import(db, str(write_csv(tmp_path / "more.csv", "more", 40_000)))
    search = run_cli("vocab", "search", "contra", "--json", "--db", str(db))
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)[0]["tag"] == "contrapposto"
    importer.communicate()
    assert importer.returncode == 0
    with Store.open(db) as store:
        assert Vocabulary(store).resolve("big_tag_59999") is not None
        assert Vocabulary(store).resolve("more_tag_39999") is not None


def test_two_first_runs_at_once_bootstrap_once(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "vocab.sqlite"
    processes = [
        subprocess.Popen(
            [*CLI, "vocab", "search", "contra", "--db", str(db)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        assert out.startswith("contrapposto")
    with Store.open(db) as store:
        (imports,) = store.conn.execute(
            "SELECT count(*) FROM imports WHERE path = 'builtin:danbooru.csv'"
        ).fetchone()
        assert imports == 1


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    """A long import draws a progress bar on a terminal's stderr, and writes nothing to a pipe."""
    db = builtin_db(tmp_path)
    big = write_csv(tmp_path / "big.csv", "bar", 150_000)
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [*CLI, "vocab", "import", str(big), "--db", str(db)], stdout=subprocess.PIPE, stderr=follower
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            drawn += chunk
        process.wait(timeout=300)
    finally:
        os.close(leader)
    assert process.returncode == 0
    assert str(big).encode() in drawn and b"%" in drawn
    piped = run_cli(
        "vocab", "import", str(write_csv(tmp_path / "more.csv", "piped", 150_000)), "--db", str(db)
    )
    assert piped.returncode == 0 and piped.stderr == ""
