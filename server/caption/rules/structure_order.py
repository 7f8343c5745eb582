"""`structure-order`: a tag of an earlier section stands after a tag of a later one.

It names the fewest tags that are out of place (those outside a longest run already in section order),
one finding each. With `shuffle_caption = true` only the kept tags (`keep_tokens`, or before `|||`) have
an order: the trainer shuffles the rest.

The fix sorts the caption into section order: stable inside a section, triggers first, and a tag with no
section moves with the sectioned tag before it (or the first one, at the start), so it keeps its neighbour.
Runs split by `|||` or `BREAK` are sorted separately; a run with a weight group spanning several tags
(`(a, b:1.2)`) is left alone rather than torn apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise

from ..findings import Edit, Finding, Related
from ..parse import BREAK, CaptionLine, TagSpan
from ..structure import longest_in_order
from ..trainer import caption_keep
from .base import Document, NoOptions, Rule, joiner, line_separator


def _runs(line: CaptionLine) -> list[list[TagSpan]]:
    """The line's tags split at `|||` and `BREAK`."""
    runs: list[list[TagSpan]] = [[]]
    for segment in line.segments:
        if segment.tag is not None:
            runs[-1].append(segment.tag)
        if segment.is_break or segment.separator_text in (BREAK, line.syntax.keep_separator or BREAK):
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
    # A wildcard's choices are not tags of their own to move about.
    if any(tag.wildcard is not None for tag in run):
        return None
    # Only separators and blanks between the tags: anything else (group brackets) would be scrambled.
    for before, after in pairwise(run):
        if text[before.end : after.start].replace(separator, "").strip():
            return None
    return Edit(start, end, joiner(text, line, separator).join(tag.text for tag in order))


def misplaced(run: list[TagSpan], rank: Mapping[int, int | None]) -> list[TagSpan]:
    """The fewest sectioned tags of `run` whose moving puts it in section order: those outside a
    longest run of tags already in order."""
    ranked = [tag for tag in run if rank[tag.index] is not None]
    kept = longest_in_order([rank[tag.index] or 0 for tag in ranked])
    return [tag for i, tag in enumerate(ranked) if i not in kept]


def _ordered_part(line: CaptionLine, run: list[TagSpan], shuffled: bool, keep: int | None) -> list[TagSpan]:
    """The part of a run whose order is trained: all of it, or with `shuffle_caption` only the kept tags
    (the first `keep_tokens`, or those before `|||` and after a second one; None: none of them, as
    `caption_prefix` holds the `|||`)."""
    if not shuffled:
        return run
    if line.keep_separator is not None:
        return [tag for tag in run if tag.keep]
    return [tag for tag in run if keep is not None and tag.unit < keep]


def _neighbours(
    kept: list[TagSpan], out_of_place: list[TagSpan], rank: Mapping[int, int | None]
) -> tuple[dict[int, TagSpan], dict[int, TagSpan]]:
    """For each misplaced tag (by index): the nearest in-order tag before it from a later section, and
    the nearest one after it from an earlier section.

    One sweep each way, remembering the nearest in-order tag of every section: linear in the tags (times
    the few sections), where searching the in-order tags for each misplaced one was quadratic.
    """
    wrong = {tag.index for tag in out_of_place}
    in_line = sorted([*kept, *out_of_place], key=lambda tag: tag.start)
    later = _nearest(in_line, wrong, rank, lambda other, own: other > own)
    earlier = _nearest(in_line[::-1], wrong, rank, lambda other, own: other < own)
    return later, earlier


def _nearest(
    sweep: list[TagSpan],
    wrong: set[int],
    rank: Mapping[int, int | None],
    wanted: Callable[[int, int], bool],
) -> dict[int, TagSpan]:
    """For each misplaced tag met in `sweep`: the in-order tag met last whose section rank is `wanted`."""
    last_of_rank: dict[int, tuple[int, TagSpan]] = {}  # section rank -> (step met, in-order tag)
    found: dict[int, TagSpan] = {}
    for step, tag in enumerate(sweep):
        tag_rank = rank[tag.index] or 0
        if tag.index not in wrong:
            last_of_rank[tag_rank] = (step, tag)
            continue
        candidates = [met for other_rank, met in last_of_rank.items() if wanted(other_rank, tag_rank)]
        if candidates:
            found[tag.index] = max(candidates, key=lambda met: met[0])[1]
    return found


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    ctx = doc.ctx
    sections = ctx.sections
    structure = ctx.config.structure
    order_text = ", ".join(structure)
    # A dataset whose captions mostly use another order (tagger confidence, a template) has its own
    # convention: a hint on every caption would be noise.
    if not ctx.follows_structure():
        return
    for line in doc.caption.lines:
        # A wildcard's choices have no section, and the later tags of a `;;;` unit move with its first.
        rank = {tag.index: sections.rank(tag.key) if line.leads(tag) else None for tag in line.tags}
        keep = caption_keep(ctx.config, ctx.config.keep_count)
        for run in _runs(line):
            ordered = _ordered_part(line, run, ctx.config.shuffle_caption, keep)
            out_of_place = misplaced(ordered, rank)
            if not out_of_place:
                continue
            order = sorted_run(ordered, rank)
            edit = _rewrite(doc, line, ordered, order)
            fixes = [("Sort the caption into section order", [edit])] if edit is not None else []
            wrong = {tag.index for tag in out_of_place}
            kept = [tag for tag in ordered if rank[tag.index] is not None and tag.index not in wrong]
            later, earlier = _neighbours(kept, out_of_place, rank)
            for tag in out_of_place:
                tag_rank = rank[tag.index] or 0
                # The in-order tag it should not follow (or precede): the nearest one that says so.
                follows = later.get(tag.index)
                other = follows or earlier.get(tag.index)
                if other is None:
                    continue
                other_section = structure[rank[other.index] or 0]
                where = "after" if other is follows else "before"
                yield rule.finding(
                    tag.name_start,
                    tag.name_end,
                    f'"{tag.name}" ({structure[tag_rank]}) stands {where} "{other.name}" ({other_section});'
                    f" the order is {order_text}",
                    fixes,
                    [Related(doc.path, other.name_start, other.name_end, f"{other_section} tag")],
                    f'put "{tag.name}" ({structure[tag_rank]}) {where} {other_section} tags',
                )


DOC = """\
## What it checks

Whether the tags follow the caption's sections in `structure` order (default: globals, type, action,
subject, details, background, associations). A tag's section comes from the triggers, the `[sections]`
table, the captioning guide's own examples, and the vocabulary's tag groups when they are sure (not `List
of style parodies`, `Gerunds` or `Emotions`, nor groups that disagree); a tag with no section is never out
of order. It names the fewest tags to move (those outside a longest run already in order), one finding
each. Runs split by `|||` or `BREAK` are checked separately. With `shuffle_caption = true` only the kept
tags (`keep_tokens`, or before `|||` and after a second `|||`) have an order. A `;;;` unit moves as one (its
first tag's section counts) and a wildcard's choices have no section. A dataset whose captions mostly
keep an order of their own (a tagger's confidence order, a template) gets no hints; `check` says so.

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
    summary="a tag out of section order (the fewest tags to move)",
    fix="only with `--fix-order`",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
