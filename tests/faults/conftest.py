"""Fixtures of the fault-injection suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from captionkit import make_vocabulary


@pytest.fixture(scope="session")
def vocabulary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real vocabulary (captionkit's tags) for commands that check captions."""
    return make_vocabulary(tmp_path_factory.mktemp("vocab") / "vocabulary.sqlite")
