"""`captionls check`, `stats`, `rename`, `format` and `rules`: the caption rules over a whole dataset."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TypeVar

import click

from captionls.vocab.normalize import tag_key

from ..caption.checker import CheckContext, check_caption
from ..caption.curation import trigger_keys
from ..caption.diff import unified_diff
from ..caption.files import CaptionWriteError, apply_edits
from ..caption.findings import Finding
from ..caption.fixes import MAX_FIX_PASSES, STRUCTURE_RULE, fixed_text
from ..caption.formatter import format_caption
from ..caption.parse import parse_caption
from ..caption.printable import printable
from ..caption.rename import BadTagName, check_new_name, rename_edits
from ..caption.rules.docs import rule_page, rule_record
from ..caption.rules.registry import RULES
from ..caption.rules.token_limit import configured_budget
from ..caption.tokens.budget import token_spread
from ..caption.trigger import known_tag
from .datasets import (
    EXIT_FINDINGS,
    Dataset,
    UsageProblem,
    dataset_vocabulary,
    datasets,
    described,
    diff_or_write,
    section_map,
    utf8_bom,
    write_all,
)
from .output import FORMATS, Batch, Output, Report, render
from .progress import Progress
from .vocab import db_option, plural
from .where import selected, where_option
from .workers import WORKERS_FROM, chunked, ordered_map, worker_count

READ_ERROR = "read-error"
WRITE_ERROR = "write-error"
# Captions per chunk of work: what a worker checks and sends back at a time, and the progress bar's step.
CHUNK = 250

ResultT = TypeVar("ResultT")


def _rule_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(RULES))
    if unknown:
        raise UsageProblem(f"unknown rule {', '.join(unknown)} (see `captionls rules`)")
    return names


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "output", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--select", help="Only these rules (comma-separated names).")
@click.option("--ignore", help="Not these rules (comma-separated names).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes and rewrite the captions.")
@click.option("--fix-order", is_flag=True, help="With --fix, also sort captions into section order.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (still 2 on usage errors).")
@click.option("--statistics", is_flag=True, help="Print the count of findings per rule instead.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    envvar="CAPTIONLS_JOBS",
    show_envvar=True,
    help=f"Processes to check with (default: one per core from {WORKERS_FROM:,} captions on, else 1).",
)
@db_option
def check(
    paths: tuple[Path, ...],
    output: str,
    select: str | None,
    ignore: str | None,
    fix: bool,
    fix_order: bool,
    diff: bool,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Check captions against the captioning guide's rules (exit 1 on warnings or errors)."""
    started = time.monotonic()
    selected_rules = _rule_names(select)
    ignored = _rule_names(ignore) or set()
    # --diff prints the diff and nothing else, in either format.
    out = Output(output, silent=diff, quiet=quiet, statistics=statistics)
    found = datasets(paths, jobs)
    progress = Progress(sum(len(dataset.targets) for dataset in found), started, out.stream)
    try:
        for dataset in found:
            with dataset_vocabulary(dataset.config) as vocabulary:
                ctx = CheckContext(
                    dataset.config,
                    vocabulary,
                    dataset.index,
                    section_map(),
                    select=selected_rules,
                    ignore=ignored,
                )
                if ctx.enabled(STRUCTURE_RULE) and not ctx.follows_structure():
                    out.notes.append(
                        f"{STRUCTURE_RULE}: most captions in {dataset.root} keep an order of their own"
                        " (a tagger's or a template's), so no order hints\n"
                    )
                if ctx.inferred is not None:
                    out.inferred.append(ctx.inferred)
                workers = worker_count(jobs, len(dataset.targets))
                if fix or fix_order or diff:
                    _check_and_fix(ctx, dataset, out, fix_order, diff, workers)
                    continue
                # Streamed: a large dataset's findings are never all in memory at once. (A caption named
                # on the command line in a folder the index passes over, a hidden one, has no report.)
                index = dataset.index
                targets = [path for path in dataset.targets if path in index.errors or path in index.files]
                checker = _Checker(ctx, dataset, out.form, out.listing)
                with closing(_mapped(checker.batch, ctx, targets, workers)) as batches:
                    for batch in batches:
                        progress.before_output()
                        out.add(batch)
                        progress.advance(batch.captions)
    finally:
        progress.close()
    out.finish()
    if (out.would_change or out.failing) and not exit_zero:
        sys.exit(EXIT_FINDINGS)


@dataclass
class _Checker:
    """Checks and renders chunks of one dataset's captions, in this process or a forked worker."""

    ctx: CheckContext
    dataset: Dataset
    form: str
    listing: bool

    def batch(self, paths: Sequence[Path]) -> Batch:
        return render(map(self.report, paths), self.form, self.listing)

    def report(self, path: Path) -> Report:
        error = self.dataset.index.errors.get(path)
        if error is not None:
            return Report(path, "", [_read_error(error)])
        text = self.dataset.index.files[path].text
        return Report(path, text, check_caption(path, parse_caption(text, self.ctx.config.syntax), self.ctx))


def _mapped(
    work: Callable[[Sequence[Path]], ResultT], ctx: CheckContext, paths: list[Path], workers: int
) -> Generator[ResultT, None, None]:
    """`work` over chunks of `paths` in order: in this process, or with `workers` forked processes."""
    chunks = chunked(paths, CHUNK)
    if workers < 2 or len(chunks) < 2:
        yield from map(work, chunks)
        return
    # The first chunk here: it makes the rules' state and fills the caches that the workers then share.
    yield work(chunks[0])
    ctx.refresh()
    yield from ordered_map(work, chunks[1:], workers, ctx.reopen_vocabulary)


def _check_and_fix(
    ctx: CheckContext, dataset: Dataset, out: Output, fix_order: bool, diff: bool, workers: int
) -> None:
    """`--fix`, `--fix-order` and `--diff`: the fixes applied in passes, then written (or shown) and the
    findings left reported. Workers only check; every write is this process's, as one undoable step."""
    errors = dataset.index.errors
    files = dataset.index.files
    readable = [path for path in dataset.targets if path in files]
    texts = {path: files[path].text for path in readable}
    results = _check_all(ctx, readable, texts, workers)
    changed = _fix(ctx, readable, texts, results, fix_order, workers)
    unwritten: dict[Path, CaptionWriteError] = {}
    if diff:
        for path in sorted(changed, key=str):
            file = files[path]
            click.echo(unified_diff(path, file.text, texts[path], bom=utf8_bom(file)), nl=False)
            out.would_change = True
    else:
        command = "check --fix-order" if fix_order else "check --fix"
        unwritten = write_all(dataset, command, {path: texts[path] for path in changed})
        out.fixed += len(changed) - len(unwritten)
    reports = []
    for path in dataset.targets:
        if path in errors:
            reports.append(Report(path, "", [_read_error(errors[path])]))
        elif path in unwritten:
            reports.append(Report(path, "", [Finding(WRITE_ERROR, "error", 0, 0, unwritten[path].reason)]))
        elif path in texts:
            reports.append(Report(path, texts[path], results[path]))
    out.add(render(reports, out.form, out.listing))


def _read_error(message: str) -> Finding:
    # The reader's message is already `path:line: reason`; the row adds the path again.
    reason = message.split(": ", 1)[1] if ": " in message else message
    return Finding(READ_ERROR, "error", 0, 0, reason)


def _check_all(
    ctx: CheckContext, paths: list[Path], texts: dict[Path, str], workers: int
) -> dict[Path, list[Finding]]:
    syntax = ctx.config.syntax

    def findings(chunk: Sequence[Path]) -> list[list[Finding]]:
        return [check_caption(path, parse_caption(texts[path], syntax), ctx) for path in chunk]

    with closing(_mapped(findings, ctx, paths, workers)) as chunks:
        return dict(zip(paths, chain.from_iterable(chunks), strict=True))


def _fix(
    ctx: CheckContext,
    paths: list[Path],
    texts: dict[Path, str],
    results: dict[Path, list[Finding]],
    fix_order: bool,
    workers: int,
) -> set[Path]:
    """Apply fixes until a pass changes nothing; `texts` and `results` end up fixed. Returns what changed."""
    changed: set[Path] = set()
    for _ in range(MAX_FIX_PASSES):
        touched = []
        for path in paths:
            new = fixed_text(texts[path], results[path], path, fix_order=fix_order)
            if new != texts[path]:
                texts[path] = new
                ctx.index.update(path, new)
                touched.append(path)
        if not touched:
            break
        changed.update(touched)
        results.update(_check_all(ctx, paths, texts, workers))
    return changed


@click.command()
@click.argument("name", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the rules with their options, fix and documentation."
)
def rules(name: str | None, as_json: bool) -> None:
    """List the caption rules with their default severity and what they check; NAME: that rule's page."""
    chosen = list(RULES.values())
    if name is not None:
        if name not in RULES:
            raise UsageProblem(f"unknown rule {name} (see `captionls rules`)")
        chosen = [RULES[name]]
    if as_json:
        click.echo(json.dumps([rule_record(rule) for rule in chosen], ensure_ascii=False, indent=2))
    elif name is not None:
        click.echo(rule_page(RULES[name]), nl=False)
    else:
        width = max(len(rule.name) for rule in chosen)
        for rule in chosen:
            fixable = " [fix]" if rule.safe_fix else ""
            click.echo(f"{rule.name:<{width}}  {rule.severity:<7}  {rule.summary}{fixable}")


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--top", type=click.IntRange(min=1), help="Only the N most used tags.")
@db_option
def stats(path: Path, as_json: bool, top: int | None) -> None:
    """Tags with their caption counts, the tags in every caption, the sections each caption covers, and the
    token counts of the caption lines (min, median, max, how many over the `token-limit`)."""
    (dataset,) = datasets([path])
    index = dataset.index
    with dataset_vocabulary(dataset.config) as vocabulary:
        ctx = CheckContext(dataset.config, vocabulary, index, section_map())
        tags = index.tags()
        total = len(index)
        common = [display for _, display, count in tags if total and count == total]
        coverage = {}
        for caption in index.captions():
            sections = {ctx.sections.section_of(key) for key in index.keys_of(caption)} - {None}
            coverage[str(caption)] = [name for name in dataset.config.structure if name in sections]
    budget = configured_budget(dataset.config)
    spread = token_spread(
        [parse_caption(index.files[caption].text, dataset.config.syntax) for caption in index.captions()],
        budget,
        dataset.config,
    )
    shown = tags[:top] if top else tags
    if as_json:
        data = {
            "captions": total,
            "tags": [{"tag": display, "key": key, "captions": count} for key, display, count in shown],
            "common": common,
            "sections": coverage,
            "tokens": dataclasses.asdict(spread),
            "errors": {str(p): message for p, message in sorted(index.errors.items())},
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{plural(total, 'caption')}, {plural(len(tags), 'distinct tag')}")
    width = len(str(tags[0][2])) if tags else 1
    for _, display, count in shown:
        click.echo(f"  {count:>{width}}  {display}")
    click.echo(f"In every caption: {', '.join(common) if common else '(none)'}")
    structure = dataset.config.structure
    click.echo(f"Sections covered per caption (of {len(structure)}: {', '.join(structure)}):")
    for name, covered in coverage.items():
        click.echo(f"  {len(covered)}  {name}  ({', '.join(covered)})")
    estimate = "" if budget.exact else " (estimate)"
    click.echo(
        f"{budget.encoder} tokens per caption line{estimate}: min {spread.min}, median {spread.median:g},"
        f" max {spread.max}; {spread.over_limit} of {spread.lines} over the limit of {spread.limit}"
    )
    for error in sorted(index.errors.values()):
        click.echo(printable(error), err=True)


@click.command()
@click.argument("old")
@click.argument("new")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the changes as a unified diff; write nothing.")
@where_option
@db_option
def rename(old: str, new: str, path: Path, dry_run: bool, where: str | None) -> None:
    """Rename the tag OLD to NEW in every caption under PATH (merging where NEW is already there)."""
    (dataset,) = datasets([path])
    index = dataset.index
    try:
        new = check_new_name(new, dataset.config.syntax)
    except BadTagName as bad:
        raise UsageProblem(str(bad)) from None
    targets = set(dataset.targets)
    if where is not None:
        with dataset_vocabulary(dataset.config) as vocabulary:
            ctx = CheckContext(dataset.config, vocabulary, index, section_map())
            targets = set(selected(ctx, dataset.targets, where))
    texts = {
        caption: apply_edits(index.files[caption].text, edits)
        for caption, edits in rename_edits(index, tag_key(old), new).items()
        if caption in targets
    }
    diff_or_write(dataset, described(f"rename {old} {new}", where), texts, dry_run)


def _trigger_keys(dataset: Dataset) -> set[str]:
    """The keys of the triggers `format` writes exactly as the captions do: configured, else inferred."""

    def knows(key: str) -> bool:
        # Asked only when the captions show a candidate, so most datasets never open the vocabulary.
        with dataset_vocabulary(dataset.config) as vocabulary:
            return known_tag(vocabulary, key)

    return trigger_keys(dataset.index, knows)


@click.command(name="format")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only report captions that would change (exit 1).")
@db_option
def format_command(paths: tuple[Path, ...], check_only: bool) -> None:
    """Rewrite captions with one separator style, trimmed blanks and the tag style.

    Exit 1 when a caption cannot be read or written, or with --check when one would change.
    """
    changed = 0
    failed = False
    for dataset in datasets(paths):
        style = dataset.index.tag_style()
        triggers = _trigger_keys(dataset)
        for path in dataset.targets:
            if path in dataset.index.errors:
                click.echo(printable(dataset.index.errors[path]), err=True)
                failed = True
        formatted: dict[Path, str] = {}
        for path in dataset.targets:
            file = dataset.index.files.get(path)
            if file is None:
                continue
            text = format_caption(file.text, dataset.config, style, triggers)
            if text != file.text:
                formatted[path] = text
        changed += len(formatted)
        if check_only:
            for path in formatted:
                click.echo(printable(f"would reformat {path}"))
            continue
        unwritten = write_all(dataset, "format", formatted)
        for path in formatted:
            if path in unwritten:
                click.echo(printable(str(unwritten[path])), err=True)
                failed = True
            else:
                click.echo(printable(f"reformatted {path}"))
    if failed or (check_only and changed):
        sys.exit(EXIT_FINDINGS)
