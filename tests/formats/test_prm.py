"""``prm``: TRL stepwise supervision, one completion and one label per step."""

from __future__ import annotations

from pathlib import Path

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import mistakes
from trajforge.formats.prm import write
from trajforge.schema import Label, LabelSource, Trajectory

from .trajectories import call, read_rows, reply, trajectory


def test_each_step_is_a_completion_labelled_good_unless_a_mistake(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "prm.jsonl"
    write(str(out), branched)
    for run, row in zip(branched, read_rows(out), strict=True):
        assert set(row) == {"prompt", "completions", "labels"}
        assert row["prompt"].startswith(run.system_prompt or "")
        assert row["prompt"].endswith(f"User: {run.task.instruction}")
        assert "<tools>" in row["prompt"]
        assert len(row["completions"]) == len(run.steps)
        assert row["labels"] == [not m for m in mistakes(run, ExportOptions())]
    labels = [label for row in read_rows(out) for label in row["labels"]]
    assert True in labels
    assert False in labels


def test_the_threshold_sets_which_process_values_are_good(tmp_path: Path) -> None:
    process = LabelSource(kind="rollout", id="expert")
    shares = [Label(name="process", source=process, value=v) for v in (0.9, 0.4, 0.1)]
    steps = [
        call("lookup", "found", shares[0], q="a"),
        reply("hm", shares[1]),
        reply("no", shares[2]),
    ]
    run = trajectory("t", *steps)
    out = tmp_path / "prm.jsonl"
    write(str(out), [run])
    (row,) = read_rows(out)
    assert row["labels"] == [True, False, False]
    assert row["completions"][0] == (
        '<tool_call>\n{"name":"lookup","arguments":{"q":"a"}}\n</tool_call>\n\n'
        "<tool_response>\nfound\n</tool_response>"
    )
    write(str(out), [run], export=ExportOptions(mistake_below=0.3))
    assert read_rows(out)[0]["labels"] == [True, True, False]
