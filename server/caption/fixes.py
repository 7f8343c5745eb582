"""Applying the rules' fixes to a caption: what `captionls check --fix` and the editor's fix-all share."""

from __future__ import annotations

from pathlib import Path

from .checker import CheckContext, check_text
from .files import apply_edits
from .findings import Finding

# A fix can settle what another rule counts (an alias replaced makes a duplicate), so fixing repeats
# until a pass changes nothing; the rules are built to settle, this only bounds a mistake.
MAX_FIX_PASSES = 10
STRUCTURE_RULE = "structure-order"


def fixed_text(text: str, findings: list[Finding], path: Path, *, fix_order: bool = False) -> str:
    """One pass: `text` with every safe fix of `findings` applied (and the sort, with `fix_order`)."""
    edits = [
        edit
        for finding in findings
        for fix in finding.fixes
        if fix.safe or (fix_order and fix.preferred and finding.rule == STRUCTURE_RULE)
        for edit in fix.edits
        if edit.path is None or edit.path == path
    ]
    return apply_edits(text, edits) if edits else text


def fix_text(path: Path, text: str, ctx: CheckContext, *, fix_order: bool = False) -> str:
    """`text` with the safe fixes applied until they settle, the dataset index left as it is."""
    for _ in range(MAX_FIX_PASSES):
        new = fixed_text(text, check_text(path, text, ctx), path, fix_order=fix_order)
        if new == text:
            break
        text = new
    return text
