"""What `captionls serve` does before its first answer: imports nothing only a later command needs, and
compiles the protocol classes' generated code once per machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CAPTIONLS_SERVE = [str(Path(sys.executable).with_name("captionls")), "serve"]
IMPORTED_AFTER_START = """
import sys
from captionls.server.lsp.server import create_server
create_server()
print("\\n".join(sorted(sys.modules)))
"""


def test_the_server_starts_without_the_selection_language() -> None:
    # tagsList/Add/Remove/Move import it when first run (tests/lsp/test_selection.py runs them).
    modules = subprocess.run(
        [sys.executable, "-c", IMPORTED_AFTER_START], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "captionls.server.lsp.features.selection" in modules
    assert not [name for name in modules if name.startswith("captionls.server.caption.selection")]


def _serve_until_eof(cache_home: Path) -> None:
    """Start `captionls serve` and close its input at once: it starts up whole, then ends."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    subprocess.run(CAPTIONLS_SERVE, stdin=subprocess.DEVNULL, env=env, check=True, timeout=60)


def test_serve_compiles_the_protocol_classes_once_per_machine(tmp_path: Path) -> None:
    """The first start saves attrs' generated code for lsprotocol's classes; later starts read it."""
    _serve_until_eof(tmp_path)
    (cache,) = (tmp_path / "captionls").iterdir()
    assert cache.name.startswith("attrs-code-") and cache.stat().st_size > 100_000
    saved = cache.stat().st_mtime_ns
    _serve_until_eof(tmp_path)
    assert cache.stat().st_mtime_ns == saved
    assert [path.name for path in (tmp_path / "captionls").iterdir()] == [cache.name]
