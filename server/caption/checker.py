"""The one entry point both `captionls check` and the language server call: `check_text`.

`CheckContext` holds what rules ask about besides the caption itself (configuration, vocabulary, dataset
index, sections) and caches the vocabulary's answers per tag key, so a whole dataset costs one lookup per
distinct tag rather than one per occurrence. What only one rule needs is that rule's own state object
(`state`), made on first use and told when the dataset changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from captionls.vocab.normalize import TagStyle, tag_key
from captionls.vocab.query import Resolved, Tag, Vocabulary
from captionls.vocab.search import Searcher
from captionls.vocab.sections import SectionMap
from captionls.vocab.store import Store

from .config import Config
from .dataset import DatasetIndex
from .findings import SEVERITIES, Finding, Severity
from .parse import Caption, CaptionLine, parse_caption
from .rules.base import Document, Rule
from .rules.registry import RULES
from .structure import Sections, longest_in_order
from .suggest import typo_matches
from .trigger import inferred_trigger, known_tag

# The rules that also read prose lines; every other rule is a tag rule and never sees one. (Inside tag
# lines, the rules leave phrases alone through `rules.tag_like`.)
PROSE_RULES = frozenset({"missing-trigger", "token-limit"})

# Keys added (True) or removed (False) since the last look, oldest first.
KeyChanges = Sequence[tuple[str, bool]]


class RuleState(Protocol):
    """What one rule keeps about the dataset between captions (see `CheckContext.state`)."""

    def dataset_changed(self) -> None:
        """A caption changed: forget whatever depends on counts."""

    def keys_changed(self, changes: KeyChanges | None) -> None:
        """Keys came or went (`None`: any of them may have)."""


StateT = TypeVar("StateT", bound=RuleState)


# Captions looked at to judge whether a dataset keeps the section order.
STRUCTURE_SAMPLE = 300
# Fewer captions than this say nothing about a dataset's convention: the guide's order holds.
STRUCTURE_JUDGED_AT_LEAST = 5


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
        searcher: Searcher | None = None,
    ) -> None:
        """`searcher`: the one to ask for typo candidates, when the caller keeps one over `vocabulary` (the
        language server's completion searches the same keys: their look-ups are shared)."""
        self.config = config
        self.vocabulary = vocabulary
        self.index = index
        self._resolved: dict[str, Resolved | None] = {}
        self.sections = Sections(config, vocabulary, section_map, self.resolve)
        # The trigger keys: configured, else inferred from the dataset (followed by `trigger_names`).
        self.triggers = {tag_key(trigger) for trigger in config.trigger}
        self._inferred: tuple[str, ...] = ()
        self._leads_version = -1
        # Each enabled rule with its severity and its options (validated when the config was read).
        self.rules: list[tuple[Rule[Any], Severity, Any]] = []
        for rule in RULES.values():
            if (select is not None and rule.name not in select) or rule.name in ignore:
                continue
            setting = config.setting(rule.name)
            severity = setting.severity or rule.severity
            if severity == "off" or severity not in SEVERITIES:
                continue
            self.rules.append((rule, _severity(severity), rule.configured(setting.options)))
        self._enabled = frozenset(rule.name for rule, _, _ in self.rules)
        self._concept_of: dict[str, str] = {}
        self._typos: dict[tuple[str, str], list[Tag]] = {}
        self._implied: dict[str, frozenset[str]] = {}
        self._has_implications: bool | None = None
        self._searcher = searcher
        self._concepts: dict[str, set[str]] = {}
        # -1: nothing seen yet, so the first refresh builds the concept map from every key.
        self._keys_version = -1
        self._version = -1
        self._states: dict[Callable[[CheckContext], RuleState], RuleState] = {}
        # (index.version when judged, whether the dataset follows the structure)
        self._follows: tuple[int, bool] | None = None

    def reopen_vocabulary(self) -> None:
        """Read the vocabulary through a read-only connection of this process's own: what a forked worker
        does first, since an SQLite connection must not be used on both sides of a fork. The answers
        cached so far stay. An in-memory vocabulary was copied with the process: nothing is shared."""
        path = self.vocabulary.store.path
        if str(path) == ":memory:":
            return
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        self.vocabulary = Vocabulary(Store(path, conn))
        self.sections.vocabulary = self.vocabulary
        self._searcher = None

    @property
    def trigger_names(self) -> tuple[str, ...]:
        """The configured triggers, else the one the dataset's captions start with (see `trigger`)."""
        if self.config.trigger:
            return self.config.trigger
        if self._leads_version != self.index.leads_version:
            self._leads_version = self.index.leads_version
            name = inferred_trigger(self.index, lambda key: known_tag(self.vocabulary, key))
            self._inferred = () if name is None else (name,)
            self.triggers = {tag_key(name) for name in self._inferred}
            self.sections.follow_triggers(self.triggers)
        return self._inferred

    def trigger_keys(self) -> set[str]:
        """The keys of `trigger_names`: what `format` and the fixes write exactly as the captions do."""
        self.trigger_names  # noqa: B018 (follows the dataset's inferred trigger)
        return self.triggers

    @property
    def inferred(self) -> str | None:
        """The inferred trigger, when no trigger is configured and the captions show one."""
        names = self.trigger_names
        return names[0] if names and not self.config.trigger else None

    @property
    def keep_count(self) -> int:
        """How many leading tags the triggers must fall within (kohya's keep_tokens)."""
        keep = self.config.keep_tokens
        return keep if keep is not None else len(self.trigger_names)

    def enabled(self, rule: str) -> bool:
        return rule in self._enabled

    def resolve(self, key: str) -> Resolved | None:
        """The vocabulary's tag for a key (own key or alias), cached."""
        # Asked hundreds of thousands of times in a large check, nearly always answered from the cache.
        try:
            return self._resolved[key]
        except KeyError:
            resolved = self._resolved[key] = self.vocabulary.resolve_key(key)
            return resolved

    def resolve_all(self, keys: list[str]) -> list[Resolved | None]:
        """`resolve` for each of `keys`, the ones not cached yet asked of the vocabulary in one batch (a
        dataset's first look asks about thousands, a typo's candidates about dozens)."""
        resolved = self._resolved
        unresolved = [key for key in keys if key not in resolved]
        if unresolved:
            found = self.vocabulary.resolve_keys(unresolved)
            for key in unresolved:
                resolved[key] = found.get(key)
        return [resolved[key] for key in keys]

    def has_implications(self) -> bool:
        """Whether the vocabulary has any implication (the built-in one has none), asked once."""
        if self._has_implications is None:
            self._has_implications = bool(self.vocabulary.names("SELECT 1 FROM implications LIMIT 1", ()))
        return self._has_implications

    def implied(self, concept: str) -> frozenset[str]:
        """The keys of the tags the vocabulary says `concept` (a canonical key) implies, cached."""
        implied = self._implied.get(concept)
        if implied is None:
            resolved = self.resolve(concept)
            names = (
                self.vocabulary.names(
                    "SELECT tags.key FROM implications JOIN tags ON tags.id = implications.implied_id"
                    " WHERE implications.tag_id = ?",
                    (resolved.tag.id,),
                )
                if resolved is not None
                else []
            )
            implied = self._implied[concept] = frozenset(names)
        return implied

    def concept(self, key: str) -> str:
        """The canonical key a key stands for: through an alias when it is one, else itself."""
        try:
            return self._concept_of[key]
        except KeyError:
            resolved = self.resolve(key)
            concept = self._concept_of[key] = key if resolved is None else resolved.tag.key
            return concept

    def typo_matches(self, key: str, name: str, limit: int = 3) -> list[Tag]:
        """The vocabulary tags an unknown tag is a typo of (`suggest.typo_matches`), cached."""
        cache_key = (key, name)
        if cache_key not in self._typos:
            self._typos[cache_key] = typo_matches(
                key, name, resolve_all=self.resolve_all, search=self._search, limit=limit
            )
        return self._typos[cache_key][:limit]

    def _search(self, key: str, limit: int) -> list[Tag]:
        if self._searcher is None:
            self._searcher = Searcher(self.vocabulary)
        return [hit.tag for hit in self._searcher.search(key, limit)]

    def state(self, make: Callable[[CheckContext], StateT]) -> StateT:
        """The state object `make` builds for one rule: made on first use, kept for this context, told
        of every change to the dataset before it is returned or asked again."""
        self.refresh()
        state = self._states.get(make)
        if state is None:
            state = self._states[make] = make(self)
        # Each `make` only ever maps to what it made.
        return state  # type: ignore[return-value]

    def refresh(self) -> None:
        """Follow the dataset's changes: rule states on any change, the concept map per key."""
        if self._version != self.index.version:
            self._version = self.index.version
            for state in self._states.values():
                state.dataset_changed()
        if self._keys_version == self.index.keys_version:
            return
        changes = self.index.key_changes(self._keys_version)
        self._keys_version = self.index.keys_version
        for state in self._states.values():
            state.keys_changed(changes)
        if changes is None:
            self.resolve_all(self.index.keys())
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

    def concept_keys(self, concept: str) -> set[str]:
        """The dataset's keys that stand for `concept` (the canonical key and its aliases)."""
        self.refresh()
        return self._concepts.get(concept, set())

    def follows_structure(self) -> bool:
        """Whether most captions keep the configured section order (sampled; re-judged once a tenth of
        the captions have changed). A tagger's confidence order or a template's own order does not."""
        version = self.index.version
        if self._follows is not None and version - self._follows[0] < max(1, len(self.index) // 10):
            return self._follows[1]
        # The sample asks about most of the dataset's keys: resolved in one batch first (by `refresh`).
        self.refresh()
        captions = self.index.captions()
        step = max(1, len(captions) // STRUCTURE_SAMPLE)
        judged = unordered = 0
        for path in captions[::step]:
            ranks = [rank for rank in map(self.sections.rank, self.index.keys_of(path)) if rank is not None]
            if len(ranks) < 2:
                continue
            judged += 1
            unordered += len(longest_in_order(ranks)) < len(ranks)
        follows = judged < STRUCTURE_JUDGED_AT_LEAST or unordered * 2 <= judged
        self._follows = (version, follows)
        return follows

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
    return check_caption(path, parse_caption(text, ctx.config.syntax), ctx)


def check_caption(path: Path, caption: Caption, ctx: CheckContext) -> list[Finding]:
    ctx.trigger_keys()  # the rules read `ctx.triggers`: follow the dataset's inferred trigger first
    whole = Document(path, caption.text, caption, ctx)
    tag_lines = [line for line in caption.lines if line.kind == "tags"]
    prose = [line for line in caption.lines if line.kind == "prose"]
    tags_only = whole if not prose else Document(path, caption.text, _only(caption, tag_lines), ctx)
    findings: list[Finding] = []
    for rule, severity, options in ctx.rules:
        document = whole if rule.name in PROSE_RULES else tags_only
        for finding in rule.check(rule, document, options):
            finding.severity = severity
            findings.append(finding)
    if prose:
        for finding in findings:
            _leave_prose_alone(finding, prose, path)
    if any(line.wildcards for line in caption.lines):
        for finding in findings:
            _keep_wildcards_whole(finding, caption, path)
    # Document order; at one place, in the registry's order (stable sort keeps each rule's own order).
    findings.sort(key=lambda finding: finding.start)
    return findings


def _only(caption: Caption, lines: list[CaptionLine]) -> Caption:
    return Caption(caption.text, caption.separator, lines)


def _keep_wildcards_whole(finding: Finding, caption: Caption, path: Path) -> None:
    """A fix that would cut into a wildcard (`{a|b}`) is dropped: the finding stays, with the fixes that
    keep the syntax whole (renaming a choice does)."""
    finding.fixes = [
        fix
        for fix in finding.fixes
        if all(
            edit.path not in (None, path)
            or (line := caption.line_at(edit.start)) is None
            or line.keeps_syntax(edit.start, edit.end, edit.new_text)
            for edit in fix.edits
        )
    ]


def _leave_prose_alone(finding: Finding, prose: list[CaptionLine], path: Path) -> None:
    """A fix that would write into a prose line is offered, never applied by `--fix` or fix-all."""
    for i, fix in enumerate(finding.fixes):
        if fix.safe and any(
            line.start <= edit.end and edit.start <= line.end and edit.path in (None, path)
            for edit in fix.edits
            for line in prose
        ):
            finding.fixes[i] = replace(fix, safe=False)
