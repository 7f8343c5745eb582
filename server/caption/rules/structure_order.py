"""`structure-order`: a tag of an earlier section stands after a tag of a later one.

The fix sorts the caption into section order: stable inside a section, triggers first, and a tag with no
section moves with the sectioned tag before it (or the first one, at the start), so it keeps its neighbour.
Runs split by `|||` or `BREAK` are sorted separately; a run with a weight group spanning several tags
(`(a, b:1.2)`) is left alone rather than torn apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import pairwise

from ..findings import Edit, Finding, Related
from ..parse import CaptionLine, TagSpan
from .base import Document, NoOptions, Rule, joiner, line_separator


def _runs(line: CaptionLine) -> list[list[TagSpan]]:
    """The line's tags split at `|||` and `BREAK`."""
    runs: list[list[TagSpan]] = [[]]
    for segment in line.segments:
        if segment.tag is not None:
            runs[-1].append(segment.tag)
        if segment.is_break or segment.separator_text in ("|||", "BREAK"):
            runs.append([])
    return [run for run in runs if run]


def sorted_run(run: list[TagSpan], rank: Mapping[int, int | None]) -> list[TagSpan]:
    """The run in section order; `rank` maps a tag's index to its section rank (None: no section)."""
    units: list[tuple[int, list[TagSpan]]] = []
    leading: list[TagSpan] = []
    for tag in run:
        tag_rank = rank[tag.index]
        if tag_rank is None:
            if units:
                units[-1][1].append(tag)
            else:
                leading.append(tag)
        else:
            units.append((tag_rank, [*leading, tag]))
            leading = []
    if not units:
        return run
    units.sort(key=lambda unit: unit[0])
    return [tag for _, tags in units for tag in tags] + leading


def _rewrite(doc: Document, line: CaptionLine, run: list[TagSpan], order: list[TagSpan]) -> Edit | None:
    text = doc.text
    separator = line_separator(line)
    start, end = run[0].start, run[-1].end
    # Only separators and blanks between the tags: anything else (group brackets) would be scrambled.
    for before, after in pairwise(run):
        if text[before.end : after.start].replace(separator, "").strip():
            return None
    return Edit(start, end, joiner(text, line, separator).join(tag.text for tag in order))


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    sections = doc.ctx.sections
    structure = doc.ctx.config.structure
    order_text = ", ".join(structure)
    for line in doc.caption.lines:
        rank = {tag.index: sections.rank(tag.key) for tag in line.tags}
        for run in _runs(line):
            out_of_order: list[tuple[TagSpan, TagSpan]] = []
            latest: TagSpan | None = None
            for tag in run:
                tag_rank = rank[tag.index]
                if tag_rank is None:
                    continue
                latest_rank = None if latest is None else rank[latest.index]
                if latest is not None and latest_rank is not None and tag_rank < latest_rank:
                    out_of_order.append((tag, latest))
                else:
                    latest = tag
            if not out_of_order:
                continue
            order = sorted_run(run, rank)
            edit = _rewrite(doc, line, run, order)
            fixes = [("Sort the caption into section order", [edit])] if edit is not None else []
            for tag, later in out_of_order:
                tag_section = structure[rank[tag.index] or 0]
                later_section = structure[rank[later.index] or 0]
                yield rule.finding(
                    tag.name_start,
                    tag.name_end,
                    f'"{tag.name}" ({tag_section}) stands after "{later.name}" ({later_section});'
                    f" the order is {order_text}",
                    fixes,
                    [Related(doc.path, later.name_start, later.name_end, f"{later_section} tag")],
                )


DOC = """\
## What it checks

Whether the tags follow the caption's sections in `structure` order (default: globals, type, action,
subject, details, background, associations). A tag's section comes from the triggers, the `[sections]`
table, the vocabulary's tag groups and a built-in table of the captioning guide's examples; a tag with no
section is never out of order. Runs split by `|||` or `BREAK` are checked separately.

## Why

The guide writes captions from the whole image to its details. A consistent order keeps captions
comparable and puts the tags that matter most where token limits and keep-tokens do not cut them.

## Example

Bad: `ohwxStyle, 1girl, wooden floor, sitting, short hair`

Good: `ohwxStyle, 1girl, sitting, short hair, wooden floor`

`--fix` leaves the order alone; `--fix --fix-order` sorts the caption (stable inside a section).
"""

RULE = Rule(
    name="structure-order",
    severity="hint",
    summary="a tag of an earlier section after one of a later section",
    fix="only with `--fix-order`",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
