"""CLIP's tokenizer, counting tokens exactly as OpenAI's reference `simple_tokenizer.py` does.

Stable Diffusion 1.x, both SDXL text encoders and Flux's CLIP-L share this byte-level BPE. The text is
cleaned as the reference cleans it (ftfy's fix, HTML unescaped twice, blanks collapsed, lower case), cut
into words by the reference's pattern, and each word is merged by the ranks of the shipped vocabulary
(`bpe_simple_vocab_16e6.txt.gz`, MIT, © OpenAI: see LICENSE-CLIP.txt beside it). The vocabulary loads on
first use, so importing this module costs nothing a language server would notice. Start and end tokens
are never counted.
"""

from __future__ import annotations

import bisect
import gzip
import heapq
import html
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, islice
from operator import itemgetter
from pathlib import Path
from typing import cast

import regex

VOCABULARY = Path(__file__).with_name("bpe_simple_vocab_16e6.txt.gz")
# The reference's vocabulary is 49,152 entries: 256 bytes, their 256 word-final forms, the merges and
# the two special tokens; so it reads that many merges after the file's header line.
MERGE_COUNT = 49152 - 256 - 2
END_OF_WORD = "</w>"
COMMA = "," + END_OF_WORD
SPECIAL_TOKENS = ("<|startoftext|>", "<|endoftext|>")
# The reference's word pattern (its `self.pat`), on the `regex` package for \p{L} and \p{N}.
WORDS = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
_BLANKS = regex.compile(r"\s+")
# Text that cleaning changes only in blanks and case: printable ASCII and tab, CR, LF, without `&` (an
# HTML entity). ftfy leaves such text as it is (its fixes need non-ASCII characters or controls), so it
# is counted without running ftfy, which costs more than the rest of the count.
_PLAIN = re.compile(r"[\t\n\r !-%'-~]*")
# The word pattern on plain text once lower-cased, where \p{L} is a-z and \p{N} is 0-9: the standard
# library's engine runs it faster than `regex` does.
_PLAIN_WORDS = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+"
)
# A comma next to other punctuation: the word pattern reads them as one word (`>:),`); a comma between
# letters, digits or blanks is a word of its own, so plain text is counted the same whole or cut there.
# (Written to start with the comma, which the engine then looks for alone: four times faster.)
_COMMA_IN_PUNCTUATION = re.compile(r",(?:(?=[^\sA-Za-z0-9])|(?<=[^\sA-Za-z0-9],))")
# Outside plain text, where cleaning may change lengths: the raw pieces each cleaned on its own (an
# HTML entity is one; letters keep their combining marks).
_RAW_WORDS = regex.compile(r"&#?\w+;|[\p{L}\p{M}]+|\p{N}\p{M}*|[^\s\p{L}\p{N}]+", regex.IGNORECASE)
# Words merged so far; a long-running server starts the memo over past this many.
BPE_MEMO_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class Piece:
    """A word of the text as CLIP cuts it: its offsets in the text, its token count, and whether its last
    token is the comma (where A1111 prefers to end a 75-token chunk)."""

    start: int
    end: int
    tokens: int
    comma: bool


def _byte_table() -> dict[int, str]:
    """The reference's `bytes_to_unicode`: each byte as a printable character, keyed by the byte."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {byte: chr(byte) for byte in printable}
    for extra, byte in enumerate(byte for byte in range(256) if byte not in table):
        table[byte] = chr(256 + extra)
    return table


# Applied to a word's UTF-8 bytes read as Latin-1 (one character per byte).
_BYTE_CHARACTERS = str.maketrans(_byte_table())


def _byte_encoded(word: str) -> str:
    return word.encode("utf-8").decode("latin-1").translate(_BYTE_CHARACTERS)


# What a word costs: its token count, and whether its last token is the comma.
Cost = tuple[int, bool]


class _Merger:
    """Byte-pair merging of one (byte-encoded) word at a time, its cost remembered per word as the
    reference remembers its merges."""

    def __init__(self, ranks: dict[tuple[str, str], int]) -> None:
        self.ranks = ranks
        self.memo: dict[str, Cost] = {}

    def cost(self, word: str) -> Cost:
        known = self.memo.get(word)
        if known is not None:
            return known
        symbols = (word,) if word in SPECIAL_TOKENS else self._merge([*word[:-1], word[-1] + END_OF_WORD])
        if len(self.memo) >= BPE_MEMO_SIZE:
            self.memo.clear()
        known = self.memo[word] = (len(symbols), symbols[-1] == COMMA)
        return known

    def _merge(self, symbols: list[str]) -> tuple[str, ...]:
        """The reference's merging, in O(n log n) rather than its O(n²) (a caption may hold one word of
        thousands of characters): it merges the lowest-ranked neighbour pair wherever it occurs, left to
        right, then looks for the lowest-ranked pair again. Here the pairs wait in a heap by rank, the
        symbols are a linked list over their first position, and all of a rank's occurrences are merged
        left to right before any pair a merge made (which may rank lower) is looked at."""
        ranks = self.ranks
        count = len(symbols)
        following = [*range(1, count), -1]
        preceding = list(range(-1, count - 1))
        alive = [True] * count
        waiting: list[tuple[int, int]] = []

        def wait(left: int) -> None:
            right = following[left] if left >= 0 else -1
            if right >= 0 and (rank := ranks.get((symbols[left], symbols[right]))) is not None:
                heapq.heappush(waiting, (rank, left))

        for left in range(count - 1):
            wait(left)

        while waiting:
            rank, first = heapq.heappop(waiting)
            positions = [first]
            while waiting and waiting[0][0] == rank:
                positions.append(heapq.heappop(waiting)[1])
            for left in sorted(positions):
                right = following[left] if alive[left] else -1
                if right < 0 or ranks.get((symbols[left], symbols[right])) != rank:
                    continue
                symbols[left] += symbols[right]
                alive[right] = False
                following[left] = following[right]
                if following[right] >= 0:
                    preceding[following[right]] = left
                wait(preceding[left])
                wait(left)
        return tuple(symbol for symbol, kept in zip(symbols, alive, strict=True) if kept)


@cache
def _merger() -> _Merger:
    """The merge ranks of the shipped vocabulary, read on first use (about 0.1 s)."""
    # The file goes on past the merges the reference reads: they are split off, the rest left whole.
    text = gzip.decompress(VOCABULARY.read_bytes()).decode("utf-8")
    lines = text.split("\n", MERGE_COUNT + 1)[1 : MERGE_COUNT + 1]
    pairs = cast(list[tuple[str, str]], list(map(tuple, map(str.split, lines))))
    return _Merger(dict(zip(pairs, range(MERGE_COUNT), strict=True)))


def clean(text: str) -> str:
    """The reference's cleaning: ftfy's fix, HTML unescaped twice, blanks collapsed, lower case."""
    # Imported on first use: importing ftfy takes about 40 ms of a start-up, and plain captions never
    # need it.
    import ftfy

    fixed = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    collapsed: str = _BLANKS.sub(" ", fixed)
    return collapsed.strip().lower()


def _is_plain(text: str) -> bool:
    return _PLAIN.fullmatch(text) is not None


def word_costs(text: str) -> list[Cost]:
    """What each word of `text` costs, in order: all that counting and chunking need (no offsets)."""
    merger = _merger()
    memo = merger.memo
    if _is_plain(text):
        # Printable ASCII is its own byte encoding.
        words = _PLAIN_WORDS.findall(text.lower())
    else:
        words = [_byte_encoded(word) for word in WORDS.findall(clean(text))]
    costs = list(map(memo.get, words))
    if None in costs:
        return [cost or merger.cost(word) for cost, word in zip(costs, words, strict=True)]
    # Every word merged before: the common case, kept to C-level loops.
    return cast(list[Cost], costs)


@lru_cache(maxsize=100_000)
def count_tokens(text: str) -> int:
    """CLIP tokens in `text`, as the reference tokenizer counts them (start and end tokens left out)."""
    return sum(tokens for tokens, _ in word_costs(text))


def count_line_tokens(text: str) -> int:
    """`count_tokens(text)` for a caption line, without remembering the line (a dataset's lines are all
    different): plain text whose commas each stand alone is added up piece by piece between its commas,
    each piece's count remembered (a dataset writes the same pieces over and over); other text is counted
    whole."""
    if not (_is_plain(text) and _cut_at_commas(text)):
        return count_tokens.__wrapped__(text)
    pieces = text.split(",")
    return sum(map(count_tokens, pieces)) + (len(pieces) - 1) * count_tokens(",")


def _cut_at_commas(text: str) -> bool:
    """Whether plain `text` is counted the same cut at its commas: it has some, and each stands alone."""
    return "," in text and _COMMA_IN_PUNCTUATION.search(text) is None


@lru_cache(maxsize=20_000)
def pieces(text: str) -> tuple[Piece, ...]:
    """The words of `text` with their offsets and token counts, adding up to `count_tokens(text)`.

    Plain text is cut exactly where the reference cuts it. Other text is cleaned one raw piece at a time,
    so that each count stays at its place although cleaning may change lengths; where cleaning the pieces
    apart counts differently from cleaning the whole (ftfy repairing mojibake across pieces), the last
    pieces take the difference, so the total is always exact.
    """
    merger = _merger()
    found: list[Piece] = []
    if _is_plain(text):
        for match in _PLAIN_WORDS.finditer(text.lower()):
            tokens, comma = merger.cost(match.group())
            found.append(Piece(match.start(), match.end(), tokens, comma))
        return tuple(found)
    for raw in _RAW_WORDS.finditer(text):
        costs = [merger.cost(_byte_encoded(word)) for word in WORDS.findall(clean(raw.group()))]
        if costs:
            found.append(Piece(raw.start(), raw.end(), sum(tokens for tokens, _ in costs), costs[-1][1]))
    return _with_total(found, count_tokens(text), len(text))


def first_over(text: str, budget: int) -> int | None:
    """The offset of the first of `pieces(text)` that takes the count past `budget` tokens; None when all
    of `text` fits. Plain text's pieces are its words, so there it is found from the remembered word
    costs and only that word's offset is looked for: no piece is built (a trainer's cut, for a line of a
    large dataset, would otherwise build every word of it)."""
    if not _is_plain(text):
        seen = 0
        for piece in pieces(text):
            seen += piece.tokens
            if seen > budget:
                return piece.start
        return None
    if _cut_at_commas(text):
        return _first_over_by_commas(text, budget)
    totals = list(accumulate(map(itemgetter(0), word_costs(text))))
    number = bisect.bisect_right(totals, budget)
    if number == len(totals):
        return None
    return next(islice(_PLAIN_WORDS.finditer(text.lower()), number, None)).start()


def _first_over_by_commas(text: str, budget: int) -> int | None:
    """`first_over` for plain text whose commas each stand alone (`_cut_at_commas`): the piece
    between commas that the count runs out in, from each piece's remembered count, and the word there."""
    comma = count_tokens(",")
    seen = position = 0
    for piece in text.split(","):
        tokens = count_tokens(piece)
        if seen + tokens > budget:
            # Its words are the line's words there, so the first one past the rest of the budget is too.
            return position + cast(int, first_over(piece, budget - seen))
        seen += tokens + comma
        position += len(piece) + 1
        if seen > budget and position <= len(text):
            return position - 1  # the comma after this piece
    return None


def _with_total(found: list[Piece], total: int, length: int) -> tuple[Piece, ...]:
    """`found` with the last pieces taking the difference to the exact `total`; text the raw pieces
    missed entirely (ftfy turning a control character into a letter) is one piece over all of it."""
    difference = total - sum(piece.tokens for piece in found)
    if difference > 0 and not found:
        return (Piece(0, length, difference, False),)
    if difference > 0:
        last = found[-1]
        found[-1] = Piece(last.start, last.end, last.tokens + difference, last.comma)
    i = len(found) - 1
    while difference < 0 and i >= 0:
        piece = found[i]
        taken = min(piece.tokens, -difference)
        found[i] = Piece(piece.start, piece.end, piece.tokens - taken, piece.comma)
        difference += taken
        i -= 1
    return tuple(piece for piece in found if piece.tokens)
