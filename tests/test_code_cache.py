"""The cache of generated code that `captionls serve` starts with (cli/code_cache.py): lsprotocol's attrs
classes are the same with it, cold or warm; a bad file is ignored; concurrent servers never tear it. The
same for cattrs' generated code (the converter does the same with it), dataclasses' and typing's."""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from captionls.server.cli.code_cache import CompileCache, _load, cache_file

# Imports lsprotocol.types (through the cache when a path is given) and prints, per attrs class, a digest
# of its generated methods and what they do: construct, repr, compare, convert.
FINGERPRINT = """
import hashlib, json, sys
from pathlib import Path
if len(sys.argv) > 1:
    import attr._make
    from captionls.server.cli.code_cache import CompileCache
    cache = CompileCache(Path(sys.argv[1]))
    with cache.serving(attr._make):
        import lsprotocol.types as types
    cache.save()
else:
    import lsprotocol.types as types
import attrs
from lsprotocol.converters import get_converter

# Everything a code object is, its constants' code objects included (marshal's bytes also depend on
# which strings happen to be interned).
def described(code):
    consts = tuple(described(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts)
    return repr((
        code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
        code.co_filename, code.co_qualname, code.co_flags, code.co_argcount, code.co_posonlyargcount,
        code.co_kwonlyargcount, code.co_stacksize, code.co_firstlineno, code.co_linetable,
        code.co_exceptiontable,
    ))

digest = hashlib.sha256()
classes = sorted(name for name, value in vars(types).items() if attrs.has(value))
for name in classes:
    for method in ("__init__", "__repr__", "__eq__", "__ne__", "__hash__", "__getstate__", "__setstate__"):
        code = getattr(getattr(types, name).__dict__.get(method), "__code__", None)
        if code is not None:
            digest.update(f"{name}.{method}: {described(code)}".encode())
item = types.CompletionItem(label="long hair", kind=types.CompletionItemKind.Value, detail="1 post")
same = types.CompletionItem(label="long hair", kind=types.CompletionItemKind.Value, detail="1 post")
try:
    types.CompletionItem()
    missing = "accepted"
except TypeError as error:
    missing = str(error)
behaviour = [
    repr(item), item == same, item != same, types.Position(1, 2) == types.Position(1, 3),
    missing, json.dumps(get_converter().unstructure(item), sort_keys=True),
]
print(json.dumps({"classes": len(classes), "code": digest.hexdigest(), "behaviour": behaviour}))
"""


def _fingerprint(cache: Path | None = None) -> dict[str, object]:
    fingerprint: dict[str, object] = json.loads(_printed(FINGERPRINT, cache))
    return fingerprint


def test_the_classes_are_the_same_cold_warm_and_without_the_cache(tmp_path: Path) -> None:
    cache = cache_file(tmp_path / "cache", "attrs-code")
    plain = _fingerprint()
    assert isinstance(plain["classes"], int) and plain["classes"] > 500
    assert _fingerprint(cache) == plain  # cold: compiles and saves
    saved = cache.stat().st_mtime_ns
    assert len(_load(cache)) > 500
    assert _fingerprint(cache) == plain  # warm: every method from the cache
    assert cache.stat().st_mtime_ns == saved  # nothing new, nothing saved again


def test_a_corrupt_or_foreign_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache = cache_file(tmp_path, "attrs-code")
    plain = _fingerprint()
    _fingerprint(cache)
    good = cache.read_bytes()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    for bad in (bytes(flipped), good[: len(good) // 3], b"", b"\x00" * 40, b"not marshal at all"):
        cache.write_bytes(bad)
        assert _load(cache) == {}
        assert _fingerprint(cache) == plain
        assert cache.read_bytes() == good


def test_servers_starting_at_once_leave_a_whole_file(tmp_path: Path) -> None:
    cache = cache_file(tmp_path, "attrs-code")
    command = [sys.executable, "-c", FINGERPRINT, str(cache)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {process.communicate(timeout=120)[0] for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert len(outputs) == 1
    assert len(_load(cache)) > 500
    assert [path.name for path in tmp_path.iterdir()] == [cache.name]


def test_an_unwritable_cache_directory_changes_nothing(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-directory"
    blocked.write_text("", encoding="utf-8")
    assert _fingerprint(blocked / "attrs-code.bin") == _fingerprint()


# The server's converter (through the cache of cattrs' generated code when a path is given) turns the
# first messages of a session into objects and an answer back into JSON; prints what it made.
CONVERTED = """
import json, sys
from pathlib import Path
import cattrs.gen
from lsprotocol import types
from pytest_lsp import client_capabilities
from captionls.server.cli.code_cache import CompileCache
from captionls.server.lsp.wire import converter

def convert():
    wire = converter()
    capabilities = wire.unstructure(client_capabilities("neovim"))
    params = wire.structure({"processId": 1, "rootUri": "file:///d", "capabilities": capabilities},
                            types.InitializeParams)
    item = types.CompletionItem(label="long hair", kind=types.CompletionItemKind.Value, detail="1 post")
    answer = wire.unstructure(types.CompletionList(is_incomplete=False, items=[item]))
    return [repr(params), answer]

if len(sys.argv) > 1:
    cache = CompileCache(Path(sys.argv[1]))
    with cache.serving(cattrs.gen):
        print(json.dumps(convert()))
    cache.save()
else:
    print(json.dumps(convert()))
"""


def _printed(script: str, cache: Path | None = None) -> str:
    """What `script` prints, run through the cache at `cache` when given."""
    command = [sys.executable, "-c", script, *([str(cache)] if cache is not None else [])]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_the_converter_does_the_same_cold_warm_and_without_the_cache(tmp_path: Path) -> None:
    """`captionls serve` keeps cattrs' generated code for the messages' types the same way."""
    cache = cache_file(tmp_path, "cattrs-code")
    plain = _printed(CONVERTED)
    assert _printed(CONVERTED, cache) == plain  # cold: compiles and saves
    saved = cache.stat().st_mtime_ns
    filenames = {key[1] for key in _load(cache)}
    assert len(filenames) > 50 and all(name.startswith("<cattrs generated") for name in filenames)
    assert _printed(CONVERTED, cache) == plain  # warm: every function from the cache
    assert cache.stat().st_mtime_ns == saved


# Defines dataclasses of every kind the server's modules use, and resolves forward references (typing
# compiles each one), through the cache when a path is given; prints their generated code and behaviour.
GENERATED_ELSEWHERE = """
import json, sys
from pathlib import Path
import dataclasses, typing

def define():
    @dataclasses.dataclass(frozen=True, order=True)
    class Span:
        start: int
        end: int = 0

    @dataclasses.dataclass(slots=True, kw_only=True)
    class Bag:
        name: str
        items: list[str] = dataclasses.field(default_factory=list)
        nested: "Span | None" = None

    hints = typing.get_type_hints(Bag, {"Span": Span})
    methods = [
        getattr(cls, name).__code__
        for cls in (Span, Bag)
        for name in ("__init__", "__repr__", "__eq__", "__lt__", "__hash__", "__setattr__")
        if hasattr(getattr(cls, name, None), "__code__")
    ]
    code = [(m.co_code.hex(), m.co_names, m.co_varnames, m.co_filename, m.co_qualname) for m in methods]
    behaviour = [
        repr(Span(1, 2)), Span(1, 2) < Span(1, 3), hash(Span(1, 2)) == hash(Span(1, 2)),
        repr(Bag(name="a", nested=Span(3))), str(hints["nested"]),
    ]
    try:
        Span(1, 2).start = 3
    except dataclasses.FrozenInstanceError as error:
        behaviour.append(type(error).__name__)
    return {"code": code, "behaviour": behaviour}

if len(sys.argv) > 1:
    from captionls.server.cli.code_cache import CompileCache
    cache = CompileCache(Path(sys.argv[1]))
    with cache.serving(dataclasses, typing):
        print(json.dumps(define()))
    cache.save()
else:
    print(json.dumps(define()))
"""


def test_dataclasses_and_forward_references_are_the_same_cold_warm_and_without_the_cache(
    tmp_path: Path,
) -> None:
    """dataclasses writes its methods with `exec`, typing compiles each forward reference: both cached."""
    cache = cache_file(tmp_path, "start-code")
    plain = _printed(GENERATED_ELSEWHERE)
    assert _printed(GENERATED_ELSEWHERE, cache) == plain  # cold: compiles and saves
    saved = cache.stat().st_mtime_ns
    keys = _load(cache)
    assert {mode for _, _, mode, _, _ in keys} == {"exec", "eval"}  # dataclasses' methods, typing's refs
    assert _printed(GENERATED_ELSEWHERE, cache) == plain  # warm: all from the cache
    assert cache.stat().st_mtime_ns == saved


def test_exec_of_source_without_a_namespace_runs_in_its_caller_as_the_builtin_does(tmp_path: Path) -> None:
    module = ModuleType("generated_here")
    source = "exec('answer = 41 + 1')\ndef local():\n    exec('inner = 1')\n    return 'inner' in locals()\n"
    for _ in range(2):  # cold, then warm
        cache = CompileCache(tmp_path / "code.bin")
        with cache.serving(module):
            builtins.exec(source, module.__dict__)
            assert module.answer == 42
            assert module.local()
        cache.save()
    assert len(_load(tmp_path / "code.bin")) == 2
    assert "exec" not in module.__dict__ and "compile" not in module.__dict__


def test_a_module_with_its_own_compile_keeps_it(tmp_path: Path) -> None:
    module = ModuleType("compiles_its_own_way")
    source = "def compile(*args):\n    return 'its own'\nresult = lambda: compile('1', '', 'eval')"
    builtins.exec(source, vars(module))
    with CompileCache(tmp_path / "code.bin").serving(module):
        assert module.result() == "its own"
    assert module.result() == "its own"
    assert "exec" not in vars(module)


def test_only_save_writes_the_file_and_only_what_changed(tmp_path: Path) -> None:
    """`serve` saves the start's code once the first messages are answered: serving writes nothing, a
    second save with nothing new writes nothing, a save after new compiles writes them."""
    path = tmp_path / "code.bin"
    module = ModuleType("generated_late")
    cache = CompileCache(path)
    with cache.serving(module):
        builtins.exec("exec('first = 1')", module.__dict__)
    assert not path.exists()
    cache.save()
    assert len(_load(path)) == 1
    saved = path.stat().st_mtime_ns
    cache.save()
    assert path.stat().st_mtime_ns == saved
    with cache.serving(module):
        builtins.exec("exec('second = 2')", module.__dict__)
    cache.save()
    assert len(_load(path)) == 2
