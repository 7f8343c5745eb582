"""A caption line read as A1111 reads a prompt (`parse_prompt_attention` in stable-diffusion-webui's
`prompt_parser.py`): attention syntax taken out, the text left in runs of equal weight, `BREAK` between.

`(long hair:1.2)` leaves `long hair`; `(x)`, `[x]` and `\\(` leave `x` and `(`. A1111 tokenizes each run
on its own, so each run here keeps the line offset of every character it holds.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

# A1111's `re_attention` and `re_break`.
_ATTENTION = re.compile(
    r"\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:",
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)
_SYNTAX = re.compile(r"[\\()\[\]]|BREAK")
BREAK = "BREAK"
# The weight A1111 gives its BREAK entries.
BREAK_WEIGHT = -1.0
ROUND = 1.1
SQUARE = 1 / 1.1
# A1111 weights text by multiplying every run after a bracket's opener when it closes: quadratic in deeply
# nested brackets. Past this many multiplications a line is read as if all its text had one weight, which
# changes its count only where two runs of different weights would have cut a word apart.
MAX_WEIGHTING = 200_000


@dataclass(frozen=True, slots=True)
class Run:
    """Text the tokenizer sees at one weight, or a `BREAK`; `parts` says where its pieces come from: each
    as (its offset in `text`, its offset in the line), in order."""

    text: str
    parts: tuple[tuple[int, int], ...]
    is_break: bool = False

    def line_offset(self, offset: int) -> int:
        """The line offset of the run's character at `offset`."""
        i = bisect.bisect_right([start for start, _ in self.parts], offset) - 1
        start, line_start = self.parts[i]
        return line_start + offset - start


@lru_cache(maxsize=20_000)
def runs(line: str) -> tuple[Run, ...]:
    """The runs of `line`, in order; a line without attention syntax or BREAK is one run."""
    if _SYNTAX.search(line) is None:
        return (Run(line, ((0, 0),)),)
    try:
        return _parsed(line, weigh=True)
    except _TooDeep:
        return _parsed(line, weigh=False)


class _TooDeep(Exception):
    """A line whose brackets would cost A1111's weighting more than `MAX_WEIGHTING` multiplications."""


def _parsed(line: str, *, weigh: bool) -> tuple[Run, ...]:
    """A1111's `parse_prompt_attention`, then its merge of neighbouring runs of one weight. Without
    `weigh`, every run weighs the same, so only BREAK separates runs."""
    # A1111's result list: each entry's text pieces as (text, offset in the line), and its weight. A BREAK
    # is the text `BREAK` at weight -1; brackets around it multiply that too, and then, as in A1111, it is
    # read as a word.
    parsed: list[list[tuple[str, int]]] = []
    weights: list[float] = []
    rounds: list[int] = []
    squares: list[int] = []
    work = 0

    def multiply(start: int, factor: float) -> None:
        nonlocal work
        if not weigh:
            return
        work += len(weights) - start
        if work > MAX_WEIGHTING:
            raise _TooDeep
        for i in range(start, len(weights)):
            weights[i] *= factor

    for match in _ATTENTION.finditer(line):
        text = match.group()
        weight = match.group(1)
        if text.startswith("\\"):
            parsed.append([(text[1:], match.start() + 1)])
            weights.append(1.0)
        elif text == "(":
            rounds.append(len(weights))
        elif text == "[":
            squares.append(len(weights))
        elif weight is not None and rounds:
            multiply(rounds.pop(), float(weight))
        elif text == ")" and rounds:
            multiply(rounds.pop(), ROUND)
        elif text == "]" and squares:
            multiply(squares.pop(), SQUARE)
        else:
            for part, offset, is_break in _split_breaks(text, match.start()):
                parsed.append([(part, offset)])
                weights.append(BREAK_WEIGHT if is_break else 1.0)
    for start in rounds:
        multiply(start, ROUND)
    for start in squares:
        multiply(start, SQUARE)
    return _merged(parsed, weights)


def _split_breaks(text: str, position: int) -> list[tuple[str, int, bool]]:
    """`re.split(re_break, text)` with A1111's BREAK entries between the parts: each as its text, its
    offset in the line (a BREAK's is its keyword's) and whether it is a BREAK."""
    if BREAK not in text:
        return [(text, position, False)]
    parts = []
    start = 0
    for found in _BREAK.finditer(text):
        parts.append((text[start : found.start()], position + start, False))
        parts.append((BREAK, position + found.start() + found.group().index(BREAK), True))
        start = found.end()
    parts.append((text[start:], position + start, False))
    return parts


def _merged(parsed: list[list[tuple[str, int]]], weights: list[float]) -> tuple[Run, ...]:
    """Neighbouring runs of one weight joined, as A1111 joins them before tokenizing; a run is a break
    when it is A1111's BREAK entry, still at its weight and alone."""
    result: list[Run] = []
    i = 0
    while i < len(parsed):
        weight = weights[i]
        texts: list[str] = []
        parts: list[tuple[int, int]] = []
        length = 0
        while i < len(parsed) and weights[i] == weight:
            for text, start in parsed[i]:
                if text:
                    texts.append(text)
                    parts.append((length, start))
                    length += len(text)
            i += 1
        joined = "".join(texts)
        result.append(Run(joined, tuple(parts), weight == BREAK_WEIGHT and joined == BREAK))
    return tuple(result) or (Run("", ()),)
