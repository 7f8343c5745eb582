""" "Check dataset" counts what the client is shown: the same diagnostics, each caption once (issue 10)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lsprotocol import types

from tests.kit.datasets import write_dataset
from tests.kit.lsp import Session, start_session

# A dataset inside the dataset: its captions are in the outer index too, and have their own settings.
NESTED = {
    "s1": "ohwxStyle, anime, 1girl, solo, solo, couch",
    "s2": "ohwxStyle, anime, 1girl, smiling, couch, sittting",
}


async def shown(session: Session, uris: list[str]) -> dict[str, list[types.Diagnostic]]:
    """Every caption's diagnostics as the client holds them after the check."""
    if not session.pull:
        await session.diagnostics(uris[0])  # any answer comes after the publishes before it
        return {uri: list(session.client.diagnostics.get(uri, [])) for uri in uris}
    report = await session.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[])
    )
    return {
        item.uri: list(item.items)
        for item in report.items
        if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport) and item.uri in uris
    }


async def test_check_dataset_counts_the_diagnostics_the_client_is_shown(session: Session) -> None:
    nested = session.root / "nested"
    write_dataset(
        nested, {stem: text + "\n" for stem, text in NESTED.items()}, "min_tags = 3\nmax_tags = 5\n"
    )
    await session.indexed()
    session.open("nested/s1.txt")  # the nested dataset is known now, beside the outer one
    checked = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="captionls.checkDataset", arguments=[{"uri": None}])
    )
    uris = [session.uri(f"a{i}.txt") for i in range(1, 5)] + [(nested / f"{s}.txt").as_uri() for s in NESTED]
    diagnostics = await shown(session, uris)
    assert set(diagnostics) == set(uris)
    severities = Counter(d.severity for ds in diagnostics.values() for d in ds)
    hints = severities[types.DiagnosticSeverity.Hint]
    assert hints > 0 and severities.total() > hints, severities
    assert checked == {
        "captions": 6,
        "findings": severities.total(),
        "problems": severities.total() - hints,
        "hints": hints,
        "captionsWithProblems": sum(
            any(d.severity != types.DiagnosticSeverity.Hint for d in ds) for ds in diagnostics.values()
        ),
    }
    # The nested dataset's own settings apply to its captions (`max_tags = 5`).
    assert "tag-count" in {d.code for d in diagnostics[(nested / "s1.txt").as_uri()]}


async def test_one_caption_is_one_caption(tmp_path: Path, vocabulary_db: Path) -> None:
    root = write_dataset(
        tmp_path / "one", {"x": "ohwxStyle, 1girl, solo, solo\n"}, 'trigger = ["ohwxStyle"]\n'
    )
    session = await start_session(root, vocabulary_db, "neovim")
    try:
        await session.indexed()
        reports = [report for reports in session.client.progress_reports.values() for report in reports]
        assert (
            isinstance(reports[-1], types.WorkDoneProgressEnd) and reports[-1].message == "1 caption indexed"
        )
        checked = await session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="captionls.checkDataset", arguments=[{"uri": root.as_uri()}])
        )
        assert (checked["captions"], checked["captionsWithProblems"]) == (1, 1) and checked["problems"] >= 1
    finally:
        await session.client.shutdown_session()
        await session.client.stop()
