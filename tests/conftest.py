"""Fixtures shared by every test module; the builders behind them are in the kit (`tests.kit`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.vocabularies import builtin_db, make_vocabulary

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


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
