"""Rule options are a frozen dataclass per rule, filled from `[rules]` tables and checked by type."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from captionls.server.caption.config import ConfigError, load_config
from captionls.server.caption.rules import inconsistent_tag, repeated_word
from captionls.server.caption.rules.base import NoOptions, OptionError
from captionls.server.caption.rules.registry import RULES


def test_configured_options_are_the_rules_dataclass() -> None:
    options = repeated_word.RULE.configured({"min": 4, "ignore": ["hair", "wall"]})
    assert options == repeated_word.Options(min=4, ignore=("hair", "wall"))
    assert repeated_word.RULE.configured({}) == repeated_word.Options()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.min = 5  # type: ignore[misc]
    assert inconsistent_tag.RULE.configured({"rare": 5}).rare == 5


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"min": "3"}, "min must be like 3"),
        ({"min": True}, "min must be like 3"),
        ({"ignore": "hair"}, "ignore must be a list of strings"),
        ({"ignore": ["hair", 1]}, "ignore must be a list of strings"),
        ({"max": 3}, "unknown option 'max' (known: severity, min, ignore)"),
    ],
)
def test_wrong_options_say_which_and_why(given: dict[str, object], reason: str) -> None:
    with pytest.raises(OptionError) as raised:
        repeated_word.RULE.configured(given)
    assert str(raised.value) == reason


def test_every_rule_declares_its_options_as_a_frozen_dataclass() -> None:
    for rule in RULES.values():
        assert dataclasses.is_dataclass(rule.options), rule.name
        assert type(rule.options).__dataclass_params__.frozen, rule.name
        assert rule.configured({}) == rule.options
    assert RULES["tag-count"].options == NoOptions()


def test_a_wrong_option_in_captionls_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "captionls.toml"
    path.write_text('trigger = "a"\n\n[rules]\nrepeated-word = { ignore = "hair" }\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value) == f"{path}:4: repeated-word: ignore must be a list of strings"
    path.write_text("[rules]\ntag-count = { min = 3 }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":2: tag-count: unknown option 'min' \(known: severity\)$"):
        load_config(tmp_path)
