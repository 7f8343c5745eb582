"""Which captions of a dataset a query selects, from the dataset index and the checker.

A tag matches a caption that has it in any style or through an alias: the query's tag and the caption's
tags are compared by concept (the vocabulary's canonical tag, see `CheckContext.concept`), so
`longhair` selects captions writing `long hair` when the vocabulary knows the alias, and the other way
round. `tags<N` counts a caption's distinct tags (prose lines have none); `tokens<N` the CLIP tokens of its
longest line, counted on the text the trainer reads. `rule:NAME` selects the captions
in which that rule has a finding, checked by the checker `captionls check` runs. `path:GLOB` matches the
path relative to the dataset root (`*` crosses `/`), or the file name alone.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from pathlib import Path

from ..checker import CheckContext, check_caption
from ..parse import parse_caption
from ..tokens.budget import line_tokens
from .query import AllOf, HasFinding, HasTag, Not, PathGlob, Query, TagCount


def select(query: Query | None, ctx: CheckContext, text_of: Callable[[Path], str | None]) -> list[Path]:
    """The dataset's captions `query` selects, in path order (every caption for None).

    `text_of` gives a caption's current text (an editor's buffer, else the file), for `rule:` queries.
    """
    captions = set(ctx.index.captions())
    if query is None:
        return sorted(captions)
    return sorted(_Selector(ctx, captions, text_of).paths(query))


class _Selector:
    def __init__(self, ctx: CheckContext, captions: set[Path], text_of: Callable[[Path], str | None]) -> None:
        self.ctx = ctx
        self.captions = captions
        self.text_of = text_of

    def paths(self, query: Query) -> set[Path]:
        if isinstance(query, HasTag):
            return self.with_tag(query.key)
        if isinstance(query, TagCount):
            return {path for path in self.captions if self.counted(path, query)}
        if isinstance(query, HasFinding):
            return self.with_finding(query.rule)
        if isinstance(query, PathGlob):
            return {path for path in self.captions if self.matches(path, query.glob)}
        if isinstance(query, Not):
            return self.captions - self.paths(query.inner)
        if isinstance(query, AllOf):
            selected = self.paths(query.parts[0])
            for part in query.parts[1:]:
                selected &= self.paths(part)
            return selected
        selected = set()
        for part in query.parts:
            selected |= self.paths(part)
        return selected

    def with_tag(self, key: str) -> set[Path]:
        ctx = self.ctx
        keys = {key} | ctx.concept_keys(ctx.concept(key))
        return {path for each in keys for path in ctx.index.captions_using(each)}

    def counted(self, path: Path, query: TagCount) -> bool:
        count = len(self.ctx.index.keys_of(path)) if query.of == "tags" else self.tokens(path)
        return count < query.count if query.below else count > query.count

    def tokens(self, path: Path) -> int:
        """The CLIP tokens of the caption's longest line; an unreadable caption has none."""
        text = self.text_of(path)
        if text is None:
            return 0
        config = self.ctx.config
        caption = parse_caption(text, config.syntax)
        return max((line_tokens(caption, line, config).tokens for line in caption.lines), default=0)

    def with_finding(self, rule: str) -> set[Path]:
        ctx = self.ctx
        only = CheckContext(ctx.config, ctx.vocabulary, ctx.index, ctx.sections.section_map, select={rule})
        selected = set()
        for path in self.captions:
            text = self.text_of(path)
            if text is None:
                continue
            findings = check_caption(path, parse_caption(text, ctx.config.syntax), only)
            if any(finding.rule == rule for finding in findings):
                selected.add(path)
        return selected

    def matches(self, path: Path, glob: str) -> bool:
        try:
            relative = path.relative_to(self.ctx.index.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return fnmatch.fnmatchcase(relative, glob) or fnmatch.fnmatchcase(path.name, glob)
