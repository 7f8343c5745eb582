"""Danbooru import against a real HTTP server on 127.0.0.1 (tests/kit/danbooru.py), through httpx.

Covers the API rules (`.json`, limit, `b<id>` cursors, titles), the faults (404, 429 + Retry-After,
repeated 500s, timeouts, dropped connections, malformed JSON, redirects), whole-group commits and
re-runs, --save/--from, and that credentials never reach the database, the files or the output.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.cli import main
from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.importers.danbooru import (
    DEFAULT_BASE_URL,
    DanbooruError,
    DanbooruImport,
    FolderSource,
    HttpSource,
    ImportPlan,
    Politeness,
    credentials,
    response_file,
)
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from tests.kit.danbooru import Fault, LoopbackDanbooru

# Fast and still real: every retry path runs, with waits of milliseconds.
FAST = Politeness(rate=1000.0, retries=2, backoff=0.01, timeout=0.25)
FAST_OPTIONS = ["--rate", "1000", "--retries", "2", "--backoff", "0.01", "--timeout", "0.25"]
POSTURE = """[See [[Tag groups]].]

h4#basic. Basic positions
* [[kneeling]]
** [[one knee]]
* [[sitting]]
** [[seiza]]
** [[wariza]]
* [[standing]]

h4#arms. Arms
* [[arms up]]
* [[Tag group:Gestures]]

h4. See also
* [[Tag group:Hands]]
"""
LOGIN, API_KEY = "hatsune_login", "sEcReT-kEy-0123456789"


@pytest.fixture
def danbooru() -> Iterator[LoopbackDanbooru]:
    with LoopbackDanbooru().serve() as server:
        yield server


@pytest.fixture(scope="module")
def builtin_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vocabulary as a fresh install has it (built-in tags and groups), made once and copied per test."""
    path = tmp_path_factory.mktemp("builtin") / "vocabulary.sqlite"
    open_vocabulary(path).close()
    return path


@pytest.fixture
def fresh_db(builtin_db: Path, tmp_path: Path) -> Callable[[str], Path]:
    """`fresh_db(name)`: a copy of the fresh-install vocabulary under tmp_path."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(builtin_db, target)
        return target

    return copy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "vocabulary.sqlite") as opened:
        yield opened


def import_danbooru(db: Path, danbooru: LoopbackDanbooru, *options: str, **env: str) -> tuple[int, str]:
    """`captionls vocab --db DB import-danbooru OPTIONS --base-url <loopback>` with fast retries."""
    args = ["vocab", "--db", str(db), "import-danbooru", *options, "--base-url", danbooru.url, *FAST_OPTIONS]
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.output


def backgrounds_body(shared_data: Path) -> str:
    return (shared_data / "danbooru" / "tag_group_backgrounds.body.dtext").read_bytes().decode("utf-8")


def run(store: Store, danbooru: LoopbackDanbooru, plan: ImportPlan, **source: object) -> DanbooruImport:
    http = HttpSource(danbooru.url, politeness=FAST, **source)  # type: ignore[arg-type]
    try:
        importer = DanbooruImport(store, http, plan)
        importer.run()
    finally:
        http.close()
    return importer


def dump(path: Path) -> list[tuple[object, ...]]:
    """Everything a run writes, without row ids or import times: equal dumps are equal vocabularies."""
    conn = sqlite3.connect(path)
    try:
        rows: list[tuple[object, ...]] = []
        for sql in (
            "SELECT 'tag', key, name, category, post_count, deprecated, wiki FROM tags ORDER BY key",
            "SELECT 'alias', aliases.key, tags.key FROM aliases JOIN tags ON tags.id = tag_id ORDER BY 2",
            "SELECT 'implies', a.key, b.key FROM implications JOIN tags a ON a.id = tag_id"
            " JOIN tags b ON b.id = implied_id ORDER BY 2, 3",
            "WITH RECURSIVE p(id, path) AS (SELECT id, key FROM groups WHERE parent_id IS NULL"
            " UNION ALL SELECT g.id, p.path || ' > ' || g.key FROM groups g JOIN p ON g.parent_id = p.id)"
            " SELECT 'group', p.path, g.position, g.name FROM p JOIN groups g ON g.id = p.id ORDER BY 2",
            "WITH RECURSIVE p(id, path) AS (SELECT id, key FROM groups WHERE parent_id IS NULL"
            " UNION ALL SELECT g.id, p.path || ' > ' || g.key FROM groups g JOIN p ON g.parent_id = p.id)"
            " SELECT 'member', p.path, gt.position, t.key FROM group_tags gt JOIN p ON p.id = gt.group_id"
            " JOIN tags t ON t.id = gt.tag_id ORDER BY 2, 3",
        ):
            rows.extend(conn.execute(sql))
        return rows
    finally:
        conn.close()


def group_tree(store: Store, name: str) -> list[str]:
    vocabulary = Vocabulary(store)
    (root,) = store.conn.execute(
        "SELECT id FROM groups WHERE parent_id IS NULL AND key = ?", (name,)
    ).fetchone()
    lines = []
    for (group_id,) in store.conn.execute(
        "WITH RECURSIVE down(id, sort) AS (SELECT ?, '' UNION ALL"
        " SELECT g.id, down.sort || printf('%05d', g.position)"
        " FROM groups g JOIN down ON g.parent_id = down.id) SELECT id FROM down ORDER BY sort",
        (root,),
    ):
        members = vocabulary.names(
            "SELECT tags.name FROM group_tags JOIN tags ON tags.id = tag_id"
            " WHERE group_id = ? ORDER BY position",
            (group_id,),
        )
        lines.append(f"{' > '.join(vocabulary.group_path(group_id))}: {', '.join(members)}".rstrip())
    return lines


# The done-means check --------------------------------------------------------------------------


def test_cli_imports_backgrounds_and_posture_and_searches_by_group(
    shared_data: Path, danbooru: LoopbackDanbooru, tmp_path: Path, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_wiki("tag_group:backgrounds", backgrounds_body(shared_data))
    danbooru.add_wiki("tag_group:posture", POSTURE)
    db = fresh_db("fresh.sqlite")
    runner = CliRunner()
    code, output = import_danbooru(
        db, danbooru, "--groups", "backgrounds,posture", DANBOORU_LOGIN=LOGIN, DANBOORU_API_KEY=API_KEY
    )
    assert code == 0, output
    assert "tag groups: 2 stored (backgrounds, posture)" in output
    assert danbooru.paths() == [
        "/wiki_pages/tag_group:backgrounds.json",
        "/wiki_pages/tag_group:posture.json",
    ]
    request = danbooru.requests[0]
    assert request.headers["User-Agent"].startswith("captionls/")
    assert request.headers["Authorization"].startswith("Basic ")
    with Store.open(db) as store:
        tree = group_tree(store, "backgrounds")
        assert tree[1].startswith("backgrounds > Colors: aqua_background, beige_background")
        assert "backgrounds > Colors > simple background: transparent_background" in tree
        assert group_tree(store, "posture")[:3] == [
            "posture:",
            "posture > Basic positions: kneeling, sitting, standing",
            "posture > Basic positions > kneeling: on_one_knee",
        ]
    search = runner.invoke(main, ["vocab", "--db", str(db), "search", "--group", "backgrounds", "white"])
    assert search.exit_code == 0, search.output
    assert search.output.splitlines()[0].startswith("white background")
    groups = runner.invoke(main, ["vocab", "--db", str(db), "groups", "posture"])
    assert groups.output.splitlines()[:3] == [
        "posture (7)",
        "  Basic positions (6): kneeling, sitting, standing",
        "    kneeling (1): on one knee",
    ]
    # The credentials went to the server in a header, and nowhere else.
    everything = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("fresh.sqlite*"))
    for secret in (LOGIN, API_KEY):
        assert secret.encode() not in everything
        assert secret not in output + search.output + groups.output
        assert all(secret not in request.path + str(request.query) for request in danbooru.requests)


def test_fresh_machine_knows_posture_without_network(fresh_db: Callable[[str], Path]) -> None:
    runner = CliRunner()
    db = str(fresh_db("offline.sqlite"))
    groups = runner.invoke(main, ["vocab", "--db", db, "groups", "posture"])
    assert groups.exit_code == 0, groups.output
    assert groups.output.splitlines()[1].startswith("  Basic positions (")
    assert "kneeling" in groups.output.splitlines()[1]
    search = runner.invoke(main, ["vocab", "--db", db, "search", "--group", "posture", "kneel"])
    assert search.output.splitlines()[0].startswith("kneeling ")
    listing = runner.invoke(main, ["vocab", "--db", db, "groups"]).output.splitlines()
    assert "posture (151)" in listing and "image composition (361)" in listing
    (tree,) = json.loads(
        runner.invoke(main, ["vocab", "--db", db, "groups", "Tag_group:Posture", "--json"]).output
    )
    assert (tree["name"], tree["count"], tree["tags"]) == ("posture", 151, [])
    basic = tree["subgroups"][0]
    assert basic["name"] == "Basic positions" and basic["tags"][:2] == ["kneeling", "lying"]
    assert basic["subgroups"][0] == {"name": "kneeling", "count": 1, "tags": ["on one knee"], "subgroups": []}
    missing = runner.invoke(main, ["vocab", "--db", db, "groups", "no such group"])
    assert missing.exit_code == 1 and "no tag group called 'no such group'" in missing.output


# Lists: tags, aliases, implications ------------------------------------------------------------


def test_tags_crawl_with_b_cursors_filters_and_writes_in_one_go(
    danbooru: LoopbackDanbooru, store: Store
) -> None:
    for i in range(2500):
        danbooru.add_tag(f"tag_{i}", category=(0, 1, 3, 4, 5)[i % 5], post_count=i % 100)
    danbooru.add_tag("蛍光_(glow)", category=0, post_count=500)
    danbooru.add_alias("glowing_thing", "蛍光_(glow)")
    danbooru.add_alias("old_name", "tag_5", status="deleted")
    danbooru.add_alias("missing_alias", "not_imported")
    danbooru.add_implication("tag_10", "tag_20")
    danbooru.add_implication("tag_15", "tag_25", status="pending")
    plan = ImportPlan(
        tags=True, min_posts=10, categories=["general", "meta"], aliases=True, implications=True
    )
    report = run(store, danbooru, plan).report
    tag_pages = [r.query for r in danbooru.requests if r.path == "/tags.json"]
    assert all(q["limit"] == "1000" and q["search[post_count]"] == ">=10" for q in tag_pages)
    assert all(q["search[category]"] == "0,5" for q in tag_pages)
    kept = [row for row in danbooru.tags if row["category"] in (0, 5) and row["post_count"] >= 10]
    kept_ids = sorted((row["id"] for row in kept), reverse=True)
    pages = [kept_ids[start : start + 1000] for start in range(0, len(kept_ids), 1000)]
    # Newest first, each next page below the lowest id seen so far, until an empty page.
    assert [q.get("page") for q in tag_pages] == [None] + [f"b{page[-1]}" for page in pages]
    vocabulary = Vocabulary(store)
    assert report.tags == len(kept) == vocabulary.size()
    glow = vocabulary.resolve("glowing thing")
    assert glow is not None and glow.tag.name == "蛍光_(glow)" and glow.alias == "glowing_thing"
    assert vocabulary.resolve("old name") is None  # deleted aliases are not imported
    assert report.aliases == 1 and report.implications == 1
    details = vocabulary.details("tag_10")
    assert details is not None and details.implies == ["tag_20"]
    assert Searcher(vocabulary).search("蛍光")[0].tag.name == "蛍光_(glow)"


def test_page_that_does_not_move_is_an_error_not_a_loop(danbooru: LoopbackDanbooru, store: Store) -> None:
    stuck = b'[{"id": 5, "name": "a", "category": 0, "post_count": 1}]'
    danbooru.fault("/tags.json", *[Fault(status=200, body=stuck)] * 3)
    with pytest.raises(DanbooruError, match=r"page=b5.*did not move past id 5"):
        run(store, danbooru, ImportPlan(tags=True))
    assert Vocabulary(store).size() == 0


# Groups ------------------------------------------------------------------------------------------


def test_all_groups_follows_links_once_and_warns_about_missing_pages(
    shared_data: Path, danbooru: LoopbackDanbooru, store: Store
) -> None:
    index = (shared_data / "danbooru" / "excerpt_tag_groups_index.body.dtext").read_bytes().decode("utf-8")
    danbooru.add_wiki("tag_groups", index)
    danbooru.add_wiki("tag_group:backgrounds", backgrounds_body(shared_data))
    danbooru.add_wiki(
        "tag_group:image_composition", "h4. Framing\n* [[cowboy shot]]\n* [[Tag group:Posture]]"
    )
    danbooru.add_wiki("tag_group:posture", POSTURE + "\n* [[Tag group:Image composition]]\n")
    danbooru.add_wiki("tag_group:ass", "* [[ass]]\n* [[Tag group:Backgrounds]]")
    warnings: list[str] = []
    http = HttpSource(danbooru.url, politeness=FAST)
    importer = DanbooruImport(store, http, ImportPlan(all_groups=True), warn=warnings.append)
    report = importer.run()
    http.close()
    assert report.groups == ["image composition", "backgrounds", "ass", "posture"]
    wiki_paths = [path for path in danbooru.paths() if path.startswith("/wiki_pages/")]
    assert len(wiki_paths) == len(set(wiki_paths))  # each page once, loops included
    assert warnings == [
        "tag_group:artistic_license (linked from tag_groups) does not exist; skipped",
        "tag_group:body_parts (linked from tag_groups) does not exist; skipped",
        "tag_group:gestures (linked from tag_group:posture) does not exist; skipped",
    ]
    assert report.missing_groups == []
    assert group_tree(store, "image composition") == [
        "image composition:",
        "image composition > Framing: cowboy_shot",
    ]


def test_missing_named_group_is_an_error_and_writes_nothing_for_it(
    danbooru: LoopbackDanbooru, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    db = fresh_db("v.sqlite")
    code, output = import_danbooru(db, danbooru, "--groups", "nope,posture")
    assert code == 1
    assert "tag groups: 1 stored (posture)" in output
    assert f"error: no such tag group on {danbooru.url}: tag_group:nope (nothing written for it)" in output
    with Store.open(db) as store:
        assert Vocabulary(store).group_ids("nope") == []


def test_interrupted_run_commits_whole_groups_and_a_rerun_ends_like_an_uninterrupted_one(
    shared_data: Path, danbooru: LoopbackDanbooru, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_wiki("tag_group:backgrounds", backgrounds_body(shared_data))
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.add_wiki("tag_group:test_poses", "h4. Hands\n* [[v]]\n* [[double v]]")
    names = "backgrounds,posture,test_poses"

    def invoke(db: Path) -> tuple[int, str]:
        return import_danbooru(db, danbooru, "--groups", names)

    danbooru.fault("/wiki_pages/tag_group:test_poses.json", *[Fault(status=503)] * 3)
    interrupted, straight = fresh_db("interrupted.sqlite"), fresh_db("straight.sqlite")
    code, output = invoke(interrupted)
    assert code == 1
    assert output.strip().splitlines() == [
        f"error: {danbooru.url}/wiki_pages/tag_group:test_poses.json: server error (HTTP 503);"
        " gave up after 3 attempts;"
        " committed 2 whole tag group(s) (backgrounds, posture), nothing of the rest:"
        " run the same command again to finish"
    ]
    with Store.open(interrupted) as store:
        assert Vocabulary(store).group_ids("test poses") == []
        assert Vocabulary(store).group_ids("posture") != []
    assert invoke(interrupted)[0] == 0
    assert invoke(straight)[0] == 0
    assert dump(interrupted) == dump(straight)


def test_members_unknown_when_tags_were_imported_are_left_out(
    danbooru: LoopbackDanbooru, store: Store
) -> None:
    danbooru.add_tag("kneeling", post_count=5)
    danbooru.add_tag("on_one_knee", post_count=5)
    danbooru.add_alias("one_knee", "on_one_knee")
    danbooru.add_wiki("tag_group:posture", POSTURE)
    report = run(store, danbooru, ImportPlan(groups=["posture"], tags=True, aliases=True)).report
    assert (report.created, report.members, report.left_out) == (0, 2, 5)
    assert group_tree(store, "posture")[:3] == [
        "posture:",
        "posture > Basic positions: kneeling",
        "posture > Basic positions > kneeling: on_one_knee",
    ]


def test_wiki_excerpts_of_members(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.add_wiki(
        "kneeling", "[See [[tag groups]].]\r\n\r\nResting on one or both [[knee|knees]].\r\n\r\nh4. More"
    )
    danbooru.add_wiki("seiza", "h4. About\nA [i]formal[/i] way of sitting.")
    report = run(store, danbooru, ImportPlan(groups=["posture"], wiki=True)).report
    assert report.wiki == 2
    vocabulary = Vocabulary(store)
    kneeling, seiza, standing = (vocabulary.details(name) for name in ("kneeling", "seiza", "standing"))
    assert kneeling is not None and kneeling.wiki == "Resting on one or both knees."
    assert seiza is not None and seiza.wiki == "A formal way of sitting."
    assert standing is not None and standing.wiki is None
    batch = next(r for r in danbooru.requests if r.path == "/wiki_pages.json")
    assert "kneeling" in batch.query["search[title_comma]"].split(",")


# Faults ----------------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.fault("/wiki_pages/tag_group:posture.json", Fault(status=429, headers={"Retry-After": "1"}))
    start = time.monotonic()
    run(store, danbooru, ImportPlan(groups=["posture"]))
    assert time.monotonic() - start >= 1.0  # the backoff alone would have waited 10 ms
    assert danbooru.paths().count("/wiki_pages/tag_group:posture.json") == 2
    assert Vocabulary(store).group_ids("posture")


def test_repeated_500s_give_one_error_naming_the_url(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.fault("/tags.json", *[Fault(status=500)] * 5)
    with pytest.raises(DanbooruError) as error:
        run(store, danbooru, ImportPlan(tags=True))
    message = str(error.value)
    assert message == (
        f"{danbooru.url}/tags.json?limit=1000&only=id%2Cname%2Ccategory%2Cpost_count%2Cis_deprecated"
        "&search%5Bhide_empty%5D=true: server error (HTTP 500); gave up after 3 attempts"
    )
    assert danbooru.paths().count("/tags.json") == 3


def test_slow_response_past_the_timeout_is_retried(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.fault("/wiki_pages/tag_group:posture.json", Fault(status=200, body=b"{}", delay=0.5))
    run(store, danbooru, ImportPlan(groups=["posture"]))
    assert Vocabulary(store).group_ids("posture")
    danbooru.fault("/wiki_pages/tag_group:posture.json", *[Fault(status=200, body=b"{}", delay=0.5)] * 3)
    with pytest.raises(
        DanbooruError, match=r"tag_group:posture\.json: timed out after 0\.25 s; gave up after 3"
    ):
        run(store, danbooru, ImportPlan(groups=["posture"]))


def test_dropped_connection_is_retried(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.fault("/wiki_pages/tag_group:posture.json", Fault(drop=True), Fault(drop=True))
    run(store, danbooru, ImportPlan(groups=["posture"]))
    assert danbooru.paths().count("/wiki_pages/tag_group:posture.json") == 3
    danbooru.fault("/wiki_pages/tag_group:posture.json", *[Fault(drop=True)] * 3)
    with pytest.raises(DanbooruError, match="the connection dropped; gave up after 3 attempts"):
        run(store, danbooru, ImportPlan(groups=["posture"]))


def test_malformed_json_is_one_clear_error(danbooru: LoopbackDanbooru, store: Store) -> None:
    html = b"<html><title>Just a moment...</title></html>"
    danbooru.fault(
        "/wiki_pages/tag_group:posture.json",
        Fault(status=200, body=html, headers={"Content-Type": "text/html"}),
    )
    with pytest.raises(DanbooruError) as error:
        run(store, danbooru, ImportPlan(groups=["posture"]))
    assert str(error.value) == (
        f"{danbooru.url}/wiki_pages/tag_group:posture.json:"
        f" the response is not JSON (text/html, {len(html)} bytes)"
    )
    assert Vocabulary(store).stats()["groups"] == 0


def test_redirect_is_followed(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.fault("/wiki_pages/tag_group:Posture.json", Fault(redirect="/wiki_pages/tag_group:posture.json"))
    http = HttpSource(danbooru.url, politeness=FAST)
    assert "body" in http.get("/wiki_pages/tag_group:Posture.json", {})
    http.close()
    assert danbooru.paths() == ["/wiki_pages/tag_group:Posture.json", "/wiki_pages/tag_group:posture.json"]


def test_refusals_are_not_retried(danbooru: LoopbackDanbooru, store: Store) -> None:
    danbooru.fault("/wiki_pages/tag_group:posture.json", Fault(status=403))
    with pytest.raises(
        DanbooruError, match="refused \\(HTTP 403\\): check DANBOORU_LOGIN / DANBOORU_API_KEY"
    ):
        run(store, danbooru, ImportPlan(groups=["posture"]), auth=(LOGIN, API_KEY))
    assert len(danbooru.requests) == 1


def test_rate_limit_spaces_requests(danbooru: LoopbackDanbooru) -> None:
    http = HttpSource(danbooru.url, politeness=Politeness(rate=20.0))
    start = time.monotonic()
    for _ in range(5):
        http.get("/tags.json", {"limit": "1"})
    http.close()
    assert time.monotonic() - start >= 4 / 20


# Saved responses, credentials ------------------------------------------------------------------


def test_save_then_import_from_the_folder_without_network(
    shared_data: Path, danbooru: LoopbackDanbooru, tmp_path: Path, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_wiki("tag_groups", "* [[Tag group:Backgrounds]]\n* [[Tag group:Missing]]")
    danbooru.add_wiki("tag_group:backgrounds", backgrounds_body(shared_data))
    danbooru.add_wiki("white background", "A plain white background.")
    for i in range(30):
        danbooru.add_tag(f"t{i}", post_count=i + 1)
    danbooru.add_tag("white_background", post_count=100)
    danbooru.add_alias("white_bg", "white_background")
    saved = tmp_path / "saved"
    common = ["--all-groups", "--tags", "--aliases", "--wiki"]
    code, output = import_danbooru(
        fresh_db("a.sqlite"),
        danbooru,
        *common,
        "--save",
        str(saved),
        DANBOORU_LOGIN=LOGIN,
        DANBOORU_API_KEY=API_KEY,
    )
    assert code == 0, output
    assert "warning: tag_group:missing (linked from tag_groups) does not exist; skipped" in output
    requests = len(danbooru.requests)
    code, output = import_danbooru(fresh_db("b.sqlite"), danbooru, *common, "--from", str(saved))
    assert code == 0, output
    assert len(danbooru.requests) == requests  # nothing asked of the network
    assert dump(tmp_path / "a.sqlite") == dump(tmp_path / "b.sqlite")
    assert any(
        row[:2] == ("tag", "white background") and row[6] == "A plain white background."
        for row in dump(tmp_path / "b.sqlite")
    )
    assert (saved / response_file("/wiki_pages/tag_group:missing.json", {}, 404)).is_file()
    for path in saved.iterdir():
        assert API_KEY.encode() not in path.read_bytes() and API_KEY not in path.name
    code, output = import_danbooru(
        fresh_db("c.sqlite"), danbooru, "--groups", "posture", "--from", str(saved)
    )
    assert code == 1
    assert output.startswith(f"error: {saved}: no saved response for /wiki_pages/tag_group:posture.json")


def test_credentials_come_from_the_environment_only_and_never_show(
    danbooru: LoopbackDanbooru, fresh_db: Callable[[str], Path]
) -> None:
    assert credentials({}) is None
    assert credentials({"DANBOORU_LOGIN": LOGIN, "DANBOORU_API_KEY": API_KEY}) == (LOGIN, API_KEY)
    with pytest.raises(DanbooruError, match="DANBOORU_LOGIN is not set") as error:
        credentials({"DANBOORU_API_KEY": API_KEY})
    assert API_KEY not in str(error.value)
    danbooru.fault("/wiki_pages/tag_group:posture.json", *[Fault(status=500)] * 3)
    code, output = import_danbooru(
        fresh_db("v.sqlite"), danbooru, "--groups", "posture", DANBOORU_LOGIN=LOGIN, DANBOORU_API_KEY=API_KEY
    )
    assert code == 1 and "gave up after 3 attempts" in output
    assert LOGIN not in output and API_KEY not in output
    assert all(r.headers.get("Authorization", "").startswith("Basic ") for r in danbooru.requests)


def test_usage_errors(tmp_path: Path, fresh_db: Callable[[str], Path]) -> None:
    runner = CliRunner()
    db = ["vocab", "--db", str(fresh_db("v.sqlite")), "import-danbooru"]
    assert "say what to import" in runner.invoke(main, db).output
    assert "--wiki fetches" in runner.invoke(main, [*db, "--tags", "--wiki"]).output
    bad = runner.invoke(main, [*db, "--tags", "--categories", "general,colour", "--from", str(tmp_path)])
    assert bad.exit_code == 1 and "unknown category 'colour'" in bad.output
    assert runner.invoke(main, [*db, "--groups", "x", "--from", str(tmp_path / "absent")]).exit_code == 1
    for url in ("notaurl", "ftp://example.org", "http://[::1"):
        bad_url = runner.invoke(main, [*db, "--groups", "x", "--base-url", url])
        assert bad_url.exit_code == 1
        expected = f"error: --base-url {url!r} is not an http(s) URL such as {DEFAULT_BASE_URL}"
        assert bad_url.output == f"{expected}; nothing was written\n"
    refused = runner.invoke(
        main, [*db, "--groups", "x", "--base-url", "http://127.0.0.1:1", "--retries", "0"]
    )
    assert refused.output == (
        "error: http://127.0.0.1:1/wiki_pages/tag_group:x.json: cannot connect; gave up after 1 attempt;"
        " nothing was written\n"
    )


def test_folder_source_names_are_short_and_distinct(tmp_path: Path) -> None:
    long_query = {"search[title_comma]": ",".join(f"title_{i}" for i in range(200))}
    name = response_file("/wiki_pages.json", long_query)
    assert len(name) < 200 and name.endswith(".json")
    assert name != response_file("/wiki_pages.json", {**long_query, "limit": "1000"})
    assert FolderSource(tmp_path).origin == str(tmp_path)


def test_show_prints_the_wiki_excerpt_and_group_paths(
    danbooru: LoopbackDanbooru, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_wiki("tag_group:posture", POSTURE)
    danbooru.add_wiki("seiza", "A [i]formal[/i] way of sitting.")
    db = fresh_db("v.sqlite")
    assert import_danbooru(db, danbooru, "--groups", "posture", "--wiki")[0] == 0
    shown = CliRunner().invoke(main, ["vocab", "--db", str(db), "show", "seiza"]).output
    assert "  group: posture > Basic positions > sitting" in shown
    assert "  wiki: A formal way of sitting." in shown
    as_json = CliRunner().invoke(main, ["vocab", "--db", str(db), "show", "seiza", "--json"]).output
    assert json.loads(as_json)["wiki"] == "A formal way of sitting."


def test_a_failure_after_the_tag_lists_says_they_were_committed(
    danbooru: LoopbackDanbooru, fresh_db: Callable[[str], Path]
) -> None:
    danbooru.add_tag("kneeling", post_count=5)
    danbooru.add_alias("kneel", "kneeling")
    danbooru.fault("/wiki_pages/tag_group:posture.json", *[Fault(status=502)] * 3)
    db = fresh_db("v.sqlite")
    code, output = import_danbooru(db, danbooru, "--tags", "--aliases", "--groups", "posture")
    assert code == 1
    assert output.endswith(
        "server error (HTTP 502); gave up after 3 attempts; committed tags, aliases,"
        " nothing of the rest: run the same command again to finish\n"
    )
    with Store.open(db) as store:
        resolved = Vocabulary(store).resolve("kneel")
        assert resolved is not None and resolved.tag.post_count == 5
