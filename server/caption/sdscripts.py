"""An sd-scripts dataset config (`--dataset_config`, a `.toml`) read for `captionls init --from-sd-scripts`.

The layout is sd-scripts' (`library/config_util.py`): `[general]`, then `[[datasets]]`, each with
`[[datasets.subsets]]`; a subset's `image_dir` holds the images and their captions. A caption option set on
a subset wins over its dataset's, which wins over `[general]`'s, which wins over sd-scripts' default.
Only what decides how captions are read is taken: `caption_extension` and the keys below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ConfigError, read_toml

# sd-scripts' caption options with their types and sd-scripts' defaults (`BaseSubsetParams`,
# `DreamBoothSubsetParams`); captionls.toml takes them under the same names.
CAPTION_OPTIONS: Mapping[str, tuple[type, object]] = {
    "caption_extension": (str, ".caption"),
    "caption_separator": (str, ","),
    "keep_tokens": (int, 0),
    "keep_tokens_separator": (str, ""),
    "secondary_separator": (str, ""),
    "shuffle_caption": (bool, False),
    "enable_wildcard": (bool, False),
    "caption_prefix": (str, ""),
    "caption_suffix": (str, ""),
}


@dataclass(frozen=True)
class Subset:
    """One `[[datasets.subsets]]`: its image folder (as written, and resolved) and its caption options,
    every one of `CAPTION_OPTIONS` with the value that applies to it."""

    image_dir: str
    folder: Path
    options: Mapping[str, object]
    # The config line that names its image_dir.
    line: int


def read_subsets(path: Path, base: Path) -> tuple[list[Subset], list[str]]:
    """The subsets with an `image_dir` (relative ones resolved from `base`, as sd-scripts resolves them
    from where it runs), and a line for each subset passed over (`metadata_file` captions, no image_dir).
    ConfigError `file:line: reason` for bad TOML or a caption option of the wrong type."""
    data, text = read_toml(path)
    locate = _Locator(path, text)
    general = _table(data.get("general", {}), locate, "general")
    datasets = data.get("datasets", [])
    if not isinstance(datasets, list):
        raise locate.fail("datasets", "datasets must be [[datasets]] tables", None, 0)
    subsets: list[Subset] = []
    skipped: list[str] = []
    ordinal = 0
    for number, dataset in enumerate(datasets):
        dataset = _table(dataset, locate, "datasets", number)
        members = dataset.get("subsets", [])
        if not isinstance(members, list):
            raise locate.fail("subsets", "subsets must be [[datasets.subsets]] tables", "datasets", number)
        for member in members:
            subset = _table(member, locate, "datasets.subsets", ordinal)
            line = locate.line("image_dir", "datasets.subsets", ordinal)
            image_dir = subset.get("image_dir")
            if not isinstance(image_dir, str) or not image_dir:
                where = f"{path}:{locate.header_line('datasets.subsets', ordinal)}"
                why = (
                    "its captions are in metadata_file"
                    if "metadata_file" in subset
                    else "it has no image_dir"
                )
                skipped.append(f"{where}: subset passed over: {why}")
            else:
                tables = [
                    (subset, "datasets.subsets", ordinal),
                    (dataset, "datasets", number),
                    (general, "general", 0),
                ]
                options = {key: _option(key, tables, locate) for key in CAPTION_OPTIONS}
                subsets.append(
                    Subset(image_dir, (base / Path(image_dir).expanduser()).resolve(), options, line)
                )
            ordinal += 1
    return subsets, skipped


def _table(value: object, locate: _Locator, table: str, index: int = 0) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise locate.fail(table, f"{table} must be a table", None, index)
    return value


def _option(key: str, tables: list[tuple[dict[str, Any], str, int]], locate: _Locator) -> object:
    """The value of `key` for a subset: its own, else its dataset's, else `[general]`'s, else the default;
    `tables` are those three, each with its name and its place among the tables of that name."""
    kind, default = CAPTION_OPTIONS[key]
    for table, name, index in tables:
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = {str: "a string", int: "an integer", bool: "true or false"}[kind]
            raise locate.fail(key, f"{key} must be {expected}", name, index)
        return value
    return default


class _Locator:
    """Finds the line of a key in the config's text, for messages: inside the `index`th `[[table]]` (or
    the first, when `index` is None) or, with no table, at the top."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, reason: str, table: str | None, index: int | None) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line(key, table, index)}: {reason}")

    def header_line(self, table: str, index: int) -> int:
        seen = -1
        for number, line in enumerate(self.lines, 1):
            if _header(line) == table:
                seen += 1
                if seen == index:
                    return number
        return 1

    def line(self, key: str, table: str | None, index: int | None) -> int:
        pattern = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
        current: str | None = None
        seen: dict[str, int] = {}
        for number, line in enumerate(self.lines, 1):
            header = _header(line)
            if header is not None:
                current = header
                seen[header] = seen.get(header, -1) + 1
                continue
            at = current is not None and current == table and (index is None or seen.get(current) == index)
            if at and pattern.match(line):
                return number
        return 1


def _header(line: str) -> str | None:
    found = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
    return None if found is None else found.group(1)
