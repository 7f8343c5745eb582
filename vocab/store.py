"""The vocabulary's SQLite file: location, schema and migrations, connection settings, transactions.

Everything that writes goes through `Store.transaction()` (BEGIN IMMEDIATE, so two writers queue on the
busy timeout instead of failing half-way); readers never block writers thanks to WAL mode.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import platformdirs

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 60_000

# Each entry migrates from version N to N + 1; the list index is N.
_MIGRATIONS: list[str] = [
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
]


class StoreError(Exception):
    """A vocabulary operation that cannot be done; the message is one line for the user."""


def default_path() -> Path:
    """`$CAPTIONLS_DB`, else `vocabulary.sqlite` in the user data directory."""
    env = os.environ.get("CAPTIONLS_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("captionls")) / "vocabulary.sqlite"


class Store:
    """An open vocabulary database."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @cached_property
    def db(self) -> Any:
        """sqlite-utils' view of the same connection (a `sqlite_utils.Database`). Imported on first
        use only: importing sqlite-utils costs 0.3 s or more, which every command would pay."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """Open (creating and migrating when needed) the vocabulary at `path` or the default."""
        target = Path(path) if path is not None else default_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            conn = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                store = cls(target, conn)
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
                for statement in _MIGRATIONS[version].split(";\n"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or none of it. Nested calls join the outer one."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def is_empty(self) -> bool:
        (empty,) = self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tags)").fetchone()
        return bool(empty)

    def data_version(self) -> tuple[int, int]:
        """Changes when any connection commits a write: lets a long-running server notice imports."""
        row = self.conn.execute("PRAGMA data_version").fetchone()
        total = self.conn.execute("SELECT total_changes()").fetchone()
        return int(row[0]), int(total[0])
