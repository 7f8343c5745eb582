"""`captionls init`: write a dataset's `captionls.toml` from its captions, or from an sd-scripts config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from captionls.vocab.query import Vocabulary

from ..caption.config import CONFIG_NAME, Config, ConfigError, config_from_text
from ..caption.dataset import DatasetIndex
from ..caption.files import write_new_file
from ..caption.initial_config import initial_config_text
from ..caption.sdscripts import Subset, read_subsets
from ..caption.trigger import inferred_trigger
from .datasets import UsageProblem
from .vocab import db_option, open_store


@click.command(name="init")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--from-sd-scripts",
    "sd_config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An sd-scripts dataset config (.toml): one captionls.toml per subset image_dir (or only PATH's).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing captionls.toml.")
@db_option
def init_command(path: Path | None, sd_config: Path | None, force: bool) -> None:
    """Write PATH/captionls.toml (default: the current folder) with the trigger the captions start with
    and their tag style; with --from-sd-scripts, also the caption options the trainer reads them with.

    A relative image_dir is taken from the current folder, as sd-scripts takes it from where it runs.
    """
    targets: list[tuple[Path, Subset | None]]
    if sd_config is None:
        targets = [(path or Path("."), None)]
    else:
        try:
            subsets, skipped = read_subsets(sd_config, Path.cwd())
        except ConfigError as error:
            raise UsageProblem(str(error)) from None
        for line in skipped:
            click.echo(line, err=True)
        targets = [(Path(subset.image_dir), subset) for subset in subsets]
        if path is not None:
            targets = [target for target in targets if target[1] and target[1].folder == path.resolve()]
        if not targets:
            where = f" for {path}" if path is not None else ""
            raise UsageProblem(f"{sd_config}: no subset with an image_dir{where}")
    _check_targets(sd_config, targets, force)
    for folder, subset in targets:
        _write(folder, subset, sd_config, force)


def _check_targets(sd_config: Path | None, targets: list[tuple[Path, Subset | None]], force: bool) -> None:
    """Refuse before writing anything: a missing image folder, an existing captionls.toml without --force."""
    for folder, subset in targets:
        if subset is not None and not subset.folder.is_dir():
            raise UsageProblem(f"{sd_config}:{subset.line}: image_dir {subset.image_dir!r} is not a folder")
        if (folder / CONFIG_NAME).exists() and not force:
            raise UsageProblem(f"{folder / CONFIG_NAME} exists; --force overwrites it")


def _write(folder: Path, subset: Subset | None, sd_config: Path | None, force: bool) -> None:
    root = folder.resolve()
    trainer = None if subset is None else subset.options
    extensions = () if trainer is None else (str(trainer["caption_extension"]).lower(),)
    index = DatasetIndex(root, Config(root=root, extensions=extensions) if extensions else Config(root=root))
    index.scan()

    def knows(key: str) -> bool:
        # Asked only when the captions show a candidate, so most folders never open the vocabulary.
        vocabulary = Vocabulary(open_store(click.get_current_context()))
        return vocabulary.resolve_key(key) is not None

    trigger = inferred_trigger(index, knows)
    style = index.detected_style()
    source = "" if subset is None else f"{sd_config} (image_dir = {subset.image_dir!r})"
    text = initial_config_text(trigger, style, len(index), trainer, source)
    target = folder / CONFIG_NAME
    try:
        config_from_text(target, tomllib.loads(text), text)
        write_new_file(target, text, force)
    except ConfigError as error:
        raise UsageProblem(f"{error} (from {source})") from None
    except OSError as error:
        raise UsageProblem(f"{target}: cannot write ({error.strerror or error})") from None
    what = f"trigger {trigger}" if trigger is not None else "no trigger inferred"
    count = len(index)
    click.echo(f"wrote {target}: {what}, tag_style {style}, {count} caption{'s' if count != 1 else ''}")
