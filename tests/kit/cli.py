"""The real `captionls` command line, in this process or as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from captionls.server.cli import main

SCRIPT = Path(sys.executable).with_name("captionls")
CLI = [sys.executable, "-c", "from captionls.server.cli import main; main()"]


def run(vocabulary: Path, *args: str | Path) -> Result:
    """A command that reads the vocabulary (check), in this process (stdout and stderr apart)."""
    return cli(*args, "--db", vocabulary)


def cli(*args: str | Path) -> Result:
    """Any command in this process."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def run_process(
    vocabulary: Path, *args: str | Path, prefix: tuple[str, ...] = (), timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`captionls ARGS` as its own process (killed after `timeout`), optionally behind a `prefix` command."""
    env = {**os.environ, "CAPTIONLS_DB": str(vocabulary)}
    command = [*prefix, str(SCRIPT), *(str(arg) for arg in args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`captionls ARGS` as a separate process."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False)
