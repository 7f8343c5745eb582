"""BooruDatasetTagManager's current tag files (issue 16): a `Tags/` folder of tagcomplete-style CSVs and
plain lists, and `Translations/<lang>.txt`, imported as BDTM reads them and exported for it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from captionls.server.cli import main
from tests.kit.vocabularies import builtin_db

# How BDTM (TagsDB.LoadFromCSVFile) reads a Tags/*.csv line: name, category number, count, aliases.
BDTM_CSV_LINE = re.compile(r"(.*?),(\d+),(\d+),(.*)")


@pytest.fixture(autouse=True)
def no_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAPTIONLS_DB", str(tmp_path / "env-default.sqlite"))


def vocab(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["vocab", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result


def fresh_db(directory: Path) -> Path:
    directory.mkdir()
    return builtin_db(directory)


def show(db: Path, tag: str) -> dict[str, object]:
    shown = json.loads(vocab(db, "show", tag, "--json").stdout)
    assert isinstance(shown, dict)
    return shown


def test_a_tags_folder_is_imported_as_bdtm_reads_it(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    tags = tmp_path / "Tags"
    tags.mkdir()
    (tags / "mine.csv").write_text('ohwx style,5,12,"ohwxstyle,ohwx"\nglowy shards,0,3,\n', encoding="utf-8")
    # A plain list whose lines hold `=`: read as tags, never as translations.
    (tags / "extra.txt").write_text("\ufeffmoody=dark\r\nrim light\r\n", encoding="utf-8")
    (tags / "notes.md").write_text("not a tag file\n", encoding="utf-8")
    report = vocab(db, "import", str(tags), "--list", "bdtm").stdout
    assert "mine.csv (csv, danbooru categories)" in report and "extra.txt (listtag)" in report
    assert "notes.md" not in report
    assert show(db, "ohwx")["tag"] == "ohwx style"
    assert show(db, "ohwx style")["category"] == "meta"
    assert show(db, "moody=dark")["lists"] == ["bdtm"]


def test_a_folder_without_tag_files_is_one_line(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    empty = tmp_path / "Tags"
    empty.mkdir()
    result = CliRunner().invoke(main, ["vocab", "import", str(empty), "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{empty}: a folder with no *.csv or *.txt files to import"


def test_the_tags_export_is_what_bdtm_and_our_own_importer_read(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    listed = tmp_path / "personal.tag"
    listed.write_text("1girl\nohwxStyle\nlong hair\nsole female\nfate \\(series\\)\n", encoding="utf-8")
    vocab(db, "import", str(listed), "--list", "personal")
    vocab(db, "add", "ohwxStyle", "--category", "meta")
    tags = tmp_path / "BDTM" / "Tags"
    vocab(db, "export", "--format", "bdtm-tags", "--list", "personal", "-o", str(tags))
    exported = tags / "personal.csv"
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4  # `sole female` is 1girl's alias: one row
    assert all(BDTM_CSV_LINE.fullmatch(line) for line in lines), lines
    assert lines[0].startswith("1girl,0,") and "sole_female" in lines[0]
    # Read back by our own importer into a fresh vocabulary: the same tags, categories and counts.
    fresh = fresh_db(tmp_path / "fresh")
    vocab(fresh, "import", str(tags), "--list", "back")
    for name in ("1girl", "ohwxStyle", "long hair", "fate (series)"):
        mine, theirs = show(db, name), show(fresh, name)
        assert (theirs["tag"], theirs["category"], theirs["post_count"]) == (
            mine["tag"],
            mine["category"],
            mine["post_count"],
        )
        assert theirs["lists"] == ["back"]
    assert show(fresh, "sole female")["tag"] == "1girl"


def test_translations_export_in_bdtm_format_and_back(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    source = tmp_path / "in" / "Translations"
    source.mkdir(parents=True)
    (source / "zh-CN.txt").write_text(
        "// BDTM translations\nlong hair=长发\n*1girl=1 个女人\nsmile=a=b\n", encoding="utf-8"
    )
    vocab(db, "import", str(source))
    out = tmp_path / "out" / "Translations"
    result = vocab(db, "export", "--format", "translations", "--lang", "zh-CN", "-o", str(out))
    # `smile=a=b` was read as BDTM reads it (tag `smile=a`, unknown): nothing of it to write.
    assert (out / "zh-CN.txt").read_text(encoding="utf-8") == "*1girl=1 个女人\nlong_hair=长发\n"
    assert "2 translations" in result.stderr
    fresh = fresh_db(tmp_path / "fresh")
    vocab(fresh, "import", str(out))
    assert show(fresh, "long hair")["translations"] == {"zh-CN": "长发"}


def test_a_folder_as_the_output_of_a_plain_export_is_one_line(tmp_path: Path) -> None:
    db = builtin_db(tmp_path)
    folder = tmp_path / "Tags"
    folder.mkdir()
    result = CliRunner().invoke(main, ["vocab", "export", "-o", str(folder), "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{folder}: a folder; -o names the file to write"
    assert list(folder.iterdir()) == []
