"""OpenAI's reference CLIP tokenizer (`clip/simple_tokenizer.py` of the `openai-clip` package), loaded by file
path: the package's `__init__` imports torch, which the tests never install. `scripts/test` installs
openai-clip with `--no-deps`; a dev venv without it skips the comparison tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest


@cache
def reference_count() -> Callable[[str], int]:
    """The reference's token count of a text (start and end tokens left out); skips when it is absent."""
    spec = importlib.util.find_spec("clip")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("openai-clip is not installed (scripts/test installs it with --no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / "simple_tokenizer.py"
    module_spec = importlib.util.spec_from_file_location("clip_reference_simple_tokenizer", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    tokenizer = module.SimpleTokenizer()

    def count(text: str) -> int:
        return len(tokenizer.encode(text))

    return count
