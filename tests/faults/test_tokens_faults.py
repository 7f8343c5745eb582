"""Token counts on hostile captions: a caption of one huge word or thousands of nested brackets costs
bounded time, in the CLI and in the editor (the reference algorithms are quadratic in both)."""

from __future__ import annotations

import time

from captionls.server.caption.tokens.budget import measure
from captionls.server.caption.tokens.clip import count_tokens
from tests.kit.clip_reference import reference_count


def test_a_word_of_thousands_of_characters_is_counted_at_once() -> None:
    # The reference merges in quadratic time; a caption of one long word must not stall the editor.
    word = "".join("abcdefghijklmnopqrstuvwxyz"[(i * 7 + i // 26) % 26] for i in range(3000))
    assert count_tokens(word) == reference_count()(word)
    start = time.perf_counter()
    measure("x" + "qzvkj" * 20_000)
    assert time.perf_counter() - start < 5


def test_deeply_nested_brackets_are_read_at_once() -> None:
    # A1111's weighting is quadratic in nesting depth; past a bound the text is read at one weight.
    start = time.perf_counter()
    counted = measure("(a" * 20_000 + ")" * 20_000)
    assert time.perf_counter() - start < 5
    assert counted.tokens == count_tokens("a" * 20_000)
    # Below the bound, each nesting depth is its own weight, so each `a` is its own word.
    assert measure("(a" * 100 + ")" * 100).tokens == 100
