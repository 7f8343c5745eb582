"""`captionls init` and `init --from-sd-scripts` through the real click command, in temporary folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from captionls.server.caption.config import read_config
from tests.kit.cli import run
from tests.kit.datasets import write_dataset

CAPTIONS = {
    "a": "ohwx, 1girl, long_hair, smile",
    "b": "ohwx, 1girl, short_hair, open_mouth",
    "c": "ohwx, solo, blue_eyes",
}

SD_CONFIG = """\
[general]
shuffle_caption = true
caption_extension = ".txt"
keep_tokens = 1

[[datasets]]
resolution = 512
keep_tokens_separator = "|||"
secondary_separator = ";;;"
enable_wildcard = true

  [[datasets.subsets]]
  image_dir = "set/one"
  caption_prefix = "masterpiece,"

  [[datasets.subsets]]
  image_dir = "set/two"
  keep_tokens = 2
  caption_suffix = ", best quality"

  [[datasets.subsets]]
  metadata_file = "meta.json"

[[datasets]]
caption_separator = ";"

  [[datasets.subsets]]
  image_dir = "set/three"
  caption_extension = ".caption"
"""


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """The test runs in `tmp_path`: sd-scripts takes a relative image_dir from where it runs."""
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def test_init_writes_the_inferred_trigger_and_tag_style(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", CAPTIONS)
    result = run(vocabulary, "init", root)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {root}/captionls.toml: trigger ohwx, tag_style underscores, 3 captions\n"
    config = read_config(root / "captionls.toml")
    assert (config.trigger, config.tag_style) == (("ohwx",), "underscores")


def test_init_without_a_trigger_leaves_it_to_the_captioner(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", {"a": "1girl, smile", "b": "solo, smile", "c": "sky"})
    assert run(vocabulary, "init", root).exit_code == 0
    text = (root / "captionls.toml").read_text(encoding="utf-8")
    assert '# trigger = ["..."]' in text
    assert read_config(root / "captionls.toml").trigger == ()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(tmp_path / "set", CAPTIONS, "min_tags = 2\n")
    result = run(vocabulary, "init", root)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {root}/captionls.toml exists; --force overwrites it\n"
    assert (root / "captionls.toml").read_text(encoding="utf-8") == "min_tags = 2\n"
    assert run(vocabulary, "init", root, "--force").exit_code == 0
    assert read_config(root / "captionls.toml").trigger == ("ohwx",)


def test_from_sd_scripts_writes_each_subset_its_options(in_tmp: Path, vocabulary: Path) -> None:
    for name in ("one", "two"):
        write_dataset(in_tmp / "set" / name, CAPTIONS)
    write_dataset(in_tmp / "set" / "three", {"x.caption": "a; b; c"})
    (in_tmp / "sd.toml").write_text(SD_CONFIG, encoding="utf-8")
    result = run(vocabulary, "init", "--from-sd-scripts", "sd.toml")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "sd.toml:21: subset passed over: its captions are in metadata_file\n"
    assert result.stdout.splitlines() == [
        "wrote set/one/captionls.toml: trigger ohwx, tag_style underscores, 3 captions",
        "wrote set/two/captionls.toml: trigger ohwx, tag_style underscores, 3 captions",
        "wrote set/three/captionls.toml: no trigger inferred, tag_style spaces, 1 caption",
    ]
    one = read_config(in_tmp / "set/one/captionls.toml")
    assert (one.keep_tokens, one.keep_tokens_separator, one.secondary_separator) == (1, "|||", ";;;")
    assert (one.shuffle_caption, one.enable_wildcard, one.caption_prefix) == (True, True, "masterpiece,")
    assert (one.extensions, one.caption_separator, one.caption_suffix) == ((".txt",), ",", "")
    two = read_config(in_tmp / "set/two/captionls.toml")
    # The subset's own value wins over its dataset's and [general]'s.
    assert (two.keep_tokens, two.caption_prefix, two.caption_suffix) == (2, "", ", best quality")
    three = read_config(in_tmp / "set/three/captionls.toml")
    # [general] applies to the second dataset too; sd-scripts' defaults where nothing is set: no `|||`.
    assert (three.caption_separator, three.keep_tokens_separator, three.keep_tokens) == (";", "", 1)
    assert (three.extensions, three.enable_wildcard, three.shuffle_caption) == ((".caption",), False, True)


def test_from_sd_scripts_with_path_writes_that_subset_only(in_tmp: Path, vocabulary: Path) -> None:
    for name in ("one", "two", "three"):
        write_dataset(in_tmp / "set" / name, CAPTIONS)
    (in_tmp / "sd.toml").write_text(SD_CONFIG, encoding="utf-8")
    result = run(vocabulary, "init", "--from-sd-scripts", "sd.toml", "set/two")
    assert result.exit_code == 0, result.stderr
    assert [path.parent.name for path in sorted(in_tmp.glob("set/*/captionls.toml"))] == ["two"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[general]\nshuffle_caption = true\n[[datasets]\n", "sd.toml:3: "),
        (
            '[[datasets]]\n[[datasets.subsets]]\nimage_dir = "set"\nkeep_tokens = "2"\n',
            "sd.toml:4: keep_tokens must be an integer",
        ),
        (
            '[general]\nenable_wildcard = "yes"\n[[datasets]]\n[[datasets.subsets]]\nimage_dir = "set"\n',
            "sd.toml:2: enable_wildcard must be true or false",
        ),
        (
            '[[datasets]]\n[[datasets.subsets]]\nimage_dir = "missing"\n',
            "sd.toml:3: image_dir 'missing' is not",
        ),
        ("[general]\n", "sd.toml: no subset with an image_dir"),
    ],
)
def test_from_sd_scripts_errors_are_one_line_naming_the_line(
    in_tmp: Path, vocabulary: Path, config: str, message: str
) -> None:
    write_dataset(in_tmp / "set", CAPTIONS)
    (in_tmp / "sd.toml").write_text(config, encoding="utf-8")
    result = run(vocabulary, "init", "--from-sd-scripts", "sd.toml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not (in_tmp / "set" / "captionls.toml").exists()


def test_from_sd_scripts_refuses_all_before_writing_any(in_tmp: Path, vocabulary: Path) -> None:
    for name in ("one", "two", "three"):
        write_dataset(in_tmp / "set" / name, CAPTIONS)
    (in_tmp / "set/two/captionls.toml").write_text("min_tags = 2\n", encoding="utf-8")
    (in_tmp / "sd.toml").write_text(SD_CONFIG, encoding="utf-8")
    result = run(vocabulary, "init", "--from-sd-scripts", "sd.toml")
    assert result.exit_code == 2 and "set/two/captionls.toml exists" in result.stderr
    assert not (in_tmp / "set/one/captionls.toml").exists()
