"""Reading the vocabulary: resolve a name, describe a tag, list groups and lists.

These are the questions the CLI, the caption rules and the language server ask; none of them writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from .normalize import tag_key
from .store import Store


@dataclass(frozen=True)
class Tag:
    """A canonical tag as the vocabulary knows it."""

    id: int
    name: str
    key: str
    category: str
    post_count: int
    deprecated: bool = False


@dataclass(frozen=True)
class Resolved:
    """What a written name resolves to: the tag, and the alias it was written as (if any)."""

    tag: Tag
    alias: str | None = None


@dataclass
class TagDetails:
    """Everything `vocab show` and hover tell about one tag."""

    tag: Tag
    alias: str | None
    aliases: list[str]
    implies: list[str]
    implied_by: list[str]
    groups: list[list[str]]
    translations: dict[str, str]
    lists: list[str]
    wiki: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


_TAG_COLUMNS = "tags.id, tags.name, tags.key, tags.category, tags.post_count, tags.deprecated"


def _tag(row: sqlite3.Row | tuple) -> Tag:  # type: ignore[type-arg]
    return Tag(int(row[0]), row[1], row[2], row[3], int(row[4]), bool(row[5]))


class Vocabulary:
    """Read-only questions over a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.conn

    def resolve_key(self, key: str) -> Resolved | None:
        """The tag behind a normalised key: a tag's own key or one of its aliases."""
        row = self.conn.execute(f"SELECT {_TAG_COLUMNS} FROM tags WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return Resolved(_tag(row))
        row = self.conn.execute(
            f"SELECT {_TAG_COLUMNS}, aliases.name FROM aliases JOIN tags ON tags.id = aliases.tag_id"
            " WHERE aliases.key = ?",
            (key,),
        ).fetchone()
        return None if row is None else Resolved(_tag(row), row[6])

    def resolve_keys(self, keys: Iterable[str]) -> dict[str, Resolved]:
        """`resolve_key` for many keys in two queries (a dataset's thousands of keys); the keys that
        resolve to nothing are left out."""
        wanted = json.dumps(list(keys))
        found = {
            row[2]: Resolved(_tag(row))
            for row in self.conn.execute(
                f"SELECT {_TAG_COLUMNS} FROM tags WHERE key IN (SELECT value FROM json_each(?))", (wanted,)
            )
        }
        for row in self.conn.execute(
            f"SELECT aliases.key, {_TAG_COLUMNS}, aliases.name FROM aliases"
            " JOIN tags ON tags.id = aliases.tag_id WHERE aliases.key IN (SELECT value FROM json_each(?))",
            (wanted,),
        ):
            # A tag's own key wins over an alias of the same key, as in `resolve_key`.
            found.setdefault(row[0], Resolved(_tag(row[1:]), row[7]))
        return found

    def resolve(self, name: str) -> Resolved | None:
        """The tag behind a name as written (any case, `_` or space, escapes, weights)."""
        return self.resolve_key(tag_key(name))

    def tags_by_id(self, ids: Iterable[int]) -> dict[int, Tag]:
        """Many tags in one query (search results, completion)."""
        rows = self.conn.execute(
            f"SELECT {_TAG_COLUMNS} FROM tags WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )
        return {tag.id: tag for tag in map(_tag, rows)}

    def names(self, sql: str, params: tuple[object, ...]) -> list[str]:
        return [row[0] for row in self.conn.execute(sql, params)]

    def group_paths(self, tag_id: int) -> list[list[str]]:
        """Every group path the tag belongs to, outermost first: [["posture", "sitting"], ...]."""
        paths = []
        for (group_id,) in self.conn.execute(
            "SELECT group_id FROM group_tags WHERE tag_id = ? ORDER BY group_id", (tag_id,)
        ):
            paths.append(self.group_path(int(group_id)))
        return paths

    def group_path(self, group_id: int) -> list[str]:
        rows = self.conn.execute(
            """
            WITH RECURSIVE up(id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM groups WHERE id = ?
                UNION ALL
                SELECT groups.id, groups.parent_id, groups.name, up.depth + 1
                FROM groups JOIN up ON groups.id = up.parent_id
            )
            SELECT name FROM up ORDER BY depth DESC
            """,
            (group_id,),
        )
        return [row[0] for row in rows]

    def group_ids(self, name: str) -> list[int]:
        """Ids of every group called `name` (any depth), e.g. `posture` or `tag group:posture`."""
        key = tag_key(name)
        keys = {key, key.removeprefix("tag group:"), f"tag group:{key}"}
        return [
            int(row[0])
            for row in self.conn.execute(
                "SELECT id FROM groups WHERE key IN (SELECT value FROM json_each(?)) ORDER BY id",
                (json.dumps(sorted(keys)),),
            )
        ]

    def group_tag_ids(self, group_ids: Iterable[int]) -> set[int]:
        """Ids of the tags in the given groups and all their subgroups."""
        rows = self.conn.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT value FROM json_each(?)
                UNION SELECT groups.id FROM groups JOIN down ON groups.parent_id = down.id
            )
            SELECT DISTINCT tag_id FROM group_tags WHERE group_id IN (SELECT id FROM down)
            """,
            (json.dumps(list(group_ids)),),
        )
        return {int(row[0]) for row in rows}

    def details(self, name: str) -> TagDetails | None:
        resolved = self.resolve(name)
        if resolved is None:
            return None
        tag = resolved.tag
        translations = {
            lang: text
            for lang, text in self.conn.execute(
                "SELECT lang, text FROM translations WHERE tag_id = ? ORDER BY lang", (tag.id,)
            )
        }
        (wiki,) = self.conn.execute("SELECT wiki FROM tags WHERE id = ?", (tag.id,)).fetchone()
        return TagDetails(
            tag=tag,
            alias=resolved.alias,
            aliases=self.names("SELECT name FROM aliases WHERE tag_id = ? ORDER BY key", (tag.id,)),
            implies=self.names(
                "SELECT tags.name FROM implications JOIN tags ON tags.id = implications.implied_id"
                " WHERE implications.tag_id = ? ORDER BY tags.key",
                (tag.id,),
            ),
            implied_by=self.names(
                "SELECT tags.name FROM implications JOIN tags ON tags.id = implications.tag_id"
                " WHERE implications.implied_id = ? ORDER BY tags.key",
                (tag.id,),
            ),
            groups=self.group_paths(tag.id),
            translations=translations,
            lists=self.names(
                "SELECT lists.name FROM list_tags JOIN lists ON lists.id = list_tags.list_id"
                " WHERE list_tags.tag_id = ? ORDER BY lists.name",
                (tag.id,),
            ),
            wiki=wiki,
        )

    def named_only_by_a_list(self, tag: Tag) -> bool:
        """Whether the tag is in the vocabulary only because a list named it: no posts, created by a
        list.tag import or by adding an unknown name to a list. That says nothing about what it is: a
        captioner's list holds their datasets' triggers too."""
        if tag.post_count:
            return False
        row = self.conn.execute(
            "SELECT 1 FROM tags WHERE id = ?1 AND (source IN (SELECT name FROM lists)"
            " OR source IN (SELECT path FROM imports WHERE format = 'listtag'))",
            (tag.id,),
        ).fetchone()
        return row is not None

    def list_keys(self, list_name: str) -> set[str]:
        """The keys of every tag in a named list (the personal list boosts completion)."""
        return set(
            self.names(
                "SELECT tags.key FROM list_tags JOIN tags ON tags.id = list_tags.tag_id"
                " JOIN lists ON lists.id = list_tags.list_id WHERE lists.name = ?",
                (list_name,),
            )
        )

    def list_tag_ids(self, list_name: str) -> set[int] | None:
        """Ids of the tags in a named list; None when there is no such list (`search --list`)."""
        if self.conn.execute("SELECT 1 FROM lists WHERE name = ?", (list_name,)).fetchone() is None:
            return None
        rows = self.conn.execute(
            "SELECT tag_id FROM list_tags JOIN lists ON lists.id = list_tags.list_id WHERE lists.name = ?",
            (list_name,),
        )
        return {int(row[0]) for row in rows}

    def list_members(self, list_name: str) -> list[tuple[int, str]] | None:
        """(tag id, name as the list spells it) in the list's order; None when there is no such list."""
        if self.conn.execute("SELECT 1 FROM lists WHERE name = ?", (list_name,)).fetchone() is None:
            return None
        rows = self.conn.execute(
            "SELECT list_tags.tag_id, coalesce(list_tags.name, tags.name) FROM list_tags"
            " JOIN lists ON lists.id = list_tags.list_id JOIN tags ON tags.id = list_tags.tag_id"
            " WHERE lists.name = ? ORDER BY list_tags.position, tags.name",
            (list_name,),
        )
        return [(int(tag_id), str(name)) for tag_id, name in rows]

    def lists(self) -> list[tuple[str, int]]:
        return [
            (name, int(count))
            for name, count in self.conn.execute(
                "SELECT lists.name, count(list_tags.tag_id) FROM lists"
                " LEFT JOIN list_tags ON list_tags.list_id = lists.id"
                " GROUP BY lists.id ORDER BY lists.name"
            )
        ]

    def stats(self) -> dict[str, int]:
        counts = {}
        for table in ("tags", "aliases", "implications", "groups", "translations", "lists", "imports"):
            (counts[table],) = self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        return counts

    def size(self) -> int:
        (count,) = self.conn.execute("SELECT count(*) FROM tags").fetchone()
        return int(count)
