"""The undo journal of a dataset: before a dataset-wide write, the bytes of every caption it changes.

One entry per write (`captionls tags add`, `rename`, `check --fix`, `format`, ...), a JSON file in
`.captionls/journal/` inside the dataset root, numbered in order (`000007.json`). An entry holds, per
caption, its path relative to the root, its bytes before the write and the SHA-256 of the bytes written,
so `undo` can restore the first and refuse when the caption no longer holds the second. Only the last
`KEPT_ENTRIES` entries are kept. The dataset scan never reads `.captionls/` (it skips dot folders).

Entries are written atomically (a temporary file renamed into place) before any caption is touched, so
a crash never leaves a write without its entry. `files.write_captions` is the only writer. A
`.captionls/.gitignore` keeps the journal out of a dataset's git repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

JOURNAL_FOLDER = Path(".captionls") / "journal"
# Twenty dataset-wide writes back: enough to walk back a session's batch edits, small on disk (an entry
# holds only the captions it changed).
KEPT_ENTRIES = 20


class JournalError(Exception):
    """The journal could not be written or read; the message is one line."""


@dataclass(frozen=True)
class JournalFile:
    """One caption of an entry: where it is (relative to the root), what it held, what was written."""

    path: str
    before: bytes
    after_sha256: str


@dataclass(frozen=True)
class JournalEntry:
    number: int
    command: str
    time: str
    files: tuple[JournalFile, ...]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder(root: Path) -> Path:
    return root / JOURNAL_FOLDER


def _entry_path(root: Path, number: int) -> Path:
    return _folder(root) / f"{number:06d}.json"


def _numbers(root: Path) -> list[int]:
    folder = _folder(root)
    if not folder.is_dir():
        return []
    names = (path for path in folder.iterdir() if path.suffix == ".json")
    return sorted(int(path.stem) for path in names if path.stem.isdigit())


def entries(root: Path) -> list[JournalEntry]:
    """The dataset's journal, oldest first; an unreadable entry is a JournalError naming its file."""
    return [_load(root, number) for number in _numbers(root)]


def last(root: Path) -> JournalEntry | None:
    numbers = _numbers(root)
    return _load(root, numbers[-1]) if numbers else None


def _load(root: Path, number: int) -> JournalEntry:
    path = _entry_path(root, number)
    try:
        data = json.loads(path.read_bytes())
        files = tuple(
            JournalFile(item["path"], base64.b64decode(item["before"]), item["after_sha256"])
            for item in data["files"]
        )
        return JournalEntry(number, str(data["command"]), str(data["time"]), files)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise JournalError(f"{path}: not a readable journal entry ({error})") from None


def record(root: Path, command: str, files: list[JournalFile]) -> JournalEntry:
    """Add an entry after the last one and drop entries beyond `KEPT_ENTRIES`."""
    numbers = _numbers(root)
    number = numbers[-1] + 1 if numbers else 1
    time = datetime.now(UTC).isoformat(timespec="seconds")
    entry = JournalEntry(number, command, time, tuple(files))
    store(root, entry)
    for old in numbers[: max(0, len(numbers) + 1 - KEPT_ENTRIES)]:
        _entry_path(root, old).unlink(missing_ok=True)
    return entry


def store(root: Path, entry: JournalEntry) -> None:
    """Write `entry` (new, or replacing the one with its number) atomically."""
    folder = _folder(root)
    data = {
        "command": entry.command,
        "time": entry.time,
        "files": [
            {
                "path": file.path,
                "before": base64.b64encode(file.before).decode(),
                "after_sha256": file.after_sha256,
            }
            for file in entry.files
        ],
    }
    try:
        if not folder.is_dir():
            folder.mkdir(parents=True)
            # A dataset kept in git should not see its undo history as new files.
            ignore = folder.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=".entry.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(name, _entry_path(root, entry.number))
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise JournalError(
            f"{folder}: cannot record the undo journal ({error.strerror or error}); nothing written"
        ) from None


def drop(root: Path, entry: JournalEntry) -> None:
    _entry_path(root, entry.number).unlink(missing_ok=True)
