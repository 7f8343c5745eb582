"""CLIP token counts (issue 11): equal to OpenAI's reference tokenizer on captions of every kind, A1111's
attention syntax, BREAK and 75-token chunks, each tag's cost, and where a trainer's limit cuts a line."""

from __future__ import annotations

import bisect
import json
import re
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captionls.server.caption.config import Config
from captionls.server.caption.parse import parse_caption
from captionls.server.caption.tokens.budget import line_tokens, measure, tag_cost
from captionls.server.caption.tokens.clip import count_line_tokens, count_tokens, first_over, pieces
from captionls.server.caption.tokens.prompt import runs
from tests.conftest import REPO
from tests.kit.cli import cli
from tests.kit.clip_reference import reference_count
from tests.kit.datasets import write_dataset

DATA = Path(__file__).resolve().parent / "data"
SEED = REPO.parent / "shared" / "seed"
GUIDE_EXAMPLE = (DATA / "realstyle" / "guide" / "01.txt").read_text(encoding="utf-8").strip()
# What the corpus files lack: the spellings the tokenizer's text clean-up exists for.
HAND_MADE = [
    "long_hair, short_hair, looking_at_viewer, 1girl, solo, hatsune_miku, fate_\\(series\\)",
    "(masterpiece:1.2), ((best quality)), [blurry], (red hair, blue eyes:1.1), score_9, score_8_up",
    "猫耳, 長い髪, 女の子, 一人, 笑顔, 원피스, кошка, ángel, naïve café, straße",
    "😀, 👍🏽, 👩‍👩‍👧, 🇯🇵 flag, ❤️ heart, ★ star, ♪ music",
    "“quoted tag”, ‘single’, it’s, don't, she'll, we've, I'm, they're, it'd",
    "Tom &amp; Jerry, &lt;3, &quot;hi&quot;, &amp;amp;, &#39;s, & alone, AT&T",
    "Ã©tÃ© (mojibake), Ã¼ber, â€œsmart quotesâ€\x9d",
    "  lots   of\tblanks\r\nand\u00a0odd\u3000spaces  ",
    "<|startoftext|> special <|endoftext|>, ohwxStyle ||| 1girl BREAK smile",
    "ＦＵＬＬ ＷＩＤＴＨ, ﬁ ligature, e\u0301 combining, İstanbul, ǅ",
    "1234567890, 3.14, 2girls, 10s, 1990s \\(style\\), 4k, 8k uhd, v1.5",
    "a" * 300 + ", " + "supercalifragilisticexpialidocious " * 5,
]


def corpus() -> list[str]:
    """Every caption line of the test data (real-style WD14, BLIP, VLM, template and guide captions) and the
    guide's seed text when ../shared is there, each in three spellings, and the hand-made ones above."""
    files = [*sorted((DATA / "realstyle").glob("*/*.txt")), *sorted((DATA / "kinds").glob("*.txt"))]
    if SEED.is_dir():
        files += sorted(SEED.glob("*.txt"))
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Each also as a booru export writes it (underscores) and as a prompt writes it (the first tag weighted).
    underscored = [line.replace(" ", "_").replace(",_", ", ") for line in lines]
    weighted = [f"({head}:1.2),{rest}" for head, _, rest in (line.partition(",") for line in lines)]
    return [*lines, *underscored, *weighted, *HAND_MADE]


def test_counts_equal_the_reference_tokenizer_on_every_kind_of_caption() -> None:
    reference = reference_count()
    texts = corpus()
    assert len(texts) >= 200
    assert [(text, count_tokens(text)) for text in texts] == [(text, reference(text)) for text in texts]
    # The per-word costs add up to the same count, and each word is where the text has it.
    for text in texts:
        found = pieces(text)
        assert sum(piece.tokens for piece in found) == count_tokens(text)
        assert all(0 <= piece.start < piece.end <= len(text) for piece in found)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("abcxyz ABC,.()[]:_-'&;#\\|\t\n0123456789")),
            st.characters(codec="utf-8"),
        ),
        max_size=60,
    )
)
def test_any_text_counts_as_the_reference_counts_it(text: str) -> None:
    assert count_tokens(text) == reference_count()(text)
    assert sum(piece.tokens for piece in pieces(text)) == count_tokens(text)


# Commas beside other punctuation, which CLIP reads as one word with it, and beside blanks and words.
COMMA_SPELLINGS = ["a,b", "a, b ,c", ">:), smile", "smile ,:)", "a,,b", ",a,", "girls', smile", "it's,'s"]


def _first_word_over(text: str, limit: int) -> int | None:
    """The start of the first word whose running total passes `limit`, from the words of `pieces`."""
    words = pieces(text)
    passed = bisect.bisect_right(list(accumulate(word.tokens for word in words)), limit)
    return words[passed].start if passed < len(words) else None


def test_a_line_counted_and_cut_between_its_commas_is_counted_and_cut_as_a_whole() -> None:
    for text in [*corpus(), *COMMA_SPELLINGS]:
        assert count_line_tokens(text) == count_tokens(text), text
        for limit in (0, 1, 5, 30, 75):
            assert first_over(text, limit) == _first_word_over(text, limit), (text, limit)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 ,,.:)'s<|>\t")), max_size=40), st.integers(0, 20))
def test_any_comma_spelling_counts_and_cuts_as_the_whole_text(text: str, limit: int) -> None:
    assert count_line_tokens(text) == reference_count()(text)
    assert first_over(text, limit) == _first_word_over(text, limit)


def test_the_guides_full_example_is_127_tokens_in_two_chunks() -> None:
    counted = measure(GUIDE_EXAMPLE)
    assert (counted.tokens, counted.chunks) == (127, 2)
    # sd-scripts keeps 75: the last kept tag is `wooden floor`; A1111's first chunk ends at its comma.
    cut = counted.cut(75)
    assert cut is not None and GUIDE_EXAMPLE[cut:].startswith(", white water-stained paint on walls")
    assert counted.chunk_ends == ((GUIDE_EXAMPLE.index(", white water"), 75),)
    assert counted.cut(127) is None


@pytest.mark.parametrize("limit", [-3, 0, 1, 7, 30, 75, 150])
def test_the_cut_is_at_the_first_word_past_the_limit(limit: int) -> None:
    for text in [*corpus(), *(line + " BREAK " + line for line in HAND_MADE)]:
        counted = measure(text)
        seen = 0
        expected = None
        for piece in counted.pieces:
            seen += piece.tokens
            if seen > limit:
                expected = piece.start
                break
        assert counted.cut(limit) == expected, text


def test_attention_syntax_costs_what_its_text_costs() -> None:
    assert measure("(long hair:1.2)").tokens == count_tokens("long hair") == 2
    assert measure("(long hair: 1.2)").tokens == 2
    assert measure("((smile)), [blurry]").tokens == count_tokens("smile, blurry")
    # An escaped bracket is text; A1111 tokenizes each run of one weight on its own.
    assert measure("fate \\(series\\)").tokens == count_tokens("fate (series)")
    assert [run.text for run in runs("a (b:1.3) c")] == ["a ", "b", " c"]
    assert [run.text for run in runs("(a)(b)")] == ["ab"]
    assert measure("a(b:1.2)c").tokens == 3


def test_break_starts_a_new_chunk_and_costs_nothing() -> None:
    counted = measure("ohwxStyle, 1girl BREAK smile, long hair")
    assert counted.tokens == count_tokens("ohwxStyle, 1girl smile, long hair")
    assert counted.chunks == 2
    assert counted.chunk_ends == ()
    assert measure("").chunks == 1


def test_a_full_chunk_ends_at_a_comma_within_twenty_tokens_as_a1111_does() -> None:
    # 74 one-token words, then a comma and 10 words: the chunk fills at the comma's 75th token.
    words = ", ".join(["cat"] * 37) + ", dog dog dog dog dog dog dog dog dog dog"
    counted = measure(words)
    assert counted.tokens == 73 + 1 + 10 and counted.chunks == 2
    (end, tokens) = counted.chunk_ends[0]
    # The comma before the dogs is the last comma in the first 75: the chunk ends after it.
    assert words[:end].endswith("cat,") and tokens == 74
    # No comma in the last twenty tokens: the chunk ends at 75 exactly.
    plain = " ".join(["cat"] * 80)
    assert measure(plain).chunk_ends == ((len(" ".join(["cat"] * 75)), 75),)
    assert measure(plain).chunks == 2


def test_a_tag_costs_its_own_tokens_in_the_line() -> None:
    text = "ohwxStyle, (white water-stained paint:1.1), 猫耳, smile"
    caption = parse_caption(text)
    line = caption.lines[0]
    costs = {tag.name: tag_cost(caption, line, tag.name_start, tag.name_end) for tag in line.tags}
    assert costs == {
        "ohwxStyle": count_tokens("ohwxstyle"),
        "white water-stained paint": count_tokens("white water-stained paint"),
        "猫耳": count_tokens("猫耳"),
        "smile": 1,
    }
    # The commas are the rest.
    assert sum(costs.values()) + 3 == measure(text).tokens


@pytest.mark.parametrize("text", ["猫耳, 猫耳, 猫耳", "Tom &amp; Jerry, smile", "“quoted”, tag"])
def test_words_outside_plain_ascii_keep_their_places(text: str) -> None:
    found = pieces(text)
    assert [text[piece.start : piece.end] for piece in found if piece.tokens][-1] in ("猫耳", "smile", "tag")


def test_tokens_command_lists_each_caption_line_as_json(tmp_path: Path) -> None:
    root = write_dataset(
        tmp_path,
        {"a": GUIDE_EXAMPLE + "\nohwxStyle, 1girl, smile\n", "b": "(long hair:1.2), smile"},
        'trigger = ["ohwxStyle"]\n',
    )
    result = cli("tokens", root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"path": str(root / "a.txt"), "line": 1, "tokens": 127, "chunks": 2, "limit": 75},
        {
            "path": str(root / "a.txt"),
            "line": 2,
            "tokens": count_tokens("ohwxStyle, 1girl, smile"),
            "chunks": 1,
            "limit": 75,
        },
        {"path": str(root / "b.txt"), "line": 1, "tokens": 4, "chunks": 1, "limit": 75},
    ]
    text = cli("tokens", root / "a.txt").stdout.splitlines()
    assert text[0] == f"{root / 'a.txt'}:1: 127/75 CLIP tokens, 2 chunks  over the limit"
    flux = json.loads(cli("tokens", root / "b.txt", "--json", "--model", "flux").stdout)
    assert flux == [
        {"path": str(root / "b.txt"), "line": 1, "tokens": 4, "chunks": 1, "limit": 512, "estimate": True}
    ]
    assert "T5 tokens (estimate)" in cli("tokens", root / "b.txt", "--model", "flux").stdout


def test_tokens_follows_the_datasets_token_limit_options(tmp_path: Path) -> None:
    config = 'trigger = ["ohwxStyle"]\n[rules]\ntoken-limit = { max_tokens = 150 }\n'
    root = write_dataset(tmp_path, {"a": GUIDE_EXAMPLE}, config)
    assert json.loads(cli("tokens", root, "--json").stdout)[0]["limit"] == 150
    bad = write_dataset(tmp_path / "bad", {"a": "x"}, '[rules]\ntoken-limit = { model = "sd3" }\n')
    result = cli("tokens", bad)
    assert result.exit_code == 2 and "model must be one of sd15, sdxl, flux" in result.output


def test_stats_adds_the_token_spread(tmp_path: Path, vocabulary: Path) -> None:
    root = write_dataset(
        tmp_path, {"a": GUIDE_EXAMPLE, "b": "ohwxStyle, 1girl", "c": "ohwxStyle, 1girl, smile"}
    )
    data = json.loads(cli("stats", root, "--json", "--db", vocabulary).stdout)
    assert data["tokens"] == {
        "lines": 3,
        "min": 6,
        "median": 8,
        "max": 127,
        "over_limit": 1,
        "limit": 75,
        "estimate": False,
    }
    text = cli("stats", root, "--db", vocabulary).stdout
    assert "CLIP tokens per caption line: min 6, median 8, max 127; 1 of 3 over the limit of 75" in text


def a1111_chunks(items: list[str]) -> list[tuple[int, bool]]:
    """A1111's `tokenize_line` loop, transcribed: each chunk's token count and whether a BREAK ended it,
    for a prompt of words (`,` is the comma token)."""
    chunks: list[tuple[int, bool]] = []
    chunk: list[bool] = []
    last_comma = -1
    for item in items:
        if item == "BREAK":
            chunks.append((len(chunk), True))
            chunk, last_comma = [], -1
            continue
        for k in range(count_tokens(item)):
            is_comma = item == "," and k == 0
            if is_comma:
                last_comma = len(chunk)
            elif len(chunk) == 75 and last_comma != -1 and len(chunk) - last_comma <= 20:
                moved = chunk[last_comma + 1 :]
                chunks.append((last_comma + 1, False))
                chunk, last_comma = moved, -1
            if len(chunk) == 75:
                chunks.append((75, False))
                chunk, last_comma = [], -1
            chunk.append(is_comma)
    if chunk or not chunks:
        chunks.append((len(chunk), False))
    return chunks


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["cat", "cat", "cat", ",", "supercalifragilistic", "BREAK"]), max_size=260))
def test_chunks_are_cut_where_a1111_cuts_them(items: list[str]) -> None:
    counted = measure(" ".join(items))
    chunks = a1111_chunks(items)
    assert counted.chunks == len(chunks)
    ends, seen = [], 0
    for size, by_break in chunks[:-1]:
        seen += size
        if not by_break:
            ends.append(seen)
    assert [before for _, before in counted.chunk_ends] == ends


def test_tokens_names_a_caption_it_cannot_read(tmp_path: Path) -> None:
    root = write_dataset(tmp_path, {"good": "ohwxStyle, smile", "bad": b"\xff\xfe\xfa not utf-8 \x00"})
    result = cli("tokens", root)
    assert result.exit_code == 1
    assert result.stdout == f"{root / 'good.txt'}:1: 5/75 CLIP tokens, 1 chunk\n"
    assert str(root / "bad.txt") in result.stderr


A1111_ATTENTION = re.compile(
    r"\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:", re.X
)
A1111_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)


def a1111_attention(text: str) -> list[tuple[str, float]]:
    """stable-diffusion-webui's `parse_prompt_attention`, transcribed."""
    res: list[list[object]] = []
    round_brackets: list[int] = []
    square_brackets: list[int] = []

    def multiply_range(start_position: int, multiplier: float) -> None:
        for p in range(start_position, len(res)):
            res[p][1] = float(str(res[p][1])) * multiplier

    for m in A1111_ATTENTION.finditer(text):
        part = m.group(0)
        weight = m.group(1)
        if part.startswith("\\"):
            res.append([part[1:], 1.0])
        elif part == "(":
            round_brackets.append(len(res))
        elif part == "[":
            square_brackets.append(len(res))
        elif weight is not None and round_brackets:
            multiply_range(round_brackets.pop(), float(weight))
        elif part == ")" and round_brackets:
            multiply_range(round_brackets.pop(), 1.1)
        elif part == "]" and square_brackets:
            multiply_range(square_brackets.pop(), 1 / 1.1)
        else:
            for i, piece in enumerate(A1111_BREAK.split(part)):
                if i > 0:
                    res.append(["BREAK", -1])
                res.append([piece, 1.0])
    for pos in round_brackets:
        multiply_range(pos, 1.1)
    for pos in square_brackets:
        multiply_range(pos, 1 / 1.1)
    if len(res) == 0:
        res = [["", 1.0]]
    i = 0
    while i + 1 < len(res):
        if res[i][1] == res[i + 1][1]:
            res[i][0] = str(res[i][0]) + str(res[i + 1][0])
            res.pop(i + 1)
        else:
            i += 1
    return [(str(piece), float(str(weight))) for piece, weight in res]


PROMPT_BITS = ["a", "bb", " ", ",", "(", ")", "[", "]", ":", ":1.2)", "\\(", "\\", "BREAK"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PROMPT_BITS)))
def test_runs_are_a1111s_runs(items: list[str]) -> None:
    text = "".join(items)
    expected = [
        ("<break>" if (piece, weight) == ("BREAK", -1.0) else piece)
        for piece, weight in a1111_attention(text)
    ]
    assert [("<break>" if run.is_break else run.text) for run in runs(text)] == expected
    # Each run's characters come from where the line has them (an escape's from after its backslash).
    for run in runs(text):
        if not run.is_break:
            assert all(text[run.line_offset(i)] == char for i, char in enumerate(run.text))


def test_the_count_is_of_the_text_sd_scripts_trains_on() -> None:
    plain = Config(root=Path("."))
    wildcards = Config(root=Path("."), caption_prefix="ohwx style,", enable_wildcard=True)
    text = "1girl, {smile|open mouth smile}, " + ", ".join(f"tag{n}" for n in range(30))
    caption = parse_caption(text, wildcards.syntax)
    line = caption.lines[0]
    trained = "ohwx style, " + text.replace("{smile|open mouth smile}", "open mouth smile")
    assert line_tokens(caption, line, wildcards).tokens == count_tokens(trained)
    assert line_tokens(caption, line, plain).tokens == count_tokens(text)


def test_a_prefix_moves_the_cut_by_its_own_tokens() -> None:
    prefixed = Config(root=Path("."), caption_prefix="ohwx style,")
    text = ", ".join(f"tag{n}" for n in range(40))
    caption = parse_caption(text, prefixed.syntax)
    cut = line_tokens(caption, caption.lines[0], prefixed).cut(75)
    # Where the trainer cuts the text it trains on, in the line's own words.
    whole = measure("ohwx style, " + text).cut(75)
    assert cut is not None and whole is not None
    assert cut == whole - len("ohwx style, ")
