"""What every benchmark that times whole processes does first: make them load modules as an install does."""

from __future__ import annotations

import os


def load_modules_from_bytecode() -> None:
    """Let the processes started from now on write and read bytecode, as installed (a wheel install
    compiles it; a checkout writes it on the first run). An environment that says not to write it
    (`PYTHONDONTWRITEBYTECODE`, set here) would make every timed run compile the modules that have none."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
