"""The importers on the real shared files and on every kind of malformed input."""

from __future__ import annotations

import gc
import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captionls.vocab.export import export
from captionls.vocab.importers import ImportFailed, Source, detect_format, import_files
from captionls.vocab.importers.common import MAX_LINE_BYTES
from captionls.vocab.normalize import tag_key
from captionls.vocab.query import Vocabulary
from captionls.vocab.store import Store
from captionls.vocab.write import Writer


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "vocab.sqlite")


def dump(store: Store) -> str:
    """A digest of every table an import writes: equal digests mean an unchanged database."""
    digest = hashlib.sha256()
    for table in ("tags", "aliases", "translations", "lists", "list_tags", "terms", "imports"):
        for row in store.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def content(store: Store) -> list[tuple[object, ...]]:
    """Tags, aliases, translations and list members, without the import log."""
    return [
        *store.conn.execute("SELECT key, name, category, post_count FROM tags ORDER BY key"),
        *store.conn.execute("SELECT key, name, tag_id FROM aliases ORDER BY key"),
        *store.conn.execute("SELECT tag_id, lang, text, manual FROM translations ORDER BY 1, 2"),
        *store.conn.execute("SELECT list_id, tag_id FROM list_tags ORDER BY 1, 2"),
    ]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(store: Store, *paths: Path, **options: object) -> list:  # type: ignore[type-arg]
    return import_files(store, [Source.file(path) for path in paths], **options)  # type: ignore[arg-type]


# The real files --------------------------------------------------------------------------------


def test_danbooru_csv(store: Store, shared_data: Path) -> None:
    (report,) = run(store, shared_data / "tagcomplete" / "danbooru.csv")
    assert report.format == "csv" and report.numbering == "danbooru"
    vocabulary = Vocabulary(store)
    assert vocabulary.size() == 140_782
    resolved = vocabulary.resolve("sole female")
    assert resolved is not None
    assert (resolved.tag.name, resolved.tag.category, resolved.tag.post_count) == (
        "1girl",
        "general",
        6008644,
    )
    highres = vocabulary.resolve("high resolution")
    assert highres is not None and highres.tag.name == "highres" and highres.tag.category == "meta"
    # `[_]` (an alias of maru039) normalises to nothing: left out and counted, not a failure.
    assert any("unusable alias" in reason for reason in report.counts.notes)
    (aliases,) = store.conn.execute("SELECT count(*) FROM aliases").fetchone()
    assert 29_000 < aliases <= 30_276


def test_reimporting_the_same_file_changes_nothing(store: Store, shared_data: Path) -> None:
    csv = shared_data / "tagcomplete" / "danbooru.csv"
    run(store, csv)
    before = content(store)
    (again,) = run(store, csv)
    assert content(store) == before
    assert again.counts.tags == 0 and again.counts.aliases == 0


def test_e621_numbering_and_its_empty_name(store: Store, shared_data: Path) -> None:
    e621 = shared_data / "tagcomplete" / "e621.csv"
    with pytest.raises(ImportFailed, match=r"e621\.csv:5473: empty tag name"):
        run(store, e621)
    assert store.is_empty()
    (report,) = run(store, e621, skip_bad=True)
    assert report.numbering == "e621"
    assert report.skipped.counts == {"empty tag name": 1}
    assert report.skipped.first["empty tag name"].endswith("e621.csv:5473")
    vocabulary = Vocabulary(store)
    assert vocabulary.size() == 101_667
    for name, category in (("mammal", "species"), ("hi_res", "meta"), ("anthro", "general")):
        resolved = vocabulary.resolve(name)
        assert resolved is not None and resolved.tag.category == category


def test_extra_quality_tags_five_columns(store: Store, shared_data: Path) -> None:
    (report,) = run(store, shared_data / "tagcomplete" / "extra-quality-tags.csv", list_name="quality")
    assert report.format == "csv"
    vocabulary = Vocabulary(store)
    masterpiece = vocabulary.resolve("masterpiece")
    assert masterpiece is not None and masterpiece.tag.category == "meta" and masterpiece.tag.post_count == 0
    assert vocabulary.lists() == [("quality", 6)]


def test_five_column_translation_needs_a_language(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "extra.csv", "smile,0,Custom,grin,笑顔\n".encode())
    (report,) = run(store, path)
    assert report.counts.notes == {"translation column ignored (no --lang)": 1}
    run(store, path, lang="ja")
    details = Vocabulary(store).details("grin")
    assert details is not None and details.translations == {"ja": "笑顔"}


def test_list_tag_into_a_list(store: Store, shared_data: Path) -> None:
    (report,) = run(store, shared_data / "bdtm" / "list.tag", list_name="personal")
    assert report.format == "listtag"
    assert Vocabulary(store).lists() == [("personal", 140_782)]
    assert len(Vocabulary(store).list_keys("personal")) == 140_782


def test_list_tag_as_people_edit_it(store: Store, tmp_path: Path) -> None:
    text = "\ufefflong_hair\r\nLong Hair\r\n\r\n  blue eyes \r\nblue_eyes\r\nfate \\(series\\)\r\n"
    path = write(tmp_path, "list.tag", text.encode())
    run(store, path, list_name="mine")
    rows = store.conn.execute("SELECT key, name FROM tags ORDER BY key").fetchall()
    # The first spelling of each tag is kept as its display name.
    assert rows == [
        ("blue eyes", "blue eyes"),
        ("fate (series)", "fate \\(series\\)"),
        ("long hair", "long_hair"),
    ]
    assert Vocabulary(store).lists() == [("mine", 3)]


def test_list_tag_names_an_alias_means_its_tag(store: Store, tmp_path: Path) -> None:
    run(store, write(tmp_path, "tags.csv", b'1girl,0,100,"sole_female,1girls"\n'))
    run(store, write(tmp_path, "list.tag", b"sole female\n"), list_name="personal")
    assert Vocabulary(store).size() == 1
    assert Vocabulary(store).list_keys("personal") == {"1girl"}


def test_translations_real_files(store: Store, shared_data: Path) -> None:
    run(store, shared_data / "tagcomplete" / "danbooru.csv")
    translations = shared_data / "bdtm" / "Translations"
    (report,) = run(store, translations / "zh-CN.txt")
    assert report.lang == "zh-CN" and report.counts.translations > 2500
    details = Vocabulary(store).details("1girl")
    assert details is not None and details.translations["zh-CN"]
    # zh-TW has CRLF line endings; the text must not keep the \r.
    run(store, translations / "zh-TW.txt")
    (crs,) = store.conn.execute(
        "SELECT count(*) FROM translations WHERE text LIKE '%' || char(13)"
    ).fetchone()
    assert crs == 0


def test_translation_line_without_equals(store: Store, shared_data: Path) -> None:
    run(store, shared_data / "tagcomplete" / "danbooru.csv")
    before = dump(store)
    pt_br = shared_data / "bdtm" / "Translations" / "pt-BR.txt"
    with pytest.raises(ImportFailed, match=r"pt-BR\.txt:2198: no '=' between tag and translation"):
        run(store, pt_br)
    assert dump(store) == before
    (report,) = run(store, pt_br, skip_bad=True)
    assert report.skipped.counts == {"no '=' between tag and translation": 1}


def test_translation_syntax(store: Store, tmp_path: Path) -> None:
    run(store, write(tmp_path, "tags.tag", b"smile\n=_=\nsad\n"))
    text = "// a comment\n*smile=sourire\nsad = triste \n=_==visage\nunknown=inconnu\n"
    path = write(tmp_path, "translations.txt", text.encode())
    with pytest.raises(ImportFailed, match="cannot tell the language"):
        run(store, path)
    (report,) = run(store, path, lang="fr")
    rows = store.conn.execute(
        "SELECT tags.name, lang, text, manual FROM translations JOIN tags ON tags.id = tag_id ORDER BY 1"
    ).fetchall()
    # Split at the LAST `=`: `=_==visage` names the tag `=_=`.
    assert rows == [("=_=", "fr", "visage", 0), ("sad", "fr", "triste", 0), ("smile", "fr", "sourire", 1)]
    assert report.counts.notes == {"tag not in the vocabulary": 1}


def test_format_detection() -> None:
    assert detect_format(["1girl,0,6008644,", "solo,0,5,x"]) == "csv"
    assert detect_format(["long_hair", "blue eyes", "=_="]) == "listtag"
    assert detect_format(["// comment", "smile=sourire", "sad=triste"]) == "translations"
    assert detect_format([]) == "listtag"


def test_format_override(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "weird.txt", b"a,1,2,3\n")
    run(store, path, fmt="listtag")
    assert Vocabulary(store).resolve("a,1,2,3") is not None


# Malformed input: one `file:line: reason`, the database exactly as before ----------------------


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"good,0,1,\n\xff\xfebad,0,1,\n", 2, "not UTF-8: byte 0xff at column 1"),
        (b"good,0,1,\nbad,0\n", 2, "wrong column count"),
        (b"good,0,1,\nbad,0,1,x,y,z\n", 2, "wrong column count"),
        (b"good,0,1,\nbad,0,many,\n", 2, "post count is not a number: 'many'"),
        (b"good,0,1,\nbad,zero,1,\n", 2, "category is not a number"),
        (b"good,0,1,\nbad,9,1,\n", 2, "unknown category: 9 in danbooru numbering"),
        (b"good,0,1,\nbad,0,-5,\n", 2, "negative post count"),
        (b"good,0,1,\n ,0,1,\n", 2, "empty tag name"),
        (b"good,0,1,\n" + b"x" * 600 + b",0,1,\n", 2, "tag longer than 500 characters"),
        (b"good,0,1,\nbad\x01tag,0,1,\n", 2, "control character"),
    ],
)
def test_bad_csv_lines(store: Store, tmp_path: Path, data: bytes, line: int, reason: str) -> None:
    path = write(tmp_path, "tags.csv", data)
    before = dump(store)
    with pytest.raises(ImportFailed) as failure:
        run(store, path, fmt="csv")
    message = str(failure.value)
    assert message.startswith(f"{path}:{line}: ")
    assert reason in message
    assert "\n" not in message
    assert dump(store) == before
    (report,) = run(store, path, fmt="csv", skip_bad=True)
    assert report.skipped.total == 1
    assert Vocabulary(store).resolve("good") is not None


def test_post_counts_of_every_spelling_a_csv_has(store: Store, tmp_path: Path) -> None:
    # Digits only, the longest count there is, spaces around, leading zeros, non-ASCII digits.
    data = "a,0,999999999999999999,\nb,0,9223372036854775807,\nc,0, 7 ,\nd,0,007,\ne,0,٣,\n"
    run(store, write(tmp_path, "tags.csv", data.encode()), fmt="csv")
    counts = dict(store.conn.execute("SELECT name, post_count FROM tags"))
    assert counts == {"a": 999999999999999999, "b": 2**63 - 1, "c": 7, "d": 7, "e": 3}


def test_a_ten_megabyte_line(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "list.tag", b"fine\n" + b"y" * (10 * 1024 * 1024) + b"\nalso fine\n")
    with pytest.raises(
        ImportFailed, match=rf"list\.tag:2: line too long: 10,485,761 bytes, at most {MAX_LINE_BYTES:,}"
    ):
        run(store, path)
    assert store.is_empty()
    (report,) = run(store, path, skip_bad=True)
    assert report.skipped.counts == {"line too long": 1}
    assert Vocabulary(store).size() == 2


def test_a_binary_file(store: Store, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4
    path = write(tmp_path, "image.png", png)
    for skip_bad in (False, True):
        with pytest.raises(ImportFailed, match=r"image\.png:1: binary file"):
            run(store, path, skip_bad=skip_bad)
    assert store.is_empty()


def test_a_missing_file_and_a_directory(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="No such file"):
        run(store, tmp_path / "absent.csv")
    with pytest.raises(ImportFailed, match="directory"):
        run(store, tmp_path)


def test_a_bad_second_file_undoes_the_first(store: Store, tmp_path: Path) -> None:
    good = write(tmp_path, "good.tag", b"alpha\nbeta\n")
    bad = write(tmp_path, "bad.csv", b"gamma,0,1,\ndelta,0,x,\n")
    with pytest.raises(ImportFailed, match=r"bad\.csv:2:"):
        run(store, good, bad)
    assert store.is_empty()
    (count,) = store.conn.execute("SELECT count(*) FROM imports").fetchone()
    assert count == 0


def test_utf8_with_bom_crlf_and_no_final_newline(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "tags.csv", '\ufeff猫耳,0,10,"ネコミミ,nekomimi"\r\nemoji_😀,0,3,'.encode())
    (report,) = run(store, path)
    assert report.format == "csv"
    vocabulary = Vocabulary(store)
    cat = vocabulary.resolve("nekomimi")
    assert cat is not None and cat.tag.name == "猫耳" and cat.tag.post_count == 10
    assert vocabulary.resolve("emoji 😀") is not None


def test_sql_looking_names_are_just_names(store: Store, tmp_path: Path) -> None:
    evil = "'); drop table tags;--"
    path = write(tmp_path, "tags.csv", f'"{evil}",0,5,"x\'; delete from aliases;--"\n'.encode())
    run(store, path)
    vocabulary = Vocabulary(store)
    resolved = vocabulary.resolve("x'; delete from aliases;--")
    assert resolved is not None and resolved.tag.name == evil
    assert vocabulary.size() == 1


def test_imports_are_recorded(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "tags.csv", b"a,0,1,b\nc,0,2,\n")
    run(store, path)
    row = store.conn.execute("SELECT path, format, tags, aliases, skipped FROM imports").fetchone()
    assert row == (str(path), "csv", 2, 1, 0)


def test_progress_reports_bytes_read(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "list.tag", b"".join(b"tag%d\n" % i for i in range(10_000)))
    seen: list[int] = []
    run(store, path, progress=lambda source: seen.append)
    assert seen and seen[-1] == path.stat().st_size
    assert seen == sorted(seen)


# Round trips of arbitrary names ------------------------------------------------------------------

_NAME_CHARS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff")
_NAMES = st.text(_NAME_CHARS, min_size=1, max_size=40).filter(lambda name: bool(tag_key(name)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tags=st.dictionaries(
        _NAMES,
        st.tuples(st.sampled_from(["general", "meta", "character"]), st.integers(0, 10**7)),
        max_size=12,
    ),
    aliases=st.lists(_NAMES.filter(lambda name: "," not in name), max_size=6),
)
def test_csv_export_round_trips_any_names(
    tmp_path_factory: pytest.TempPathFactory, tags: dict[str, tuple[str, int]], aliases: list[str]
) -> None:
    """Commas, quotes, backslashes, brackets, CJK and emoji survive export and import. (Alias names
    with commas cannot: tagcomplete's alias field is itself comma-separated.)"""
    directory = tmp_path_factory.mktemp("round")
    first = Store.open(directory / "first.sqlite")
    with first.transaction():
        writer = Writer(first)
        ids = [
            writer.tag(name, category=category, post_count=count) for name, (category, count) in tags.items()
        ]
        for i, alias in enumerate(aliases):
            if ids:
                writer.alias(alias, ids[i % len(ids)])
        writer.finish()
    exported = directory / "exported.csv"
    with exported.open("w", encoding="utf-8", newline="") as out:
        export(first, out, fmt="csv")
    second = Store.open(directory / "second.sqlite")
    if tags:
        import_files(second, [Source.file(exported)], fmt="csv", numbering="danbooru")

    def rows(store: Store) -> list[tuple[object, ...]]:
        return [
            *store.conn.execute("SELECT key, name, category, post_count FROM tags ORDER BY key"),
            *store.conn.execute(
                "SELECT aliases.key, aliases.name, tags.key FROM aliases"
                " JOIN tags ON tags.id = tag_id ORDER BY aliases.key"
            ),
        ]

    assert rows(second) == rows(first)


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_cycle_collector_pauses_while_a_file_is_read_and_is_as_it_was_after(
    store: Store, enabled_before: bool
) -> None:
    seen_while_reading: list[bool] = []

    def opened() -> io.BufferedReader:
        seen_while_reading.append(gc.isenabled())
        return io.BufferedReader(io.BytesIO(b"long_hair,0,10,\n"))

    (gc.enable if enabled_before else gc.disable)()
    try:
        import_files(store, [Source("tags.csv", open_stream=opened)])
        assert (seen_while_reading, gc.isenabled()) == ([False], enabled_before)
    finally:
        gc.enable()
    assert Vocabulary(store).resolve("long hair") is not None
