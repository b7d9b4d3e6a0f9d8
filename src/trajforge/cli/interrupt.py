"""Ctrl-C and SIGTERM: either stops a command cleanly, and the command says what it left.

SIGINT raises KeyboardInterrupt (Python's default), or, while ``asyncio.run`` (an
``asyncio.Runner``) runs, cancels its task, which stops at its next ``await`` (what is in flight
is finished or rolled back, never cut in half) before KeyboardInterrupt is raised. The CLI makes
SIGTERM do whatever SIGINT would do at that moment, so both unwind the same way: atomic writers
discard their temporary files, and :func:`interruptible` commands end with one line on stderr
(the notes that :func:`on_interrupt` blocks add: what was and was not written) and exit 128 +
the signal's number: 130 for SIGINT, 143 for SIGTERM.
"""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import ParamSpec

import typer
from rich.markup import escape

from trajforge.cli.common import err

P = ParamSpec("P")

#: The SIGTERMs that came (a KeyboardInterrupt without one is Ctrl-C's).
_received: list[int] = []


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    on_sigint = signal.getsignal(signal.SIGINT)
    if not callable(on_sigint):
        raise KeyboardInterrupt
    on_sigint(signal.SIGINT, frame)


def stop_on_sigterm() -> None:
    """Make SIGTERM stop this process the way Ctrl-C does (for the CLI's process only)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN and hasattr(signal, "pthread_sigmask"):
        # a script's background job, that Ctrl-C is not for: SIGINT stays undelivered, but its
        # handler is Python's, so that asyncio.run installs its own for SIGTERM to call
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def on_interrupt(note: Callable[[], str]) -> Iterator[None]:
    """Add ``note()`` (what the interrupted block leaves behind) to an interruption's message."""
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.add_note(note())
        raise


def unwritten(dest: str) -> contextlib.AbstractContextManager[None]:
    """On an interruption inside the block, say what became of a batch command's ``dest``."""
    return on_interrupt(lambda: _left_at(dest))


def _left_at(dest: str) -> str:
    from trajforge.io.manifest import MANIFEST_NAME

    # a dataset directory's shards are published one by one, under an incomplete manifest
    if (Path(dest) / MANIFEST_NAME).exists():
        return f"{dest} is marked incomplete; run the command again to redo it"
    return f"nothing written to {dest}; run the command again"


def interruptible(command: Callable[P, None]) -> Callable[P, None]:
    """``command``, ending on Ctrl-C or SIGTERM with a line saying so (and the notes added on
    the way) instead of a traceback, and the exit status 128 + the signal's number."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            signum = _received[-1] if _received else signal.SIGINT
            notes = "; ".join(getattr(exc, "__notes__", ()))
            name = signal.Signals(signum).name
            err.print(f"[yellow]interrupted ({name})[/]" + (f": {escape(notes)}" if notes else ""))
            raise typer.Exit(128 + signum) from None

    return run
