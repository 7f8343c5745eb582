"""Writing the vocabulary (or one list of it) back out as list.tag or tagcomplete CSV.

A list is written in its own order, each tag spelled as the user wrote it, with the BOM, line ending
and final newline of the list.tag it was imported from.

Names are written exactly as stored, so an export imported into an empty database gives back the same
tags, categories, counts and aliases. Rows stream straight from SQLite: exporting millions of tags
never holds them all in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Literal, TextIO

from .importers.common import Numbering
from .importers.tagcomplete import CATEGORY_NUMBERS
from .store import Store, StoreError
from .write import ListLayout

ExportFormat = Literal["listtag", "csv"]


def _list_id(store: Store, list_name: str) -> int:
    row = store.conn.execute("SELECT id FROM lists WHERE name = ?", (list_name,)).fetchone()
    if row is None:
        raise StoreError(f"no list called {list_name!r}")
    return int(row[0])


def _rows(store: Store, list_name: str | None, order: str) -> Iterator[tuple[str, str, int, str]]:
    where = ""
    params: tuple[int, ...] = ()
    if list_name is not None:
        where = " WHERE tags.id IN (SELECT tag_id FROM list_tags WHERE list_id = ?)"
        params = (_list_id(store, list_name),)
    # Aliases in key order so the same vocabulary always exports the same bytes.
    sql = (
        "SELECT tags.name, tags.category, tags.post_count,"
        " (SELECT group_concat(name, ',') FROM (SELECT name FROM aliases"
        "  WHERE aliases.tag_id = tags.id ORDER BY key))"
        f" FROM tags{where} ORDER BY {order}"
    )
    for name, category, post_count, aliases in store.conn.execute(sql, params):
        yield name, category, int(post_count), aliases or ""


def export(
    store: Store,
    out: TextIO,
    *,
    fmt: ExportFormat = "listtag",
    list_name: str | None = None,
    numbering: Numbering = "danbooru",
) -> int:
    """Write the tags (of `list_name`, or all) to `out`; returns how many."""
    if fmt == "listtag":
        return _export_listtag(store, out, list_name)
    count = 0
    numbers = {category: number for number, category in CATEGORY_NUMBERS[numbering].items() if number >= 0}
    writer = csv.writer(out, lineterminator="\n")
    # Most popular first, as tagcomplete's own files are.
    for name, category, post_count, aliases in _rows(store, list_name, "tags.post_count DESC, tags.key"):
        if category not in numbers:
            hint = "; try --categories e621" if numbering == "danbooru" else ""
            raise StoreError(
                f"tag {name!r} has category {category!r}, which {numbering} numbering lacks{hint}"
            )
        writer.writerow([name, numbers[category], post_count, aliases])
        count += 1
    return count


def _export_listtag(store: Store, out: TextIO, list_name: str | None) -> int:
    """The whole vocabulary by name; a list in its own order, spelling and layout (BOM, line
    ending, final newline), so a list.tag imported with `--list` comes back as it was."""
    if list_name is None:
        names = (name for (name,) in store.conn.execute("SELECT name FROM tags ORDER BY name"))
        layout = ListLayout()
    else:
        list_id = _list_id(store, list_name)
        bom, newline, final_newline = store.conn.execute(
            "SELECT bom, newline, final_newline FROM lists WHERE id = ?", (list_id,)
        ).fetchone()
        layout = ListLayout(bool(bom), str(newline), bool(final_newline))
        names = (
            name
            for (name,) in store.conn.execute(
                "SELECT coalesce(list_tags.name, tags.name) FROM list_tags"
                " JOIN tags ON tags.id = list_tags.tag_id"
                " WHERE list_tags.list_id = ? ORDER BY list_tags.position, tags.name",
                (list_id,),
            )
        )
    if layout.bom:
        out.write("\ufeff")
    count = 0
    for name in names:
        if count:
            out.write(layout.newline)
        out.write(name)
        count += 1
    if count and layout.final_newline:
        out.write(layout.newline)
    return count


def export_translations(
    store: Store, out: TextIO, *, lang: str, list_name: str | None = None
) -> tuple[int, int]:
    """BDTM's `Translations/<lang>.txt`: `tag=translation`, `*` before a manual one, by tag name.

    BDTM splits a line at its last `=`, so a translation holding `=` cannot be written: it is left out.
    Returns (written, left out).
    """
    where, params = "", [lang]
    if list_name is not None:
        where = " AND tags.id IN (SELECT tag_id FROM list_tags WHERE list_id = ?)"
        params.append(str(_list_id(store, list_name)))
    written = left_out = 0
    rows = store.conn.execute(
        "SELECT tags.name, translations.text, translations.manual FROM translations"
        f" JOIN tags ON tags.id = translations.tag_id WHERE translations.lang = ?{where} ORDER BY tags.name",
        params,
    )
    for name, text, manual in rows:
        if "=" in text or "\n" in text or "\r" in text:
            left_out += 1
            continue
        out.write(f"{'*' if manual else ''}{name}={text}\n")
        written += 1
    return written, left_out
