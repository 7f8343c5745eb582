#!/usr/bin/env python3
"""Build vocab/builtin/groups.json.gz, the tag groups a fresh install knows without any network.

Input: the rendered outline of Danbooru's `tag_groups` page and every `Tag group:*` page
(`../shared/data/danbooru/rendered_all_tag_groups_outline_2022-10-12.md`: link and heading text only,
nesting by indentation) and the real tag lists beside it, which tell tags from headings and prose and
resolve old names to today's tags.

The outline renders a page's headings 4 columns deeper than the heading above and nested bullets
2 columns deeper than their bullet, which is how a heading (a subgroup only) is told from a bullet
with nested bullets (a member tag and a subgroup of its own). Run from the repository root:

    .venv/bin/python scripts/build_builtin_groups.py [--data ../shared/data] [--output FILE]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from captionls.vocab.importers.dtext import GROUP_PREFIX, Member, Node
from captionls.vocab.importers.tag_groups import tree_to_json
from captionls.vocab.normalize import tag_key

REPO = Path(__file__).resolve().parent.parent
OUTLINE = "danbooru/rendered_all_tag_groups_outline_2022-10-12.md"
TAG_LISTS = ("danbooru/tags_min40posts_2024-11-30.csv", "tagcomplete/danbooru.csv")
TARGET = REPO / "vocab" / "builtin" / "groups.json.gz"
HEADING_INDENT = 4
SKIPPED_SECTIONS = {"see also", "external links", "table of contents", "contents"}
_ITEM = re.compile(r"( *)\* (.*)")


@dataclass
class Item:
    """One outline line and the lines nested in it."""

    indent: int
    text: str
    children: list[Item] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(child.size() for child in self.children)

    def is_heading(self) -> bool:
        return bool(self.children) and self.children[0].indent - self.indent >= HEADING_INDENT


def read_outline(path: Path) -> list[Item]:
    roots: list[Item] = []
    stack: list[Item] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _ITEM.fullmatch(line.rstrip())
        if match is None:
            if line.strip():
                sys.exit(f"{path}:{number}: not an outline item")
            continue
        item = Item(len(match.group(1)), match.group(2).strip())
        while stack and stack[-1].indent >= item.indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    return roots


def read_tags(data: Path) -> dict[str, str]:
    """Every known tag and alias key -> the canonical tag name."""
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for relative in TAG_LISTS:
        with (data / relative).open(encoding="utf-8", newline="") as stream:
            for row in csv.reader(stream):
                if not row:
                    continue
                names.setdefault(tag_key(row[0]), row[0])
                for alias in (row[3] if len(row) > 3 else "").split(","):
                    if alias.strip():
                        aliases.setdefault(tag_key(alias), row[0])
    return {**aliases, **names}


def group_of(text: str) -> str | None:
    """`Tag group:Hair color` -> `hair color`."""
    lowered = " ".join(text.replace("_", " ").split()).lower()
    return lowered.removeprefix(GROUP_PREFIX).strip() if lowered.startswith(GROUP_PREFIX) else None


class Builder:
    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags

    def members(self, text: str) -> list[Member]:
        """The tags an outline line names: the line itself, or each part of `a / b`."""
        whole = self.tags.get(tag_key(text))
        if whole is not None:
            return [Member(whole)]
        parts = [self.tags.get(tag_key(part)) for part in text.split(" / ")]
        return [Member(name) for name in parts if name is not None] if len(parts) > 1 else []

    def page(self, name: str, item: Item) -> Node:
        node = Node(name)
        self.fill(node, item.children)
        return node

    def fill(self, node: Node, items: list[Item]) -> None:
        for item in items:
            # A linked tag group is its own page: the outline expands it in place, the page does not hold it.
            if group_of(item.text) or item.text.lower() in SKIPPED_SECTIONS:
                continue
            if item.is_heading():
                sub = Node(item.text)
                self.fill(sub, item.children)
                node.children.append(sub)
                continue
            members = self.members(item.text)
            node.members.extend(members)
            if item.children:
                sub = Node(members[0].name if members else item.text)
                self.fill(sub, item.children)
                node.children.append(sub)


def pages(roots: list[Item]) -> list[tuple[str, Item]]:
    """Every `Tag group:*` item with content, in outline order; of repeats, the largest."""
    found: dict[str, Item] = {}

    def visit(items: list[Item]) -> None:
        for item in items:
            name = group_of(item.text)
            if name and item.children and (name not in found or item.size() > found[name].size()):
                found[name] = item
            visit(item.children)

    visit(roots)
    return list(found.items())


def prune(node: Node) -> None:
    for child in node.children:
        prune(child)
    node.children = [child for child in node.children if not child.is_empty()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    builder = Builder(read_tags(args.data))
    trees = []
    for name, item in pages(read_outline(args.data / OUTLINE)):
        tree = builder.page(name, item)
        prune(tree)
        if not tree.is_empty():
            trees.append(tree_to_json(tree))
    payload = {
        "source": f"Danbooru tag groups as rendered on 2022-10-12 ({OUTLINE})",
        "pages": trees,
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same input always gives the same bytes, so the committed file only changes with its data.
    args.output.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{args.output}: {len(trees)} groups, {args.output.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
