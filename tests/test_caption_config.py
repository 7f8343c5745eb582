"""captionls.toml: found by walking up, every key read, every mistake one `file:line: reason`."""

from __future__ import annotations

from pathlib import Path

import pytest

from captionls.server.caption.config import DEFAULT_STRUCTURE, Config, ConfigError, load_config


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "captionls.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path.resolve())
    assert (config.min_tags, config.max_tags, config.caption_separator) == (8, 20, ",")
    assert config.structure == DEFAULT_STRUCTURE
    assert config.keep_count == 0


def test_found_by_walking_up_from_a_caption(tmp_path: Path) -> None:
    path = write(tmp_path, 'trigger = "ohwxStyle"\n')
    caption = tmp_path / "a" / "b" / "img.txt"
    caption.parent.mkdir(parents=True)
    caption.write_text("x")
    config = load_config(caption)
    assert config.path == path and config.root == tmp_path.resolve()
    assert config.trigger == ("ohwxStyle",)
    assert config.keep_count == 1


def test_every_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
trigger = ["ohwxStyle", "ohwxChar"]
keep_tokens = 3
caption_separator = ";"
tag_style = "underscores"
escape_parentheses = true
min_tags = 5
max_tags = 30
structure = ["globals", "type", "subject", "background"]
include = ["text-only/*.txt"]
exclude = ["drafts/*"]
vocab = "my-vocab.sqlite"
extensions = ["txt", ".CAPTION"]

[sections]
subject = ["hair ornament", "group:posture"]

[rules]
repeated-word = { min = 4, ignore = ["hair"] }
unknown-tag = "off"
tag-count = { severity = "warning" }
""",
    )
    config = load_config(tmp_path)
    assert config.trigger == ("ohwxStyle", "ohwxChar")
    assert config.keep_count == 3
    assert config.caption_separator == ";"
    assert config.tag_style == "underscores"
    assert config.escape_parentheses is True
    assert (config.min_tags, config.max_tags) == (5, 30)
    assert config.structure == ("globals", "type", "subject", "background")
    assert config.sections == {"subject": ("hair ornament", "group:posture")}
    assert config.include == ("text-only/*.txt",) and config.exclude == ("drafts/*",)
    assert config.vocab == (tmp_path / "my-vocab.sqlite").resolve()
    assert config.extensions == (".txt", ".caption")
    assert config.setting("repeated-word").options == {"min": 4, "ignore": ["hair"]}
    assert config.setting("unknown-tag").severity == "off"
    assert config.setting("tag-count").severity == "warning"
    assert config.setting("empty-tag").severity is None


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('trigger = "a"\nbogus = 1\n', 2, "unknown key 'bogus'"),
        ("min_tags = -1\n", 1, "min_tags must be an integer >= 0"),
        ('\n\ntag_style = "camel"\n', 3, 'tag_style must be "spaces" or "underscores"'),
        ("min_tags = 30\nmax_tags = 20\n", 1, "min_tags (30) is above max_tags (20)"),
        ("[rules]\n\nno-such-rule = 'warning'\n", 3, "unknown rule 'no-such-rule'"),
        ("[rules]\nempty-tag = 'loud'\n", 2, "severity must be one of error, warning, info, hint, off"),
        ("[rules]\nrepeated-word = { min = 'three' }\n", 2, "repeated-word: min must be like 3"),
        ("[rules]\nrepeated-word = { maximum = 3 }\n", 2, "unknown option 'maximum'"),
        ("[sections]\nfeelings = ['sad']\n", 2, "section 'feelings' is not in structure"),
        ('trigger = "a"\nstructure = [\n', 2, "Invalid"),
        ("escape_parentheses = 'yes'\n", 1, "escape_parentheses must be true or false"),
        ("caption_separator = '|||'\n", 1, "caption_separator '|||' is part of"),
        ("caption_separator = '('\n", 1, "caption_separator must be"),
        ("caption_separator = ''\n", 1, "caption_separator must be"),
        ("\nseparator = ';'\n", 2, "separator is now caption_separator"),
        ("keep_tokens_separator = '{'\n", 1, "keep_tokens_separator must be"),
        ("caption_separator = ';'\nsecondary_separator = ';;;'\n", 1, "caption_separator ';' is part of"),
        (
            "secondary_separator = ';;;'\nkeep_tokens_separator = ';;;'\n",
            2,
            "keep_tokens_separator ';;;' is part",
        ),
        ("enable_wildcard = 1\n", 1, "enable_wildcard must be true or false"),
        ('caption_prefix = "a\\nb"\n', 1, "caption_prefix must be a string of one line"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message
    assert "\n" not in message


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "captionls.toml").write_bytes(b"trigger = '\xff'\n")
    with pytest.raises(ConfigError, match=r":1: not UTF-8"):
        load_config(tmp_path)
