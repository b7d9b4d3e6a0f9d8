"""The generated pages of ``docs/`` are up to date with the code and ``examples/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajforge.reference.__main__ import main
from trajforge.reference.pages import generated_pages

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("name", sorted(generated_pages(REPO)))
def test_a_generated_page_is_up_to_date(name: str) -> None:
    fresh = generated_pages(REPO)[name]
    current = (REPO / "docs" / name).read_text(encoding="utf-8")
    assert current == fresh, f"docs/{name} is out of date: run python -m trajforge.reference"


def test_the_check_names_a_stale_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "examples").symlink_to(REPO / "examples")
    (tmp_path / "docs").mkdir()
    assert main(["--check", str(tmp_path)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0


def test_the_cli_reference_has_every_command_and_option() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for heading in ("## trajforge run", "## trajforge demo", "## trajforge envs list"):
        assert heading in text
    assert "| `--from-stage` STR |" in text
    assert "| `--rollouts` INT (0..) | `0` |" in text


def test_the_format_reference_has_every_record() -> None:
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    for heading in ("### Trajectory", "### Step", "### Label", "### Provenance"):
        assert heading in text
    assert "| `tau-bench` | yes | yes |" in text
    assert "| `steps` | list of [Step](#step) | [] |" in text
