"""``kto``: TRL unpaired preference rows, per trajectory or per step."""

from __future__ import annotations

from pathlib import Path

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.kto import NO_VALUE, write
from trajforge.schema import Trajectory

from .trajectories import call, read_rows, reply, rule, trajectory


def test_a_trajectory_is_desirable_when_it_succeeds_without_mistakes(tmp_path: Path) -> None:
    wrong = rule("redundant_call", "redundant", 0.0)
    runs = [
        trajectory("clean", call("lookup", q="a"), reply("done"), status="success"),
        trajectory("recovered", call("lookup", "x", wrong, q="a"), reply("ok"), status="success"),
        trajectory("partial", reply("half"), status="partial"),
        trajectory("unknown", reply("?")),
    ]
    out = tmp_path / "kto.jsonl"
    result = write(str(out), runs)
    rows = read_rows(out)
    assert [row["label"] for row in rows] == [True, False, False]
    assert result.details == {"desirable": 1, "undesirable": 2, NO_VALUE: 1}
    assert rows[0]["prompt"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "find the thing"},
    ]
    assert [m["role"] for m in rows[0]["completion"]] == ["assistant", "tool", "assistant"]
    write(str(out), runs, export=ExportOptions(desirable_at=0.5))
    assert [row["label"] for row in read_rows(out)] == [True, False, True]


def test_per_step_rows_are_the_history_and_one_assistant_message(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "kto.jsonl"
    result = write(str(out), branched[:1], export=ExportOptions(kto_unit="step"))
    rows = read_rows(out)
    (run,) = branched[:1]
    assert result.count == len(rows) == len(run.steps)
    for k, row in enumerate(rows):
        assert len(row["prompt"]) == 2 + sum(1 + len(s.observations) for s in run.steps[:k])
        assert [m["role"] for m in row["completion"]] == ["assistant"]
    assert {row["label"] for row in rows} == {True, False}
