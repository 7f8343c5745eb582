"""Writing to the vocabulary: tags, aliases, implications, translations, lists and groups.

A `Writer` lives inside one `Store.transaction()`; importers and the CLI both use it, so the rules
(real tags win over imported aliases, aliases resolve transitively, loops are refused) hold everywhere.
`finish()` brings the search index up to date for what was touched.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import terms
from .normalize import tag_key, tag_name_problem
from .store import Store, StoreError

# SQLite's INTEGER is 64-bit signed: a bigger count (a corrupt file, a hostile server) is refused
# as a bad value rather than failing the whole write with OverflowError.
MAX_POST_COUNT = 2**63 - 1
# Past this many touched tags, re-indexing everything is cheaper than tracking each one.
_FULL_REINDEX_AFTER = 50_000


def check_name(name: str) -> str:
    """The normalised key of a tag name, or a StoreError saying why the name cannot be a tag."""
    problem = tag_name_problem(name)
    if problem is not None:
        raise StoreError(problem)
    key = tag_key(name)
    if not key:
        raise StoreError("empty tag name")
    return key


def check_post_count(count: int) -> int:
    """`count` when SQLite can store it as a post count, else a StoreError saying why not."""
    if not 0 <= count <= MAX_POST_COUNT:
        raise StoreError(f"post count {count} is out of range (0 to {MAX_POST_COUNT:,})")
    return count


@dataclass(frozen=True)
class ListLayout:
    """How a list.tag file is written: UTF-8 BOM or not, its line ending, a newline after the last line."""

    bom: bool = False
    newline: str = "\n"
    final_newline: bool = True


@dataclass
class Counts:
    """What a write changed, for import reports."""

    tags: int = 0
    aliases: int = 0
    translations: int = 0
    groups: int = 0
    skipped: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    # Why exporting the list again will not give the file back byte for byte.
    export_differs: dict[str, int] = field(default_factory=dict)

    def note(self, reason: str) -> None:
        self.notes[reason] = self.notes.get(reason, 0) + 1

    def differs(self, reason: str) -> None:
        self.export_differs[reason] = self.export_differs.get(reason, 0) + 1


class Writer:
    """Writes into an open transaction of `store`."""

    def __init__(self, store: Store) -> None:
        if not store.conn.in_transaction:
            raise RuntimeError("Writer needs an open transaction")
        self.conn: sqlite3.Connection = store.conn
        self.counts = Counts()
        self._touched: set[int] = set()
        self._reindex_all = False
        self._list_ids: dict[str, int] = {}
        self._next_position: dict[int, int] = {}  # list id -> the position its next member takes
        self._new_tags = False

    def _touch(self, tag_id: int) -> None:
        self._touch_many((tag_id,))

    def _touch_many(self, tag_ids: Iterable[int]) -> None:
        """Remember tags to re-index, until so many that `finish` re-indexes everything."""
        if not self._reindex_all:
            self._touched.update(tag_ids)
            if len(self._touched) > _FULL_REINDEX_AFTER:
                self._reindex_all = True
                self._touched.clear()

    def finish(self) -> None:
        """Drop aliases that new tags took the name of, then bring the search index up to date."""
        if self._new_tags:
            # One pass over the aliases, not a look then a delete: each is a lookup per alias.
            shadowed = self.conn.execute(
                "DELETE FROM aliases WHERE EXISTS (SELECT 1 FROM tags WHERE tags.key = aliases.key)"
                " RETURNING tag_id"
            ).fetchall()
            for (tag_id,) in shadowed:
                self._touch(tag_id)
            self._new_tags = False
        if self._reindex_all:
            terms.rebuild(self.conn)
        else:
            terms.refresh(self.conn, self._touched)
        self._touched.clear()
        self._reindex_all = False

    # Tags -----------------------------------------------------------------------------------

    def tag_id(self, name: str) -> int | None:
        """The id of the tag `name` names, directly or through an alias."""
        key = tag_key(name)
        row = self.conn.execute("SELECT id FROM tags WHERE key = ?", (key,)).fetchone()
        if row is None:
            row = self.conn.execute("SELECT tag_id FROM aliases WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def resolve_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """Tag ids of the keys that name a tag or an alias (a tag's own key wins)."""
        keys_json = json.dumps(list(keys))
        found = dict(
            self.conn.execute(
                "SELECT aliases.key, tag_id FROM aliases WHERE key IN (SELECT value FROM json_each(?))",
                (keys_json,),
            )
        )
        found.update(
            self.conn.execute(
                "SELECT key, id FROM tags WHERE key IN (SELECT value FROM json_each(?))", (keys_json,)
            )
        )
        return {str(key): int(tag_id) for key, tag_id in found.items()}

    def tags(self, rows: Sequence[tuple[str, str, str | None, int | None]], *, source: str = "") -> list[int]:
        """Many `tag()` calls in one statement, for imports: rows of (key from `check_name`, name,
        category or None, post count or None); returns their ids in order."""
        before = self.conn.total_changes
        (last_id,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM tags").fetchone()
        self.conn.executemany(
            "INSERT INTO tags (key, name, category, post_count, deprecated, source)"
            " VALUES (?1, ?2, coalesce(?3, 'general'), coalesce(?4, 0), 0, ?5)"
            " ON CONFLICT (key) DO UPDATE SET"
            " category = coalesce(?3, category), post_count = coalesce(?4, post_count)"
            " WHERE coalesce(?3, category) IS NOT category OR coalesce(?4, post_count) IS NOT post_count",
            [(key, name.strip(), category, count, source) for key, name, category, count in rows],
        )
        changed = self.conn.total_changes - before
        (new_last_id,) = self.conn.execute("SELECT coalesce(max(id), 0) FROM tags").fetchone()
        ids: list[int]
        if new_last_id - last_id == len(rows):
            # Every row made a new tag, each taking the next id in turn (SQLite gives a new row
            # max(id) + 1): the ids are known without looking 2,000 keys up again.
            ids = list(range(last_id + 1, new_last_id + 1))
        else:
            by_key = dict(
                self.conn.execute(
                    "SELECT key, id FROM tags WHERE key IN (SELECT value FROM json_each(?))",
                    (json.dumps([row[0] for row in rows]),),
                )
            )
            ids = [int(by_key[row[0]]) for row in rows]
        if changed:
            # An alias with a new tag's key is shadowed now; finish() deletes it.
            self._new_tags = True
            self.counts.tags += changed
            self._touch_many(ids)
        return ids

    def tag(
        self,
        name: str,
        *,
        category: str | None = None,
        post_count: int | None = None,
        deprecated: bool | None = None,
        source: str = "",
    ) -> int:
        """Insert the tag or update the fields given; returns its id.

        A tag whose key was an alias stops being one: a real tag always wins over an alias.
        """
        name = name.strip()
        key = check_name(name)
        if post_count is not None:
            check_post_count(post_count)
        # Bulk imports mostly create tags: try the insert first, look the tag up only if it exists.
        inserted = self.conn.execute(
            "INSERT INTO tags (key, name, category, post_count, deprecated, source)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id",
            (key, name, category or "general", post_count or 0, int(bool(deprecated)), source),
        ).fetchone()
        if inserted is not None:
            # An alias with this key is now shadowed by the tag; finish() deletes it.
            self._new_tags = True
            self.counts.tags += 1
            self._touch(inserted[0])
            return int(inserted[0])
        row = self.conn.execute(
            "SELECT id, category, post_count, deprecated FROM tags WHERE key = ?", (key,)
        ).fetchone()
        tag_id, old_category, old_count, old_deprecated = row
        new = (
            category if category is not None else old_category,
            post_count if post_count is not None else old_count,
            int(deprecated) if deprecated is not None else old_deprecated,
        )
        if new != (old_category, old_count, old_deprecated):
            self.conn.execute(
                "UPDATE tags SET category = ?, post_count = ?, deprecated = ? WHERE id = ?",
                (*new, tag_id),
            )
            self.counts.tags += 1
            if new[1] != old_count:
                self._touch(tag_id)
        return int(tag_id)

    def remove_tag(self, tag_id: int) -> None:
        self.conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        self._touch(tag_id)

    def rename(self, old: str, new: str) -> int:
        """Give a tag a new name; the old name stays as an alias of it."""
        tag_id = self.tag_id(old)
        if tag_id is None:
            raise StoreError(f"unknown tag {old!r}")
        new = new.strip()
        new_key = check_name(new)
        other = self.conn.execute("SELECT id FROM tags WHERE key = ?", (new_key,)).fetchone()
        if other is not None and other[0] != tag_id:
            raise StoreError(f"{new!r} is already a tag; use `alias {old!r} {new!r}` to merge")
        old_name, old_key = self.conn.execute("SELECT name, key FROM tags WHERE id = ?", (tag_id,)).fetchone()
        self.conn.execute("DELETE FROM aliases WHERE key = ?", (new_key,))
        self.conn.execute("UPDATE tags SET key = ?, name = ? WHERE id = ?", (new_key, new, tag_id))
        if old_key != new_key:
            self.conn.execute(
                "INSERT OR REPLACE INTO aliases (key, name, tag_id) VALUES (?, ?, ?)",
                (old_key, old_name, tag_id),
            )
        self._touch(tag_id)
        return tag_id

    # Aliases --------------------------------------------------------------------------------

    def alias(self, alias: str, canonical: str | int, *, merge: bool = False) -> bool:
        """Make `alias` another name of `canonical` (a name resolved through aliases, or a tag id).

        Importers pass `merge=False`: an alias that names a real tag is skipped, since a stale
        alias must not swallow a tag. The user's own `vocab alias` passes `merge=True`: the tag
        becomes an alias and its aliases, lists and translations move to the canonical tag.
        Returns whether the alias was written.
        """
        alias = alias.strip()
        alias_key = check_name(alias)
        target = self.tag_id(canonical) if isinstance(canonical, str) else canonical
        row = (
            None
            if target is None
            else self.conn.execute("SELECT key FROM tags WHERE id = ?", (target,)).fetchone()
        )
        if target is None or row is None:
            raise StoreError(f"unknown tag {canonical!r}")
        if alias_key == row[0]:
            if isinstance(canonical, str) and tag_key(canonical) != alias_key:
                raise StoreError(f"alias loop: {alias} -> {canonical} -> {alias}")
            return False
        # One query for both ways the alias's name may already be taken.
        own, existing = self.conn.execute(
            "SELECT (SELECT id FROM tags WHERE key = ?1), (SELECT tag_id FROM aliases WHERE key = ?1)",
            (alias_key,),
        ).fetchone()
        if own is not None:
            if not merge:
                self.counts.note("alias names an existing tag")
                return False
            self._merge(int(own), target)
            existing = None
        if existing == target:
            return False
        if existing is not None and not merge:
            self.counts.note("alias already points at another tag")
            return False
        self.conn.execute(
            "INSERT OR REPLACE INTO aliases (key, name, tag_id) VALUES (?, ?, ?)",
            (alias_key, alias, target),
        )
        self.counts.aliases += 1
        self._touch(target)
        return True

    def imported_aliases(self, rows: Sequence[tuple[str, str, int, str]]) -> None:
        """Many importer `alias(name, tag_id)` calls at once: rows of (alias key from `check_name`,
        alias name, tag id, that tag's key). Same rules, in order: an alias never takes a tag's
        name or one that already points at another tag."""
        keys_json = json.dumps([row[0] for row in rows])
        taken_by_tags = {
            key
            for (key,) in self.conn.execute(
                "SELECT key FROM tags WHERE key IN (SELECT value FROM json_each(?))", (keys_json,)
            )
        }
        existing: dict[str, int] = dict(
            self.conn.execute(
                "SELECT key, tag_id FROM aliases WHERE key IN (SELECT value FROM json_each(?))", (keys_json,)
            )
        )
        new = []
        for alias_key, alias, tag_id, target_key in rows:
            if alias_key == target_key:
                continue
            if alias_key in taken_by_tags:
                self.counts.note("alias names an existing tag")
                continue
            current = existing.get(alias_key)
            if current is not None:
                if current != tag_id:
                    self.counts.note("alias already points at another tag")
                continue
            existing[alias_key] = tag_id
            new.append((alias_key, alias.strip(), tag_id))
            self.counts.aliases += 1
            self._touch(tag_id)
        self.conn.executemany("INSERT INTO aliases (key, name, tag_id) VALUES (?, ?, ?)", new)

    def _merge(self, source_id: int, target_id: int) -> None:
        # The merged tag keeps its place (and spelling) in every list it was in.
        for table, column, kept in (
            ("list_tags", "list_id", ", position, name"),
            ("group_tags", "group_id", ""),
        ):
            self.conn.execute(
                f"INSERT OR IGNORE INTO {table} ({column}, tag_id{kept}) "
                f"SELECT {column}, ?{kept} FROM {table} WHERE tag_id = ?",
                (target_id, source_id),
            )
        self.conn.execute(
            "INSERT OR IGNORE INTO translations (tag_id, lang, text, manual) "
            "SELECT ?, lang, text, manual FROM translations WHERE tag_id = ?",
            (target_id, source_id),
        )
        self.conn.execute(
            "UPDATE OR IGNORE implications SET tag_id = ? WHERE tag_id = ?", (target_id, source_id)
        )
        self.conn.execute(
            "UPDATE OR IGNORE implications SET implied_id = ? WHERE implied_id = ?",
            (target_id, source_id),
        )
        self.conn.execute("DELETE FROM implications WHERE tag_id = implied_id")
        self.conn.execute("UPDATE aliases SET tag_id = ? WHERE tag_id = ?", (target_id, source_id))
        self.remove_tag(source_id)
        self._touch(target_id)

    # Relations ------------------------------------------------------------------------------

    def implication(self, tag: str, implied: str) -> bool:
        """`tag` implies `implied`; both must exist. Returns whether it was new."""
        ids = [self.tag_id(name) for name in (tag, implied)]
        if ids[0] is None or ids[1] is None:
            missing = tag if ids[0] is None else implied
            raise StoreError(f"unknown tag {missing!r}")
        if ids[0] == ids[1]:
            return False
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO implications (tag_id, implied_id) VALUES (?, ?)", (ids[0], ids[1])
        )
        return cursor.rowcount > 0

    def translation(self, tag_id: int, lang: str, text: str, *, manual: bool = False) -> bool:
        """Set the tag's translation in `lang`; returns whether anything changed."""
        cursor = self.conn.execute(
            "INSERT INTO translations (tag_id, lang, text, manual) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tag_id, lang) DO UPDATE SET text = excluded.text, manual = excluded.manual"
            " WHERE text != excluded.text OR manual != excluded.manual",
            (tag_id, lang, text, int(manual)),
        )
        changed = cursor.rowcount > 0
        self.counts.translations += changed
        if changed:
            self._touch(tag_id)  # a translation is a search term
        return changed

    def wiki(self, tag_id: int, text: str | None) -> None:
        """Set (or with None clear) the tag's wiki excerpt, which `vocab show` and hover display."""
        self.conn.execute("UPDATE tags SET wiki = ? WHERE id = ?", (text, tag_id))

    def list_id(self, name: str) -> int:
        if name not in self._list_ids:
            self.conn.execute("INSERT OR IGNORE INTO lists (name) VALUES (?)", (name,))
            (self._list_ids[name],) = self.conn.execute(
                "SELECT id FROM lists WHERE name = ?", (name,)
            ).fetchone()
        return self._list_ids[name]

    def existing_list_id(self, name: str) -> int:
        row = self.conn.execute("SELECT id FROM lists WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StoreError(f"no list called {name!r}")
        return int(row[0])

    def add_to_list(self, list_name: str, tag_id: int, written: str | None = None) -> bool:
        """Append the tag to the list (spelled `written`, else as the tag is); False if already there."""
        before = self.conn.total_changes
        self.add_many_to_list(list_name, [(tag_id, written)])
        return self.conn.total_changes > before

    def add_many_to_list(self, list_name: str, members: Iterable[tuple[int, str | None]]) -> None:
        """Append (tag id, name as written or None) in order; a tag already listed keeps its place."""
        list_id = self.list_id(list_name)
        if list_id not in self._next_position:
            # Read once per transaction: a big import appends thousands of batches to one list.
            (last,) = self.conn.execute(
                "SELECT coalesce(max(position), 0) FROM list_tags WHERE list_id = ?", (list_id,)
            ).fetchone()
            self._next_position[list_id] = int(last) + 1
        rows = [
            (list_id, tag_id, position, None if written is None else written.strip())
            for position, (tag_id, written) in enumerate(members, start=self._next_position[list_id])
        ]
        self._next_position[list_id] += len(rows)
        self.conn.executemany(
            "INSERT OR IGNORE INTO list_tags (list_id, tag_id, position, name) VALUES (?, ?, ?, ?)", rows
        )

    def remove_from_list(self, list_name: str, tag_id: int) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM list_tags WHERE list_id = (SELECT id FROM lists WHERE name = ?) AND tag_id = ?",
            (list_name, tag_id),
        )
        return cursor.rowcount > 0

    def only_made_for_list(self, tag_id: int, list_name: str) -> bool:
        """Whether the tag was created by adding it to `list_name` (its source) and is in no list now."""
        row = self.conn.execute(
            "SELECT source = ? AND NOT EXISTS (SELECT 1 FROM list_tags WHERE tag_id = tags.id)"
            " FROM tags WHERE id = ?",
            (list_name, tag_id),
        ).fetchone()
        return row is not None and bool(row[0])

    def list_layout(self, list_name: str, layout: ListLayout) -> None:
        """Remember how the list's list.tag was written, so `export --list` writes it the same way."""
        self.conn.execute(
            "UPDATE lists SET bom = ?, newline = ?, final_newline = ? WHERE id = ?",
            (int(layout.bom), layout.newline, int(layout.final_newline), self.list_id(list_name)),
        )

    def delete_list(self, name: str) -> int:
        """Forget a list (its tags stay in the vocabulary); returns how many tags it held."""
        list_id = self.existing_list_id(name)
        (count,) = self.conn.execute(
            "SELECT count(*) FROM list_tags WHERE list_id = ?", (list_id,)
        ).fetchone()
        self.conn.execute("DELETE FROM lists WHERE id = ?", (list_id,))
        self._list_ids.pop(name, None)
        self._next_position.pop(list_id, None)
        return int(count)

    def rename_list(self, old: str, new: str) -> None:
        list_id = self.existing_list_id(old)
        self._refuse_taken_list(new)
        self.conn.execute("UPDATE lists SET name = ? WHERE id = ?", (new, list_id))
        self._list_ids.pop(old, None)

    def copy_list(self, source: str, target: str) -> int:
        """A new list `target` with the members, order, spelling and layout of `source`; returns its size."""
        source_id = self.existing_list_id(source)
        self._refuse_taken_list(target)
        self.conn.execute(
            "INSERT INTO lists (name, bom, newline, final_newline)"
            " SELECT ?, bom, newline, final_newline FROM lists WHERE id = ?",
            (target, source_id),
        )
        cursor = self.conn.execute(
            "INSERT INTO list_tags (list_id, tag_id, position, name)"
            " SELECT ?, tag_id, position, name FROM list_tags WHERE list_id = ?",
            (self.list_id(target), source_id),
        )
        return cursor.rowcount

    def _refuse_taken_list(self, name: str) -> None:
        if not name.strip():
            raise StoreError("a list needs a name")
        if self.conn.execute("SELECT 1 FROM lists WHERE name = ?", (name,)).fetchone() is not None:
            raise StoreError(f"there is already a list called {name!r}")

    def group(self, name: str, parent_id: int | None, position: int, *, source: str = "") -> int:
        """The id of group `name` under `parent_id`, created or moved to `position`."""
        key = tag_key(name)
        row = self.conn.execute(
            "SELECT id FROM groups WHERE coalesce(parent_id, 0) = coalesce(?, 0) AND key = ?",
            (parent_id, key),
        ).fetchone()
        if row is not None:
            self.conn.execute(
                "UPDATE groups SET name = ?, position = ? WHERE id = ?", (name, position, row[0])
            )
            return int(row[0])
        group_id = self.conn.execute(
            "INSERT INTO groups (parent_id, key, name, position, source) VALUES (?, ?, ?, ?, ?)",
            (parent_id, key, name, position, source),
        ).lastrowid
        assert group_id is not None
        self.counts.groups += 1
        return group_id

    def clear_group(self, group_id: int) -> None:
        """Forget a group's members and subgroups, so a re-import replaces it whole."""
        self.conn.execute("DELETE FROM group_tags WHERE group_id = ?", (group_id,))
        self.conn.execute("DELETE FROM groups WHERE parent_id = ?", (group_id,))

    def add_to_group(self, group_id: int, tag_id: int, position: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO group_tags (group_id, tag_id, position) VALUES (?, ?, ?)",
            (group_id, tag_id, position),
        )

    def record_import(self, path: str, fmt: str) -> None:
        c = self.counts
        self.conn.execute(
            "INSERT INTO imports (path, format, tags, aliases, translations, groups, skipped)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (path, fmt, c.tags, c.aliases, c.translations, c.groups, c.skipped),
        )
