"""Curating a personal list (issue 16): order-preserving round trips, the `vocab list` commands,
growing a list from a dataset and pruning it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from captionls.server.cli import main
from tests.kit.vocabularies import builtin_db, database_at_version

HAND_ORDERED = (
    "\ufeffohwxStyle\r\n"  # a trigger-like word the vocabulary lacks, written in the user's case
    "sole female\r\n"  # an alias of 1girl, kept as written
    "Long_Hair\r\n"
    "zebra\r\n"
    "anime\r\n"
).encode()


@pytest.fixture(autouse=True)
def no_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAPTIONLS_DB", str(tmp_path / "env-default.sqlite"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return builtin_db(tmp_path)


def vocab(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["vocab", *args, "--db", str(db)])


def ok(db: Path, *args: str) -> Result:
    result = vocab(db, *args)
    assert result.exit_code == 0, result.output
    return result


def failed(db: Path, *args: str) -> str:
    result = vocab(db, *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


def round_trip(db: Path, tmp_path: Path, content: bytes, list_name: str = "personal") -> tuple[bytes, str]:
    source = tmp_path / f"{list_name}-in.tag"
    source.write_bytes(content)
    report = ok(db, "import", str(source), "--list", list_name).stdout
    exported = tmp_path / f"{list_name}-out.tag"
    ok(db, "export", "--list", list_name, "-o", str(exported))
    return exported.read_bytes(), report


# Round trips ---------------------------------------------------------------------------------


def test_a_hand_ordered_list_with_aliases_crlf_and_a_bom_comes_back_byte_for_byte(
    db: Path, tmp_path: Path
) -> None:
    exported, report = round_trip(db, tmp_path, HAND_ORDERED)
    assert exported == HAND_ORDERED
    assert "export --list will differ" not in report
    # The list holds the alias's tag: search and show see 1girl in it.
    assert "personal" in ok(db, "show", "1girl").stdout


@pytest.mark.parametrize(
    "content",
    [b"b\na\nc", b"b\na\nc\n", b"\xef\xbb\xbfb\r\na\r\nc", b"zebra\nanime\n"],
    ids=["lf-no-final-newline", "lf", "bom-crlf-no-final-newline", "unsorted"],
)
def test_the_layout_of_the_file_is_kept(db: Path, tmp_path: Path, content: bytes) -> None:
    assert round_trip(db, tmp_path, content)[0] == content


def test_what_cannot_come_back_is_reported_not_silent(db: Path, tmp_path: Path) -> None:
    content = b"1girl\nsole female\n\nsmile\nsmile\n  solo  \nsky\r\n"
    exported, report = round_trip(db, tmp_path, content)
    assert exported == b"1girl\nsmile\nsolo\nsky\n"
    assert (
        "1 x a line names an earlier line's tag through an alias (export writes the earlier line)" in report
    )
    assert "1 x a line repeats an earlier one (export writes it once)" in report
    assert "1 x a blank line (export leaves it out)" in report
    assert "1 x spaces around a name (export trims them)" in report
    assert "1 x a line ends in '\\r\\n', not '\\n' as the first (export uses the first)" in report


def test_the_real_bdtm_list_tag_comes_back_byte_for_byte(db: Path, tmp_path: Path, shared_data: Path) -> None:
    original = (shared_data / "bdtm" / "list.tag").read_bytes()
    exported, report = round_trip(db, tmp_path, original, "bdtm")
    assert "export --list will differ" not in report
    assert exported == original


def test_reimporting_the_same_list_changes_nothing(db: Path, tmp_path: Path) -> None:
    round_trip(db, tmp_path, HAND_ORDERED)
    assert round_trip(db, tmp_path, HAND_ORDERED)[0] == HAND_ORDERED


def test_tags_added_later_go_to_the_end_as_written(db: Path, tmp_path: Path) -> None:
    round_trip(db, tmp_path, b"zebra\nanime\n")
    ok(db, "add", "Head Tilt", "--list", "personal")
    ok(db, "remove", "zebra", "--list", "personal")
    assert ok(db, "export", "--list", "personal").stdout == "anime\nHead Tilt\n"


def test_a_tag_merged_into_another_keeps_its_place_and_spelling(db: Path, tmp_path: Path) -> None:
    round_trip(db, tmp_path, b"sky\nmy grin\nsolo\n")
    ok(db, "alias", "my grin", "smile")  # `my grin` was a tag of its own: merged into smile
    assert "personal" in ok(db, "show", "smile").stdout
    assert ok(db, "export", "--list", "personal").stdout == "sky\nmy grin\nsolo\n"


def test_a_big_list_is_appended_in_order_across_import_batches(db: Path, tmp_path: Path) -> None:
    names = [f"made up tag {number:05}" for number in range(5000, 0, -1)]  # more than one batch, reversed
    content = "".join(f"{name}\n" for name in names).encode()
    assert round_trip(db, tmp_path, content)[0] == content


def test_a_version_3_vocabulary_keeps_its_lists_in_the_alphabetical_order_it_exported(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = database_at_version(path, 3)
    conn.executemany(
        "INSERT INTO tags (id, key, name) VALUES (?, ?, ?)", [(1, "b", "b"), (2, "c", "c"), (3, "a", "a")]
    )
    conn.execute("INSERT INTO lists (id, name) VALUES (1, 'personal')")
    conn.executemany("INSERT INTO list_tags (list_id, tag_id) VALUES (1, ?)", [(1,), (2,), (3,)])
    conn.close()
    ok(path, "add", "d", "--list", "personal")
    assert ok(path, "export", "--list", "personal").stdout == "a\nb\nc\nd\n"


# The list commands ---------------------------------------------------------------------------


def test_copy_rename_diff_and_delete(db: Path, tmp_path: Path) -> None:
    round_trip(db, tmp_path, HAND_ORDERED)
    ok(db, "list", "copy", "personal", "backup")
    assert ok(db, "export", "--list", "backup").stdout_bytes == HAND_ORDERED
    ok(db, "remove", "zebra", "--list", "personal")
    ok(db, "add", "1girl", "smile", "--list", "personal")  # 1girl is there already, as `sole female`
    diff = ok(db, "list", "diff", "backup", "personal")
    assert diff.stdout == "- zebra\n+ smile\n"
    assert "4 tags in both" in diff.stderr
    ok(db, "list", "rename", "backup", "old")
    assert [line.split("\t")[0] for line in ok(db, "lists").stdout.splitlines()] == ["old", "personal"]
    assert "there is already a list called 'personal'" in failed(db, "list", "rename", "old", "personal")
    assert "there is already a list called 'old'" in failed(db, "list", "copy", "personal", "old")
    assert "deleted list 'old' (5 tags" in ok(db, "list", "delete", "old").stdout
    assert "no list called 'old'" in failed(db, "list", "delete", "old")
    assert "no list called 'old'" in failed(db, "list", "diff", "old", "personal")
    ok(db, "show", "zebra")  # a deleted list's tags stay in the vocabulary


def _caption(folder: Path, stem: str, text: str) -> None:
    (folder / f"{stem}.png").write_bytes(b"")
    (folder / f"{stem}.txt").write_text(text, encoding="utf-8")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Six captions starting with the trigger `ohwx` (inferred: the vocabulary lacks it), one a hybrid
    whose prose must add nothing."""
    folder = tmp_path / "dataset"
    folder.mkdir()
    _caption(folder, "01", "ohwx, 1girl, smile, sitting, wooden floor")
    _caption(folder, "02", "ohwx, sole female, smile, standing, blue sky")
    _caption(folder, "03", "ohwx, 1girl, Smile, sitting, glowy crystal shards")
    _caption(folder, "04", "ohwx, 1girl, standing, a pale pink dress with dark edges")
    _caption(folder, "05", "ohwx, 1girl, sitting")
    _caption(folder, "06", "ohwx. A young woman reads a thick book by the window.")
    return folder


def test_add_from_adds_canonical_tags_without_the_trigger_or_prose(db: Path, dataset: Path) -> None:
    result = ok(db, "list", "add-from", str(dataset), "--list", "personal")
    listed = ok(db, "export", "--list", "personal").stdout.splitlines()
    # Most used first; `sole female` counts as 1girl; a new word the vocabulary lacks joins it.
    assert listed == [
        "1girl",
        "sitting",
        "smile",
        "standing",
        "blue_sky",
        "glowy crystal shards",
        "wooden_floor",
    ]
    assert "added 7 tags to list 'personal'" in result.stderr
    assert "ohwx" not in result.stdout and "book" not in result.stdout and "pink dress" not in result.stdout
    ok(db, "show", "glowy crystal shards")


def test_add_from_leaves_out_a_trigger_an_imported_list_names(
    db: Path, dataset: Path, tmp_path: Path
) -> None:
    # A BDTM list.tag holds the trigger too; imported, `ohwx` is in the vocabulary, still no tag.
    round_trip(db, tmp_path, b"ohwx\nsmile\n")
    ok(db, "list", "add-from", str(dataset), "--list", "mine", "--min-captions", "2")
    assert ok(db, "export", "--list", "mine").stdout.splitlines() == ["1girl", "sitting", "smile", "standing"]


def test_add_from_keeps_tags_used_by_enough_captions_and_a_configured_trigger_out(
    db: Path, dataset: Path
) -> None:
    (dataset / "captionls.toml").write_text('trigger = ["smile"]\n', encoding="utf-8")
    ok(db, "list", "add-from", str(dataset), "--list", "personal", "--min-captions", "2")
    # The configured trigger replaces the inferred one: `ohwx` is now an ordinary (new) tag.
    assert ok(db, "export", "--list", "personal").stdout.splitlines() == [
        "1girl",
        "ohwx",
        "sitting",
        "standing",
    ]


def test_prune_shows_then_removes_the_tags_no_dataset_uses(db: Path, dataset: Path, tmp_path: Path) -> None:
    round_trip(db, tmp_path, b"ohwx\nsole female\nzebra\nsmile\nanime\n")
    shown = ok(db, "list", "prune", "--list", "personal", "--unused-in", str(dataset))
    assert shown.stdout == "- zebra\n- anime\n"
    assert "2 tags of 5 unused; --apply removes them" in shown.stderr
    assert ok(db, "export", "--list", "personal").stdout == "ohwx\nsole female\nzebra\nsmile\nanime\n"
    ok(db, "list", "prune", "--list", "personal", "--unused-in", str(dataset), "--apply")
    assert ok(db, "export", "--list", "personal").stdout == "ohwx\nsole female\nsmile\n"


def test_a_dataset_that_is_not_a_folder_is_one_line(db: Path, tmp_path: Path) -> None:
    message = failed(db, "list", "add-from", str(tmp_path / "missing"))
    assert message.strip() == f"{tmp_path / 'missing'}: not a dataset folder"
