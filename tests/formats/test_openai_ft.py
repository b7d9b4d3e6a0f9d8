"""``openai-ft``: fine-tuning chat records with tools, mistaken steps weighted 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import mistakes
from trajforge.formats.openai_ft import write
from trajforge.formats.registry import get_reader
from trajforge.io import BadRecord
from trajforge.schema import Reply, Trajectory

from .trajectories import call, read_rows, reply, rule, trajectory

FIXTURE = Path(__file__).parents[1] / "fixtures" / "openai_chat"


def _weights(row: dict) -> list[int]:
    return [m["weight"] for m in row["messages"] if m["role"] == "assistant"]


def test_mistaken_steps_weigh_zero_and_which_labels_count_is_an_option(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "ft.jsonl"
    result = write(str(out), branched)
    rows = read_rows(out)
    assert result.count == len(rows) == len(branched)
    for run, row in zip(branched, rows, strict=True):
        assert _weights(row) == [0 if m else 1 for m in mistakes(run, ExportOptions())]
        assert set(row) == {"messages", "tools"}
        assert not any("reasoning_content" in m for m in row["messages"])
    assert (
        0 < sum(w == 0 for row in rows for w in _weights(row)) < sum(map(len, map(_weights, rows)))
    )
    generator_only = ExportOptions(label_sources=("generator",))
    write(str(out), branched, export=generator_only)
    injected = [
        [int(not any(lb.source.kind == "generator" for lb in s.labels)) for s in run.steps]
        for run in branched
    ]
    assert [_weights(row) for row in read_rows(out)] == injected


def test_the_openai_cookbook_sample_comes_back_weighted(tmp_path: Path) -> None:
    source = FIXTURE / "openai_cookbook_drone_training_head2.jsonl"
    runs = list(get_reader("openai")(str(source), None))
    out = tmp_path / "ft.jsonl"
    write(str(out), runs)
    expected = read_rows(source)
    for record in expected:
        for message in record["messages"]:
            if message["role"] == "assistant":
                message["weight"] = 1
    assert read_rows(out) == expected


def test_nothing_to_learn_is_skipped_and_an_unrenderable_run_is_set_aside(tmp_path: Path) -> None:
    bad_step = reply("one")
    bad_step.actions.append(Reply(content="two"))
    runs = [
        trajectory("empty"),
        trajectory("wrong", call("lookup", "x", rule("looping", "loop", 0.0), q="a")),
        trajectory("two-replies", bad_step),
        trajectory("fine", reply("hello")),
    ]
    bad: list[BadRecord] = []
    result = write(str(tmp_path / "ft.jsonl"), runs, on_error=bad.append)
    assert result.count == 1
    assert result.details == {"skipped: no steps": 1, "skipped: every step a mistake": 1}
    assert [(b.file, b.path) for b in bad] == [("trajectory two-replies", "steps[0].actions")]
    with pytest.raises(ConversionError, match="trajectory two-replies: steps"):
        write(str(tmp_path / "strict.jsonl"), runs)


def test_an_openai_ft_file_imports_and_writes_back_the_same(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    first, second = tmp_path / "ft.jsonl", tmp_path / "again.jsonl"
    write(str(first), branched)
    imported = list(get_reader("openai")(str(first), None))
    assert any(label.name == "weight" for run in imported for s in run.steps for label in s.labels)
    write(str(second), imported)
    assert second.read_bytes() == first.read_bytes()
