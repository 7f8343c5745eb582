"""Storing tag-group trees whole, and the built-in groups of a fresh install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from captionls.vocab.importers.dtext import Member, Node, parse_group_page
from captionls.vocab.importers.tag_groups import builtin_pages, install_builtin_groups, store_page
from captionls.vocab.query import Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.store import Store
from captionls.vocab.write import Writer


def tree_of(vocabulary: Vocabulary, name: str) -> list[str]:
    """`path: member, member` lines of the group `name`, in stored order."""
    conn = vocabulary.conn
    lines = []

    def visit(group_id: int) -> None:
        members = [
            row[0]
            for row in conn.execute(
                "SELECT tags.name FROM group_tags JOIN tags ON tags.id = group_tags.tag_id"
                " WHERE group_id = ? ORDER BY position",
                (group_id,),
            )
        ]
        lines.append(f"{' > '.join(vocabulary.group_path(group_id))}: {', '.join(members)}".rstrip())
        for (child,) in conn.execute(
            "SELECT id FROM groups WHERE parent_id = ? ORDER BY position", (group_id,)
        ):
            visit(int(child))

    (root,) = conn.execute("SELECT id FROM groups WHERE parent_id IS NULL AND key = ?", (name,)).fetchone()
    visit(int(root))
    return lines


def test_store_page_resolves_aliases_creates_unknown_members_and_replaces_whole(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        writer.tag("kneeling", post_count=100)
        writer.tag("on_one_knee", post_count=50)
        writer.alias("one_knee", "on_one_knee")
        tree = Node(
            "posture",
            children=[
                Node(
                    "Basic positions",
                    [Member("Kneeling"), Member("lying")],
                    [Node("Kneeling", [Member("one knee"), Member("on one knee")])],
                )
            ],
        )
        result = store_page(writer, tree, 0, source="test")
        writer.finish()
    assert (result.members, result.created) == (3, 1)  # `one knee` is `on one knee`: stored once
    vocabulary = Vocabulary(store)
    assert tree_of(vocabulary, "posture") == [
        "posture:",
        "posture > Basic positions: kneeling, lying",
        "posture > Basic positions > Kneeling: on_one_knee",
    ]
    lying = vocabulary.resolve("lying")
    assert lying is not None and (lying.tag.category, lying.tag.post_count) == ("general", 0)
    assert vocabulary.group_paths(lying.tag.id) == [["posture", "Basic positions"]]
    # A new version of the page replaces the old one whole; members the run does not create are skipped.
    with store.transaction():
        writer = Writer(store)
        newer = Node("posture", [Member("kneeling"), Member("squatting", deprecated=True)])
        result = store_page(writer, newer, 0, source="test", create_missing=False)
    assert (result.members, result.unknown) == (1, 1)
    assert tree_of(vocabulary, "posture") == ["posture: kneeling"]
    assert vocabulary.resolve("squatting") is None


def test_deprecated_members_mark_their_tags(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "v.sqlite")
    body = "h4. Colors\n* [[beige background]] (deprecated)\n* [[white background]]"
    with store.transaction():
        writer = Writer(store)
        writer.tag("white_background", post_count=10)
        store_page(writer, parse_group_page(body, "backgrounds").tree, 0, source="test")
    vocabulary = Vocabulary(store)
    beige, white = vocabulary.resolve("beige background"), vocabulary.resolve("white background")
    assert beige is not None and beige.tag.deprecated
    assert white is not None and not white.tag.deprecated


def test_builtin_groups_on_a_fresh_vocabulary(tmp_path: Path) -> None:
    pages = builtin_pages()
    names = [page.name for page in pages]
    for expected in ("posture", "image composition", "backgrounds", "face tags", "attire", "locations"):
        assert expected in names
    store = Store.open(tmp_path / "v.sqlite")
    with store.transaction():
        writer = Writer(store)
        assert install_builtin_groups(writer) == len(pages)
        writer.finish()
    vocabulary = Vocabulary(store)
    posture = tree_of(vocabulary, "posture")
    assert posture[1].startswith("posture > Basic positions: kneeling, lying, sitting, standing")
    assert "posture > Hips: contrapposto" in posture
    within = vocabulary.group_tag_ids(vocabulary.group_ids("posture"))
    hits = Searcher(vocabulary).search("kneel", within=within)
    assert hits and hits[0].tag.name == "kneeling"
    # Installing again changes nothing, and a group imported from Danbooru is never overwritten.
    with store.transaction():
        writer = Writer(store)
        store_page(writer, Node("posture", [Member("kneeling")]), 0, source="danbooru")
        writer.conn.execute("DELETE FROM groups WHERE key = 'backgrounds'")
        assert install_builtin_groups(writer) == 1
    assert tree_of(vocabulary, "posture") == ["posture: kneeling"]
    assert "backgrounds > Colors:" in tree_of(vocabulary, "backgrounds")[1]


def test_committed_builtin_file_is_what_the_build_script_makes(shared_data: Path, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    output = tmp_path / "groups.json.gz"
    subprocess.run(
        [
            sys.executable,
            str(repo / "scripts" / "build_builtin_groups.py"),
            "--data",
            str(shared_data),
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
    )
    assert output.read_bytes() == (repo / "vocab" / "builtin" / "groups.json.gz").read_bytes()
