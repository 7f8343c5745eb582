"""`captionls vocab ...` end to end through click: JSON contracts, the issue's examples, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from captionls.server.cli import main
from captionls.vocab.importers import Source, import_files
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import Store
from captionls.vocab.write import Writer
from tests.kit.vocabularies import builtin_db, imported_db

SEARCH_KEYS = {"tag", "category", "post_count", "matched", "match", "groups"}
SHOW_KEYS = {
    "tag",
    "category",
    "post_count",
    "aliases",
    "implies",
    "implied_by",
    "groups",
    "translations",
    "lists",
    "wiki",
}


@pytest.fixture(autouse=True)
def no_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never the user's own vocabulary: without --db, tests would write to the data directory."""
    monkeypatch.setenv("CAPTIONLS_DB", str(tmp_path / "env-default.sqlite"))


def vocab(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["vocab", *args, "--db", str(db)])


def ok(db: Path, *args: str) -> str:
    result = vocab(db, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def failed(db: Path, *args: str, code: int = 1) -> str:
    """The one stderr line of a failing command (no traceback)."""
    result = vocab(db, *args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return builtin_db(tmp_path)


@pytest.fixture
def danbooru(tmp_path: Path, shared_data: Path) -> Path:
    return imported_db(tmp_path, shared_data / "tagcomplete" / "danbooru.csv")


# The "done means" ----------------------------------------------------------------------


def test_fresh_database_searches_the_builtin_vocabulary(tmp_path: Path) -> None:
    db = tmp_path / "new" / "vocab.sqlite"
    first = vocab(db, "search", "contra")
    assert first.exit_code == 0
    assert first.stderr == f"creating {db} from the built-in vocabulary\n"
    assert first.stdout.splitlines()[0].split()[0] == "contrapposto"
    assert vocab(db, "search", "contra").stderr == ""
    hits = json.loads(ok(db, "search", "contra", "--json"))
    assert [hit["tag"] for hit in hits[:2]] == ["contrapposto", "contra"]
    assert hits[0]["category"] == "general" and hits[0]["post_count"] == 30005
    assert "builtin:danbooru.csv" in ok(db, "stats")


def test_show_an_alias_as_json(danbooru: Path) -> None:
    shown = json.loads(ok(danbooru, "show", "sole female", "--json"))
    assert set(shown) == SHOW_KEYS
    assert shown["tag"] == "1girl"
    assert shown["category"] == "general"
    assert shown["post_count"] == 6008644
    assert "sole female" in shown["aliases"]


def test_search_finds_a_tag_through_its_alias(danbooru: Path) -> None:
    output = ok(danbooru, "search", "raised arms")
    first = output.splitlines()[0]
    assert first.startswith("arms up ") and "(alias: raised arms)" in first
    (hit, *_) = json.loads(ok(danbooru, "search", "raised arms", "--json"))
    assert (hit["tag"], hit["matched"], hit["match"]) == ("arms up", "raised arms", "exact")


def test_search_finds_a_tag_through_its_translation(db: Path, tmp_path: Path) -> None:
    translations = tmp_path / "zh-CN.txt"
    translations.write_text("long hair=长发\n", encoding="utf-8")
    ok(db, "import", str(translations))
    first = ok(db, "search", "长发").splitlines()[0]
    assert first.startswith("long hair ") and first.endswith("(zh-CN: 长发)"), first
    (hit, *_) = json.loads(ok(db, "search", "长发", "--json"))
    assert (hit["tag"], hit["matched"], hit["match"]) == ("long hair", "长发", "exact")


def test_show_a_translation(db: Path, shared_data: Path) -> None:
    ok(db, "import", str(shared_data / "bdtm" / "Translations" / "zh-CN.txt"))
    shown = json.loads(ok(db, "show", "1girl", "--json"))
    (text,) = shown["translations"].values()
    assert list(shown["translations"]) == ["zh-CN"]
    assert f"zh-CN: {text}" in ok(db, "show", "1girl")


def test_list_tag_round_trip(db: Path, shared_data: Path, tmp_path: Path) -> None:
    list_tag = shared_data / "bdtm" / "list.tag"
    ok(db, "import", str(list_tag), "--list", "personal")
    exported = ok(db, "export", "--list", "personal", "--format", "listtag")
    original = list_tag.read_text(encoding="utf-8").splitlines()
    assert len(original) == 140_782
    assert exported.splitlines() == original
    out = tmp_path / "out.tag"
    ok(db, "export", "--list", "personal", "-o", str(out))
    assert out.read_bytes() == list_tag.read_bytes()


@pytest.mark.parametrize(("name", "numbering"), [("danbooru.csv", "danbooru"), ("e621.csv", "e621")])
def test_csv_round_trip_into_an_empty_database(
    tmp_path: Path, shared_data: Path, name: str, numbering: str
) -> None:
    first = Store.open(tmp_path / "first.sqlite")
    import_files(first, [Source.file(shared_data / "tagcomplete" / name)], skip_bad=True)
    exported = tmp_path / "exported.csv"
    ok(first.path, "export", "--format", "csv", "--categories", numbering, "-o", str(exported))
    second = Store.open(tmp_path / "second.sqlite")
    import_files(second, [Source.file(exported)], numbering=numbering)  # type: ignore[arg-type]

    def content(store: Store) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
        tags = store.conn.execute("SELECT key, name, category, post_count FROM tags ORDER BY key").fetchall()
        aliases = store.conn.execute(
            "SELECT aliases.key, aliases.name, tags.key FROM aliases JOIN tags ON tags.id = tag_id"
            " ORDER BY aliases.key"
        ).fetchall()
        return tags, aliases

    assert content(second) == content(first)
    assert len(content(first)[0]) > 100_000


# JSON contracts and output ---------------------------------------------------------------------


def test_search_json_contract(db: Path) -> None:
    with Store.open(db) as store, store.transaction():
        writer = Writer(store)
        posture = writer.group("my posture", None, 0)
        writer.add_to_group(writer.group("my sitting", posture, 0), writer.tag_id("sitting") or 0, 0)
        writer.finish()
    hits = json.loads(ok(db, "search", "sitt", "--limit", "5", "--json"))
    assert 1 <= len(hits) <= 5
    for hit in hits:
        assert set(hit) == SEARCH_KEYS
        assert hit["match"] in {"exact", "prefix", "word", "substring", "fuzzy"}
        assert isinstance(hit["post_count"], int)
    sitting = next(hit for hit in hits if hit["tag"] == "sitting")
    assert ["my posture", "my sitting"] in sitting["groups"]
    within = json.loads(ok(db, "search", "sit", "--group", "my posture", "--json"))
    assert [hit["tag"] for hit in within] == ["sitting"]
    assert "no tag group" in failed(db, "search", "sit", "--group", "no such group")


def test_display_names_use_spaces_and_export_keeps_the_stored_names(db: Path) -> None:
    hits = json.loads(ok(db, "search", "long hair", "--limit", "1", "--json"))
    assert hits[0]["tag"] == "long hair"
    ok(db, "add", "long_hair", "--list", "mine")
    assert ok(db, "export", "--list", "mine") == "long_hair\n"


def test_search_filters(db: Path) -> None:
    characters = json.loads(ok(db, "search", "hatsune", "--category", "character", "--json"))
    assert characters and all(hit["category"] == "character" for hit in characters)
    ok(db, "add", "smile", "grin", "--list", "faces")
    in_list = json.loads(ok(db, "search", "smil", "--list", "faces", "--json"))
    assert [hit["tag"] for hit in in_list] == ["smile"]
    assert "no list called" in failed(db, "search", "smile", "--list", "nope")
    assert failed(db, "search", "qqqqxxxxjjjj") == "no tag matches 'qqqqxxxxjjjj'\n"


def test_search_within_a_big_list(db: Path, shared_data: Path) -> None:
    ok(db, "import", str(shared_data / "bdtm" / "list.tag"), "--list", "personal")
    ok(db, "remove", "very long hair", "--list", "personal")
    hits = json.loads(ok(db, "search", "long ha", "--list", "personal", "--json"))
    tags = [hit["tag"] for hit in hits]
    assert tags[0] == "long hair" and "very long hair" not in tags


def test_show_text(db: Path) -> None:
    output = ok(db, "show", "long_hair")
    assert output.splitlines()[0].startswith("long hair  (general, ")
    assert "looked up as: longhair (an alias)" in ok(db, "show", "longhair")


# Curating --------------------------------------------------------------------------------------


def test_add_and_remove(db: Path) -> None:
    ok(db, "add", "ohwxStyle", "sole female", "--list", "personal", "--category", "meta")
    shown = json.loads(ok(db, "show", "ohwxstyle", "--json"))
    assert (shown["tag"], shown["category"], shown["lists"]) == ("ohwxStyle", "meta", ["personal"])
    # `sole female` is an alias: adding it means adding 1girl.
    assert json.loads(ok(db, "show", "1girl", "--json"))["lists"] == ["personal"]
    assert "ohwxStyle\t" not in ok(db, "lists")
    assert ok(db, "lists") == "personal\t2\n"
    ok(db, "remove", "1girl", "--list", "personal")
    assert json.loads(ok(db, "show", "1girl", "--json"))["lists"] == []
    assert "is not in list" in failed(db, "remove", "1girl", "--list", "personal")
    ok(db, "remove", "ohwxStyle")
    assert failed(db, "show", "ohwxStyle").startswith("unknown tag 'ohwxStyle'")


def test_remove_is_all_or_nothing(db: Path) -> None:
    assert "unknown tag 'no such tag'" in failed(db, "remove", "smile", "no such tag")
    assert json.loads(ok(db, "show", "smile", "--json"))["tag"] == "smile"


def test_alias_merges_and_refuses_loops(db: Path) -> None:
    ok(db, "add", "smiling face", "--list", "mine")
    ok(db, "alias", "smiling face", "smile")
    shown = json.loads(ok(db, "show", "smiling face", "--json"))
    assert shown["tag"] == "smile"
    assert "smiling face" in shown["aliases"] and shown["lists"] == ["mine"]
    ok(db, "alias", "grinning", "smile")
    assert "alias loop" in failed(db, "alias", "smile", "grinning")
    assert "unknown tag" in failed(db, "alias", "x", "no such tag")


def test_rename_keeps_the_old_name_as_an_alias(db: Path) -> None:
    ok(db, "rename", "long hair", "very long locks")
    shown = json.loads(ok(db, "show", "long_hair", "--json"))
    assert shown["tag"] == "very long locks" and "long hair" in shown["aliases"]
    assert json.loads(ok(db, "search", "very long lo", "--json"))[0]["tag"] == "very long locks"


def test_stats(db: Path) -> None:
    output = ok(db, "stats")
    assert f"database: {db}" in output
    assert "imported" in output and "builtin:danbooru.csv (csv, 81,581 tags)" in output


def test_sql_looking_tag_names(db: Path) -> None:
    evil = "'); drop table tags;--"
    ok(db, "add", evil, "--list", "x'; delete from lists;--")
    shown = json.loads(ok(db, "show", evil, "--json"))
    assert shown["tag"] == evil and shown["lists"] == ["x'; delete from lists;--"]
    (hit,) = json.loads(ok(db, "search", "drop table", "--list", "x'; delete from lists;--", "--json"))
    assert hit["tag"] == evil
    with Store.open(db) as store:
        assert Vocabulary(store).resolve(evil) is not None
        assert Vocabulary(store).lists() == [("x'; delete from lists;--", 1)]


# Errors, exit codes and the database option ----------------------------------------------------


def test_import_errors_are_one_line(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"fineqzx,0,1,\nbroken,0,lots,\n")
    assert failed(db, "import", str(bad)) == f"{bad}:2: post count is not a number: 'lots'\n"
    assert "unknown tag" in failed(db, "show", "fineqzx")
    assert failed(db, "import", str(tmp_path / "absent.tag")).startswith(
        f"{tmp_path / 'absent.tag'}: No such file"
    )
    result = vocab(db, "import", str(bad), "--skip-bad")
    assert result.exit_code == 0
    assert "skipped 1 bad line:" in result.stdout
    assert f"1 x post count is not a number (first at {bad}:2)" in result.stdout


def test_import_reports_counts(db: Path, tmp_path: Path) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_text('brand new tag,0,7,"another name,third name"\n', encoding="utf-8")
    output = ok(db, "import", str(tags), "--list", "new")
    assert output == f"{tags} (csv, danbooru categories): 1 tag added or changed, 2 aliases, 0 translations\n"
    assert ok(db, "import", str(tags)).startswith(f"{tags} (csv, danbooru categories): 0 tags")


def test_import_json_reports_counts_per_file(db: Path, tmp_path: Path) -> None:
    tags = tmp_path / "tags.csv"
    tags.write_bytes(b'brand new tag,0,7,"another name,third name"\nbroken,0,lots,\n')
    reports = json.loads(ok(db, "import", str(tags), "--skip-bad", "--list", "new", "--json"))
    assert reports == [
        {
            "file": str(tags),
            "format": "csv",
            "categories": "danbooru",
            "lang": None,
            "tags": 1,
            "aliases": 2,
            "translations": 0,
            "skipped": 1,
            "skipped_lines": {"post count is not a number": {"count": 1, "first": f"{tags}:2"}},
            "left_out": {},
        }
    ]


def test_usage_errors_exit_2(db: Path) -> None:
    failed(db, "search", code=2)
    failed(db, "search", "x", "--category", "colour", code=2)
    failed(db, "import", "x", "--format", "xml", code=2)


def test_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    message = failed(junk, "stats")
    assert message.startswith(f"{junk}: not a captionls vocabulary") and message.count("\n") == 1


def test_db_option_beats_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = builtin_db(tmp_path / "env" if (tmp_path / "env").mkdir() is None else tmp_path)
    from_option = builtin_db(tmp_path)
    monkeypatch.setenv("CAPTIONLS_DB", str(from_env))
    runner = CliRunner()
    assert runner.invoke(main, ["vocab", "add", "only in env", "--list", "env"]).exit_code == 0
    assert runner.invoke(main, ["vocab", "--db", str(from_option), "add", "only in option"]).exit_code == 0
    assert "only in env" not in ok(from_option, "export")
    assert "only in option" in ok(from_option, "export")
    assert "only in env" in ok(from_env, "export", "--list", "env")


def test_path_names_the_vocabulary_without_creating_it(tmp_path: Path) -> None:
    db = tmp_path / "somewhere" / "vocab.sqlite"
    assert ok(db, "path") == f"{db}\n"
    assert not db.exists() and not db.parent.exists()
    from_env = CliRunner().invoke(main, ["vocab", "path"])
    assert from_env.exit_code == 0 and from_env.stdout == f"{tmp_path / 'env-default.sqlite'}\n"


def test_version_names_the_distribution() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("captionls "), result.output
