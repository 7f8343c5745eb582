"""What a trainer's text encoder makes of a caption line: its CLIP tokens, A1111's 75-token chunks, each
tag's cost, and where a trainer that keeps only the first N tokens cuts the line.

`line_tokens` is the one place a caption line becomes what the trainer tokenizes (sd-scripts'
`process_caption`, through `trainer.trained_text`); everything here (the `tokens` command, `stats`, the
`token-limit` rule, the editor's counts) goes through it.
"""

from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate

from ..config import Config
from ..lines import line_starts, position
from ..parse import Caption, CaptionLine
from ..trainer import trained_text
from .clip import Cost, Piece, count_line_tokens, first_over, pieces, word_costs
from .prompt import runs

# Tokens in one CLIP chunk (77 with the start and end tokens).
CHUNK = 75
# A1111's `comma_padding_backtrack` default: a chunk that fills up within this many tokens after a comma
# ends at that comma, and the rest moves to the next chunk.
COMMA_BACKTRACK = 20


@dataclass(frozen=True)
class Model:
    """A model family's text encoder budget: how many tokens its trainer keeps, and whether we count them
    exactly (CLIP) or estimate them (T5, whose SentencePiece model is not shipped)."""

    name: str
    encoder: str
    limit: int
    exact: bool


MODELS = {
    "sd15": Model("sd15", "CLIP", CHUNK, exact=True),
    # Both SDXL text encoders use CLIP's BPE and its 75 tokens.
    "sdxl": Model("sdxl", "CLIP", CHUNK, exact=True),
    # Flux's CLIP-L gives only a pooled vector; its T5 reads up to 512 tokens (sd-scripts' default).
    "flux": Model("flux", "T5", 512, exact=False),
}


class LineTokens:
    """One line's CLIP tokens: its count at once; A1111's chunk count and where each word is (for a tag's
    cost, a trainer's cut and the chunk marks) when first asked. Offsets are into the measured text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs = runs(text)
        self.tokens: int = sum(count_line_tokens(run.text) for run in self.runs if not run.is_break)

    @cached_property
    def chunks(self) -> int:
        """How many 75-token chunks A1111 encodes the line in (BREAK and its comma backtrack included)."""
        if self.tokens > CHUNK or len(self.runs) > 1:
            return _chunks(self._events())[0]
        return 1

    def _events(self) -> list[Cost | None]:
        """Each run's word costs, in order; None for a BREAK. Worked out again when asked (from memos),
        rather than kept for every line a dataset has."""
        events: list[Cost | None] = []
        for run in self.runs:
            if run.is_break:
                events.append(None)
            else:
                events.extend(word_costs(run.text))
        return events

    @cached_property
    def pieces(self) -> tuple[Piece, ...]:
        """The line's words at their offsets, with their token counts (attention syntax and BREAK cost
        nothing)."""
        found: list[Piece] = []
        for run in self.runs:
            if run.is_break:
                continue
            if run.text == self.text:
                found.extend(pieces(self.text))
                continue
            for piece in pieces(run.text):
                start, end = run.line_offset(piece.start), run.line_offset(piece.end - 1) + 1
                found.append(Piece(start, end, piece.tokens, piece.comma))
        return tuple(found)

    @cached_property
    def chunk_ends(self) -> tuple[tuple[int, int], ...]:
        """Where A1111 ends a full chunk, as (offset, tokens before it); chunks BREAK ends are not listed."""
        if self.chunks == 1:
            return ()
        return _placed(self.pieces, _chunks(self._events())[1])

    def cost(self, start: int, end: int) -> int:
        """Tokens of the words that start within [start, end)."""
        return sum(piece.tokens for piece in self.pieces if start <= piece.start < end)

    def cut(self, limit: int) -> int | None:
        """The offset of the first word a trainer keeping `limit` tokens loses (wholly or in part), or
        None when the line fits."""
        if self.tokens <= limit:
            return None
        left = limit
        for run in self.runs:
            if run.is_break:
                continue
            start = first_over(run.text, left)
            if start is not None:
                return start if run.text == self.text else run.line_offset(start)
            left -= count_line_tokens(run.text)
        return None


@dataclass(frozen=True)
class TrainedLine:
    """A caption line whose trained text differs from what it says (a `caption_prefix`, wildcards at their
    longest choice, `;;;` or `|||` rewritten): the count and chunks are the trained text's, while costs and
    the cut are placed on the line's own words, the only ones an editor can point at."""

    own: LineTokens
    trained: LineTokens

    @property
    def tokens(self) -> int:
        return self.trained.tokens

    @property
    def chunks(self) -> int:
        return self.trained.chunks

    @property
    def chunk_ends(self) -> tuple[tuple[int, int], ...]:
        # Where a chunk ends in the trained text has no one place in the line's own words.
        return ()

    def cost(self, start: int, end: int) -> int:
        return self.own.cost(start, end)

    def cut(self, limit: int) -> int | None:
        """The first of the line's own words past the limit, with what the trainer adds or takes away
        counted before them: exact for a prefix (the usual case: a trigger), close for the rest. None
        exactly when the trained text fits."""
        return self.own.cut(limit - (self.trained.tokens - self.own.tokens))


def line_tokens(caption: Caption, line: CaptionLine, config: Config) -> LineTokens | TrainedLine:
    """The CLIP tokens of a caption line as the trainer reads it; offsets are relative to the line's start."""
    own = caption.text[line.start : line.end]
    trained = trained_text(own, config)
    if trained == own:
        return measure(own)
    return TrainedLine(measure(own), measure(trained))


def numbered_lines(caption: Caption, config: Config) -> list[tuple[int, LineTokens | TrainedLine]]:
    """Each caption line's tokens with its 1-based line number in the file."""
    starts = line_starts(caption.text)
    return [(position(starts, line.start)[0], line_tokens(caption, line, config)) for line in caption.lines]


@dataclass(frozen=True)
class TokenSpread:
    """How a dataset's caption lines spread in tokens, against a model's limit."""

    lines: int
    min: int
    median: float
    max: int
    over_limit: int
    limit: int
    estimate: bool


def token_spread(captions: list[Caption], model: Model, config: Config) -> TokenSpread:
    """The token spread of every line of `captions` (T5 estimates for a T5 model)."""
    counts = sorted(
        tokens if model.exact else t5_estimate(tokens)
        for caption in captions
        for tokens in (line_tokens(caption, line, config).tokens for line in caption.lines)
    )
    return TokenSpread(
        lines=len(counts),
        min=counts[0] if counts else 0,
        median=statistics.median(counts) if counts else 0,
        max=counts[-1] if counts else 0,
        over_limit=sum(count > model.limit for count in counts),
        limit=model.limit,
        estimate=not model.exact,
    )


def tag_cost(caption: Caption, line: CaptionLine, start: int, end: int) -> int:
    """The CLIP tokens of the caption text [start, end) (document offsets) within `line`."""
    return measure(caption.text[line.start : line.end]).cost(start - line.start, end - line.start)


def t5_estimate(tokens: int) -> int:
    """An estimate of T5 tokens from the CLIP count: no T5 SentencePiece model ships here, and both cut
    English tags into about as many pieces (each comma its own), so the CLIP count stands in for it."""
    return tokens


@lru_cache(maxsize=20_000)
def measure(text: str) -> LineTokens:
    """The CLIP tokens of `text` read as an A1111 prompt, remembered per text."""
    return LineTokens(text)


def _chunks(events: list[Cost | None]) -> tuple[int, list[int]]:
    """How many chunks A1111's `tokenize_line` makes, and where each full one ends (in tokens)."""
    ends: list[int] = []
    chunks = size = position = 0
    last_comma = -1
    for event in events:
        if event is None:
            chunks += 1
            size = 0
            last_comma = -1
            continue
        tokens, comma = event
        if size + tokens <= CHUNK:
            # The chunk does not fill up within this word: no token of it can end one.
            size += tokens
            position += tokens
            if comma:
                last_comma = size - 1
            continue
        for k in range(tokens):
            if comma and k == tokens - 1:
                last_comma = size
            elif size == CHUNK and last_comma != -1 and size - last_comma <= COMMA_BACKTRACK:
                moved = size - last_comma - 1
                ends.append(position - moved)
                chunks += 1
                size = moved
                last_comma = -1
            if size == CHUNK:
                ends.append(position)
                chunks += 1
                size = 0
                last_comma = -1
            size += 1
            position += 1
    if size or not chunks:
        chunks += 1
    return chunks, ends


def _placed(words: tuple[Piece, ...], ends: list[int]) -> tuple[tuple[int, int], ...]:
    """Each chunk end (in tokens) at its offset: after the last word it holds whole, else before the word
    it splits."""
    totals = list(accumulate(piece.tokens for piece in words))
    placed = []
    for end in ends:
        i = bisect.bisect_left(totals, end)
        piece = words[i]
        placed.append((piece.end if totals[i] == end else piece.start, end))
    return tuple(placed)
