"""`missing-trigger`: a configured trigger is absent, or not within the first `keep_tokens` tags (or
after kohya's `|||`), where shuffling trainers would move it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from captionls.vocab.normalize import tag_key

from ..findings import Edit, Finding
from ..parse import CaptionLine
from .base import Document, Rule, joiner, line_separator, remove_tag


def check(rule: Rule, doc: Document, options: Mapping[str, object]) -> Iterator[Finding]:
    config = doc.ctx.config
    keep = config.keep_count
    for line in doc.caption.lines:
        separator = line_separator(line)
        glue = joiner(doc.text, line, separator)
        front = _front(doc.text, line)
        for trigger in config.trigger:
            key = tag_key(trigger)
            found = next((tag for tag in line.tags if tag.key == key), None)
            if found is None:
                insert = trigger + glue if line.tags else trigger
                yield rule.finding(
                    front,
                    line.tags[0].end if line.tags else line.end,
                    f'the trigger "{trigger}" is missing; it goes first',
                    [(f'Insert "{trigger}" at the front', [Edit(front, front, insert)])],
                )
                continue
            after_keep = line.keep_separator is not None and found.start > line.keep_separator
            if found.index < keep and not after_keep:
                continue
            where = "after |||" if after_keep else f"tag {found.index + 1}, not within the first {keep}"
            yield rule.finding(
                found.start,
                found.end,
                f'the trigger "{trigger}" is {where}; move it to the front',
                [
                    (
                        f'Move "{trigger}" to the front',
                        [Edit(front, front, found.text + glue), remove_tag(doc.text, line, found)],
                    )
                ],
            )


def _front(text: str, line: CaptionLine) -> int:
    """Where a trigger goes: the start of the first tag's segment, before any weight group it opens."""
    if not line.tags:
        return line.start
    segment = line.segments[line.tags[0].segment]
    content = text[segment.start : segment.end]
    return segment.start + len(content) - len(content.lstrip())


RULE = Rule(
    name="missing-trigger",
    severity="warning",
    doc="A configured trigger is absent or not within the first `keep_tokens` tags (or after `|||`).",
    check=check,
    safe_fix=True,
)
