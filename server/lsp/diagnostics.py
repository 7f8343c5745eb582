"""Findings -> diagnostics, delivered by pull (textDocument/diagnostic) or by publishing.

The findings come from `checker.check_caption`, the function `captionls check` calls, so the editor and the
command line report the same things. They are cached per document version and dataset generation;
code actions read the same cache.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from captionls.server.caption.checker import check_caption
from captionls.server.caption.findings import Finding

from .positions import LineIndex
from .workspace import CaptionView, CaptionWorkspace

SOURCE = "captionls"
MAX_DIAGNOSTICS = 1000
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


class Diagnoser:
    """Computes and caches each caption's findings."""

    def __init__(self, workspace: CaptionWorkspace) -> None:
        self.workspace = workspace
        self._cache: dict[str, tuple[tuple[object, ...], list[Finding]]] = {}

    def stamp(self, view: CaptionView) -> tuple[object, ...]:
        dataset = view.dataset
        return (view.version, id(view.text), dataset.generation, id(dataset.context()))

    def result_id(self, view: CaptionView) -> str:
        dataset = view.dataset
        return f"{view.version}:{dataset.generation}:{dataset.vocabulary.generation}:{id(dataset.config)}"

    def findings(self, view: CaptionView) -> list[Finding]:
        if view.dataset.vocabulary.changed():
            view.dataset.generation += 1
        stamp = self.stamp(view)
        cached = self._cache.get(view.uri)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        findings = check_caption(view.path, view.caption, view.dataset.context())
        self._cache[view.uri] = (stamp, findings)
        return findings

    def forget(self, uri: str) -> None:
        self._cache.pop(uri, None)

    def diagnostics(self, view: CaptionView) -> list[types.Diagnostic]:
        # A caption has a handful; a pasted novel could have tens of thousands, which no editor shows.
        return [self.diagnostic(view, finding) for finding in self.findings(view)[:MAX_DIAGNOSTICS]]

    def diagnostic(self, view: CaptionView, finding: Finding) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(uri, lines.range(item.start, item.end)), message=item.message
            )
            for item in finding.related
            for uri, lines in [self.lines_of(view, item.path)]
            if lines is not None
        ]
        return types.Diagnostic(
            range=view.lines.range(finding.start, finding.end),
            message=finding.message,
            severity=SEVERITY[finding.severity],
            code=finding.rule,
            source=SOURCE,
            related_information=related or None,
        )

    def lines_of(self, view: CaptionView, path: Path) -> tuple[str, LineIndex | None]:
        """The URI and line index of `path`, which is usually the view's own document."""
        if path == view.path:
            return view.uri, view.lines
        text = self.workspace.text_of(path)
        if text is None:
            return path.as_uri(), None
        return path.as_uri(), LineIndex(text, view.lines.codec)
