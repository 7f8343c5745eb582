"""Every rule, in the order findings at one place are listed and `captionls rules` prints them."""

from __future__ import annotations

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
    unknown_tag,
)
from .base import Rule

RULES: dict[str, Rule] = {
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
    )
}
