"""The hooks in .pre-commit-hooks.yaml, run by the real `pre-commit` on a dataset kept in a git repository.

`pre-commit try-repo` clones this checkout (its uncommitted changes to tracked files included), builds the
hooks' virtual environment and pip-installs captionls into it, as a user's `pre-commit install` would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.datasets import write_dataset

pytestmark = pytest.mark.precommit

CHECKOUT = Path(__file__).resolve().parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
# What pip says when the package index is out of reach: the hook environment cannot be built here.
NO_INDEX = ("NewConnectionError", "Temporary failure in name resolution", "No matching distribution found")


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=captionls tests", "-c", "user.email=tests@captionls.invalid"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def try_repo(repo: Path, home: Path, vocabulary: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "CAPTIONLS_DB": str(vocabulary), "NO_COLOR": "1"}
    command = [*PRE_COMMIT, "try-repo", str(CHECKOUT), "--all-files", "--color", "never"]
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=240)
    log = home / "pre-commit.log"
    if result.returncode == 3 and log.exists() and any(text in log.read_text() for text in NO_INDEX):
        pytest.skip("pre-commit cannot build the hook environment: the package index is out of reach")
    return result


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_runs_check_and_format_on_a_dataset(tmp_path: Path, vocabulary: Path) -> None:
    if not (CHECKOUT / ".git").exists():
        pytest.skip("this copy of captionls is not a git checkout, which pre-commit try-repo needs")
    repo = tmp_path / "captions"
    repo.mkdir()
    git(repo, "init", "-q")
    dataset = write_dataset(
        repo / "portraits",
        {"a": "ohwxStyle,1girl,  solo, smile, smile ", "b": "ohwxStyle, 1girl, solo, smile"},
        'trigger = ["ohwxStyle"]\n',
    )
    (repo / "README.txt").write_text("Notes, not a caption,, with no image beside it.\n")
    git(repo, "add", "-A")
    home = tmp_path / "pre-commit-home"

    first = try_repo(repo, home, vocabulary)
    assert first.returncode == 1, first.stdout + first.stderr
    out = first.stdout
    assert "captionls check" in out and "- hook id: captionls-check" in out
    assert 'portraits/a.txt:1:32: warning duplicate-tag "smile" repeats "smile"' in out
    assert "README.txt" not in out.split("- hook id: captionls-check")[1].split("captionls format")[0]
    assert "- hook id: captionls-format\n- files were modified by this hook" in out
    assert (dataset / "a.txt").read_text() == "ohwxStyle, 1girl, solo, smile, smile"
    assert (repo / "README.txt").read_text() == "Notes, not a caption,, with no image beside it.\n"

    (dataset / "a.txt").write_text("ohwxStyle, 1girl, solo, smile")
    git(repo, "add", "-A")
    second = try_repo(repo, home, vocabulary)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "captionls check" in second.stdout and "Passed" in second.stdout
