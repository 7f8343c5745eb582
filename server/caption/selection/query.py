"""The selection language (`--where`, the server's `where`): which captions of a dataset an operation
touches. One hand-written recursive-descent parser, used by the CLI, the server and the editors.

    query    := or
    or       := and ("OR" and)*
    and      := not ("AND" not)*
    not      := "NOT" not | atom
    atom     := "(" or ")" | TAG | "tags<N" | "tags>N" | "tokens<N" | "tokens>N" | "rule:NAME" | "path:GLOB"

A TAG is a bare word (`smile`, `long_hair`) or a quoted name (`"long hair"`, `\\"` inside for a quote);
any tag style, and aliases stand for their tag (see `evaluate`). `AND`, `OR` and `NOT` are keywords only
in capitals; `NOT` binds tightest, then `AND`, then `OR`. `path:` and `rule:` take a quoted value too
(`path:"my set/*"`). `tokens<N` / `tokens>N` compare the CLIP tokens of the caption's longest line.
A bad query is a QueryError whose message is one line with the 1-based column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from captionls.vocab.normalize import tag_key

from ..rules.registry import RULES

KEYWORDS = ("AND", "OR", "NOT")
_COUNT = re.compile(r"(tags|tokens)([<>])(\d+)")
_DELIMITERS = frozenset('()"')


class QueryError(ValueError):
    """A query that does not parse; `column` is 1-based."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"column {column}: {reason}")
        self.reason = reason
        self.column = column


@dataclass(frozen=True)
class HasTag:
    name: str
    key: str


@dataclass(frozen=True)
class TagCount:
    """`tags<N` (`below` True) or `tags>N`: the caption's count of distinct tags; `tokens<N` or
    `tokens>N` (`of` "tokens"): the CLIP tokens of its longest line, as the trainer reads it."""

    below: bool
    count: int
    of: Literal["tags", "tokens"] = "tags"


@dataclass(frozen=True)
class HasFinding:
    rule: str


@dataclass(frozen=True)
class PathGlob:
    glob: str


@dataclass(frozen=True)
class Not:
    inner: Query


@dataclass(frozen=True)
class AllOf:
    """Every part holds (AND)."""

    parts: tuple[Query, ...]


@dataclass(frozen=True)
class AnyOf:
    """Some part holds (OR)."""

    parts: tuple[Query, ...]


Query = HasTag | TagCount | HasFinding | PathGlob | Not | AllOf | AnyOf


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "word", "quoted", "end"
    text: str
    column: int


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    length = len(source)
    while position < length:
        char = source[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(_Token(char, char, position + 1))
            position += 1
        elif char == '"':
            start = position
            text, position = _quoted(source, position)
            tokens.append(_Token("quoted", text, start + 1))
        else:
            start = position
            while (
                position < length and not source[position].isspace() and source[position] not in _DELIMITERS
            ):
                position += 1
            word = source[start:position]
            if word.endswith(":") and word[:-1] in ("path", "rule") and source.startswith('"', position):
                value, position = _quoted(source, position)
                word += value
            kind = word if word in KEYWORDS else "word"
            tokens.append(_Token(kind, word, start + 1))
    tokens.append(_Token("end", "", length + 1))
    return tokens


def _quoted(source: str, opening: int) -> tuple[str, int]:
    """The text of the quoted string opening at `opening` (`\\"` and `\\\\` unescaped), and where it ends."""
    chars: list[str] = []
    position = opening + 1
    while position < len(source):
        char = source[position]
        if char == "\\" and position + 1 < len(source) and source[position + 1] in '"\\':
            chars.append(source[position + 1])
            position += 2
        elif char == '"':
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise QueryError("unclosed quote", opening + 1)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.position = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def query(self) -> Query:
        if self.token.kind == "end":
            raise QueryError("empty query", self.token.column)
        query = self.any()
        token = self.token
        if token.kind == ")":
            raise QueryError("`)` without its `(`", token.column)
        if token.kind != "end":
            raise QueryError(
                f"expected AND, OR or the end, found `{token.text}`"
                ' (quote a tag of several words: "long hair")',
                token.column,
            )
        return query

    def any(self) -> Query:
        parts = [self.all()]
        while self.token.kind == "OR":
            self.take()
            parts.append(self.all())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all(self) -> Query:
        parts = [self.negation()]
        while self.token.kind == "AND":
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def negation(self) -> Query:
        if self.token.kind == "NOT":
            self.take()
            return Not(self.negation())
        return self.atom()

    def atom(self) -> Query:
        token = self.take()
        if token.kind == "(":
            inner = self.any()
            if self.token.kind != ")":
                raise QueryError(f"`(` at column {token.column} is not closed", self.token.column)
            self.take()
            return inner
        if token.kind == "quoted":
            return _tag(token.text, token.column)
        if token.kind == "word":
            return _word(token)
        if token.kind == "end":
            raise QueryError("the query ends where a tag or `(` was expected", token.column)
        raise QueryError(f"expected a tag or `(`, found `{token.text}`", token.column)


def _tag(name: str, column: int) -> HasTag:
    key = tag_key(name)
    if not key:
        raise QueryError("empty tag name", column)
    return HasTag(name.strip(), key)


def _word(token: _Token) -> Query:
    word = token.text
    count = _COUNT.fullmatch(word)
    if count is not None:
        return TagCount(
            count.group(2) == "<", int(count.group(3)), "tokens" if count.group(1) == "tokens" else "tags"
        )
    if word.startswith(("tags<", "tags>", "tokens<", "tokens>")):
        raise QueryError(f"`{word}`: a count is a whole number, as in tags<10", token.column)
    if word.startswith("rule:"):
        name = word.removeprefix("rule:")
        if name not in RULES:
            raise QueryError(f"unknown rule `{name}` (see `captionls rules`)", token.column)
        return HasFinding(name)
    if word.startswith("path:"):
        glob = word.removeprefix("path:")
        if not glob:
            raise QueryError("path: needs a glob, as in path:sub/*", token.column)
        return PathGlob(glob)
    return _tag(word, token.column)


def parse_query(source: str) -> Query:
    """The query `source` stands for; QueryError (one line, with the column) when it is not one."""
    return _Parser(source).query()
