"""Reading TOML files: tables back, errors located at the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajforge.config import read_toml
from trajforge.errors import ConfigError


def test_tables_come_back_and_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text("seed = 3\n[budget]\nmax_steps = 40\n")
    assert read_toml(path) == {"seed": 3, "budget": {"max_steps": 40}}
    path.write_text("seed = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        read_toml(path)
    assert caught.value.file == str(path)
    with pytest.raises(ConfigError) as caught:
        read_toml(tmp_path / "absent.toml", what="the weights")
    assert str(caught.value) == f"{tmp_path / 'absent.toml'}: cannot read the weights: " + (
        "No such file or directory"
    )
