"""A cluster address nothing answers at is a located error at once, not Ray's long wait."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trajforge.engine.ray_engine import check_reachable
from trajforge.errors import ConfigError

pytestmark = pytest.mark.ray


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_address_nothing_answers_at_is_refused(scheme: str) -> None:
    with pytest.raises(ConfigError, match="no Ray cluster answers at") as caught:
        check_reachable(f"{scheme}127.0.0.1:{_closed_port()}")
    assert caught.value.path == "--ray-address"


def test_an_address_without_a_port_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a Ray cluster address"):
        check_reachable("head-node")


def test_the_command_fails_fast_with_the_reason(generated: Path, tmp_path: Path) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "trajforge",
            "verify",
            str(generated),
            "--out",
            str(tmp_path / "verified.jsonl"),
            "--engine",
            "ray",
            "--ray-address",
            address,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - start < 60  # Ray alone waits minutes
    assert done.returncode == 1  # a located error, as every command gives
    assert f"no Ray cluster answers at {address}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "verified.jsonl").exists()
