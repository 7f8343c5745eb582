"""`check --diff` output applied by the real `git apply` and `patch`: the exact bytes come back."""

from __future__ import annotations

import codecs
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from captionls.server.caption.diff import NO_NEWLINE, unified_diff
from captionls.server.caption.files import decode_caption, encode_caption
from captionls.server.cli import main
from tests.kit.datasets import write_dataset
from tests.kit.vocabularies import make_vocabulary

CASES = {
    "no final newline": ("1girl, smile, smile", "1girl, smile"),
    "final newline": ("1girl, smile, smile\n", "1girl, smile\n"),
    "newline added": ("1girl, smile", "1girl, smile\n"),
    "newline removed": ("1girl, smile\n", "1girl, smile"),
    "crlf, no final newline": ("1girl,, solo\r\nvariant, a, a", "1girl, solo\r\nvariant, a"),
    "crlf": ("1girl,, solo\r\nvariant\r\n", "1girl, solo\r\nvariant\r\n"),
    "bom": ("\ufeff1girl,, solo", "\ufeff1girl, solo"),
    "many lines": ("a\nb\nc\nd\ne\nf\ng\nh\ni, i\nj", "a, x\nb\nc\nd\ne\nf\ng\nh\ni\nj"),
    "a lone carriage return stays in its line": ("a\rb,, c\n", "a\rb, c\n"),
}

needs_tools = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("patch") is None, reason="git and patch are needed"
)


def _diff_of(before: bytes, after: str) -> str:
    file = decode_caption(Path("caption.txt"), before)
    return unified_diff(Path("caption.txt"), file.text, after, bom=file.bom)


def _run(args: list[str], cwd: Path, diff: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, input=diff, capture_output=True, text=True, check=False)


@needs_tools
@pytest.mark.parametrize(("before", "after"), list(CASES.values()), ids=list(CASES))
def test_git_apply_and_patch_accept_the_diff_and_restore_the_bytes(
    tmp_path: Path, before: str, after: str
) -> None:
    raw_before = before.encode("utf-8")
    text_after = after.removeprefix("\ufeff")
    expected = after.encode("utf-8")
    diff = _diff_of(raw_before, text_after)
    for tool, check, apply in (
        ("git", ["git", "apply", "--check", "-"], ["git", "apply", "-"]),
        ("patch", ["patch", "-p1", "--dry-run"], ["patch", "-p1", "--quiet"]),
    ):
        folder = tmp_path / tool
        folder.mkdir()
        (folder / "caption.txt").write_bytes(raw_before)
        checked = _run(check, folder, diff)
        assert checked.returncode == 0, (tool, checked.stderr, checked.stdout, diff)
        applied = _run(apply, folder, diff)
        assert applied.returncode == 0, (tool, applied.stderr)
        assert (folder / "caption.txt").read_bytes() == expected, tool


def test_a_last_line_without_newline_is_marked() -> None:
    diff = unified_diff(Path("c.txt"), "1girl, smile, smile", "1girl, smile")
    assert diff.splitlines(keepends=True)[3:] == [
        "-1girl, smile, smile\n",
        NO_NEWLINE,
        "+1girl, smile\n",
        NO_NEWLINE,
    ]


def test_no_change_no_diff() -> None:
    assert unified_diff(Path("c.txt"), "a\n", "a\n") == ""


@needs_tools
def test_check_diff_of_a_dataset_applies_with_git_and_patch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabulary = make_vocabulary(tmp_path / "vocabulary.sqlite")
    captions: dict[str, str | bytes] = {
        "a": "ohwx, 1girl, smile, smile",  # no final newline
        "b": "ohwx, 1girl,, solo\r\nohwx, solo, solo\r\n",  # CRLF
        "c": codecs.BOM_UTF8 + b"ohwx, 1girl, solo, solo\n",  # BOM
        "d": "ohwx, 1girl, solo\n",  # nothing to fix
    }
    write_dataset(tmp_path / "set", captions, 'trigger = ["ohwx"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "set", "--diff", "--db", str(vocabulary)])
    assert result.exit_code == 1
    # The bytes: click's `stdout` turns CRLF into LF.
    diff = result.stdout_bytes.decode("utf-8")
    assert diff.count("--- a/") == 3
    expected: dict[str, bytes] = {}
    for name in "abc":
        path = tmp_path / "set" / f"{name}.txt"
        file = decode_caption(path, path.read_bytes())
        expected[name] = encode_caption(file, _applied(file.text, name))
    for tool, apply in (("git", ["git", "apply", "-"]), ("patch", ["patch", "-p1", "--quiet"])):
        copy = tmp_path / tool
        shutil.copytree(tmp_path / "set", copy / "set")
        applied = _run(apply, copy, diff)
        assert applied.returncode == 0, (tool, applied.stderr)
        for name, data in expected.items():
            assert (copy / "set" / f"{name}.txt").read_bytes() == data, (tool, name)
        assert (copy / "set" / "d.txt").read_bytes() == b"ohwx, 1girl, solo\n"


def _applied(text: str, name: str) -> str:
    return {
        "a": "ohwx, 1girl, smile",
        "b": "ohwx, 1girl, solo\r\nohwx, solo\r\n",
        "c": "ohwx, 1girl, solo\n",
    }[name]
