"""Ready-made vocabulary databases for the `vocab` tests, built once per test run and copied per test.

Building the built-in vocabulary takes about two seconds and importing danbooru.csv about three;
copying a closed SQLite file takes milliseconds.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from captionls.vocab.builtin import open_vocabulary
from captionls.vocab.importers import Source, import_files

CLI = [sys.executable, "-c", "from captionls.server.cli import main; main()"]


@cache
def _template_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="captionls-vocab-templates-"))
    atexit.register(shutil.rmtree, directory, True)
    return directory


@cache
def _builtin_template() -> Path:
    path = _template_dir() / "builtin.sqlite"
    open_vocabulary(path).close()
    return path


@cache
def _imported_template(files: tuple[Path, ...]) -> Path:
    path = _template_dir() / f"imported-{len(list(_template_dir().iterdir()))}.sqlite"
    shutil.copyfile(_builtin_template(), path)
    with open_vocabulary(path) as store:
        import_files(store, [Source.file(file) for file in files])
    return path


def builtin_db(directory: Path) -> Path:
    """A database as the first command on a fresh machine leaves it: the built-in vocabulary."""
    target = directory / "vocab.sqlite"
    shutil.copyfile(_builtin_template(), target)
    return target


def imported_db(directory: Path, *files: Path) -> Path:
    """The built-in vocabulary with `files` imported."""
    target = directory / "vocab.sqlite"
    shutil.copyfile(_imported_template(tuple(files)), target)
    return target


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`captionls ARGS` as a separate process."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)
