"""`missing-trigger`: a configured trigger is absent, or not within the first `keep_tokens` tags (or
after kohya's `|||`), where shuffling trainers would move it.

Without a configured trigger, the inferred one (see `trigger`) is checked the same way. In a prose line
the trigger is a word of the first `keep_tokens` segments (`ohwx. A young woman ...`); moving it there
would rewrite prose, so that finding has no fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Edit, Finding
from ..kinds import trigger_in_prose
from ..parse import CaptionLine, remembered_key
from ..trainer import added_keys, caption_keep
from .base import Document, NoOptions, Rule, joiner, line_separator, remove_tag


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    ctx = doc.ctx
    kept = caption_keep(ctx.config, ctx.keep_count)
    keep = ctx.keep_count if kept is None else kept
    # The trainer writes these into every caption.
    added = added_keys(ctx.config)
    # Say where a trigger nobody configured comes from.
    what = "the trigger" if ctx.inferred is None else "the inferred trigger"
    for line in doc.caption.lines:
        for trigger in ctx.trigger_names:
            key = remembered_key(trigger)
            if key in added:
                continue
            found = next((tag for tag in line.tags if tag.key == key), None)
            if line.kind == "prose" and found is None:
                index = trigger_in_prose(line, key)
                if index is not None:
                    if index >= keep:
                        holder = line.tags[index]
                        yield rule.finding(
                            holder.name_start,
                            holder.name_end,
                            f'{what} "{trigger}" is in segment {index + 1} of this prose,'
                            f" not within the first {keep}",
                        )
                    continue
            if found is None:
                front, glue = _placement(doc.text, line)
                insert = trigger + glue if line.tags else trigger
                yield rule.finding(
                    front,
                    line.tags[0].end if line.tags else line.end,
                    f'{what} "{trigger}" is missing; it goes first',
                    [(f'Insert "{trigger}" at the front', [Edit(front, front, insert)])],
                )
                continue
            if kept is None:
                continue  # caption_prefix holds `|||`: every tag of the caption is shuffled, by design
            if line.keep_separator is not None:
                # sd-scripts keeps what is before `|||`, whatever keep_tokens says.
                if found.start < line.keep_separator:
                    continue
                where = f"after {line.syntax.keep_separator}"
            elif found.unit < keep:
                continue
            else:
                where = f"tag {found.unit + 1}, not within the first {keep}"
            front, glue = _placement(doc.text, line)
            yield rule.finding(
                found.start,
                found.end,
                f'{what} "{trigger}" is {where}; move it to the front',
                [
                    (
                        f'Move "{trigger}" to the front',
                        [Edit(front, front, found.text + glue), remove_tag(doc.text, line, found)],
                    )
                ],
            )


def _placement(text: str, line: CaptionLine) -> tuple[int, str]:
    """Where a trigger goes in `line` and what joins it to the next tag; asked for findings only, as
    nearly every line has none."""
    return _front(text, line), joiner(text, line, line_separator(line))


def _front(text: str, line: CaptionLine) -> int:
    """Where a trigger goes: the start of the first tag's segment, before any weight group it opens."""
    if not line.tags:
        return line.start
    segment = line.segments[line.tags[0].segment]
    content = text[segment.start : segment.end]
    return segment.start + len(content) - len(content.lstrip())


DOC = """\
## What it checks

Every `trigger` of `captionls.toml` in every caption line, within the first `keep_tokens` tags (default: as
many as there are triggers; `keep_tokens` counts comma-separated tags, a `;;;` unit as one, and the tags of
`caption_prefix` too), or before sd-scripts' `|||` keep-tokens separator when the line has one (then
`keep_tokens` does not matter). A trigger that `caption_prefix` or `caption_suffix` adds to every caption is
never missing. Without a configured trigger,
the inferred one: the tag that starts at least 90% of the captions and that the vocabulary does not know.
In a prose line the trigger counts as a word of the first `keep_tokens` segments (`ohwx. A young woman`).

## Why

The trigger is the word the LoRA learns to answer to. Trainers that shuffle tags keep only the first
`keep_tokens` in place: a trigger missing from a caption, or shuffled with the rest, weakens it.

## Example

With `trigger = ["ohwxStyle"]` and `keep_tokens = 1`:

Bad: `1girl, ohwxStyle, solo, smile`

Good: `ohwxStyle, 1girl, solo, smile`

`--fix` inserts the missing trigger at the front, or moves it there; never into prose.
"""

RULE = Rule(
    name="missing-trigger",
    severity="warning",
    summary="a trigger is absent, or not within the first `keep_tokens` tags, or after `|||`",
    fix="inserts or moves it to the front",
    doc=DOC,
    check=check,
    options=NoOptions(),
    safe_fix=True,
)
