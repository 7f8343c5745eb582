"""Every rule, in the order findings at one place are listed and `captionls rules` prints them."""

from __future__ import annotations

from typing import Any

from . import (
    duplicate_tag,
    empty_tag,
    inconsistent_tag,
    missing_trigger,
    non_canonical_tag,
    rating_tag,
    redundant_tag,
    repeated_word,
    structure_order,
    tag_count,
    token_limit,
    unknown_tag,
)
from .base import Rule

# Adding a rule: its module (name, severity, summary, fix, doc, options, check), a line here, and its
# fixture in tests/rules/fixtures/<name>/; then `scripts/gen_docs.py` for the README and VS Code.
RULES: dict[str, Rule[Any]] = {
    module.RULE.name: module.RULE
    for module in (
        missing_trigger,
        duplicate_tag,
        empty_tag,
        inconsistent_tag,
        non_canonical_tag,
        rating_tag,
        redundant_tag,
        unknown_tag,
        repeated_word,
        structure_order,
        tag_count,
        token_limit,
    )
}
