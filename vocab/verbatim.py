"""Verbatim tags: names whose underscores matter (`score_9`, `score_8_up`, `source_anime`, `rating_safe`).

Models were trained on these exact strings, so `score 9` is not the same prompt as `score_9`. They are
a fact of the built-in vocabulary, kept in `builtin/verbatim.txt`; `normalize.styled` writes them as
listed whatever the tag style, so formatting, fixes and completion never change them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

VERBATIM_FILE = Path(__file__).resolve().parent / "builtin" / "verbatim.txt"


@cache
def verbatim_names() -> dict[str, str]:
    """Lookup form (`score_9`, case-folded, `_` for blanks) -> the name as it must be written."""
    names: dict[str, str] = {}
    for line in VERBATIM_FILE.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if name and not name.startswith("#"):
            names[lookup_form(name)] = name
    return names


def lookup_form(name: str) -> str:
    return "_".join(name.replace("_", " ").split()).casefold()


def verbatim_name(name: str) -> str | None:
    """How a verbatim tag must be written (`score 9` -> `score_9`); None for any other tag."""
    if "_" not in name and " " not in name:
        return None
    return verbatim_names().get(lookup_form(name))
