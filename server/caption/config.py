"""`captionls.toml`: the dataset's captioning conventions, found by walking up from a caption file.

Every key is optional. A wrong key or value is a `ConfigError` whose message is one line naming the file
and the line, so the CLI can print it and the language server can show it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from captionls.vocab.normalize import TagStyle

from .findings import SEVERITY_SETTINGS
from .parse import KEEP_SEPARATOR, Syntax
from .settings_schema import TOML_KEYS

CONFIG_NAME = "captionls.toml"
DEFAULT_STRUCTURE = ("globals", "type", "action", "subject", "details", "background", "associations")
DEFAULT_EXTENSIONS = (".txt", ".caption")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".avif", ".jxl")
GROUP_PREFIX = "group:"


class ConfigError(Exception):
    """A `captionls.toml` that cannot be used; the message is `file:line: reason`."""


@dataclass(frozen=True)
class RuleSetting:
    """`[rules]` entry: a severity (None keeps the rule's default) and the options as written, already
    checked against the rule's options (`Rule.configured` turns them into the rule's dataclass)."""

    severity: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """All `captionls.toml` keys with their defaults; `path` is the file read (None: defaults only)."""

    root: Path
    path: Path | None = None
    trigger: tuple[str, ...] = ()
    keep_tokens: int | None = None
    # sd-scripts' shuffle_caption: tags after the kept ones are shuffled, so their order means nothing.
    shuffle_caption: bool = False
    # sd-scripts' caption syntax, under its names (see `parse` and `trainer`).
    caption_separator: str = ","
    keep_tokens_separator: str = KEEP_SEPARATOR
    secondary_separator: str = ""
    enable_wildcard: bool = False
    caption_prefix: str = ""
    caption_suffix: str = ""
    tag_style: TagStyle | None = None
    escape_parentheses: bool = False
    min_tags: int = 8
    max_tags: int = 20
    structure: tuple[str, ...] = DEFAULT_STRUCTURE
    # Section name -> tags (`long hair`) and groups (`group:posture`) that belong to it.
    sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rules: Mapping[str, RuleSetting] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    vocab: Path | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS

    @property
    def keep_count(self) -> int:
        """How many leading tags the triggers must fall within (kohya's keep_tokens)."""
        return self.keep_tokens if self.keep_tokens is not None else len(self.trigger)

    def setting(self, rule: str) -> RuleSetting:
        return self.rules.get(rule, RuleSetting())

    @cached_property
    def syntax(self) -> Syntax:
        """How the captions' lines split into tags (asked for every caption: made once)."""
        return Syntax(self.caption_separator, self.keep_tokens_separator, self.secondary_separator)


def find_config(start: Path) -> Path | None:
    """The nearest `captionls.toml` in `start` (a file's folder) or above it."""
    folder = (start if start.is_dir() else start.parent).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
    return None


def load_config(start: Path) -> Config:
    """The configuration governing `start` (a caption file or a folder); defaults when there is none."""
    path = find_config(start)
    if path is None:
        folder = start if start.is_dir() else start.parent
        return Config(root=folder.resolve())
    return read_config(path)


def read_config(path: Path) -> Config:
    return config_from_text(path, *read_toml(path))


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """A TOML file's tables and its text; ConfigError `file:line: reason` when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}:1: cannot read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}:1: not UTF-8") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"at line (\d+)", str(error))
        # "at end of document": the last line is where the unfinished value starts to show.
        line = int(found.group(1)) if found else max(1, len(text.splitlines()))
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error))
        raise ConfigError(f"{path}:{line}: {reason}") from None


def config_from_text(path: Path, data: dict[str, Any], text: str) -> Config:
    """The `Config` of the TOML `data` read from `text` (the file `path`, for messages and the root)."""
    return _Reader(path, text).config(data)


class _Reader:
    """Turns parsed TOML into a `Config`, naming the line of whatever is wrong."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, reason: str, table: str | None = None) -> ConfigError:
        return ConfigError(f"{self.path}:{self.line_of(key, table)}: {reason}")

    def line_of(self, key: str, table: str | None) -> int:
        """The line defining `key` (inside `[table]` when given); 1 when it cannot be found."""
        current: str | None = None
        pattern = re.compile(rf"^\s*(\"?){re.escape(key)}\1\s*=")
        for number, line in enumerate(self.lines, 1):
            header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
            if header is not None:
                current = header.group(1)
                if table is None and current == key:
                    return number
                if table is not None and current == f"{table}.{key}":
                    return number
                continue
            if current == table and pattern.match(line):
                return number
        return 1

    def config(self, data: dict[str, Any]) -> Config:
        # One reader per key of the settings schema (tests/test_settings_schema.py holds them together).
        readers = {
            "trigger": self.trigger,
            "keep_tokens": lambda v: self.integer("keep_tokens", v, 0),
            "caption_separator": lambda v: self.mark("caption_separator", v, required=True),
            "keep_tokens_separator": lambda v: self.mark("keep_tokens_separator", v),
            "secondary_separator": lambda v: self.mark("secondary_separator", v),
            "enable_wildcard": lambda v: self.boolean("enable_wildcard", v),
            "caption_prefix": lambda v: self.affix("caption_prefix", v),
            "caption_suffix": lambda v: self.affix("caption_suffix", v),
            "tag_style": self.tag_style,
            "escape_parentheses": lambda v: self.boolean("escape_parentheses", v),
            "shuffle_caption": lambda v: self.boolean("shuffle_caption", v),
            "min_tags": lambda v: self.integer("min_tags", v, 0),
            "max_tags": lambda v: self.integer("max_tags", v, 1),
            "structure": self.structure,
            "sections": self.sections,
            "rules": self.rules,
            "include": lambda v: self.strings("include", v),
            "exclude": lambda v: self.strings("exclude", v),
            "vocab": self.vocab,
            "extensions": self.extensions,
        }
        values: dict[str, Any] = {}
        for key, value in data.items():
            reader = readers.get(key)
            if key == "separator":
                raise self.fail(key, "separator is now caption_separator, sd-scripts' name for it")
            if reader is None:
                raise self.fail(key, f"unknown key {key!r} (known: {', '.join(TOML_KEYS)})")
            values[key] = reader(value)
        config = Config(root=self.path.parent.resolve(), path=self.path, **values)
        if config.min_tags > config.max_tags:
            raise self.fail("min_tags", f"min_tags ({config.min_tags}) is above max_tags ({config.max_tags})")
        marks = {
            "caption_separator": config.caption_separator,
            "keep_tokens_separator": config.keep_tokens_separator,
            "secondary_separator": config.secondary_separator,
        }
        for key, mark in marks.items():
            for other, other_mark in marks.items():
                if other != key and mark and other_mark and mark in other_mark and key in values:
                    raise self.fail(key, f"{key} {mark!r} is part of {other} {other_mark!r}")
        for name in config.sections:
            if name not in config.structure:
                raise self.fail(name, f"section {name!r} is not in structure", "sections")
        return config

    def strings(self, key: str, value: object, table: str | None = None) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, f"{key} must be a list of strings", table)
        return tuple(value)

    def integer(self, key: str, value: object, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"{key} must be an integer >= {minimum}")
        return value

    def boolean(self, key: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"{key} must be true or false")
        return value

    def trigger(self, value: object) -> tuple[str, ...]:
        triggers = self.strings("trigger", value)
        if any(not item.strip() for item in triggers):
            raise self.fail("trigger", "trigger tags must not be empty")
        return triggers

    def mark(self, key: str, value: object, required: bool = False) -> str:
        """A separator: non-blank (or "" for none, unless `required`), and none of what already means
        something in a caption: brackets, backslashes, braces, `|` (but `|||` itself), line breaks, BREAK."""
        text = value.strip() if isinstance(value, str) else None
        if text == "" and not required:
            return ""
        if (
            text is None
            or not text
            or text == "BREAK"
            or any(c in text for c in "()[]{}\\\n\r")
            or ("|" in text and text != KEEP_SEPARATOR)
        ):
            example = '"," or ";"' if required else f'"{KEEP_SEPARATOR}" or ";;;", or "" for none'
            raise self.fail(key, f"{key} must be a non-blank string such as {example}")
        return text

    def affix(self, key: str, value: object) -> str:
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            raise self.fail(key, f"{key} must be a string of one line")
        return value

    def tag_style(self, value: object) -> TagStyle:
        if value == "spaces":
            return "spaces"
        if value == "underscores":
            return "underscores"
        raise self.fail("tag_style", 'tag_style must be "spaces" or "underscores"')

    def structure(self, value: object) -> tuple[str, ...]:
        names = self.strings("structure", value)
        if len(set(names)) != len(names) or not names:
            raise self.fail("structure", "structure must list distinct section names")
        return names

    def sections(self, value: object) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            raise self.fail("sections", "[sections] must be a table of section = [tags and group:names]")
        return {name: self.strings(name, items, "sections") for name, items in value.items()}

    def rules(self, value: object) -> dict[str, RuleSetting]:
        # The registry imports rule modules that import this one: look it up only when needed.
        from .rules.base import OptionError
        from .rules.registry import RULES

        if not isinstance(value, dict):
            raise self.fail("rules", "[rules] must be a table of rule-name = severity or { ... }")
        settings = {}
        for name, setting in value.items():
            rule = RULES.get(name)
            if rule is None:
                raise self.fail(name, f"unknown rule {name!r} (see `captionls rules`)", "rules")
            severity: object = None
            options: dict[str, object] = {}
            if isinstance(setting, str):
                severity = setting
            elif isinstance(setting, dict):
                options = dict(setting)
                severity = options.pop("severity", None)
            else:
                raise self.fail(name, f"{name} must be a severity or a table", "rules")
            if severity is not None and severity not in SEVERITY_SETTINGS:
                raise self.fail(
                    name, f"{name}: severity must be one of {', '.join(SEVERITY_SETTINGS)}", "rules"
                )
            try:
                rule.configured(options)
            except OptionError as error:
                raise self.fail(name, f"{name}: {error}", "rules") from None
            settings[name] = RuleSetting(None if severity is None else str(severity), options)
        return settings

    def vocab(self, value: object) -> Path:
        if not isinstance(value, str) or not value:
            raise self.fail("vocab", "vocab must be the path of a vocabulary file")
        return (self.path.parent / Path(value).expanduser()).resolve()

    def extensions(self, value: object) -> tuple[str, ...]:
        names = self.strings("extensions", value)
        return tuple(name.lower() if name.startswith(".") else f".{name.lower()}" for name in names)
