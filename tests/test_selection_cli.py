"""`captionls tags list|add|remove|move`, `rename --where` and `undo` on real files (BOM, CRLF, UTF-16)."""

from __future__ import annotations

import base64
import codecs
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from captionls.server.caption.dataset import DatasetIndex
from captionls.server.caption.journal import KEPT_ENTRIES
from captionls.server.caption.tokens.clip import count_tokens
from tests.kit.cli import cli, run
from tests.kit.datasets import write_dataset

TRIGGER = 'trigger = ["ohwx"]\n'
CAPTIONS: dict[str, bytes] = {
    "a": codecs.BOM_UTF8 + b"ohwx, 1girl, long_hair, smile\r\n",
    "b": b"ohwx, 1boy, short hair\r\nA man stands by a window, smiling at the camera.\r\n",
    "c": b"ohwx, 1girl, solo",
    "d": codecs.BOM_UTF16_LE + "ohwx, 1girl, smiling, hat\r\n".encode("utf-16-le"),
}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "set", CAPTIONS, TRIGGER)


def captions(root: Path) -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted(root.glob("*.txt"))}


def test_list_counts_inside_the_selection_common_tags_first(dataset: Path, vocabulary: Path) -> None:
    result = run(vocabulary, "tags", "list", dataset, "--where", "1girl", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"tag": "1girl", "captions": 3},
        {"tag": "ohwx", "captions": 3},
        {"tag": "hat", "captions": 1},
        {"tag": "long_hair", "captions": 1},
        {"tag": "smile", "captions": 1},
        {"tag": "smiling", "captions": 1},
        {"tag": "solo", "captions": 1},
    ]
    text = run(vocabulary, "tags", "list", dataset, "--where", "NOT 1girl")
    assert text.stdout.splitlines() == [
        "1 caption selected, 3 distinct tags",
        "  1  1boy",
        "  1  ohwx",
        "  1  short hair",
    ]


def test_add_keeps_bom_crlf_and_encoding_and_skips_present_tags(dataset: Path, vocabulary: Path) -> None:
    result = run(vocabulary, "tags", "add", "smile", "hat", dataset, "--at", "start")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "changed 3 captions\n"
    assert captions(dataset) == {
        "a": codecs.BOM_UTF8 + b"ohwx, hat, 1girl, long_hair, smile\r\n",
        "b": b"ohwx, smile, hat, 1boy, short hair\r\nA man stands by a window, smiling at the camera.\r\n",
        "c": b"ohwx, smile, hat, 1girl, solo",
        # `smiling` is the vocabulary's alias of smile: not added twice, and hat is there.
        "d": CAPTIONS["d"],
    }
    result = run(vocabulary, "tags", "add", "solo", dataset, "--where", "hat AND smiling")
    assert captions(dataset)["d"] == codecs.BOM_UTF16_LE + "ohwx, 1girl, smiling, hat, solo\r\n".encode(
        "utf-16-le"
    )


def test_dry_run_prints_a_diff_git_applies_and_writes_nothing(
    dataset: Path, vocabulary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(dataset.parent)
    result = run(vocabulary, "tags", "remove", "smile", "set", "--where", "path:a.txt OR solo", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "would change 1 caption\n"
    assert captions(dataset) == CAPTIONS
    assert not (dataset / ".captionls").exists()
    applied = subprocess.run(
        ["git", "apply", "-"], input=result.stdout_bytes, capture_output=True, check=False
    )
    assert applied.returncode == 0, (applied.stderr, result.stdout)
    assert captions(dataset)["a"] == codecs.BOM_UTF8 + b"ohwx, 1girl, long_hair\r\n"


def test_move_and_rename_where(dataset: Path, vocabulary: Path) -> None:
    assert run(vocabulary, "tags", "move", "hat", "--at", "2", dataset).exit_code == 0
    assert captions(dataset)["d"] == codecs.BOM_UTF16_LE + "ohwx, hat, 1girl, smiling\r\n".encode("utf-16-le")
    result = run(vocabulary, "rename", "1girl", "1 girl", dataset, "--where", "NOT solo")
    assert result.stdout == "changed 2 captions\n"
    assert captions(dataset)["c"] == CAPTIONS["c"]
    assert captions(dataset)["a"] == codecs.BOM_UTF8 + b"ohwx, 1 girl, long_hair, smile\r\n"


def test_undo_restores_each_write_byte_for_byte(dataset: Path, vocabulary: Path) -> None:
    run(vocabulary, "tags", "add", "hat", dataset, "--where", "1girl")
    after_add = captions(dataset)
    run(vocabulary, "tags", "remove", "ohwx", dataset)
    run(vocabulary, "format", dataset)
    history = cli("undo", "--list", dataset).stdout.splitlines()
    assert [line.split("  ", 2)[2] for line in history] == [
        "format  (1 caption)",  # long_hair -> long hair, the dataset's style
        "tags remove ohwx  (4 captions)",
        "tags add hat --where 1girl  (2 captions)",
    ]
    assert cli("undo", dataset).stdout == "undid format (1 caption restored)\n"
    assert cli("undo", dataset).stdout == "undid tags remove ohwx (4 captions restored)\n"
    assert captions(dataset) == after_add
    assert cli("undo", dataset).stdout == "undid tags add hat --where 1girl (2 captions restored)\n"
    assert captions(dataset) == CAPTIONS
    assert cli("undo", dataset).stdout == "nothing to undo\n"


def test_undo_refuses_naming_a_caption_changed_since(dataset: Path, vocabulary: Path) -> None:
    run(vocabulary, "tags", "add", "hat", dataset)
    (dataset / "c.txt").write_bytes(b"ohwx, edited by hand")
    result = cli("undo", dataset)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {dataset}/c.txt: changed since `tags add hat` wrote it; nothing undone (the journal entry 1"
        " stays)\n"
    )
    assert (dataset / "a.txt").read_bytes() == codecs.BOM_UTF8 + b"ohwx, 1girl, long_hair, smile, hat\r\n"
    (dataset / "c.txt").write_bytes(b"ohwx, 1girl, solo, hat")
    assert cli("undo", dataset).exit_code == 0
    assert captions(dataset) == CAPTIONS


def test_check_fix_and_rename_are_undone_too(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": b"ohwx, 1girl,, smile\r\n"}, TRIGGER)
    run(vocabulary, "check", root, "--fix", "--select", "empty-tag")
    assert (root / "a.txt").read_bytes() == b"ohwx, 1girl, smile\r\n"
    run(vocabulary, "rename", "smile", "grin", root)
    assert cli("undo", root).stdout == "undid rename smile grin (1 caption restored)\n"
    assert cli("undo", root).stdout == "undid check --fix (1 caption restored)\n"
    assert (root / "a.txt").read_bytes() == b"ohwx, 1girl,, smile\r\n"


def test_the_journal_keeps_the_last_entries_and_the_index_ignores_it(dataset: Path, vocabulary: Path) -> None:
    for number in range(KEPT_ENTRIES + 3):
        run(vocabulary, "tags", "add", f"tag{number}", dataset, "--where", "path:c.txt")
    history = cli("undo", "--list", dataset).stdout.splitlines()
    assert len(history) == KEPT_ENTRIES
    assert history[0].startswith(f"{KEPT_ENTRIES + 3}  ") and history[-1].startswith("4  ")
    assert (dataset / ".captionls" / ".gitignore").read_text() == "*\n"
    write_dataset(dataset / ".captionls", {"looks-like-a-caption": "ohwx, hat"})
    index = DatasetIndex(dataset)
    index.scan()
    assert len(index) == 4 and not index.errors


@pytest.mark.parametrize(
    ("args", "value", "message"),
    [
        ("tags add x ROOT --where", "solo smile", "Error: --where: column 6: expected AND, OR or the end"),
        ("tags list ROOT --where", "(solo", "Error: --where: column 6: `(` at column 1 is not closed"),
        (
            "tags list ROOT --where",
            "tokens>many",
            "Error: --where: column 1: `tokens>many`: a count is a whole number, as in tags<10",
        ),
        ("tags add x ROOT --at", "top", 'Error: --at: "top" is not a place for tags'),
        ("tags add ROOT", "a, b", 'Error: the new tag name "a, b" would not stay one tag'),
    ],
)
def test_usage_errors_are_one_line(
    dataset: Path, vocabulary: Path, args: str, value: str, message: str
) -> None:
    words = [dataset if word == "ROOT" else word for word in args.split()]
    if words[-1] == dataset:
        words.insert(-1, value)
    else:
        words.append(value)
    result = run(vocabulary, *words)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert captions(dataset) == CAPTIONS


def test_added_tags_follow_the_dataset_phrasing_and_style(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path, {"a": b"ohwx, long hair, smile", "b": b"ohwx, 1girl, blue eyes"}, TRIGGER)
    assert run(vocabulary, "tags", "add", "longhair", "brown_hair", root).exit_code == 0
    # The alias stands for `long hair`, which the dataset writes so; a new tag takes the spaces style.
    assert captions(root) == {
        "a": b"ohwx, long hair, smile, brown hair",
        "b": b"ohwx, 1girl, blue eyes, long hair, brown hair",
    }


def test_a_planted_journal_entry_never_writes_outside_the_dataset(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": b"ohwx, smile"}, TRIGGER)
    outside = tmp_path / "bashrc"
    outside.write_bytes(b"safe")
    (root / ".captionls" / "journal").mkdir(parents=True)
    entry = {
        "command": "tags add x",
        "time": "2026-01-01T00:00:00+00:00",
        "files": [
            {
                "path": "../bashrc",
                "before": base64.b64encode(b"pwned").decode(),
                "after_sha256": hashlib.sha256(b"safe").hexdigest(),
            }
        ],
    }
    (root / ".captionls" / "journal" / "000001.json").write_text(json.dumps(entry))
    result = cli("undo", root)
    assert (
        result.exit_code == 1 and "outside the dataset" in result.stderr and "nothing undone" in result.stderr
    )
    assert outside.read_bytes() == b"safe"


def test_tokens_selects_by_the_longest_lines_clip_tokens(dataset: Path, vocabulary: Path) -> None:
    # b's prose line is its longest: 12 CLIP tokens; every other caption has fewer than 10.
    assert count_tokens("A man stands by a window, smiling at the camera.") == 12
    result = run(vocabulary, "tags", "list", dataset, "--where", "tokens>10", "--json")
    assert result.exit_code == 0, result.stderr
    assert {row["tag"] for row in json.loads(result.stdout)} == {"ohwx", "1boy", "short hair"}
    result = run(vocabulary, "tags", "list", dataset, "--where", "tokens<10 AND NOT 1girl", "--json")
    assert json.loads(result.stdout) == []
