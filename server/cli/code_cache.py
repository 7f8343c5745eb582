"""A cache of the code objects modules compile at run time, for `captionls serve`'s start-up.

Importing `lsprotocol.types` defines about 550 attrs classes, and attrs writes each one's `__init__`,
`__repr__`, `__eq__` as Python source and compiles it: about 110 to 150 ms of CPU, half of the import.
dataclasses does the same with `exec` for the server's own classes (about 270 calls, 29 ms of CPU on a
loaded machine), and typing compiles each forward reference it resolves (about 420, 6 ms). The source is
the same on every start, so the compiled code is kept, marshalled as `__pycache__` keeps a module's, in
the user cache directory, and loaded instead of compiled. cattrs does the same for the converter's
functions when the first messages of a session arrive (about 110 before the first completion answer):
`serve` keeps those in a second file, saved when the session ends. Structuring a session's first four
messages took 22 to 35 ms of CPU without it, 9 to 12 ms with it (a loaded machine).

What keeps it safe:
- `compile` is a pure function of its arguments and the interpreter: an entry is keyed by the exact source
  text, filename, mode, compiler flags and optimisation level, and the file is named per interpreter
  (`sys.version`, the bytecode magic number). A different source (another attrs version, another class)
  is simply compiled; no stale code is ever served. So the attrs version needs no place in the key.
- The file carries a SHA-256 of its payload; a missing, unreadable, corrupt or foreign file is ignored
  (plain `compile`, as without the cache). Any error while saving is ignored too.
- Saved atomically (a temp file, then a rename): a concurrent server reads the old file or the new one,
  never half of one. Only the entries this start used are saved, so the file never grows stale.
- Only the named modules see the cached `compile` and `exec` (module globals shadowing the builtins),
  only inside the `with` block; `exec` of a code object, and `compile` of anything but source text, go
  straight to the builtins.
"""

from __future__ import annotations
import __future__

import builtins
import hashlib
import marshal
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CellType, CodeType, ModuleType
from typing import Any

_Key = tuple[str, str, str, int, int]
_DIGEST_SIZE = hashlib.sha256().digest_size


def cache_file(directory: Path, name: str) -> Path:
    """The cache file for `name` in `directory`, for this interpreter only."""
    tag = hashlib.sha256(sys.version.encode() + MAGIC_NUMBER).hexdigest()[:16]
    return directory / f"{name}-{sys.implementation.cache_tag}-{tag}.bin"


def _load(path: Path) -> dict[_Key, CodeType]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    digest, payload = data[:_DIGEST_SIZE], data[_DIGEST_SIZE:]
    if hashlib.sha256(payload).digest() != digest:
        return {}
    try:
        loaded = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {key: code for key, code in loaded.items() if isinstance(code, CodeType)}


def _save(path: Path, entries: dict[_Key, CodeType]) -> None:
    payload = marshal.dumps(entries)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)


def _future_flags(module: ModuleType) -> int:
    """The compiler flags `compile` inherits when `module`'s own code calls it: its `__future__` imports."""
    flags = 0
    for name in __future__.all_feature_names:
        feature: __future__._Feature = getattr(__future__, name)
        if module.__dict__.get(name) is feature:
            flags |= feature.compiler_flag
    return flags


class CompileCache:
    """The compiled code kept at `path`: `serving` answers the named modules' compiles from it, `save`
    writes back the entries used so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known = _load(path)
        self._used: dict[_Key, CodeType] = {}

    def _compiled(self, source: str, filename: str, mode: str, flags: int, optimize: int) -> Any:
        key = (source, filename, mode, flags, optimize)
        code = self._known.get(key)
        if code is None:
            code = builtins.compile(source, filename, mode, flags, True, optimize)
            if not isinstance(code, CodeType):  # an AST (ast.PyCF_ONLY_AST): not cached
                return code
        self._used[key] = code
        return code

    @contextmanager
    def serving(self, *modules: ModuleType) -> Iterator[None]:
        """Within the block, the `modules`' calls of `compile`, and of `exec` with source text, are
        answered from the cache when the same arguments were compiled before."""
        shadowed = [(module, name) for module in modules for name in _shadow(module, self._compiled)]
        try:
            yield
        finally:
            for module, name in shadowed:
                delattr(module, name)

    def save(self) -> None:
        """Write the entries used so far, when they differ from the file's: only what was used is kept,
        so the file never grows stale."""
        if self._used.keys() != self._known.keys():
            _save(self.path, self._used)
            self._known = dict(self._used)


def _shadow(module: ModuleType, cached: Callable[[str, str, str, int, int], Any]) -> list[str]:
    """Give `module` a `compile` and an `exec` that take source text's code from `cached`, and otherwise
    do what the builtins do when `module`'s own code calls them; returns the names it gave. A module that
    defines either name itself keeps its own."""
    inherited = _future_flags(module)

    def compile(
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        if not dont_inherit:
            flags |= inherited
        if not isinstance(source, str) or not isinstance(filename, str):
            return builtins.compile(source, filename, mode, flags, True, optimize)
        return cached(source, filename, mode, flags, optimize)

    def exec(
        source: Any,
        globals: dict[str, Any] | None = None,
        locals: Mapping[str, object] | None = None,
        /,
        *,
        closure: tuple[CellType, ...] | None = None,
    ) -> None:
        if globals is None:
            # The builtin runs in its caller's namespace; this function's caller is that caller.
            caller = sys._getframe(1)
            globals = caller.f_globals
            locals = caller.f_locals if locals is None else locals
        if isinstance(source, str):
            # What the builtin compiles source text as: its caller's `__future__` flags, no optimisation
            # beyond the interpreter's own.
            source = cached(source, "<string>", "exec", inherited, -1)
        if closure is None:
            builtins.exec(source, globals, locals)
        else:
            builtins.exec(source, globals, locals, closure=closure)

    shadows = {"compile": compile, "exec": exec}
    given = [name for name in shadows if name not in vars(module)]
    for name in given:
        setattr(module, name, shadows[name])
    return given
