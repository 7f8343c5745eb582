"""Text edits, and reading and rewriting caption files without disturbing their bytes.

A caption is decoded with its BOM remembered and its line endings left in the text, so writing the edited
text back with the same encoding and BOM changes only the edited characters.

A dataset is often downloaded, so its files are not trusted: only regular files are opened (never
blocking, so a FIFO named like a caption cannot hang a scan), and a caption whose real path leaves the
dataset's root (a symlink to `~/.bashrc`) is neither read nor written (`resolve_inside`, which every
writer calls). A rewrite first checks that the file still holds what was read (a caption saved in an
editor meanwhile is left alone), then goes to a temporary file in the same folder that replaces the
caption with `os.replace` (a crash never leaves half a file), with the owner, group and mode kept. When
those cannot be kept, or the caption has other hard links, the file is rewritten in place instead.

`write_captions` is the one way to rewrite captions: it records the bytes it is about to replace in the
dataset's undo journal first (see `journal`), and `undo_last` puts them back.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import journal
from .findings import Edit
from .lines import line_starts

# Larger files are not captions (a caption is a few hundred characters, a hundred variants a few dozen
# KiB); reading stops there, so a 5 MB one-line file is reported instead of checked for a minute.
MAX_CAPTION_BYTES = 256 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


class CaptionFileError(Exception):
    """A caption file that cannot be read or written; the message is one line `path:line: reason`."""

    def __init__(self, path: Path, reason: str, line: int = 1) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.reason = reason


class CaptionReadError(CaptionFileError):
    """A caption file that cannot be read as text."""


class CaptionWriteError(CaptionFileError):
    """A caption file that was left as it was instead of being rewritten."""


class OutsideDatasetError(CaptionReadError, CaptionWriteError):
    """A caption whose real path (through symlinks) is outside its dataset: never read nor written."""


@dataclass(frozen=True, slots=True)
class CaptionFile:
    """A caption's decoded text (line endings kept, BOM removed) and how to write it back."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False

    def __reduce__(self) -> tuple[type[CaptionFile], tuple[str, str, bool]]:
        # A scan's workers send every caption back: rebuilt by its constructor, it unpickles in half the
        # time a dataclass's field-by-field state takes, in the process that waits for them.
        return CaptionFile, (self.text, self.encoding, self.bom)


def resolve_inside(path: Path, root: Path) -> Path:
    """The real path of the caption `path` (symlinks resolved), which must lie under the dataset `root`.

    The one guard every writer goes through (the CLI's rewrites, and the server before it sends a
    workspace edit); a dataset scan uses it too, so such a caption is reported rather than read.
    """
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    if real != real_root and not real.is_relative_to(real_root):
        raise OutsideDatasetError(path, f"a link to {real}, outside the dataset {root}; not followed")
    return real


def _kind(mode: int) -> str:
    """What a non-regular file is, for an error message."""
    if stat.S_ISDIR(mode):
        return os.strerror(errno.EISDIR)
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    return "not a regular file"


def _open_regular(path: Path, flags: int) -> tuple[int, os.stat_result]:
    """A descriptor on `path` opened without blocking, and its stat; OSError unless a regular file.

    The stat before opening keeps devices from being opened at all; the one after closes the race.
    """
    before = os.stat(path, follow_symlinks=not flags & os.O_NOFOLLOW)
    if not stat.S_ISREG(before.st_mode):
        raise _NotRegular(before.st_mode)
    descriptor = os.open(path, flags)
    try:
        after = os.fstat(descriptor)
        if not stat.S_ISREG(after.st_mode):
            raise _NotRegular(after.st_mode)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, after


class _NotRegular(OSError):
    """A FIFO, socket, device or folder where a caption file was expected."""

    def __init__(self, mode: int) -> None:
        super().__init__(_kind(mode))


def _read_up_to(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(descriptor, min(limit - size, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _reason(error: OSError) -> str:
    return str(error) if isinstance(error, _NotRegular) else str(error.strerror or error)


def read_caption_file(path: Path) -> CaptionFile:
    try:
        descriptor, _ = _open_regular(path, _READ_FLAGS)
        try:
            raw = _read_up_to(descriptor, MAX_CAPTION_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise CaptionReadError(path, f"cannot read ({_reason(error)})") from None
    if len(raw) > MAX_CAPTION_BYTES:
        raise CaptionReadError(path, f"larger than {MAX_CAPTION_BYTES // 1024} KiB, not a caption")
    return decode_caption(path, raw)


def decode_caption(path: Path, raw: bytes) -> CaptionFile:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return CaptionFile(_decode(path, raw[len(bom) :], encoding), encoding, True)
    if b"\0" in raw:
        raise CaptionReadError(path, "binary file (contains NUL bytes), not a caption")
    return CaptionFile(_decode(path, raw, "utf-8"))


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = len(line_starts(raw[: error.start].decode(encoding, "replace")))
        byte = f"0x{raw[error.start]:02x}"
        raise CaptionReadError(
            path, f"not {encoding.upper()} text (byte {byte} at offset {error.start})", line
        ) from None


# A UTF-16 surrogate on its own: in a Python str, a surrogate is never half of a pair.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """`text` with each lone surrogate as U+FFFD. An editor's buffer can hold one (JSON carries `\\ud800`)
    though no caption file can, and nothing that encodes text (SQLite, the tokenizer) takes it. One code
    point for one, so every offset and position (UTF-16 or code points) stays where it was; `text`
    itself when there is none."""
    if text.isascii() or _LONE_SURROGATE.search(text) is None:
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


def encode_caption(file: CaptionFile, text: str) -> bytes:
    data = text.encode(file.encoding)
    if file.bom:
        data = next(bom for bom, encoding in _BOMS if encoding == file.encoding) + data
    return data


@dataclass(frozen=True)
class Rewrite:
    """One caption of a dataset-wide write: its path, what it was read as, and its new text."""

    path: Path
    file: CaptionFile
    text: str


def write_captions(root: Path, command: str, rewrites: Sequence[Rewrite]) -> dict[Path, CaptionWriteError]:
    """Rewrite captions of the dataset at `root` as one undoable step; the errors of those left alone.

    First the journal records the bytes each caption holds (see `journal`), then each caption is
    written with the encoding and BOM it was read with, unless it no longer holds what was read, lies
    outside `root` or cannot be written (its error is returned, the others go on). The entry ends up
    naming only the captions written. A journal that cannot be written is a JournalError: nothing is
    written then.
    """
    real_root = Path(os.path.realpath(root))
    errors: dict[Path, CaptionWriteError] = {}
    planned: list[tuple[Rewrite, Path, bytes, bytes]] = []
    for rewrite in rewrites:
        try:
            real = resolve_inside(rewrite.path, root)
        except OutsideDatasetError as error:
            errors[rewrite.path] = error
            continue
        before = encode_caption(rewrite.file, rewrite.file.text)
        planned.append((rewrite, real, before, encode_caption(rewrite.file, rewrite.text)))
    if not planned:
        return errors
    recorded = [
        journal.JournalFile(real.relative_to(real_root).as_posix(), before, journal.digest(after))
        for _, real, before, after in planned
    ]
    entry = journal.record(root, command, recorded)
    written = []
    for (rewrite, real, before, after), item in zip(planned, recorded, strict=True):
        try:
            _rewrite(rewrite.path, real, before, after)
        except CaptionWriteError as error:
            errors[rewrite.path] = error
            continue
        except OSError as error:
            errors[rewrite.path] = CaptionWriteError(rewrite.path, f"cannot write ({_reason(error)})")
            continue
        written.append(item)
    if not written:
        journal.drop(root, entry)
    elif len(written) < len(recorded):
        journal.store(root, replace(entry, files=tuple(written)))
    return errors


class UndoRefused(Exception):
    """The last journal entry cannot be undone; the message is one line naming the caption."""


def undo_last(root: Path) -> journal.JournalEntry | None:
    """Restore, byte for byte, the captions the dataset's last journal entry changed, and drop the entry;
    None when the journal is empty.

    Refused (UndoRefused, nothing restored) when a caption no longer holds what that write left in it. A
    caption that still holds its old bytes (its write failed, or was never reached) is left as it is.
    """
    entry = journal.last(root)
    if entry is None:
        return None
    restores: list[tuple[Path, Path, bytes, bytes]] = []
    for item in entry.files:
        path = root / item.path
        try:
            real = resolve_inside(path, root)
            current = _current_bytes(real)
        except (OSError, OutsideDatasetError) as error:
            reason = error.reason if isinstance(error, OutsideDatasetError) else _reason(error)
            raise UndoRefused(f"{path}: cannot be restored ({reason}); nothing undone") from None
        if current == item.before:
            continue
        if journal.digest(current) != item.after_sha256:
            raise UndoRefused(
                f"{path}: changed since `{entry.command}` wrote it; nothing undone (the journal entry"
                f" {entry.number} stays)"
            )
        restores.append((path, real, current, item.before))
    for path, real, current, before in restores:
        try:
            _rewrite(path, real, current, before)
        except OSError as error:
            raise UndoRefused(f"{path}: cannot be restored ({_reason(error)})") from None
    journal.drop(root, entry)
    return entry


def _current_bytes(real: Path) -> bytes:
    descriptor, _ = _open_regular(real, _READ_FLAGS | os.O_NOFOLLOW)
    try:
        return _read_up_to(descriptor, MAX_CAPTION_BYTES + 1)
    finally:
        os.close(descriptor)


def _rewrite(path: Path, real: Path, expected: bytes, data: bytes) -> None:
    # Opened without following a link: a caption swapped for a symlink since it was resolved is refused.
    descriptor, status = _open_regular(real, _READ_FLAGS | os.O_NOFOLLOW)
    try:
        if status.st_nlink > 1:
            _unchanged(path, descriptor, expected)
            _rewrite_in_place(real, status, data)
            return
        temporary = _prepared_copy(real, status, data)
        if temporary is None:
            _unchanged(path, descriptor, expected)
            _rewrite_in_place(real, status, data)
            return
        try:
            # Checked last, right before the replace, so the window for a lost save is as short as can be.
            _unchanged(path, descriptor, expected)
            os.replace(temporary, real)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    finally:
        os.close(descriptor)


def _unchanged(path: Path, descriptor: int, expected: bytes) -> None:
    """Refuse the rewrite when the file no longer holds the bytes that were read and edited."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    if _read_up_to(descriptor, len(expected) + 1) != expected:
        raise CaptionWriteError(path, "changed on disk since it was read; left as it is")


def _prepared_copy(real: Path, status: os.stat_result, data: bytes) -> Path | None:
    """A synced temporary file beside `real` holding `data` with `real`'s owner, group and mode, or None
    when the folder takes no new file or the owner cannot be given away (not root): rewrite in place then.
    """
    try:
        descriptor, name = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.")
    except PermissionError:
        return None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), stat.S_IMODE(status.st_mode))
            if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(handle.fileno(), status.st_uid, status.st_gid)
                except PermissionError:
                    temporary.unlink()
                    return None
                # chown clears set-user-ID and set-group-ID bits: set the mode again.
                os.fchmod(handle.fileno(), stat.S_IMODE(status.st_mode))
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _rewrite_in_place(real: Path, status: os.stat_result, data: bytes) -> None:
    """Overwrite the file's own inode (hard links, owner and mode stay), after checking it is the same one."""
    descriptor = os.open(real, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        now = os.fstat(descriptor)
        if (now.st_dev, now.st_ino) != (status.st_dev, status.st_ino):
            raise OSError(errno.ESTALE, "replaced while being rewritten")
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.ftruncate(descriptor, len(data))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits to `text`. Duplicates are applied once; of two overlapping edits the one given first
    wins, so callers list the edits they prefer first. Insertions at one offset keep their given order.
    """
    accepted: list[tuple[int, Edit]] = []
    seen: set[tuple[int, int, str]] = set()
    # A sweep in text order: the accepted edits never overlap, so only the last one can clash.
    for rank, edit in sorted(enumerate(edits), key=lambda item: (item[1].start, item[1].end, item[0])):
        identity = (edit.start, edit.end, edit.new_text)
        if identity in seen:
            continue
        wins = True
        while accepted and _overlaps(accepted[-1][1], edit):
            if accepted[-1][0] < rank:
                wins = False
                break
            seen.discard(_identity(accepted.pop()[1]))
        if wins:
            accepted.append((rank, edit))
            seen.add(identity)
    parts: list[str] = []
    cursor = 0
    for _, edit in accepted:
        parts.append(text[cursor : edit.start])
        parts.append(edit.new_text)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def _identity(edit: Edit) -> tuple[int, int, str]:
    return edit.start, edit.end, edit.new_text


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end or b.start == b.end:
        # Insertions only clash with an edit that replaces around them.
        point, other = (a, b) if a.start == a.end else (b, a)
        return other.start < point.start < other.end
    return a.start < b.end and b.start < a.end


def write_new_file(path: Path, text: str, overwrite: bool) -> None:
    """Write `text` (UTF-8) to `path` at once: readers see the old file or the whole new one. Without
    `overwrite`, an existing `path` is left as it is (FileExistsError). Any failure is an OSError."""
    data = text.encode("utf-8")
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temporary, path)
            return
        try:
            # A hard link is made only where no file is: the check and the write are one step.
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # No hard links here (exFAT, some network drives): create it exclusively instead.
            with path.open("xb") as handle:
                handle.write(data)
    finally:
        temporary.unlink(missing_ok=True)
