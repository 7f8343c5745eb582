"""textDocument/codeAction: rule fixes, fix-all, sorting, dataset-wide rewrites, the personal list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.findings import Edit, Finding
from captionls.server.caption.fixes import fix_text
from captionls.server.caption.parse import Syntax, TagSpan
from captionls.server.caption.rename import BadTagName, check_new_name, rename_edits
from captionls.server.caption.suggest import PERSONAL_LIST

from ..edits import whole_change, workspace_edit
from ..workspace import CaptionView
from .commands import ADD_TO_PERSONAL, REMOVE_FROM_PERSONAL
from .diagnostics import MAX_DIAGNOSTICS

if TYPE_CHECKING:
    from ..server import CaptionServer

SORT_TAGS = f"{types.CodeActionKind.Source.value}.sortTags"
STRUCTURE_RULE = "structure-order"
KINDS: list[types.CodeActionKind | str] = [
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.SourceFixAll,
    SORT_TAGS,
    types.CodeActionKind.RefactorRewrite,
]


def register(server: CaptionServer) -> None:
    server.handle(
        types.TEXT_DOCUMENT_CODE_ACTION,
        lambda params: code_actions(server, params),
        types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=False),
        default=[],
    )


def _wanted(kind: str, only: list[str] | None) -> bool:
    return only is None or any(kind == want or kind.startswith(f"{want}.") for want in only)


def code_actions(
    server: CaptionServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return []
    start, end = view.lines.span(params.range)
    only = [
        str(kind.value if isinstance(kind, types.CodeActionKind) else kind)
        for kind in params.context.only or []
    ]
    only_or_none = only or None
    findings = server.diagnostics.findings(view)
    actions: list[types.CodeAction | types.Command] = []
    if _wanted(types.CodeActionKind.QuickFix.value, only_or_none):
        # Quick fixes only for the findings the client was shown as diagnostics.
        for finding in findings[:MAX_DIAGNOSTICS]:
            if finding.start <= end and start <= finding.end:
                actions.extend(_quickfixes(server, view, finding))
    if _wanted(types.CodeActionKind.SourceFixAll.value, only_or_none):
        fix_all = _fix_all(server, view, findings)
        if fix_all is not None:
            actions.append(fix_all)
    if _wanted(SORT_TAGS, only_or_none):
        actions.extend(_sort(server, view, findings))
    tag = view.caption.tag_at(start)
    if tag is not None and tag.key:
        if _wanted(types.CodeActionKind.RefactorRewrite.value, only_or_none):
            actions.extend(_use_everywhere(server, view, tag))
        if _wanted(types.CodeActionKind.QuickFix.value, only_or_none):
            actions.append(_personal_list_command(view, tag))
    return actions


def _quickfixes(server: CaptionServer, view: CaptionView, finding: Finding) -> list[types.CodeAction]:
    diagnostic = server.diagnostics.diagnostic(view, finding)
    return [
        types.CodeAction(
            title=fix.title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=True if fix.preferred else None,
            edit=workspace_edit(server, view, fix.edits),
        )
        for fix in finding.fixes
    ]


def _fix_all(server: CaptionServer, view: CaptionView, findings: list[Finding]) -> types.CodeAction | None:
    """Every safe fix of this caption until they settle: what `captionls check --fix` does to it."""
    if not any(fix.safe for finding in findings for fix in finding.fixes):
        return None
    fixed = fix_text(view.path, view.text, view.dataset.context())
    if fixed == view.text:
        return None
    return types.CodeAction(
        title="Fix all safe captionls findings",
        kind=types.CodeActionKind.SourceFixAll,
        edit=workspace_edit(server, view, [whole_change(view.text, fixed)]),
    )


def _sort(server: CaptionServer, view: CaptionView, findings: list[Finding]) -> list[types.CodeAction]:
    """The structure-order rule's fix, offered as a source action wherever the cursor is."""
    for finding in findings:
        if finding.rule == STRUCTURE_RULE and finding.fixes:
            return [
                types.CodeAction(
                    title="Sort tags into structure order",
                    kind=SORT_TAGS,
                    edit=workspace_edit(server, view, finding.fixes[0].edits),
                )
            ]
    return []


def _use_everywhere(server: CaptionServer, view: CaptionView, tag: TagSpan) -> list[types.CodeAction]:
    """ "Use X in all captions": every other phrasing of this tag in the dataset rewritten to X.

    X is the tag as written here, the dataset's most used phrasing of it and, for an alias, the canonical tag.
    """
    dataset = view.dataset
    context = dataset.context()
    concept = context.concept(tag.key)
    keys = set(context.concept_keys(concept)) | {tag.key}
    texts = {other.path: other.text for other in server.captions.open_views() if other.dataset is dataset}
    texts[view.path] = view.text
    canonical = context.resolve(tag.key)
    phrasings: dict[str, int] = {}
    for key in keys:
        for phrasing, count in dataset.index.phrasings(key).items():
            phrasings[phrasing] = phrasings.get(phrasing, 0) + count
    targets = [tag.name]
    if phrasings:
        targets.append(min(phrasings, key=lambda phrasing: (-phrasings[phrasing], phrasing)))
    if canonical is not None and canonical.tag.key != tag.key:
        targets.append(dataset.index.display(concept) if dataset.index.count(concept) else canonical.tag.name)
    targets = list(dict.fromkeys(targets))
    actions = []
    for target in targets:
        if not _stays_one_tag(target, dataset.config.syntax):
            continue  # a phrasing with a control character is never offered as the one to converge on
        edits: list[Edit] = []
        for key in sorted(keys):
            for path_edits in rename_edits(dataset.index, key, target, texts).values():
                edits.extend(path_edits)
        if not edits:
            continue
        files = len({edit.path for edit in edits})
        actions.append(
            types.CodeAction(
                title=f"Use `{target}` in all captions ({files} file{'s' if files != 1 else ''})",
                kind=types.CodeActionKind.RefactorRewrite,
                edit=workspace_edit(server, view, edits),
            )
        )
    return actions


def _personal_list_command(view: CaptionView, tag: TagSpan) -> types.Command:
    """ "Add to" or "Remove from the personal vocabulary", whichever applies. A bare Command (no edit):
    the server runs it. Bare, because lsprotocol-based clients read a CodeAction that carries a
    `command` as a Command anyway."""
    vocabulary = view.dataset.vocabulary.vocabulary
    resolved = vocabulary.resolve_key(tag.key)
    name = resolved.tag.name if resolved is not None else tag.name
    if resolved is not None and resolved.tag.key in vocabulary.list_keys(PERSONAL_LIST):
        title, command = f"Remove `{name}` from the personal vocabulary", REMOVE_FROM_PERSONAL
    else:
        title, command = f"Add `{name}` to the personal vocabulary", ADD_TO_PERSONAL
    return types.Command(title=title, command=command, arguments=[{"name": name, "uri": view.uri}])


def _stays_one_tag(name: str, syntax: Syntax) -> bool:
    try:
        check_new_name(name, syntax)
    except BadTagName:
        return False
    return True
