"""`duplicate-tag`: the same tag twice in one caption line, after normalisation and alias resolution."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..findings import Finding, Related
from ..parse import TagSpan
from .base import Document, Rule, remove_tag


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    for line in doc.caption.lines:
        first: dict[str, TagSpan] = {}
        for tag in line.tags:
            concept = doc.ctx.concept(tag.key)
            earlier = first.setdefault(concept, tag)
            if earlier is tag:
                continue
            how = "repeats" if earlier.key == tag.key else "is the same tag as"
            yield rule.finding(
                tag.start,
                tag.end,
                f'"{tag.name}" {how} "{earlier.name}" earlier in this caption',
                [(f'Remove the second "{tag.name}"', [remove_tag(doc.text, line, tag)])],
                [Related(doc.path, earlier.start, earlier.end, "first written here")],
            )


RULE = Rule(
    name="duplicate-tag",
    severity="warning",
    doc="The same tag twice in a caption (case, `_`/space, escapes, weights and aliases do not matter).",
    check=check,
    safe_fix=True,
)
