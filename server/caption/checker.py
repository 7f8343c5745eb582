"""The one entry point both `captionls check` and the language server call: `check_text`.

`CheckContext` holds what rules ask about besides the caption itself (configuration, vocabulary, dataset
index, sections) and caches the vocabulary's answers per tag key, so a whole dataset costs one lookup per
distinct tag rather than one per occurrence. What only one rule needs is that rule's own state object
(`state`), made on first use and told when the dataset changes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

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

# Keys added (True) or removed (False) since the last look, oldest first.
KeyChanges = Sequence[tuple[str, bool]]


class RuleState(Protocol):
    """What one rule keeps about the dataset between captions (see `CheckContext.state`)."""

    def dataset_changed(self) -> None:
        """A caption changed: forget whatever depends on counts."""

    def keys_changed(self, changes: KeyChanges | None) -> None:
        """Keys came or went (`None`: any of them may have)."""


StateT = TypeVar("StateT", bound=RuleState)


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
        self._resolved: dict[str, Resolved | None] = {}
        self._searches: dict[str, list[Hit]] = {}
        self._searcher: Searcher | None = None
        self._concepts: dict[str, set[str]] = {}
        # -1: nothing seen yet, so the first refresh builds the concept map from every key.
        self._keys_version = -1
        self._version = -1
        self._states: dict[Callable[[CheckContext], RuleState], RuleState] = {}

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
