"""Which section of the captioning guide a tag belongs to, from its Danbooru tag groups.

The guide orders a caption as globals, type, action, subject, details, background, associations.
A section map (TOML: `builtin/sections.toml`, or the user's own file named by `$CAPTIONLS_SECTIONS`)
maps group paths and single tags to those sections; a tag in groups of several sections takes the most
specific mapping: a single tag, then the deepest mapped subgroup, then a group.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .normalize import tag_key
from .store import StoreError

# A user's own section map file, replacing the built-in one for every command and the server.
SECTIONS_ENV = "CAPTIONLS_SECTIONS"
SECTIONS = ("globals", "type", "action", "subject", "details", "background", "associations")
PATH_SEPARATOR = ">"
_GROUP_PREFIX = "tag group:"


def path_key(names: list[str]) -> tuple[str, ...]:
    """The comparable form of a group path: each name's key, without a leading `tag group:`.

    A `Tag group:X` nested in another group's page is group X itself, so the path starts again
    there: `body parts > Tag group:Posture > Arms` is `posture > arms`.
    """
    keys = [tag_key(name) for name in names]
    linked = [i for i, key in enumerate(keys) if key.startswith(_GROUP_PREFIX)]
    if linked:
        keys = keys[linked[-1] :]
    if keys:
        keys[0] = keys[0].removeprefix(_GROUP_PREFIX).strip()
    return tuple(keys)


@dataclass(frozen=True)
class SectionMap:
    """Group paths and single tags mapped to guide sections."""

    groups: dict[tuple[str, ...], str]
    tags: dict[str, str]

    def section_of(self, key: str, group_paths: list[list[str]]) -> str | None:
        """The section of the tag `key` that sits in `group_paths` (outermost name first), or None.

        Among several paths the deepest mapped prefix wins; equal depths keep the first path given.
        """
        own = self.tags.get(tag_key(key))
        if own is not None:
            return own
        best: str | None = None
        best_depth = 0
        for path in group_paths:
            keys = path_key(path)
            for depth in range(len(keys), best_depth, -1):
                section = self.groups.get(keys[:depth])
                if section is not None:
                    best, best_depth = section, depth
                    break
        return best


def _parse(text: str, origin: str) -> SectionMap:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StoreError(f"{origin}: {error}") from None
    unknown = set(data) - {"groups", "tags"}
    if unknown:
        raise StoreError(f"{origin}: unknown table {sorted(unknown)[0]!r} (expected [groups] and [tags])")
    groups: dict[tuple[str, ...], str] = {}
    tags: dict[str, str] = {}
    for table in ("groups", "tags"):
        entries = data.get(table, {})
        if not isinstance(entries, dict):
            raise StoreError(f"{origin}: {table} must be a table")
        for name, section in entries.items():
            if section not in SECTIONS:
                expected = ", ".join(SECTIONS)
                raise StoreError(
                    f"{origin}: [{table}] {name!r}: unknown section {section!r} (one of {expected})"
                )
            if table == "groups":
                path = path_key(name.split(PATH_SEPARATOR))
                if not all(path):
                    raise StoreError(f"{origin}: [groups] {name!r}: empty group name")
                groups[path] = section
            else:
                tags[tag_key(name)] = section
    return SectionMap(groups, tags)


def load_section_map(path: Path | None = None) -> SectionMap:
    """The section map in `path`; None means `$CAPTIONLS_SECTIONS` when set, else the built-in map."""
    if path is None:
        env = os.environ.get(SECTIONS_ENV)
        if not env:
            builtin = resources.files("captionls.vocab.builtin").joinpath("sections.toml")
            return _parse(builtin.read_text(encoding="utf-8"), "built-in sections.toml")
        path = Path(env).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"{path}: cannot read the section map ({error})") from None
    return _parse(text, str(path))
