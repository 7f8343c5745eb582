"""`unknown-tag`: a typo. A tag in neither the vocabulary nor another caption, close to a vocabulary tag.

A tag nobody else writes and the vocabulary does not know is often deliberate (a trigger, a name, a
phrase); only a close spelling of a known tag (`smlie`, `hair ornment`, `longhair`) makes it a typo, and
the finding names that tag. Phrases and prose are never unknown.
"""

from __future__ import annotations

from collections.abc import Iterator

from captionls.vocab.normalize import styled

from ..findings import Edit, Finding
from .base import Document, NoOptions, Rule
from .tag_like import caption_tags

SUGGESTIONS = 3


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    ctx = doc.ctx
    for tag in caption_tags(doc.caption):
        if not tag.key or tag.key in ctx.triggers or ctx.resolve(tag.key) is not None:
            continue
        # Two captions using it means another does, whichever this one is.
        if ctx.index.count(tag.key) > 1 or ctx.index.count_others(tag.key, doc.path) > 0:
            continue
        names: list[str] = []
        for match in ctx.typo_matches(tag.key, tag.name, SUGGESTIONS):
            name = styled(match.name, ctx.tag_style, ctx.config.escape_parentheses)
            if name not in names:
                names.append(name)
        if not names:
            continue
        also = f" (or {', '.join(repr(name) for name in names[1:])})" if len(names) > 1 else ""
        yield rule.finding(
            tag.name_start,
            tag.name_end,
            f'"{tag.name}" is not a known tag; did you mean "{names[0]}"?{also}',
            [(f'Replace with "{name}"', [Edit(tag.name_start, tag.name_end, name)]) for name in names],
        )


DOC = """\
## What it checks

A likely typo: a tag (not a phrase, not prose) that is neither in the vocabulary (as a tag or an alias)
nor in any other caption of the dataset, and is close to a vocabulary tag: one or two edits away (a swap
of two letters is one), the same words in another order, or a space left out. The message names that tag;
the fixes offer up to three, closest first, then the most used. General and meta tags only, unless the
tag looks like a name (`Hatsune Mku`). No close tag: no finding.

## Why

A typo is a token the model has never seen. A tag nobody else writes and that is close to no known tag
is deliberate (a trigger, a name, a descriptive phrase): reporting it would be noise.

## Example

Bad: `ohwxStyle, 1girl, lokking at viewer`

Good: `ohwxStyle, 1girl, looking at viewer`

The fixes offer the suggestions; `--fix` applies none of them (it is your choice).
"""

RULE = Rule(
    name="unknown-tag",
    severity="hint",
    summary="a likely typo: unknown to the vocabulary and the dataset, and close to a known tag",
    fix="no (a choice)",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
