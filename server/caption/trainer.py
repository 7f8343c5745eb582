"""What sd-scripts trains on for one caption line, as its `BaseDataset.process_caption` builds it.

Read from kohya-ss/sd-scripts (`library/train_util.py`, `process_caption` and `read_caption`):

1. `caption_prefix` and `caption_suffix` are joined to the caption with a space (not the separator:
   write `"ohwx,"` to make the prefix a tag of its own).
2. With `enable_wildcard`, each `{a|b|c}` becomes one of its choices (`{{` and `}}` are literal braces),
   and a caption file of several lines gives one of them at random; without it only the first line is
   read and braces are literal text.
3. With `shuffle_caption`, the caption is split at `caption_separator` into tags (`keep_tokens` of them,
   or those before `keep_tokens_separator` and after a second one, stay in place; empty tags around
   `|||` are dropped) and joined again with `", "`. Without it, nothing is split: a `|||` stays in the
   trained text.
4. `secondary_separator` becomes `caption_separator` (after shuffling: its tags move as one).

`trained_text` follows these steps for counting: a wildcard gives its longest choice, and the order of
shuffled tags does not matter to a count.
"""

from __future__ import annotations

from functools import lru_cache

from .config import Config
from .parse import WILDCARD, CaptionLine, Syntax, TagSpan, tag_names

_ESCAPED_OPEN = "\0"
_ESCAPED_CLOSE = "\1"


def trained_text(line: str, config: Config) -> str:
    """The text sd-scripts trains on for the caption line `line` (without its line break), with each
    wildcard at its longest choice (by characters)."""
    caption = line.strip()
    if config.caption_prefix:
        caption = f"{config.caption_prefix} {caption}"
    if config.caption_suffix:
        caption = f"{caption} {config.caption_suffix}"
    if config.enable_wildcard:
        caption = caption.replace("{{", _ESCAPED_OPEN).replace("}}", _ESCAPED_CLOSE)
        caption = WILDCARD.sub(lambda match: max(match.group(1).split("|"), key=len), caption)
        caption = caption.replace(_ESCAPED_OPEN, "{").replace(_ESCAPED_CLOSE, "}")
    if config.shuffle_caption:
        caption = ", ".join(_tokens(caption, config))
    if config.secondary_separator:
        caption = caption.replace(config.secondary_separator, config.caption_separator)
    return caption


def _tokens(caption: str, config: Config) -> list[str]:
    """The caption's tags as sd-scripts splits them before shuffling (kept, shuffled, fixed suffix)."""
    separator, keep = config.caption_separator, config.keep_tokens_separator
    if keep and keep in caption:
        parts = caption.split(keep, 2)
        # A third `|||` stays inside the suffix, as in sd-scripts (split at most twice).
        return [token.strip() for part in parts for token in part.split(separator) if token.strip()]
    return [token.strip() for token in caption.strip().split(separator)]


def added_keys(config: Config) -> frozenset[str]:
    """The keys of the tags `caption_prefix` and `caption_suffix` add to every caption."""
    return _affix_keys(config.caption_prefix, config.caption_suffix, config.syntax)


@lru_cache(maxsize=16)
def _affix_keys(prefix: str, suffix: str, syntax: Syntax) -> frozenset[str]:
    # Remembered: `missing-trigger` asks for every caption of a dataset.
    return frozenset(key for affix in (prefix, suffix) for key, _ in tag_names(affix, syntax))


def caption_keep(config: Config, keep: int) -> int | None:
    """How many of a caption's own leading tags `keep` leading tags hold once `caption_prefix` is before
    them; None when the prefix holds the keep-tokens separator (it alone decides what stays in place).
    Without `keep_tokens` (captionls then asks for the triggers first in the caption itself), `keep`."""
    prefix = config.caption_prefix.strip()
    if not prefix or config.keep_tokens is None:
        return keep
    syntax = config.syntax
    if syntax.keep_separator and syntax.keep_separator in prefix:
        return None
    added = len(tag_names(prefix, syntax))
    # A prefix not ending in a separator runs into the caption's first tag: they are one tag.
    if not prefix.endswith(syntax.separator):
        added -= 1
    return max(0, keep - added)


def tag_notes(line: CaptionLine, tag: TagSpan, config: Config) -> list[str]:
    """What sd-scripts does with this tag when training, in sentences for hover (markdown): kept in place,
    one unit with others, one choice of a wildcard."""
    notes = []
    keep_mark = config.keep_tokens_separator
    kept = None if config.keep_tokens is None else caption_keep(config, config.keep_tokens)
    if line.keep_separator is not None and tag.keep:
        where = "before" if tag.start < line.keep_separator else "after the second"
        notes.append(f"Kept in place when shuffling: it is {where} `{keep_mark}`.")
    elif line.keep_separator is None and kept is not None and tag.unit < kept:
        prefix = ", and those of `caption_prefix`" if config.caption_prefix.strip() else ""
        notes.append(
            f"Kept in place when shuffling: tag {tag.unit + 1} of the first `keep_tokens ="
            f" {config.keep_tokens}` (sd-scripts counts comma-separated tags, not CLIP tokens{prefix})."
        )
    unit = [other.name for other in line.tags if other.unit == tag.unit and other.wildcard is None]
    if tag.wildcard is None and len(unit) > 1:
        notes.append(
            f"One unit with {len(unit) - 1} more (`{'`, `'.join(unit)}`): shuffled and dropped together."
        )
    if tag.wildcard is not None:
        state = "" if config.enable_wildcard else " (`enable_wildcard` is off: trained as written)"
        notes.append(f"Choice {tag.choice + 1} of a wildcard: sd-scripts picks one per epoch{state}.")
    return notes
