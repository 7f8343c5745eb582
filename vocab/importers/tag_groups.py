"""Storing Danbooru tag-group trees, and the built-in groups shipped with captionls.

A page is stored whole: its root group is cleared and rebuilt inside the caller's transaction, so a
re-import replaces it and a failure leaves the previous version. Members are resolved through
aliases; a member the vocabulary does not know is created (general, no posts) unless the caller
says the vocabulary's tag list is authoritative.

The built-in groups (`builtin/groups.json.gz`, made by `scripts/build_builtin_groups.py` from the
rendered outline of every tag group) give a fresh install the same trees without any network.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..normalize import tag_key
from ..store import Store, StoreError
from ..write import Writer
from .dtext import Member, Node

BUILTIN_FILE = "groups.json.gz"
BUILTIN_SOURCE = "builtin"


@dataclass
class StoredGroup:
    """What storing one page did."""

    group_id: int
    members: int = 0
    created: int = 0
    unknown: int = 0


def store_page(
    writer: Writer,
    tree: Node,
    position: int,
    *,
    source: str,
    create_missing: bool = True,
) -> StoredGroup:
    """Replace the top-level group `tree.name` with `tree` (headings and nested bullets as subgroups)."""
    root = writer.group(tree.name, None, position, source=source)
    result = StoredGroup(root)
    writer.clear_group(root)
    _store_node(writer, tree, root, result, source=source, create_missing=create_missing)
    return result


def _store_node(
    writer: Writer, node: Node, group_id: int, result: StoredGroup, *, source: str, create_missing: bool
) -> None:
    seen: set[int] = set()
    for member in node.members:
        tag_id = _member_id(writer, member, result, source=source, create_missing=create_missing)
        if tag_id is None or tag_id in seen:
            continue
        seen.add(tag_id)
        writer.add_to_group(group_id, tag_id, len(seen) - 1)
        result.members += 1
    for position, child in enumerate(node.children):
        child_id = writer.group(child.name, group_id, position, source=source)
        _store_node(writer, child, child_id, result, source=source, create_missing=create_missing)


def _member_id(
    writer: Writer, member: Member, result: StoredGroup, *, source: str, create_missing: bool
) -> int | None:
    tag_id = writer.tag_id(member.name)
    if tag_id is None:
        if not create_missing:
            result.unknown += 1
            return None
        # Danbooru's own spelling of a tag name: lowercase, `_` between words.
        name = "_".join(member.name.lower().split())
        try:
            created = writer.tag(name, deprecated=member.deprecated or None, source=source)
        except StoreError:
            # A link that cannot be a tag name (a control character, too long): a hostile or
            # broken page loses that member, not the whole group.
            result.unknown += 1
            return None
        result.created += 1
        return created
    if member.deprecated:
        (name,) = writer.conn.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
        writer.tag(name, deprecated=True)
    return tag_id


# The compact form of a tree in the built-in file: [name, [member, ...], [child, ...]].
def tree_to_json(node: Node) -> list[Any]:
    return [node.name, [member.name for member in node.members], [tree_to_json(c) for c in node.children]]


def tree_from_json(data: list[Any]) -> Node:
    name, members, children = data
    return Node(str(name), [Member(str(m)) for m in members], [tree_from_json(c) for c in children])


def builtin_pages() -> list[Node]:
    """The tag-group trees shipped with captionls, in the order of Danbooru's index."""
    resource = resources.files("captionls.vocab.builtin").joinpath(BUILTIN_FILE)
    data = json.loads(gzip.decompress(resource.read_bytes()))
    return [tree_from_json(page) for page in data["pages"]]


def install_builtin_groups(writer: Writer) -> int:
    """Store the built-in tag groups the vocabulary does not have yet; returns how many were stored.

    A group already present (imported from Danbooru, or installed before) is left as it is.
    """
    present = {key for (key,) in writer.conn.execute("SELECT key FROM groups WHERE parent_id IS NULL")}
    stored = 0
    for position, tree in enumerate(builtin_pages()):
        if tag_key(tree.name) in present:
            continue
        store_page(writer, tree, position, source=BUILTIN_SOURCE)
        stored += 1
    return stored


def install_tag_groups(store: Store) -> None:
    """The built-in bootstrap's step: the built-in tag groups, members resolved against its tags."""
    writer = Writer(store)
    install_builtin_groups(writer)
    writer.finish()
