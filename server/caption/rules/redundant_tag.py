"""`redundant-tag`: a generic tag that a more specific tag of the same caption already says.

Taggers write both (`skirt, pleated skirt`, `holding, holding bag`); the generic one adds nothing but
weight. "Already says" comes from the vocabulary's implications when it has them, and from the names:
the generic tag is the head of the specific one (`skirt` in `blue skirt`, `twintails` in `short
twintails`), the verb it starts with (`holding` in `holding bag`), or `simple background` beside a
coloured one (`white background`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from ..findings import Finding, Related
from ..parse import TagSpan
from .base import Document, NoOptions, Rule, remove_tag
from .repeated_word import QUALIFIER, WORD
from .tag_like import is_tag_like

# Words that end a specific tag's noun phrase: what follows them is not what the tag is.
_PHRASE_ENDS = frozenset(
    {
        *("with", "without", "as", "and", "or", "in", "on", "at", "under", "over", "behind", "near"),
        *("between", "of", "from", "through", "into", "onto", "above", "below", "against", "beside"),
    }
)
COLOURS = frozenset(
    {
        *("white", "black", "grey", "gray", "red", "blue", "green", "yellow", "orange", "pink"),
        *("purple", "brown", "aqua", "beige", "gradient", "two-tone", "multicolored", "light", "dark"),
    }
)
_SIMPLE = "simple"
# Verb tags that other tags extend with their object; not `running` (`running track`) nor `swimming`.
VERBS = frozenset(
    {
        *("holding", "sitting", "standing", "lying", "looking", "leaning", "kneeling", "hugging"),
        *("carrying", "pointing", "grabbing", "reaching", "touching", "covering", "eating"),
        *("drinking", "playing", "riding", "hiding"),
    }
)


def _words(name: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in WORD.findall(QUALIFIER.sub(" ", name)))


def _head_phrase(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words before the first preposition, conjunction or later participle: what the tag is
    (`hair between eyes`: hair; `coffee machine sitting on a countertop`: coffee machine)."""
    for i, word in enumerate(words):
        if word in _PHRASE_ENDS or (i > 0 and word.endswith("ing") and len(word) > 5):
            return words[:i]
    return words


@lru_cache(maxsize=65_536)
def generic_form(key: str) -> str:
    """How `generics_said_by` writes a tag: its words, no qualifier."""
    return " ".join(_words(key))


@lru_cache(maxsize=65_536)
def generics_said_by(specific: str) -> frozenset[str]:
    """The generic tags (as `generic_form`) the name `specific` already says: the shorter ends of its
    head (`pleated skirt` says `skirt`), its verb (`holding bag` says `holding`), and `simple
    background` for a coloured one (`white background`)."""
    words = _words(specific)
    head = _head_phrase(words)
    said = {" ".join(head[start:]) for start in range(1, len(head))}
    # A verb tag and the same verb with its object (`holding` / `holding bag`, `sitting` / `sitting on bed`).
    if len(words) > 1 and words[0] in VERBS:
        said.add(words[0])
    if len(head) == 2 and head[0] in COLOURS:
        said.add(f"{_SIMPLE} {head[1]}")
    return frozenset(said)


def check(rule: Rule[NoOptions], doc: Document, options: NoOptions) -> Iterator[Finding]:
    for line in doc.caption.lines:
        for generic, specific in _redundant_pairs(doc, line.tags):
            yield rule.finding(
                generic.name_start,
                generic.name_end,
                f'"{generic.name}" is already said by "{specific.name}"; the generic tag only adds weight',
                [(f'Remove "{generic.name}"', [remove_tag(doc.text, line, generic)])],
                [Related(doc.path, specific.name_start, specific.name_end, "the more specific tag")],
                f'write "{generic.name}" beside "{specific.name}"',
            )


def _may_say_another(tags: list[TagSpan]) -> bool:
    """Whether one of `tags` says the `generic_form` of one of them by its name: without implications,
    what a pair needs (triggers, prose and the same concept are ruled out after). Nearly every line has
    no such pair, and sets answer that at a fraction of the cost of pairing each tag."""
    keys = [tag.key for tag in tags]
    said = frozenset().union(*map(generics_said_by, keys))
    return not said.isdisjoint(map(generic_form, keys))


def _redundant_pairs(doc: Document, tags: list[TagSpan]) -> Iterator[tuple[TagSpan, TagSpan]]:
    """(generic, specific) for each generic tag of `tags` that another of them already says."""
    ctx = doc.ctx
    implications = ctx.has_implications()
    if not implications and not _may_say_another(tags):
        return
    # generic (its `generic_form`, or its canonical key through implications) -> the first tag saying it
    said: dict[str, TagSpan] = {}
    for specific in tags:
        if specific.key in ctx.triggers:
            continue
        for form in generics_said_by(specific.key):
            said.setdefault(form, specific)
        if implications:
            for form in ctx.implied(ctx.concept(specific.key)):
                said.setdefault(form, specific)
    if not said:
        return
    for generic in tags:
        found = said.get(generic_form(generic.key))
        if found is None and implications:
            found = said.get(ctx.concept(generic.key))
        if found is None or not generic.key or generic.key in ctx.triggers or not is_tag_like(generic.name):
            continue
        # The same tag written another way is `duplicate-tag`'s business; choices of one wildcard are
        # never trained together.
        if ctx.concept(found.key) != ctx.concept(generic.key) and not found.alternative_to(generic):
            yield generic, found


DOC = """\
## What it checks

A generic tag that a more specific tag of the same caption line already says: through the vocabulary's
implications when it has them (`cat ears` implies `animal ears`), and through the names: the generic tag
ends the specific one's noun phrase (`skirt` in `pleated skirt`, `twintails` in `short twintails`, `sky`
in `starry sky`), is the verb it starts with (`holding` in `holding bag`), or is `simple background`
beside a coloured one (`white background`).

## Why

Taggers write both the generic and the specific tag. The generic one adds nothing the specific one does
not say, only weight to a word the image does not need twice.

## Example

Bad: `ohwxStyle, 1girl, skirt, pleated skirt, holding, holding bag`

Good: `ohwxStyle, 1girl, pleated skirt, holding bag`

The fix removes the generic tag; `--fix` leaves it to you (a tag is content).
"""

RULE = Rule(
    name="redundant-tag",
    severity="info",
    summary="a generic tag a more specific one already says: `skirt` beside `pleated skirt`",
    fix="no (the editor's fix removes the generic tag)",
    doc=DOC,
    check=check,
    options=NoOptions(),
)
