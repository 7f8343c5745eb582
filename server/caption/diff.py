"""Unified diffs of caption rewrites that `git apply` and `patch` accept (`check --diff`, `rename --dry-run`).

Lines are split at `\\n` only, as caption files are (a `\\r` stays part of its line), and a last line with no
newline is followed by the `\\ No newline at end of file` marker, so old and new lines never run together
and applying the diff restores the exact bytes. A UTF-8 BOM is part of the first line, as it is on disk.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

NO_NEWLINE = "\\ No newline at end of file\n"
BOM = "\ufeff"
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def lines_of(text: str) -> list[str]:
    """`text` split after each `\\n`; the last line may lack one."""
    return _LINE.findall(text)


def unified_diff(path: Path, before: str, after: str, *, bom: bool = False) -> str:
    """The diff from `before` to `after` of the file `path`, with `a/` and `b/` prefixes as git writes."""
    if before == after:
        return ""
    if bom:
        before, after = BOM + before, BOM + after
    out: list[str] = []
    for line in difflib.unified_diff(
        lines_of(before), lines_of(after), fromfile=f"a/{path.as_posix()}", tofile=f"b/{path.as_posix()}"
    ):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)
