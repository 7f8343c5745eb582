"""`captionls check`, `stats`, `rename`, `format` and `rules`: the caption rules over a whole dataset."""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.normalize import tag_key
from captionls.vocab.query import Vocabulary
from captionls.vocab.sections import SectionMap, load_section_map
from captionls.vocab.store import StoreError

from ..caption.checker import CheckContext, check_caption
from ..caption.config import Config, ConfigError, find_config, load_config
from ..caption.curation import trigger_keys
from ..caption.dataset import DatasetIndex, is_caption
from ..caption.diff import unified_diff
from ..caption.files import CaptionFile, CaptionWriteError, Rewrite, apply_edits, write_captions
from ..caption.findings import Finding
from ..caption.fixes import MAX_FIX_PASSES, STRUCTURE_RULE, fixed_text
from ..caption.formatter import format_caption
from ..caption.journal import JournalError
from ..caption.parse import parse_caption
from ..caption.printable import printable
from ..caption.rename import BadTagName, check_new_name, rename_edits
from ..caption.rules.docs import rule_page, rule_record
from ..caption.rules.registry import RULES
from ..caption.rules.token_limit import configured_budget
from ..caption.tokens.budget import token_spread
from ..caption.trigger import known_tag
from .output import FORMATS, Output, Report
from .vocab import db_option, open_store, plural
from .where import selected, where_option

# Exit codes: findings at warning or above, and usage or configuration errors.
EXIT_FINDINGS = 1
EXIT_USAGE = 2
READ_ERROR = "read-error"
WRITE_ERROR = "write-error"


class UsageProblem(click.ClickException):
    """A usage or configuration error: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


def _fail(message: str) -> click.ClickException:
    return UsageProblem(message)


@contextmanager
def _vocabulary(config: Config) -> Iterator[Vocabulary]:
    """The dataset's own vocabulary (`vocab` in captionls.toml), else the one `--db` names."""
    try:
        if config.vocab is None:
            yield Vocabulary(open_store(click.get_current_context()))
            return
        store = open_vocabulary(config.vocab)
    except StoreError as error:
        raise _fail(str(error)) from None
    try:
        yield Vocabulary(store)
    finally:
        store.close()


def _section_map() -> SectionMap:
    """The section map (`$CAPTIONLS_SECTIONS` or the built-in one); a broken file is a usage error."""
    try:
        return load_section_map()
    except StoreError as error:
        raise _fail(str(error)) from None


@dataclass
class Dataset:
    """One dataset named on the command line: its root, configuration, index and the captions asked for."""

    root: Path
    config: Config
    index: DatasetIndex
    targets: list[Path] = field(default_factory=list)


def _datasets(paths: Sequence[Path]) -> list[Dataset]:
    """Group the PATH arguments by dataset; a file belongs to the folder of its captionls.toml."""
    # A dataset is millions of small long-lived objects that form no cycles (tags, index entries):
    # the cycle collector would re-walk them all the time for nothing (10-20% of a check). A command
    # is a short-lived process, so it goes without until it ends.
    if gc.isenabled():
        gc.disable()
        click.get_current_context().call_on_close(gc.enable)
    datasets: dict[Path, Dataset] = {}
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise _fail(f"{path}: no such file or folder")
        try:
            config = load_config(path)
        except ConfigError as error:
            raise _fail(str(error)) from None
        path = Path(os.path.normpath(path))
        # The dataset is the folder of the captionls.toml governing PATH (else PATH's own folder),
        # spelled like the PATH given so that reported paths read the way the user typed them.
        folder = path if path.is_dir() else path.parent
        found = find_config(path)
        root = folder
        if found is not None and found.parent != folder.resolve():
            root = found.parent if path.is_absolute() else Path(os.path.relpath(found.parent))
        key = root.resolve()
        dataset = datasets.get(key)
        if dataset is None:
            dataset = datasets[key] = Dataset(root, config, DatasetIndex(root, config))
            dataset.index.scan()
        if path.is_dir():
            captions = [*dataset.index.captions(), *dataset.index.errors]
            dataset.targets.extend(p for p in captions if p == path or path in p.parents)
        elif is_caption(path, config):
            dataset.targets.append(path)
    for dataset in datasets.values():
        dataset.targets = sorted(set(dataset.targets), key=str)
    return list(datasets.values())


def _rule_names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(RULES))
    if unknown:
        raise _fail(f"unknown rule {', '.join(unknown)} (see `captionls rules`)")
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
) -> None:
    """Check captions against the captioning guide's rules (exit 1 on warnings or errors)."""
    selected = _rule_names(select)
    ignored = _rule_names(ignore) or set()
    # --diff prints the diff and nothing else, in either format.
    out = Output(output, silent=diff, quiet=quiet, statistics=statistics)
    for dataset in _datasets(paths):
        with _vocabulary(dataset.config) as vocabulary:
            ctx = CheckContext(
                dataset.config,
                vocabulary,
                dataset.index,
                _section_map(),
                select=selected,
                ignore=ignored,
            )
            if ctx.enabled(STRUCTURE_RULE) and not ctx.follows_structure():
                out.notes.append(
                    f"{STRUCTURE_RULE}: most captions in {dataset.root} keep an order of their own"
                    " (a tagger's or a template's), so no order hints\n"
                )
            if ctx.inferred is not None:
                out.inferred.append(ctx.inferred)
            errors = dataset.index.errors
            files = dataset.index.files
            if not (fix or fix_order or diff):
                # Streamed: a large dataset's findings are never all in memory at once.
                for path in dataset.targets:
                    if path in errors:
                        out.emit(Report(path, "", [_read_error(errors[path])]))
                    elif path in files:
                        text = files[path].text
                        caption = parse_caption(text, ctx.config.syntax)
                        out.emit(Report(path, text, check_caption(path, caption, ctx)))
                continue
            readable = [path for path in dataset.targets if path in files]
            texts = {path: files[path].text for path in readable}
            results = _check_all(ctx, readable, texts)
            changed = _fix(ctx, readable, texts, results, fix_order)
            unwritten: dict[Path, CaptionWriteError] = {}
            if diff:
                for path in sorted(changed, key=str):
                    file = files[path]
                    click.echo(unified_diff(path, file.text, texts[path], bom=_utf8_bom(file)), nl=False)
                    out.would_change = True
            else:
                command = "check --fix-order" if fix_order else "check --fix"
                unwritten = write_all(dataset, command, {path: texts[path] for path in changed})
                out.fixed += len(changed) - len(unwritten)
            for path in dataset.targets:
                if path in errors:
                    out.emit(Report(path, "", [_read_error(errors[path])]))
                elif path in unwritten:
                    out.emit(Report(path, "", [Finding(WRITE_ERROR, "error", 0, 0, unwritten[path].reason)]))
                elif path in texts:
                    out.emit(Report(path, texts[path], results[path]))
    out.finish()
    if (out.would_change or out.failing) and not exit_zero:
        sys.exit(EXIT_FINDINGS)


def _utf8_bom(file: CaptionFile) -> bool:
    """Whether the file starts with a UTF-8 BOM, which a diff shows as part of its first line."""
    return file.bom and file.encoding == "utf-8"


def _read_error(message: str) -> Finding:
    # The reader's message is already `path:line: reason`; the row adds the path again.
    reason = message.split(": ", 1)[1] if ": " in message else message
    return Finding(READ_ERROR, "error", 0, 0, reason)


def write_all(dataset: Dataset, command: str, texts: dict[Path, str]) -> dict[Path, CaptionWriteError]:
    """Rewrite captions of `dataset` (path -> new text) as one undoable step (`captionls undo`); what kept
    a caption from being written (changed meanwhile, a link out of the dataset, a write error) is
    returned for the caller to report, and the other captions go on. A journal that cannot be written
    stops the command before any caption is touched.
    """
    rewrites = [
        Rewrite(path, dataset.index.files[path], text)
        for path, text in sorted(texts.items(), key=lambda item: str(item[0]))
    ]
    try:
        return write_captions(dataset.root, command, rewrites)
    except JournalError as error:
        raise click.ClickException(printable(str(error))) from None


def diff_or_write(dataset: Dataset, command: str, texts: dict[Path, str], dry_run: bool) -> None:
    """Print the diff of `texts` (path -> new text) or write them; then say how many captions changed."""
    failed = 0
    if dry_run:
        for caption in sorted(texts, key=str):
            file = dataset.index.files[caption]
            click.echo(unified_diff(caption, file.text, texts[caption], bom=_utf8_bom(file)), nl=False)
    else:
        for error in write_all(dataset, command, texts).values():
            click.echo(printable(str(error)), err=True)
            failed += 1
    done = len(texts) - failed
    verb = "would change" if dry_run else "changed"
    click.echo(f"{verb} {done} caption{'s' if done != 1 else ''}", err=dry_run)
    if failed:
        sys.exit(EXIT_FINDINGS)


def described(command: str, where: str | None) -> str:
    """The journal's one-line description of a command (what `undo --list` shows)."""
    return command if where is None else f"{command} --where {where}"


def _check_all(ctx: CheckContext, paths: list[Path], texts: dict[Path, str]) -> dict[Path, list[Finding]]:
    syntax = ctx.config.syntax
    return {path: check_caption(path, parse_caption(texts[path], syntax), ctx) for path in paths}


def _fix(
    ctx: CheckContext,
    paths: list[Path],
    texts: dict[Path, str],
    results: dict[Path, list[Finding]],
    fix_order: bool,
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
        results.update(_check_all(ctx, paths, texts))
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
            raise _fail(f"unknown rule {name} (see `captionls rules`)")
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
    (dataset,) = _datasets([path])
    index = dataset.index
    with _vocabulary(dataset.config) as vocabulary:
        ctx = CheckContext(dataset.config, vocabulary, index, _section_map())
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
    (dataset,) = _datasets([path])
    index = dataset.index
    try:
        new = check_new_name(new, dataset.config.syntax)
    except BadTagName as bad:
        raise _fail(str(bad)) from None
    targets = set(dataset.targets)
    if where is not None:
        with _vocabulary(dataset.config) as vocabulary:
            ctx = CheckContext(dataset.config, vocabulary, index, _section_map())
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
        with _vocabulary(dataset.config) as vocabulary:
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
    for dataset in _datasets(paths):
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
