"""Choosing an engine: the local one needs no Ray, and a wrong choice says what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trajforge.engine import active_engine, get_engine, using_engine
from trajforge.errors import ConfigError

LOCAL_RUN = """
import sys
from pathlib import Path
from typer.testing import CliRunner
from trajforge.cli.app import app
result = CliRunner().invoke(app, ["generate", "--out", sys.argv[1], "--tasks", "3"])
assert result.exit_code == 0, result.output
assert "ray" not in sys.modules, "the local engine imported ray"
"""


def test_the_local_engine_never_imports_ray(tmp_path: Path) -> None:
    command = [sys.executable, "-c", LOCAL_RUN, str(tmp_path)]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_an_unknown_engine_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown engine") as caught:
        get_engine("spark")
    assert "local, ray" in (caught.value.hint or "")


def test_an_address_is_for_ray_alone() -> None:
    with pytest.raises(ConfigError, match="ray engine"):
        get_engine("local", "auto")


def test_the_engine_in_force_is_the_local_one_outside_a_block() -> None:
    local = get_engine("local")
    with using_engine(local) as engine:
        assert active_engine() is engine
    assert active_engine().name == "local"
