"""Fixtures for the language server tests: a tmp vocabulary, a tmp dataset and a started session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.kit.datasets import make_dataset
from tests.kit.lsp import PULL_CLIENT, Session, start_session
from tests.kit.vocabularies import build_vocabulary


@pytest.fixture
def vocabulary_db(tmp_path: Path) -> Path:
    return build_vocabulary(tmp_path / "vocabulary.sqlite")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return make_dataset(tmp_path / "dataset")


CLIENTS = ["neovim", "visual-studio-code", PULL_CLIENT]


@pytest_asyncio.fixture(params=CLIENTS)
async def session(
    request: pytest.FixtureRequest, dataset: Path, vocabulary_db: Path
) -> AsyncIterator[Session]:
    started = await start_session(dataset, vocabulary_db, request.param)
    yield started
    await started.client.shutdown_session()
    await started.client.stop()


@pytest_asyncio.fixture
async def vscode(dataset: Path, vocabulary_db: Path) -> AsyncIterator[Session]:
    """One VS Code session, for behaviour that does not depend on the client's capabilities."""
    started = await start_session(dataset, vocabulary_db, "visual-studio-code")
    yield started
    await started.client.shutdown_session()
    await started.client.stop()
