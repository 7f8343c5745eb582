"""Diagnostics: findings -> diagnostics, pulled (textDocument/diagnostic) or published, in one place.

The findings come from `checker.check_caption`, the function `captionls check` calls, so the editor and the
command line report the same things. They are cached per document version and dataset generation;
code actions read the same cache. Pull is chosen only when the client can also be told to re-pull:
diagnostics of one caption change when another caption changes, and a pull-only client would keep stale
ones. A document too large to be a caption gets one diagnostic saying so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.checker import check_caption
from captionls.server.caption.findings import Finding

from ..guard import guarded
from ..positions import LineIndex
from ..settings import SECTION
from ..workspace import OVERSIZED_MESSAGE, CaptionView, Dataset

if TYPE_CHECKING:
    from ..server import CaptionServer

SOURCE = "captionls"
MAX_DIAGNOSTICS = 1000
# How long after a dataset change everyone's diagnostics are refreshed (changes come in bursts).
REFRESH_DELAY = 0.3
# A caption whose check took longer than SLOW_CHECK is published once typing pauses for TYPING_PAUSE,
# not on every keystroke: checking a 16,000-tag caption per key would queue seconds of work per second.
SLOW_CHECK = 0.2
TYPING_PAUSE = 0.3
SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
OVERSIZED = types.Diagnostic(
    range=types.Range(types.Position(0, 0), types.Position(0, 0)),
    message=OVERSIZED_MESSAGE,
    severity=types.DiagnosticSeverity.Warning,
    code="file-size",
    source=SOURCE,
)


def register(server: CaptionServer) -> None:
    server.on_initialize.append(server.diagnostics.choose_delivery)


class Diagnostics:
    """Each caption's findings (cached), and their delivery to the client."""

    def __init__(self, server: CaptionServer) -> None:
        self.server = server
        self.captions = server.captions
        self.pull = False
        self._cache: dict[str, tuple[tuple[object, ...], list[Finding]]] = {}
        self._refresh: asyncio.TimerHandle | None = None
        self._check_seconds: dict[str, float] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._publish_later = guarded(server.log, "publishDiagnostics", self._publish_uri, lambda uri: None)
        self._refresh_later: Callable[[None], None] = guarded(
            server.log, "publishDiagnostics", lambda _: self.refresh_all(), lambda _: None
        )
        # Closed captions whose diagnostics the user asked for ("Check dataset"): workspace pulls
        # report them beside the open ones, so they show in the editor's problem list.
        self.checked: set[str] = set()

    # Findings -------------------------------------------------------------------------------

    def findings(self, view: CaptionView) -> list[Finding]:
        dataset = view.dataset
        stamp = (view.version, id(view.text), dataset.generation, id(dataset.context()))
        cached = self._cache.get(view.uri)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        started = time.monotonic()
        findings = check_caption(view.path, view.caption, dataset.context())
        self._check_seconds[view.uri] = time.monotonic() - started
        self._cache[view.uri] = (stamp, findings)
        return findings

    def forget(self, uri: str) -> None:
        self._cache.pop(uri, None)
        self._check_seconds.pop(uri, None)
        self._cancel_pending(uri)

    def _cancel_pending(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()

    def result_id(self, view: CaptionView) -> str:
        dataset = view.dataset
        return f"{view.version}:{dataset.generation}:{dataset.vocabulary.generation}:{id(dataset.config)}"

    def diagnostics(self, view: CaptionView) -> list[types.Diagnostic]:
        # A caption has a handful; a pasted novel could have tens of thousands, which no editor shows.
        return [self.diagnostic(view, finding) for finding in self.findings(view)[:MAX_DIAGNOSTICS]]

    def diagnostic(self, view: CaptionView, finding: Finding) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(
                location=types.Location(uri, lines.range(item.start, item.end)), message=item.message
            )
            for item in finding.related
            for uri, lines in [self._lines_of(view, item.path)]
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

    def _lines_of(self, view: CaptionView, path: Path) -> tuple[str, LineIndex | None]:
        """The URI and line index of `path`, which is usually the view's own document."""
        if path == view.path:
            return view.uri, view.lines
        text = self.captions.text_of(path)
        if text is None:
            return path.as_uri(), None
        return path.as_uri(), LineIndex(text, view.lines.codec)

    # Delivery -------------------------------------------------------------------------------

    def choose_delivery(self, params: types.InitializeParams) -> None:
        caps = params.capabilities
        workspace_caps = caps.workspace
        refresh_support = bool(
            workspace_caps and workspace_caps.diagnostics and workspace_caps.diagnostics.refresh_support
        )
        self.pull = bool(caps.text_document and caps.text_document.diagnostic) and refresh_support
        if self.pull:
            options = types.DiagnosticOptions(
                identifier=SECTION, inter_file_dependencies=True, workspace_diagnostics=True
            )
            self.server.handle(types.TEXT_DOCUMENT_DIAGNOSTIC, self.pull_document, options)
            self.server.handle(
                types.WORKSPACE_DIAGNOSTIC,
                self.pull_workspace,
                default=types.WorkspaceDiagnosticReport(items=[]),
            )

    def document_changed(self, uri: str) -> None:
        """An open document's text changed: a pushing server publishes its diagnostics at once (once
        typing pauses, when checking it is slow)."""
        if self.pull:
            return
        self._cancel_pending(uri)
        if self._check_seconds.get(uri, 0.0) > SLOW_CHECK:
            self._pending[uri] = asyncio.get_event_loop().call_later(TYPING_PAUSE, self._publish_later, uri)
        else:
            # After the answers to what the client sent with the edit (a completion request, usually).
            self.server.idle.defer((SOURCE, uri), lambda: self._publish_later(uri))

    def _publish_uri(self, uri: str) -> None:
        self._pending.pop(uri, None)
        view = self.captions.view(uri)
        if view is not None:
            self.publish(view)
        elif self.captions.is_oversized(uri):
            version = self.server.workspace.get_text_document(uri).version
            self._send(uri, [OVERSIZED], version)

    def document_closed(self, uri: str) -> None:
        self.forget(uri)
        self.server.idle.cancel((SOURCE, uri))
        if not self.pull:
            self._send(uri, [], None)

    def dataset_changed(self, dataset: Dataset) -> None:
        """Refresh everyone soon: the dataset changed outside its captions' own text."""
        self.captions.dataset_changed(dataset)
        if self._refresh is not None:
            self._refresh.cancel()
        self._refresh = asyncio.get_event_loop().call_later(REFRESH_DELAY, self.refresh_all)

    def refresh_all_soon(self) -> None:
        """`refresh_all` once what the client sent so far is answered (an opened caption's completion
        should not wait for every open caption's check)."""
        self.server.idle.defer((SOURCE, "every caption"), lambda: self._refresh_later(None))

    def refresh_all(self) -> None:
        """Tell the client every caption's diagnostics may have changed."""
        self._refresh = None
        if self.pull:
            self.server.workspace_diagnostic_refresh(None)
            return
        for view in self.captions.open_views():
            self.publish(view)

    def publish(self, view: CaptionView) -> None:
        self._send(view.uri, self.diagnostics(view), view.version)

    def _send(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def pull_document(self, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        view = self.captions.view(uri)
        if view is None:
            items = [OVERSIZED] if self.captions.is_oversized(uri) else []
            return types.RelatedFullDocumentDiagnosticReport(items=items)
        result_id = self.result_id(view)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=self.diagnostics(view), result_id=result_id)

    def pull_workspace(self, params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
        """Reports for the open captions, and the closed ones a "Check dataset" asked for."""
        previous = {item.uri: item.value for item in params.previous_result_ids}
        items: list[types.WorkspaceDocumentDiagnosticReport] = [
            types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=version, items=[OVERSIZED])
            for uri, version in self.captions.oversized_documents()
        ]
        views = self.captions.open_views()
        open_uris = {view.uri for view in views}
        for uri in sorted(self.checked - open_uris):
            view = self.captions.view(uri)
            if view is None:
                self.checked.discard(uri)  # deleted, or no longer a caption
            else:
                views.append(view)
        for view in views:
            result_id = self.result_id(view)
            if previous.get(view.uri) == result_id:
                items.append(
                    types.WorkspaceUnchangedDocumentDiagnosticReport(
                        uri=view.uri, version=view.version, result_id=result_id
                    )
                )
            else:
                items.append(
                    types.WorkspaceFullDocumentDiagnosticReport(
                        uri=view.uri, version=view.version, items=self.diagnostics(view), result_id=result_id
                    )
                )
        return types.WorkspaceDiagnosticReport(items=items)
