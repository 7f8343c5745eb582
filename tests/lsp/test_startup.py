"""What `captionls serve` imports before its first answer: nothing only a later command needs."""

from __future__ import annotations

import subprocess
import sys

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
