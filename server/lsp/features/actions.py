"""textDocument/codeAction: rule fixes, fix-all, sorting, dataset-wide rewrites, the personal list.

A quick fix means a problem: what the lightbulb offers on a clean tag is nothing. So the same fix of two
findings is one action (resolving both diagnostics), the preferred fixes come first, "Use `X` in all
captions" never spreads a phrasing the rules flag, and adding a tag the vocabulary already knows to the
personal list waits in the refactor menu (asked for by kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from captionls.server.caption.checker import check_text
from captionls.server.caption.files import apply_edits
from captionls.server.caption.findings import Edit, Finding
from captionls.server.caption.fixes import fix_text
from captionls.server.caption.parse import Syntax, TagSpan
from captionls.server.caption.rename import BadTagName, check_new_name, rename_edits
from captionls.server.caption.suggest import PERSONAL_LIST
from captionls.vocab.normalize import styled

from ..edits import whole_change, workspace_edit
from ..workspace import CaptionView
from .commands import ADD_TO_PERSONAL, REMOVE_FROM_PERSONAL
from .diagnostics import MAX_DIAGNOSTICS

if TYPE_CHECKING:
    from ..server import CaptionServer

SORT_TAGS = f"{types.CodeActionKind.Source.value}.sortTags"
STRUCTURE_RULE = "structure-order"
UNKNOWN_RULE = "unknown-tag"
KINDS: list[types.CodeActionKind | str] = [
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.SourceFixAll,
    SORT_TAGS,
    types.CodeActionKind.Refactor,
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


def _kind_name(kind: types.CodeActionKind | str | None) -> str:
    return kind.value if isinstance(kind, types.CodeActionKind) else str(kind)


def code_actions(
    server: CaptionServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    view = server.captions.view(params.text_document.uri)
    if view is None:
        return []
    start, end = view.lines.span(params.range)
    only = [_kind_name(kind) for kind in params.context.only or []]
    only_or_none = only or None
    findings = server.diagnostics.findings(view)
    actions: list[types.CodeAction | types.Command] = []
    if _wanted(types.CodeActionKind.QuickFix.value, only_or_none):
        # Quick fixes only for the findings the client was shown as diagnostics.
        shown = [
            finding for finding in findings[:MAX_DIAGNOSTICS] if finding.start <= end and start <= finding.end
        ]
        actions.extend(_quickfixes(server, view, shown))
    if _wanted(types.CodeActionKind.SourceFixAll.value, only_or_none):
        fix_all = _fix_all(server, view, findings)
        if fix_all is not None:
            actions.append(fix_all)
    if _wanted(SORT_TAGS, only_or_none):
        actions.extend(_sort(server, view, findings))
    tag = view.caption.tag_at(start)
    if tag is not None and tag.key:
        if _wanted(types.CodeActionKind.RefactorRewrite.value, only_or_none):
            actions.extend(_use_everywhere(server, view, tag, findings))
        # Asked for by kind (a "Refactor..." menu), never by the lightbulb's plain request.
        refactor_menu = only_or_none is not None and _wanted(
            types.CodeActionKind.Refactor.value, only_or_none
        )
        personal = _personal_list_action(server, view, tag, findings, refactor_menu)
        if personal is not None and _wanted(_kind_name(personal.kind), only_or_none):
            actions.append(personal)
    return actions


def _quickfixes(server: CaptionServer, view: CaptionView, findings: list[Finding]) -> list[types.CodeAction]:
    """Each distinct edit once: two rules asking for the same edit (`non-canonical-tag` and
    `inconsistent-tag` both saying "arms up") make one action, titled by the first, resolving both
    diagnostics. The preferred ones first."""
    merged: dict[tuple[Edit, ...], types.CodeAction] = {}
    for finding in findings:
        diagnostic = server.diagnostics.diagnostic(view, finding)
        for fix in finding.fixes:
            same = tuple(fix.edits)
            action = merged.get(same)
            if action is None:
                merged[same] = types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True if fix.preferred else None,
                    edit=workspace_edit(server, view, fix.edits),
                )
            else:
                action.diagnostics = [*(action.diagnostics or []), diagnostic]
                action.is_preferred = True if fix.preferred or action.is_preferred else None
    # Stable: the preferred fixes in document order, then the others.
    return sorted(merged.values(), key=lambda action: not action.is_preferred)


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


def _use_everywhere(
    server: CaptionServer, view: CaptionView, tag: TagSpan, findings: list[Finding]
) -> list[types.CodeAction]:
    """ "Use X in all captions": every other phrasing of this tag in the dataset rewritten to X.

    X is the tag as written here, the dataset's most used phrasing of it and, for an alias, the canonical
    tag; never a phrasing an enabled rule flags at this place (an alias while `non-canonical-tag` is on,
    a minority spelling), which would spread the problem over the dataset.
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
        targets.append(
            dataset.index.display(concept)
            if dataset.index.count(concept)
            else styled(canonical.tag.name, dataset.tag_style, dataset.escape_parentheses)
        )
    actions = []
    for target in dict.fromkeys(targets):
        if not _stays_one_tag(target, dataset.config.syntax):
            continue  # a phrasing with a control character is never offered as the one to converge on
        if _flagged_here(view, tag, target, findings):
            continue
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


def _flagged_here(view: CaptionView, tag: TagSpan, target: str, findings: list[Finding]) -> bool:
    """Whether an enabled rule asks for another phrasing than `target` written in place of `tag` (a fix
    rewriting exactly that name: an alias, a minority spelling, a typo), the caption checked as it would
    read; for the tag as written, the findings it has. Where it stands or what else the line says
    (`structure-order`, `duplicate-tag`) is no matter of phrasing."""
    if target != tag.name:
        text = apply_edits(view.text, [Edit(tag.name_start, tag.name_end, target)])
        findings = check_text(view.path, text, view.dataset.context())
    end = tag.name_start + len(target)
    return any(
        edit.start == tag.name_start and edit.end == end and edit.path in (None, view.path)
        for finding in findings
        for fix in finding.fixes
        for edit in fix.edits
    )


def _personal_list_action(
    server: CaptionServer, view: CaptionView, tag: TagSpan, findings: list[Finding], refactor_menu: bool
) -> types.CodeAction | None:
    """ "Add to" or "Remove from the personal vocabulary", run by the server (a command, no edit).

    A tag the vocabulary does not know gets Add as a quick fix (of its `unknown-tag` finding, if any; a
    phrase or prose gets none);
    a known tag's Add or Remove is a refactoring, offered only in a menu asking for refactorings, so the
    lightbulb stays off clean tags. The trigger is the dataset's own word: nothing to curate.
    """
    dataset = view.dataset
    if tag.key in dataset.context().trigger_keys():
        return None
    vocabulary = dataset.vocabulary.vocabulary
    resolved = vocabulary.resolve_key(tag.key)
    if resolved is None:
        line = view.caption.line_at(tag.start)
        if tag.kind != "tag" or line is None or line.kind != "tags":
            return None  # a phrase or prose: nothing a tag list would hold
        title = f"Add `{tag.name}` to the personal vocabulary"
        unknown = [
            server.diagnostics.diagnostic(view, finding)
            for finding in findings
            if finding.rule == UNKNOWN_RULE and finding.start == tag.name_start
        ]
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=unknown or None,
            command=types.Command(
                title=title, command=ADD_TO_PERSONAL, arguments=[{"name": tag.name, "uri": view.uri}]
            ),
        )
    if not refactor_menu:
        return None
    name = styled(resolved.tag.name, dataset.tag_style, dataset.escape_parentheses)
    if resolved.tag.key in dataset.vocabulary.list_keys(PERSONAL_LIST):
        title, command = f"Remove `{name}` from the personal vocabulary", REMOVE_FROM_PERSONAL
    else:
        title, command = f"Add `{name}` to the personal vocabulary", ADD_TO_PERSONAL
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.Refactor,
        command=types.Command(
            title=title, command=command, arguments=[{"name": resolved.tag.name, "uri": view.uri}]
        ),
    )


def _stays_one_tag(name: str, syntax: Syntax) -> bool:
    try:
        check_new_name(name, syntax)
    except BadTagName:
        return False
    return True
