"""What a rule reports: a finding with its span, message, related places and fixes. No LSP types."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info", "hint")
# `off` is a configuration value only: a rule set to it never runs.
SEVERITY_SETTINGS = (*SEVERITIES, "off")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `new_text`; `path` None means the document being checked."""

    start: int
    end: int
    new_text: str
    path: Path | None = None


@dataclass(frozen=True)
class Fix:
    """One way to resolve a finding; `safe` fixes are what `check --fix` applies."""

    title: str
    edits: list[Edit]
    preferred: bool = False
    safe: bool = False


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding (the other tags saying "background")."""

    path: Path
    start: int
    end: int
    message: str


@dataclass
class Finding:
    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    fixes: list[Fix] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    # What several captions may share, for a summary ("put "full body" (type) after subject tags").
    pattern: str | None = None
