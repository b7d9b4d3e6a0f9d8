"""What tests across the suite share: the ``trajforge`` command, run in this process, and one
local model server."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.smollm2 import smollm2_gguf
from trajforge.agents.local_server import llama_server
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


@pytest.fixture(scope="session")
def smollm2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server with SmolLM2-135M on loopback (model alias ``SMOLLM2_ALIAS``), started
    once for the session (once per xdist worker) and shared by every test that needs a real
    model; its base URL. Skipped, saying why, where the llm-test extra is missing."""
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with llama_server(smollm2_gguf(), log=log) as url:
        yield url
