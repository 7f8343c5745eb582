"""The one entry point both `captionls check` and the language server call: `check_text`.

`CheckContext` holds what rules ask about besides the caption itself (configuration, vocabulary, dataset
index, sections) and caches the vocabulary's answers per tag key, so a whole dataset costs one lookup per
distinct tag rather than one per occurrence.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from captionls.vocab.normalize import TagStyle, tag_key
from captionls.vocab.query import Resolved, Vocabulary
from captionls.vocab.search import Hit, Searcher
from captionls.vocab.sections import SectionMap

from .config import Config
from .dataset import DatasetIndex
from .findings import SEVERITIES, Finding, Severity
from .parse import Caption, parse_caption
from .rules.base import Document, Rule
from .rules.registry import RULES
from .structure import Sections
from .typos import TypoIndex


class CheckContext:
    """Everything the rules consult, with per-key caches. Keep one per dataset for the life of a run."""

    def __init__(
        self,
        config: Config,
        vocabulary: Vocabulary,
        index: DatasetIndex,
        section_map: SectionMap | None = None,
        *,
        select: Collection[str] | None = None,
        ignore: Collection[str] = (),
    ) -> None:
        self.config = config
        self.vocabulary = vocabulary
        self.index = index
        self.sections = Sections(config, vocabulary, section_map)
        self.triggers = {tag_key(trigger) for trigger in config.trigger}
        self.rules: list[tuple[Rule, Severity, Mapping[str, object]]] = []
        for rule in RULES.values():
            if (select is not None and rule.name not in select) or rule.name in ignore:
                continue
            setting = config.setting(rule.name)
            severity = setting.severity or rule.severity
            if severity == "off" or severity not in SEVERITIES:
                continue
            self.rules.append((rule, _severity(severity), {**rule.options, **setting.options}))
        self._resolved: dict[str, Resolved | None] = {}
        self._searches: dict[str, list[Hit]] = {}
        self._searcher: Searcher | None = None
        self._concepts: dict[str, set[str]] = {}
        # Typo distance -> the dataset's keys filed for near spellings, followed as keys come and go.
        self._typos: dict[int, TypoIndex] = {}
        # -1: nothing seen yet, so the first refresh builds the concept map from every key.
        self._keys_version = -1
        self._written: dict[tuple[str, bool], dict[str, int]] = {}
        self._majority: dict[tuple[str, bool], tuple[str, int] | None] = {}
        self._memos: dict[str, dict[Any, Any]] = {}
        self._version = -1

    def enabled(self, rule: str) -> bool:
        return any(entry[0].name == rule for entry in self.rules)

    def resolve(self, key: str) -> Resolved | None:
        """The vocabulary's tag for a key (own key or alias), cached."""
        if key in self._resolved:
            return self._resolved[key]
        resolved = self.vocabulary.resolve_key(key)
        self._resolved[key] = resolved
        return resolved

    def concept(self, key: str) -> str:
        """The canonical key a key stands for: through an alias when it is one, else itself."""
        resolved = self.resolve(key)
        return key if resolved is None else resolved.tag.key

    def search(self, name: str, limit: int = 3) -> list[Hit]:
        """The vocabulary tags closest to an unknown name, cached."""
        if name not in self._searches:
            if self._searcher is None:
                self._searcher = Searcher(self.vocabulary)
            self._searches[name] = self._searcher.search(name, limit)
        return self._searches[name][:limit]

    def _refresh(self) -> None:
        """Follow the dataset's changes: phrasing totals on any change, the concept map per key."""
        if self._version != self.index.version:
            self._version = self.index.version
            self._written = {}
            self._majority = {}
            self._memos = {}
        if self._keys_version == self.index.keys_version:
            return
        changes = self.index.key_changes(self._keys_version)
        self._keys_version = self.index.keys_version
        if changes is None:
            self._typos = {}
            self._concepts = {}
            for key in self.index.keys():  # noqa: SIM118 (a method, not a dict)
                self._concepts.setdefault(self.concept(key), set()).add(key)
            return
        for key, added in changes:
            concept = self.concept(key)
            if added:
                self._concepts.setdefault(concept, set()).add(key)
            else:
                keys = self._concepts.get(concept)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._concepts[concept]
            for typos in self._typos.values():
                if added:
                    typos.add(key)
                else:
                    typos.remove(key)

    def memo(self, name: str) -> dict[Any, Any]:
        """A cache a rule may keep answers in that depend on the dataset; emptied when it changes."""
        self._refresh()
        memo = self._memos.get(name)
        if memo is None:
            memo = self._memos[name] = {}
        return memo

    def concept_keys(self, concept: str) -> set[str]:
        """The dataset's keys that stand for `concept` (the canonical key and its aliases)."""
        self._refresh()
        return self._concepts.get(concept, set())

    def written(self, concept: str, aliases: bool) -> dict[str, int]:
        """How the dataset writes a concept: phrasing -> captions, over its keys (alias keys if `aliases`)."""
        self._refresh()
        cache_key = (concept, aliases)
        totals = self._written.get(cache_key)
        if totals is None:
            totals = {}
            for key in sorted(self._concepts.get(concept, ())):
                if not aliases and self.concept(key) != key:
                    continue
                for name, count in self.index.phrasings(key).items():
                    totals[name] = totals.get(name, 0) + count
            self._written[cache_key] = totals
        return totals

    def majority(self, concept: str, aliases: bool) -> tuple[str, int] | None:
        """The dataset's most used phrasing of a concept and its caption count (ties: the first name)."""
        self._refresh()
        cache_key = (concept, aliases)
        if cache_key not in self._majority:
            written = self.written(concept, aliases)
            self._majority[cache_key] = (
                min(written.items(), key=lambda item: (-item[1], item[0])) if written else None
            )
        return self._majority[cache_key]

    def near_duplicate(self, key: str, max_distance: int) -> str | None:
        """A more used dataset key one or two typos away from `key` (same digits and words), or None."""
        self._refresh()
        typos = self._typos.get(max_distance)
        if typos is None:
            typos = self._typos[max_distance] = TypoIndex(max_distance, self.index.keys())
        neighbours = typos.near(key)
        count = self.index.count(key)
        digits = [c for c in key if c.isdigit()]
        words = len(key.split())
        best: str | None = None
        best_count = count
        for other in neighbours:
            other_count = self.index.count(other)
            same_shape = [c for c in other if c.isdigit()] == digits and len(other.split()) == words
            if same_shape and other_count > best_count:
                best, best_count = other, other_count
        return best

    @property
    def tag_style(self) -> TagStyle:
        """The configured tag style, else the dataset's majority."""
        return self.index.tag_style()


def _severity(name: str) -> Severity:
    for severity in SEVERITIES:
        if severity == name:
            return severity
    raise ValueError(name)


def check_text(path: Path, text: str, ctx: CheckContext) -> list[Finding]:
    """Every finding for the caption `text` of `path`, in document order."""
    return check_caption(path, parse_caption(text, ctx.config.separator), ctx)


def check_caption(path: Path, caption: Caption, ctx: CheckContext) -> list[Finding]:
    document = Document(path, caption.text, caption, ctx)
    findings: list[Finding] = []
    for rule, severity, options in ctx.rules:
        for finding in rule.check(rule, document, options):
            finding.severity = severity
            findings.append(finding)
    # Document order; at one place, in the registry's order (stable sort keeps each rule's own order).
    findings.sort(key=lambda finding: finding.start)
    return findings
