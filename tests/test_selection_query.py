"""The selection language: parsing, errors with their column, and what a query selects."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captionls.server.caption.checker import CheckContext
from captionls.server.caption.selection.evaluate import select
from captionls.server.caption.selection.query import (
    AllOf,
    AnyOf,
    HasFinding,
    HasTag,
    Not,
    PathGlob,
    Query,
    QueryError,
    TagCount,
    parse_query,
)
from tests.kit.datasets import context, write_dataset


def test_precedence_not_then_and_then_or() -> None:
    assert parse_query('smile AND NOT "long hair" OR solo') == AnyOf(
        (AllOf((HasTag("smile", "smile"), Not(HasTag("long hair", "long hair")))), HasTag("solo", "solo"))
    )
    assert parse_query("(a OR b) AND c") == AllOf(
        (AnyOf((HasTag("a", "a"), HasTag("b", "b"))), HasTag("c", "c"))
    )


def test_atoms() -> None:
    assert parse_query("long_hair") == HasTag("long_hair", "long hair")
    assert parse_query('"fate \\(series\\)"') == HasTag("fate \\(series\\)", "fate (series)")
    assert parse_query('"say \\"hi\\""') == HasTag('say "hi"', 'say "hi"')
    assert parse_query("tags<5") == TagCount(True, 5)
    assert parse_query("tags>12") == TagCount(False, 12)
    assert parse_query("rule:empty-tag") == HasFinding("empty-tag")
    assert parse_query("path:sub/*.txt") == PathGlob("sub/*.txt")
    assert parse_query('path:"my set/*"') == PathGlob("my set/*")
    # Keywords are capitals only: `and` is a tag.
    assert parse_query("and") == HasTag("and", "and")


@pytest.mark.parametrize(
    ("query", "column", "reason"),
    [
        ("", 1, "empty query"),
        ("long hair", 6, "expected AND, OR or the end, found `hair`"),
        ("smile AND", 10, "the query ends where a tag or `(` was expected"),
        ("(smile OR solo", 15, "`(` at column 1 is not closed"),
        ("smile)", 6, "`)` without its `(`"),
        ('solo AND "long hair', 10, "unclosed quote"),
        ("solo OR AND smile", 9, "expected a tag or `(`, found `AND`"),
        ("tokens>lots", 1, "a count is a whole number"),
        ("solo AND tags<many", 10, "a count is a whole number"),
        ("rule:no-such-rule", 1, "unknown rule `no-such-rule`"),
        ("path:", 1, "path: needs a glob"),
        ('""', 1, "empty tag name"),
    ],
)
def test_errors_name_the_column(query: str, column: int, reason: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    assert raised.value.column == column
    assert reason in str(raised.value)
    assert str(raised.value).startswith(f"column {column}: ")
    assert "\n" not in str(raised.value)


def _written(query: Query) -> str:
    """A query written back in the language, fully parenthesised."""
    if isinstance(query, HasTag):
        return '"' + query.name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(query, TagCount):
        return f"tags{'<' if query.below else '>'}{query.count}"
    if isinstance(query, HasFinding):
        return f"rule:{query.rule}"
    if isinstance(query, PathGlob):
        return f'path:"{query.glob}"'
    if isinstance(query, Not):
        return f"NOT {_written(query.inner)}"
    joined = " AND " if isinstance(query, AllOf) else " OR "
    return "(" + joined.join(_written(part) for part in query.parts) + ")"


_names = st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=12).filter(
    lambda name: name.strip() == name and any(char.isalnum() for char in name)
)
_atoms = st.one_of(
    _names.map(lambda name: HasTag(name, "")),
    st.builds(TagCount, st.booleans(), st.integers(0, 99)),
    st.sampled_from(["empty-tag", "duplicate-tag"]).map(HasFinding),
    st.sampled_from(["*.txt", "sub/*", "a b/*"]).map(PathGlob),
)
_queries = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AllOf(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
    ),
    max_leaves=8,
)


def _keys_dropped(query: Query) -> Query:
    if isinstance(query, HasTag):
        return HasTag(query.name, "")
    if isinstance(query, Not):
        return Not(_keys_dropped(query.inner))
    if isinstance(query, AllOf | AnyOf):
        return type(query)(tuple(_keys_dropped(part) for part in query.parts))
    return query


@settings(max_examples=200, deadline=None)
@given(_queries)
def test_a_written_query_parses_back_to_itself(query: Query) -> None:
    assert _keys_dropped(parse_query(_written(query))) == query


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_text_parses_or_is_one_line_error(source: str) -> None:
    try:
        parse_query(source)
    except QueryError as error:
        assert 1 <= error.column <= len(source) + 1
        assert "\n" not in error.reason or "\n" in source


CAPTIONS = {
    "a": "ohwxStyle, 1girl, long hair, smile, solo",
    "b": "ohwxStyle, 1girl, long_hair, short hair,, solo, couch",
    "c": "ohwxStyle, 1boy, smile",
    "sub/d": "ohwxStyle, 1girl, longhair\nA girl with long hair smiles at the camera on a sunny day.",
}


@pytest.mark.parametrize(
    ("query", "selected"),
    [
        ('"long hair"', ["a", "b", "sub/d"]),  # any style, and the vocabulary's alias `longhair`
        ("longhair", ["a", "b", "sub/d"]),
        ("smile AND NOT solo", ["c"]),
        ("NOT (smile OR solo)", ["sub/d"]),
        ("tags<4", ["c", "sub/d"]),
        ("tags>4", ["a", "b"]),
        ("rule:empty-tag", ["b"]),
        ("path:sub/*", ["sub/d"]),
        ("path:c.txt OR path:a.*", ["a", "c"]),
    ],
)
def test_what_a_query_selects(tmp_path: Path, vocabulary: Path, query: str, selected: list[str]) -> None:
    root = write_dataset(tmp_path, CAPTIONS, 'trigger = ["ohwxStyle"]\n')
    ctx = context(root, vocabulary)
    paths = select(parse_query(query), ctx, lambda path: path.read_text())
    assert [path.relative_to(root).with_suffix("").as_posix() for path in paths] == selected


ALPHABET = ["a", "b", "c", "d"]
# Every subset of the alphabet, as a caption (with the trigger).
SUBSETS = {
    f"s{mask:02d}": ", ".join(["ohwxStyle", *(tag for bit, tag in enumerate(ALPHABET) if mask >> bit & 1)])
    for mask in range(1 << len(ALPHABET))
}


@pytest.fixture(scope="module")
def subsets(tmp_path_factory: pytest.TempPathFactory, vocabulary: Path) -> tuple[Path, CheckContext]:
    root = write_dataset(tmp_path_factory.mktemp("subsets"), SUBSETS, 'trigger = ["ohwxStyle"]\n')
    return root, context(root, vocabulary)


def _holds(query: Query, tags: set[str]) -> bool:
    """What the query means for one caption, straight from the definition."""
    if isinstance(query, HasTag):
        return query.key in tags
    if isinstance(query, TagCount):
        return len(tags) < query.count if query.below else len(tags) > query.count
    if isinstance(query, Not):
        return not _holds(query.inner, tags)
    if isinstance(query, AllOf):
        return all(_holds(part, tags) for part in query.parts)
    assert isinstance(query, AnyOf)
    return any(_holds(part, tags) for part in query.parts)


_set_queries = st.recursive(
    st.one_of(
        st.sampled_from(ALPHABET).map(lambda tag: HasTag(tag, tag)),
        st.builds(TagCount, st.booleans(), st.integers(0, 6)),
    ),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AllOf(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(query=_set_queries)
def test_selection_agrees_with_the_definition(subsets: tuple[Path, CheckContext], query: Query) -> None:
    root, ctx = subsets
    expected = [
        root / f"{stem}.txt"
        for stem, text in sorted(SUBSETS.items())
        if _holds(query, {tag.strip().lower() for tag in text.split(",")})
    ]
    assert select(query, ctx, lambda path: path.read_text()) == expected
