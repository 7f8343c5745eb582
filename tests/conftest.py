"""Fixtures shared by every test module; the builders behind them are in the kit (`tests.kit`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.kit.vocabularies import builtin_db, make_vocabulary

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# The user's own folders, which a test must never read or write (set aside for the run, in this process and
# every process it starts).
_USER_FOLDERS = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME")
_HOME = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Point the user's data, cache and config folders at a new temporary folder, and forget
    `$CAPTIONLS_DB`: a command that opens the default vocabulary makes its own there (as on a fresh
    machine), whatever the machine's user has, and leaves nothing behind."""
    home = Path(tempfile.mkdtemp(prefix="captionls-tests-"))
    config.stash[_HOME] = home
    for variable in _USER_FOLDERS:
        os.environ[variable] = str(home / variable.lower())
    os.environ.pop("CAPTIONLS_DB", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _HOME in config.stash:
        shutil.rmtree(config.stash[_HOME], ignore_errors=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repository; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (the real sample data lives beside the repository)")
    return SHARED_DATA


@pytest.fixture(scope="module")
def vocabulary(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's vocabulary file: the kit's small one, or the built-in one (what `captionls check` uses
    on a fresh machine) where the module says `pytestmark = pytest.mark.builtin_vocabulary`."""
    directory = tmp_path_factory.mktemp("vocabulary")
    if request.node.get_closest_marker("builtin_vocabulary") is not None:
        return builtin_db(directory)
    return make_vocabulary(directory / "vocabulary.sqlite")
