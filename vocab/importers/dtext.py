"""A parser for the DText that Danbooru's tag-group wiki pages are written in.

Only what tag-group pages use is understood: `h1.`-`h6.` headings (with `#ids`), `*`/`**`/`***` bullets,
`[[tag]]`, `[[tag|shown]]`, the pipe trick `[[Fate (series)|]]`, `[[Tag group:X]]` links, `{{search}}`
links, `[expand=...]` blocks, `[tn]`/`[b]`/... inline markup and trailing notes such as `(deprecated)`.

A page becomes a tree: headings are subgroups (nested by level), a bullet with nested bullets is a
subgroup named after it, and the tags a bullet links to outside parentheses are members, in page
order. Links in parentheses are notes (`[[animal background]] ([[animal]])`), a table of contents is
not a group, and `See also` / `External links` sections are not part of the group.
Pure functions: no I/O, never raises on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GROUP_PREFIX = "tag group:"
# Wiki pages that are not tags: linking to them from a bullet never makes a member.
_PAGE_PREFIXES = ("help:", "howto:", "about:", "api:", "list of ", "pool group:", "tag groups")
_SKIPPED_SECTIONS = {"see also", "external links", "table of contents", "contents"}

_HEADING = re.compile(r"h([1-6])(?:#+[^.\s]*)?\.\s*(.*)", re.IGNORECASE)
# The tag-group pages in ../shared/data nest bullets three deep at most; deeper ones (a hostile page)
# are read as this deep, so the group tree stays shallow enough for recursive walks.
MAX_BULLET_DEPTH = 16
_BULLET = re.compile(r"(\*+)\s+(.*)")
_BLOCK_OPEN = re.compile(r"\[(expand|code|nodtext|quote|spoilers?|tn)(?:=([^\]]*))?\]", re.IGNORECASE)
# Inline DText that does not show as itself: a wiki link, a search link, a translation note, a [tag].
_INLINE = re.compile(
    r"\[\[(?P<link>[^\]|]*)(?:\|(?P<shown>[^\]]*))?\]\]"
    r"|\{\{(?P<search>[^}]*)\}\}"
    r"|\[tn\].*?\[/tn\]"
    r"|\[/?(?:b|i|u|s|spoilers?|nodtext|code|sup|sub)\]",
    re.IGNORECASE,
)
# The tokens that decide a bullet's members: a wiki link, a search link, a translation note, a parenthesis.
_TOKEN = re.compile(
    r"\[\[([^\]|]*)(?:\|([^\]]*))?\]\]|\{\{([^}]*)\}\}|\[tn\].*?\[/tn\]|([()])", re.IGNORECASE
)
_TOKEN_LINK = re.compile(r"\[\[[^\]]*\]\]")
_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")
_SPACES = re.compile(r"\s+")
# `"text":url`; a URL does not end with the punctuation that follows it in a sentence.
_NAMED_LINK = re.compile(r'"([^"]+)":(?:\[[^\]]*\]|[^\s\]]*[^\s\],.;:!?)])')
_MARKUP = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]", re.IGNORECASE)


@dataclass(slots=True)
class Member:
    """A tag listed by a bullet; `deprecated` when the bullet's note says so."""

    name: str
    deprecated: bool = False


@dataclass
class Node:
    """A group: the page itself, a heading or a bullet with nested bullets."""

    name: str
    members: list[Member] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.members and not self.children

    def walk(self) -> list[Node]:
        """This node and every node below it, in page order."""
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes


@dataclass
class GroupPage:
    """A parsed tag-group page: its tree and the `[[Tag group:X]]` pages it links to (titles, each once)."""

    tree: Node
    group_links: list[str]


@dataclass(slots=True)
class _Bullet:
    """What one bullet says: its tags and group links."""

    members: list[Member]
    group_links: list[str]


@dataclass(slots=True)
class _OpenBullet:
    """A bullet later bullets may nest in; its subgroup is made when the first one does."""

    depth: int
    holder: Node
    item: _Bullet
    text: str
    subgroup: Node | None = None

    def _label(self) -> str:
        """The bullet's first tag, else the group it links to (`focus tags`), else its text."""
        if self.item.members:
            return self.item.members[0].name
        if self.item.group_links:
            return group_name(self.item.group_links[0])
        return _plain_inline(self.text)

    def nest(self) -> Node:
        """The subgroup nested bullets go in: named after the bullet's first tag, else its text."""
        if self.subgroup is None:
            self.subgroup = Node(self._label())
            self.holder.children.append(self.subgroup)
        return self.subgroup


def wiki_title(name: str) -> str:
    """A wiki page title as Danbooru stores it: lowercase, spaces as `_`."""
    return _SPACES.sub("_", name.strip()).lower()


def group_title(name: str) -> str:
    """The wiki title of a tag group named `posture`, `Tag group:Posture` or `tag_group:posture`."""
    title = wiki_title(name)
    return title if title.startswith("tag_group:") else f"tag_group:{title}"


def group_name(title: str) -> str:
    """The display name of a tag-group page: `tag_group:hair_color` -> `hair color`."""
    readable = _SPACES.sub(" ", title.replace("_", " ")).strip().lower()
    return readable.removeprefix(GROUP_PREFIX).strip()


def _shown(target: str, shown: str | None) -> str:
    """The text a link shows; `[[Fate (series)|]]` (the pipe trick) shows `Fate`."""
    if shown is None:
        return target
    if shown == "":
        return _QUALIFIER.sub("", target) or target
    return shown


def _read_bullet(text: str) -> _Bullet:
    """The tags and group links of one bullet's text (links in parentheses or notes are not its own)."""
    members: list[Member] = []
    links: list[str] = []
    depth = 0
    for target, _shown_text, search, paren in _TOKEN.findall(text):
        if paren:
            depth = depth + 1 if paren == "(" else max(depth - 1, 0)
        elif depth:
            continue
        elif search:
            # A search for one tag lists that tag; a search for several tags is not a member.
            if len(search.split()) == 1:
                members.append(Member(search.strip()))
        elif target:
            target = target.split("#", 1)[0].strip()
            lowered = target.replace("_", " ").lower()
            if lowered.startswith(GROUP_PREFIX):
                links.append(group_title(target))
            elif target and not lowered.startswith(_PAGE_PREFIXES):
                members.append(Member(target))
    if members and "deprecated" in text.lower() and "deprecated" in _TOKEN_LINK.sub("", text).lower():
        members[-1].deprecated = True
    return _Bullet(members, links)


def _plain_inline(text: str) -> str:
    """One line of DText as the text it shows."""
    return _SPACES.sub(" ", _INLINE.sub(_inline_text, text)).strip()


def _inline_text(match: re.Match[str]) -> str:
    if match.group("link") is not None:
        return _shown(match.group("link").split("#", 1)[0].strip(), match.group("shown"))
    return match.group("search") or ""


class _Blocks:
    """Skips the content of blocks that hold no group (code, quotes, notes, a table of contents)."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.depth = 0

    def skips(self, line: str) -> bool:
        """Whether `line` is inside (or opens or closes) a skipped block, or is an `[expand]` line."""
        if self.kind is None and not line.startswith("["):
            return False
        lowered = line.lower()
        if self.kind is not None:
            if lowered.startswith(f"[{self.kind}"):
                self.depth += 1
            elif lowered.startswith(f"[/{self.kind}]"):
                self.depth -= 1
                if self.depth == 0:
                    self.kind = None
            return True
        opened = _BLOCK_OPEN.match(line)
        if opened is not None and not lowered.endswith(f"[/{opened.group(1).lower()}]"):
            kind = opened.group(1).lower()
            title = (opened.group(2) or "").strip().lower()
            # `[expand]` only folds its content away: it is the page's, unless it is a table of contents.
            if kind != "expand" or title in _SKIPPED_SECTIONS:
                self.kind, self.depth = kind, 1
            return True
        return lowered.startswith("[/expand]")


def _lines(body: str) -> list[str]:
    return [line.strip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def parse_group_page(body: str, name: str) -> GroupPage:
    """The group tree of a tag-group page `body`; the root is named `name`."""
    root = Node(name)
    links: dict[str, None] = {}
    headings: list[tuple[int, Node]] = [(0, root)]
    bullets: list[_OpenBullet] = []
    skipped_level = 0  # the level of a `See also` heading being skipped, 0 when none
    blocks = _Blocks()
    for line in _lines(body):
        if not line or blocks.skips(line):
            continue
        heading = _HEADING.fullmatch(line) if line[0] in "hH" else None
        if heading is not None:
            level = int(heading.group(1))
            title = _plain_inline(heading.group(2))
            bullets.clear()
            while headings[-1][0] >= level:
                headings.pop()
            if skipped_level and level <= skipped_level:
                skipped_level = 0
            if not skipped_level and title.lower() in _SKIPPED_SECTIONS:
                skipped_level = level
            if not skipped_level:
                node = Node(title)
                headings[-1][1].children.append(node)
                headings.append((level, node))
            continue
        bullet = _BULLET.fullmatch(line) if line[0] == "*" else None
        if skipped_level or bullet is None:
            bullets.clear()
            continue
        depth = min(len(bullet.group(1)), MAX_BULLET_DEPTH)
        item = _read_bullet(bullet.group(2))
        while bullets and bullets[-1].depth >= depth:
            bullets.pop()
        parent = bullets[-1].nest() if bullets else headings[-1][1]
        parent.members.extend(item.members)
        if item.group_links:
            links.update(dict.fromkeys(item.group_links))
        bullets.append(_OpenBullet(depth, parent, item, bullet.group(2)))
    _prune(root)
    return GroupPage(root, list(links))


def _prune(node: Node) -> None:
    """Drop groups left without members (an `About` heading, a list of notes)."""
    for child in node.children:
        _prune(child)
    node.children = [child for child in node.children if not child.is_empty()]


def first_paragraph(body: str) -> str:
    """The first paragraph of prose of a wiki page, as plain text ("" when it has none).

    Headings, lists, blocks and the `[See [[tag groups]].]` line that opens many pages are skipped.
    """
    paragraph: list[str] = []
    blocks = _Blocks()
    for line in _lines(body):
        prose = (
            line
            and not blocks.skips(line)
            and not (_HEADING.fullmatch(line) or _BULLET.fullmatch(line))
            and not line.lower().startswith(("[see ", "[hr]", "[table"))
        )
        if prose:
            paragraph.append(line)
        elif paragraph:
            break
    return plain_text(" ".join(paragraph))


def plain_text(text: str) -> str:
    """DText inline markup removed: links become the text they show."""
    return _SPACES.sub(" ", _MARKUP.sub("", _plain_inline(_NAMED_LINK.sub(r"\1", text)))).strip()
