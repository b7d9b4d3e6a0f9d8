"""What tests across the suite share: the ``trajforge`` command, run in this process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from trajforge.cli import main
from trajforge.cli.common import err, out


class Outcome(NamedTuple):
    """What one command did: its exit status and what it printed (whitespace folded)."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture
def trajforge(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Outcome]:
    """Run the ``trajforge`` command in this process, as ``python -m trajforge`` would."""
    for console in (out, err):
        monkeypatch.setattr(console, "width", 1000)

    def run(*args: str | Path) -> Outcome:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["trajforge", *map(str, args)])
        code: Any = 0
        try:
            main()  # anything but a SystemExit escaping it (a traceback) fails the test
        except SystemExit as exc:
            code = exc.code
        printed = capsys.readouterr()
        return Outcome(int(code or 0), " ".join(printed.out.split()), " ".join(printed.err.split()))

    return run
