"""The `captionls.toml` that `captionls init` writes: what the captions show (the inferred trigger, the tag
style) and, from an sd-scripts dataset config, how the trainer reads them (see `sdscripts`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from captionls.vocab.normalize import TagStyle


def initial_config_text(
    trigger: str | None,
    tag_style: TagStyle,
    captions: int,
    trainer: Mapping[str, object] | None = None,
    source: str = "",
) -> str:
    """The file's text. `trainer` holds sd-scripts' caption options (`sdscripts.CAPTION_OPTIONS`) read
    from `source`, the config and subset they come from."""
    lines = ["# Written by `captionls init`; every key is explained in captionls' README."]
    if trigger is not None:
        lines.append(
            f"trigger = [{_string(trigger)}]  # inferred: the first tag of most of the {captions} captions"
        )
    else:
        lines.append(
            f'# trigger = ["..."]  # no unknown tag starts most of the {captions} captions: name yours'
        )
    lines.append(f"tag_style = {_string(tag_style)}  # the captions' majority")
    if trainer is not None:
        lines.append(f"\n# How sd-scripts reads these captions, from {source}:")
        lines.append(f"extensions = [{_string(str(trainer['caption_extension']))}]")
        for key in (
            "caption_separator",
            "keep_tokens",
            "keep_tokens_separator",
            "secondary_separator",
            "shuffle_caption",
            "enable_wildcard",
            "caption_prefix",
            "caption_suffix",
        ):
            value = trainer[key]
            if key == "keep_tokens" and value == 0:
                # captionls' keep_tokens says where triggers must be; sd-scripts' 0 keeps nothing in place.
                lines.append("# keep_tokens = 0 in sd-scripts: nothing stays in place when shuffling")
                continue
            lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _string(str(value))


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)
