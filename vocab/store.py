"""The vocabulary's SQLite file: location, schema and migrations, connection settings, transactions.

Everything that writes goes through `Store.transaction()` (BEGIN IMMEDIATE, so two writers queue
instead of failing half-way); readers never block writers thanks to WAL mode. The file is marked with
`PRAGMA application_id`: a database of another application is refused, never turned into a vocabulary.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import platformdirs

from . import terms

SCHEMA_VERSION = 6
BUSY_TIMEOUT_MS = 60_000
DEFAULT_WRITE_WAIT_S = BUSY_TIMEOUT_MS / 1000
# "CAPT": what `PRAGMA application_id` says in a captionls vocabulary (and `file` shows).
APPLICATION_ID = 0x43415054
# Tables every captionls vocabulary has had since version 1: how an older one, made before the
# application id, is told from another application's database.
_VERSION_1_TABLES = frozenset({"tags", "aliases", "implications", "groups", "lists", "imports", "terms"})
# A writer waiting for another one's lock checks back this often (and tells the user it waits).
_LOCK_POLL_S = 0.5


def _mark_and_scrub(store: Store) -> None:
    """Version 3: mark the file as a captionls vocabulary, and drop the credentials that older
    versions recorded when `--base-url` held a `user:password@`."""
    # Imported here: sqlite-utils costs about 0.1 s to import, which only a migration pays.
    from .urls import without_userinfo

    store.db["imports"].convert("path", without_userinfo)
    store.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _ordered_lists(store: Store) -> None:
    """Version 4: a list keeps its order and the user's spelling (`position`, `name` as written per
    member) and the layout of the list.tag it came from (BOM, line ending, final newline), so an
    export gives the file back. Existing members all get position 0: exports order ties by name, so
    they keep the alphabetical order they were exported in, and later members follow them."""
    list_tags = store.db["list_tags"]
    list_tags.add_column("position", int, not_null_default=0)
    list_tags.add_column("name", str)
    lists = store.db["lists"]
    lists.add_column("bom", int, not_null_default=0)
    lists.add_column("newline", str, not_null_default="\n")
    lists.add_column("final_newline", int, not_null_default=1)


def _searchable_translations(store: Store) -> None:
    """Version 6: translations are search terms (typing `长发` finds `long hair`), so the index's rows say
    which language a term is in (`lang`, NULL for tag names and aliases); the tags that have translations
    are indexed again."""
    conn = store.conn
    for table in ("terms", "prefix_top"):
        # prefix_top exists once a first import has filled the index.
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
            conn.execute(f"ALTER TABLE {table} ADD COLUMN lang TEXT")
    translated = {int(tag_id) for (tag_id,) in conn.execute("SELECT DISTINCT tag_id FROM translations")}
    terms.refresh(conn, translated)


# Each entry migrates from version N to N + 1; the list index is N.
_MIGRATIONS: list[str | Callable[[Store], None]] = [
    """
    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT 'general',
        post_count INTEGER NOT NULL DEFAULT 0,
        deprecated INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT '',
        wiki TEXT
    );
    CREATE TABLE aliases (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE
    );
    CREATE INDEX aliases_tag ON aliases(tag_id);
    CREATE TABLE implications (
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        implied_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (tag_id, implied_id)
    ) WITHOUT ROWID;
    CREATE INDEX implications_implied ON implications(implied_id);
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        parent_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX groups_parent_key ON groups(coalesce(parent_id, 0), key);
    CREATE TABLE group_tags (
        group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        position INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, tag_id)
    ) WITHOUT ROWID;
    CREATE INDEX group_tags_tag ON group_tags(tag_id);
    CREATE TABLE translations (
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        manual INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tag_id, lang)
    ) WITHOUT ROWID;
    CREATE TABLE lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE list_tags (
        list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (list_id, tag_id)
    ) WITHOUT ROWID;
    CREATE INDEX list_tags_tag ON list_tags(tag_id);
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        tags INTEGER NOT NULL DEFAULT 0,
        aliases INTEGER NOT NULL DEFAULT 0,
        translations INTEGER NOT NULL DEFAULT 0,
        groups INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0
    );
    -- The search index: one row per searchable term (a tag's key, an alias key, and every
    -- word-start suffix of both), with the tag's popularity copied in so that the most popular
    -- candidates of a prefix come straight off an index.
    CREATE TABLE terms (
        term TEXT NOT NULL,
        head TEXT NOT NULL,
        tag_id INTEGER NOT NULL,
        alias TEXT,
        word INTEGER NOT NULL,
        pop INTEGER NOT NULL
    );
    CREATE INDEX terms_term ON terms(term);
    CREATE INDEX terms_head_pop ON terms(head, pop DESC);
    CREATE INDEX terms_tag ON terms(tag_id);
    """,
    # Substring search: a trigram index over whole terms (word-start suffixes add nothing to it).
    """
    CREATE VIRTUAL TABLE term_grams USING fts5(
        term, content='terms', content_rowid='rowid', tokenize='trigram', detail='none'
    );
    INSERT INTO term_grams (rowid, term) SELECT rowid, term FROM terms WHERE word = 0;
    """,
    _mark_and_scrub,
    _ordered_lists,
    # Readable views for people who open the file with sqlite-utils or Datasette: the tables hold
    # ids and normalized keys, these show names, with aliases and group paths joined in. A later
    # migration that rebuilds a table these read (sqlite-utils' `transform`) drops and recreates them.
    """
    CREATE VIEW group_paths AS
    WITH RECURSIVE down(group_id, path, depth) AS (
        SELECT id, name, 0 FROM groups WHERE parent_id IS NULL
        UNION ALL
        SELECT groups.id, down.path || ' > ' || groups.name, down.depth + 1
        FROM groups JOIN down ON groups.parent_id = down.group_id
    )
    SELECT group_id, path, depth FROM down;
    CREATE VIEW alias_names AS
    SELECT aliases.name AS alias, tags.name AS tag, tags.category AS category
    FROM aliases JOIN tags ON tags.id = aliases.tag_id;
    CREATE VIEW group_members AS
    SELECT group_paths.path AS "group", tags.name AS tag, group_tags.position AS position
    FROM group_tags
    JOIN group_paths ON group_paths.group_id = group_tags.group_id
    JOIN tags ON tags.id = group_tags.tag_id;
    CREATE VIEW tag_overview AS
    SELECT
        tags.id AS id,
        tags.name AS name,
        tags.category AS category,
        tags.post_count AS post_count,
        tags.deprecated AS deprecated,
        (SELECT group_concat(name, ', ') FROM (
            SELECT aliases.name AS name FROM aliases WHERE aliases.tag_id = tags.id ORDER BY aliases.name
        )) AS aliases,
        (SELECT group_concat(path, '; ') FROM (
            SELECT group_paths.path AS path FROM group_tags
            JOIN group_paths ON group_paths.group_id = group_tags.group_id
            WHERE group_tags.tag_id = tags.id ORDER BY group_paths.path
        )) AS groups,
        (SELECT group_concat(name, ', ') FROM (
            SELECT lists.name AS name FROM list_tags JOIN lists ON lists.id = list_tags.list_id
            WHERE list_tags.tag_id = tags.id ORDER BY lists.name
        )) AS lists,
        tags.source AS source
    FROM tags;
    """,
    _searchable_translations,
]


class StoreError(Exception):
    """A vocabulary operation that cannot be done; the message is one line for the user."""


class WriterBusy(StoreError):
    """Another process (an import, an edit) holds the vocabulary's write lock longer than we wait."""


def default_path() -> Path:
    """`$CAPTIONLS_DB`, else `vocabulary.sqlite` in the user data directory."""
    env = os.environ.get("CAPTIONLS_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("captionls")) / "vocabulary.sqlite"


def _error_code(error: sqlite3.Error) -> int:
    """The primary SQLite result code of an error (SQLITE_BUSY, SQLITE_FULL, ...), -1 if unknown."""
    code = getattr(error, "sqlite_errorcode", None)
    return -1 if code is None else int(code) & 0xFF


def _check_ours(path: Path, conn: sqlite3.Connection) -> None:
    """Refuse a non-empty database that is not a captionls vocabulary (of this or an older version)."""
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    if application_id == APPLICATION_ID:
        return
    if application_id == 0:
        names = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if not names and version == 0:
            return  # a new, empty file
        if 1 <= version < SCHEMA_VERSION and names >= _VERSION_1_TABLES:
            return  # made by an older captionls, before the application id
    raise StoreError(
        f"{path}: not a captionls vocabulary (a database of another application); choose another --db"
    )


class Store:
    """An open vocabulary database."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        *,
        write_wait: float | None = DEFAULT_WRITE_WAIT_S,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.conn = conn
        # How long a write waits for another writer's lock (None: as long as it takes), and what
        # to call once when it starts waiting: the CLI says "waiting for another import".
        self.write_wait = write_wait
        self.on_wait = on_wait

    @cached_property
    def db(self) -> Any:
        """sqlite-utils' view of the same connection (a `sqlite_utils.Database`), for migrations.
        Imported on first use only: importing sqlite-utils costs about 0.1 s, which every command
        would pay."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        write_wait: float | None = DEFAULT_WRITE_WAIT_S,
        on_wait: Callable[[], None] | None = None,
    ) -> Store:
        """Open (creating and migrating when needed) the vocabulary at `path` or the default.
        `write_wait` and `on_wait` say how its writes wait for another writer (see `transaction`)."""
        target = Path(path) if path is not None else default_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            conn = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            try:
                # Before anything that writes (WAL mode changes the file header): another
                # application's database is left exactly as it was.
                _check_ours(target, conn)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                store = cls(target, conn, write_wait=write_wait, on_wait=on_wait)
                store._migrate()
                return store
            except sqlite3.OperationalError as error:
                conn.close()
                # Switching a new file to WAL, or opening one while another process checkpoints it
                # on close, can report "locked" without waiting on the busy handler: wait here.
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise StoreError(f"{target}: cannot open the vocabulary ({error})") from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as error:
                conn.close()
                raise StoreError(f"{target}: not a captionls vocabulary ({error})") from None
            except BaseException:
                conn.close()  # also removes the -wal and -shm files reading a WAL database made
                raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.version >= SCHEMA_VERSION:
            if self.version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {self.version} is newer than this captionls")
            return
        with self.transaction():
            # Re-read inside the write lock: another process may have migrated meanwhile.
            for version in range(self.version, SCHEMA_VERSION):
                migration = _MIGRATIONS[version]
                if callable(migration):
                    migration(self)
                else:
                    for statement in migration.split(";\n"):
                        if statement.strip():
                            self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def transaction(
        self, *, wait: float | Literal["default"] | None = "default"
    ) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or none of it. Nested calls join the outer one.

        While another process writes, this waits `wait` seconds (default `self.write_wait`; None:
        as long as it takes; 0: not at all, a try-lock), then raises WriterBusy. A full disk
        raises StoreError saying so, with the database as it was before the transaction.
        """
        nested = self.conn.in_transaction
        if nested:
            yield self.conn
            return
        self._begin(self.write_wait if wait == "default" else wait)
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as error:
            # SQLite has already rolled back after some errors (a full disk): rolling back again
            # would hide the real error behind "no transaction is active".
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error) and _error_code(error) == sqlite3.SQLITE_FULL:
                raise StoreError(
                    f"{self.path}: disk full; nothing of this change was written, the vocabulary is as it was"
                ) from None
            raise

    def _begin(self, wait: float | None) -> None:
        """BEGIN IMMEDIATE, waiting for another writer in short slices so the wait can be told."""
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        try:
            while True:
                left = _LOCK_POLL_S if deadline is None else max(0.0, deadline - time.monotonic())
                self.conn.execute(f"PRAGMA busy_timeout = {int(min(left, _LOCK_POLL_S) * 1000)}")
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if _error_code(error) != sqlite3.SQLITE_BUSY:
                        raise
                if deadline is not None and time.monotonic() >= deadline:
                    waited = f" (waited {wait:g} s)" if wait else ""
                    raise WriterBusy(
                        f"{self.path}: another import or edit is writing the vocabulary{waited};"
                        " try again when it has finished"
                    )
                if not told and self.on_wait is not None:
                    self.on_wait()
                    told = True
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def is_empty(self) -> bool:
        (empty,) = self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tags)").fetchone()
        return bool(empty)

    def data_version(self) -> tuple[int, int]:
        """Changes when any connection commits a write: lets a long-running server notice imports."""
        row = self.conn.execute("PRAGMA data_version").fetchone()
        total = self.conn.execute("SELECT total_changes()").fetchone()
        return int(row[0]), int(total[0])
