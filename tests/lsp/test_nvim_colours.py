"""A real Neovim loading editors/nvim: the caption sections' semantic token groups have colours."""

from __future__ import annotations

import json
import subprocess

import pytest

from captionls.server.lsp.features.tokens import LEGEND
from tests.kit.nvim import clean_args

SECTIONS = [name for name in LEGEND.token_types if name != "tag"]

pytestmark = pytest.mark.nvim


def links(*commands: str, init: str = "") -> dict[str, object]:
    """Each section group's link in a clean Neovim with editors/nvim loaded: `init` runs before the
    plugins as a user's init.lua does, `commands` after them."""
    names = ", ".join(f"'{name}'" for name in SECTIONS)
    report = (
        "lua io.stdout:write(vim.json.encode(vim.iter({" + names + "}):fold({}, function(acc, name)"
        " acc[name] = vim.api.nvim_get_hl(0, { name = '@lsp.type.' .. name }).link or vim.NIL"
        " return acc end)))"
    )
    args = clean_args()
    if init:
        args += ["--cmd", init]
    for command in (*commands, report, "qa!"):
        args += ["-c", command]
    completed = subprocess.run(args, capture_output=True, text=True, timeout=60)
    found: dict[str, object] = json.loads(completed.stdout)
    return found


def test_every_section_has_a_colour_and_each_its_own() -> None:
    found = links()
    assert all(isinstance(found[name], str) for name in SECTIONS), found
    assert len(set(found.values())) == len(SECTIONS), found


def test_the_links_survive_a_colour_scheme_change_and_yield_to_the_users() -> None:
    assert links("colorscheme default") == links()
    assert links(init="hi link @lsp.type.action Todo")["action"] == "Todo"
