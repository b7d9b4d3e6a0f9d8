"""``dpo``: TRL preference rows with the shared prefix as the prompt."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from trajforge.formats.chat import conversation, tool_schemas, trl_messages
from trajforge.formats.dpo import TREE_PAIRS, WHOLE_PAIRS, write
from trajforge.schema import Trajectory

from .trajectories import call, read_rows, reply, trajectory

TRL = partial(trl_messages, json_strings=False)


def test_rows_are_the_shared_prefix_and_two_continuations(
    branched: list[Trajectory], tmp_path: Path
) -> None:
    out = tmp_path / "dpo.jsonl"
    result = write(str(out), branched)
    rows = read_rows(out)
    assert result.count == len(rows) == result.details[TREE_PAIRS]
    continuations = {json.dumps(conversation(run, TRL).since(2)): run for run in branched}
    for row in rows:
        assert set(row) == {"prompt", "chosen", "rejected", "tools"}
        chosen = continuations[json.dumps(row["chosen"])]
        rejected = continuations[json.dumps(row["rejected"])]
        assert chosen.id != rejected.id
        assert row["prompt"] == conversation(chosen, TRL).before(2)
        assert row["prompt"] == conversation(rejected, TRL).before(2)
        assert row["prompt"][-1]["role"] == "tool"
        assert row["tools"] == tool_schemas(chosen.tools)


def test_whole_runs_of_one_task_make_rows_from_the_task_on(tmp_path: Path) -> None:
    good = trajectory("good", call("lookup", q="a"), reply("found"), status="success")
    bad = trajectory("bad", reply("no idea"), status="failure")
    out = tmp_path / "dpo.jsonl"
    result = write(str(out), [good, bad])
    assert result.details == {WHOLE_PAIRS: 1}
    (row,) = read_rows(out)
    assert row["prompt"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "find the thing"},
    ]
    assert [m["role"] for m in row["chosen"]] == ["assistant", "tool", "assistant"]
    assert row["rejected"] == [{"role": "assistant", "content": "no idea"}]
