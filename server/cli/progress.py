"""A progress bar on stderr for a long `check`: there once the run has taken a second, on a terminal only."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

# A run shorter than this shows no bar: it would only flicker.
SHOW_AFTER_S = 1.0
# Erases the terminal line the bar is on, before a finding is printed to the same terminal.
_ERASE_LINE = "\r\033[K"


class Progress:
    """Counts the captions checked out of `total` and draws click's bar for them on stderr once the run
    (started at `started`, `time.monotonic()`) has taken over `SHOW_AFTER_S`, when stderr is a terminal.

    Nothing goes to stdout: findings there stay as they are, piped or not. When stdout is the same
    terminal, the bar's line is erased before findings are printed and drawn again after them.
    """

    def __init__(self, total: int, started: float, output: TextIO) -> None:
        self.total = total
        self.started = started
        self.output = output
        self.done = 0
        self._bar: ProgressBar[int] | None = None
        self._stack = ExitStack()
        self._wanted = sys.stderr.isatty()

    def advance(self, captions: int) -> None:
        self.done += captions
        if self._bar is None:
            if not self._wanted or time.monotonic() - self.started <= SHOW_AFTER_S:
                return
            self._bar = self._stack.enter_context(
                click.progressbar(length=self.total, label="checking", show_pos=True, file=sys.stderr)
            )
            self._bar.update(self.done)
            return
        self._bar.update(captions)

    def before_output(self) -> None:
        """Make room for findings printed to the terminal the bar is on."""
        if self._bar is not None and self.output.isatty():
            sys.stderr.write(_ERASE_LINE)
            sys.stderr.flush()

    def close(self) -> None:
        """End the bar's line (and give the cursor back), also when the run was interrupted."""
        self._stack.close()
