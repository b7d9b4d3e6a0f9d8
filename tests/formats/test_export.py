"""``trajforge export``: where data and card go, bad records, and the command's exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trajforge.errors import ConfigError
from trajforge.formats.export import export_dataset, export_target
from trajforge.io import BadRecord

FIXTURE = Path(__file__).parents[1] / "fixtures" / "openai_chat"


def test_a_path_with_a_suffix_is_a_file_and_one_without_a_dataset_directory(
    tmp_path: Path,
) -> None:
    file = export_target(str(tmp_path / "pairs.jsonl.zst"))
    assert (file.data, file.card, file.directory) == (
        tmp_path / "pairs.jsonl.zst",
        tmp_path / "pairs.jsonl.zst.card.md",
        False,
    )
    folder = export_target(str(tmp_path / "pairs"))
    assert (folder.data, folder.card) == (
        tmp_path / "pairs" / "data" / "train.jsonl",
        tmp_path / "pairs" / "README.md",
    )


def test_bad_input_is_set_aside_and_counted_in_the_card(tmp_path: Path) -> None:
    source = tmp_path / "chats.jsonl"
    good = (FIXTURE / "openai_cookbook_drone_training_head2.jsonl").read_text()
    source.write_text(good + '{"messages": [{"role": "assistant", "content": 3}]}\n')
    bad: list[BadRecord] = []
    out = tmp_path / "ft.jsonl"
    result = export_dataset(
        "openai-ft", str(source), str(out), from_format="openai", on_error=bad.append
    )
    assert (result.written.count, result.set_aside, len(bad)) == (2, 1, 1)
    assert bad[0].line == 3
    card = (tmp_path / "ft.jsonl.card.md").read_text()
    assert "| bad records set aside | 1 |" in card
    assert "| openai | 2 |" in card


def test_trainer_formats_refuse_a_file_they_cannot_write(tmp_path: Path) -> None:
    source = FIXTURE / "openai_cookbook_drone_training_head2.jsonl"
    with pytest.raises(ConfigError, match="written as JSON lines") as caught:
        export_dataset("prm", str(source), str(tmp_path / "x.parquet"), from_format="openai")
    assert caught.value.path == "OUT"
    with pytest.raises(ConfigError, match="would overwrite the input"):
        export_dataset("openai", str(source), str(source), from_format="openai")


def _trajforge(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajforge", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_command_reports_what_it_wrote_and_fails_when_nothing_came_out(
    branched_file: Path, tmp_path: Path
) -> None:
    done = _trajforge("export", "dpo", branched_file, tmp_path / "ds", "--margin", "0.2")
    assert done.returncode == 0, done.stderr
    assert "dpo rows from 16 trajectories" in done.stdout
    assert "pairs at a tree's branch point:" in done.stdout
    assert (tmp_path / "ds" / "README.md").is_file()
    two_tasks = FIXTURE / "openai_cookbook_drone_training_head2.jsonl"
    nothing = _trajforge("export", "dpo", two_tasks, tmp_path / "none.jsonl", "--from", "openai")
    assert nothing.returncode == 1
    assert "nothing exported: 2 trajectories gave no dpo rows" in nothing.stderr
    assert "Traceback" not in nothing.stderr
    wrong = _trajforge("export", "kto", branched_file, tmp_path / "k", "--kto-unit", "turn")
    assert wrong.returncode == 1
    assert "error: --kto-unit: invalid enum value 'turn'" in wrong.stderr
