"""`token-limit`: a caption line longer than the trainer keeps; the rest is silently dropped.

sd-scripts without `--max_token_length` keeps the first 75 CLIP tokens of a caption (150 or 225 with it);
Flux's T5 keeps 512. The finding covers what would be dropped and names the first dropped tag.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..config import Config
from ..findings import Finding
from ..tokens.budget import CHUNK, MODELS, Model, line_tokens, t5_estimate
from .base import Document, OptionError, Rule

# Dropped words a message quotes when the cut falls inside a tag or a sentence.
QUOTED_WORDS = 6


@dataclass(frozen=True)
class Options:
    # CLIP tokens the trainer keeps (sd-scripts' `--max_token_length`: 75, 150 or 225).
    max_tokens: int = CHUNK
    # sd15 or sdxl (CLIP, `max_tokens`), or flux (T5's 512 tokens, estimated).
    model: str = "sd15"

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise OptionError(f"model must be one of {', '.join(MODELS)}")
        if self.max_tokens < 1:
            raise OptionError("max_tokens must be at least 1")


@lru_cache(maxsize=16)
def budget(options: Options) -> Model:
    """The model with the limit the options set: `max_tokens` for the CLIP models, T5's for flux.
    Remembered: the rule asks for every caption of a dataset."""
    model = MODELS[options.model]
    return Model(model.name, model.encoder, options.max_tokens, model.exact) if model.exact else model


def configured_budget(config: Config, model: str | None = None) -> Model:
    """The budget a dataset's `token-limit` options set, `model` (when given) over theirs.

    Raises `OptionError` for an unknown model (the configuration's own options were checked on load)."""
    given = config.setting(RULE.name).options
    return budget(RULE.configured(given if model is None else {**given, "model": model}))


def check(rule: Rule[Options], doc: Document, options: Options) -> Iterator[Finding]:
    model = budget(options)
    caption = doc.caption
    for line in caption.lines:
        counted = line_tokens(caption, line, doc.ctx.config)
        total = counted.tokens if model.exact else t5_estimate(counted.tokens)
        if total <= model.limit:
            continue
        # The estimate scales CLIP's count, so CLIP's words show where T5 would stop.
        cut = counted.cut(model.limit * counted.tokens // total)
        if cut is None:
            continue
        cut += line.start
        dropped = next((tag for tag in line.tags if tag.end > cut), None)
        if dropped is None:
            continue
        start = max(cut, dropped.name_start)
        what = f'"{dropped.name}"'
        if line.kind == "prose":
            what = _quoted(doc.text[start : line.end])
        elif start > dropped.name_start:
            what = f"{_quoted(doc.text[start : dropped.name_end])} (in {what})"
        tokens = f"{total} {model.encoder} tokens" + ("" if model.exact else " (estimate)")
        yield rule.finding(
            start,
            line.end,
            f"{tokens}, over the {model.limit} the trainer keeps: it drops everything from {what} on",
        )


def _quoted(text: str) -> str:
    """The first dropped words, quoted (a cut inside a tag or a sentence)."""
    words = text.split()
    return '"' + " ".join(words[:QUOTED_WORDS]) + (' ..."' if len(words) > QUOTED_WORDS else '"')


DOC = """\
## What it checks

Each caption line's token count against what the trainer keeps: `max_tokens` CLIP tokens (default 75,
what sd-scripts keeps without `--max_token_length`; set 150 or 225 to match it) for `model = "sd15"` or
`"sdxl"`, or T5's 512 tokens for `model = "flux"` (an estimate: T5's own tokenizer is not shipped). CLIP
tokens are counted exactly as OpenAI's reference tokenizer counts them, start and end tokens left out;
attention syntax counts as A1111 counts it (`(tag:1.2)` costs what `tag` costs). Prose lines are checked
too. The finding covers what would be dropped.

## Why

The trainer cuts the caption at its limit without a word: whatever comes after is never learned, and the
model learns those details as part of the trigger or the style instead.

## Example

Bad: `{bad}`

Good: `ohwxStyle, anime, drawing, 1girl, full body, from side, sitting, smile, short brown hair, brown couch`

That is the guide's full example: 127 tokens, and sd-scripts keeps the first 75, up to `wooden floor`.
There is no fix: shorten the caption (drop what the image makes obvious), or raise the trainer's limit.
"""
# The captioning guide's FULL EXAMPLE.
GUIDE_EXAMPLE = (
    "ohwxStyle, anime, drawing, of a young woman, full body shot, from side, sitting, looking at viewer,"
    " smiling, head tilt, holding a phone, eyes closed, short brown hair, pale pink dress with dark edges,"
    " stuffed animal in lap, brown slippers, sunlight through windows as lighting source, brown couch,"
    " red patterned fabric on couch, wooden floor, white water-stained paint on walls, refrigerator in"
    " background, coffee machine sitting on a countertop, table in front of couch, bananas and coffee pot"
    " on table, white board on wall, clock on wall, stuffed animal chicken on floor, dreary environment"
)
DOC = DOC.replace("{bad}", GUIDE_EXAMPLE)

RULE = Rule(
    name="token-limit",
    severity="warning",
    summary="a caption line has more tokens than the trainer keeps (`max_tokens`, default 75 CLIP tokens)",
    fix="no (shorten it)",
    doc=DOC,
    check=check,
    options=Options(),
)
