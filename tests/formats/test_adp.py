"""ADP standardized records: actions as steps, observations as results, finish as the finish
action; the same records imported from ADP's own ATIF give the same calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.adp import FORMAT, adp_to_trajectory
from trajforge.formats.atif import atif_to_trajectory
from trajforge.io import BadRecord
from trajforge.io.documents import iter_records
from trajforge.schema import Finish, Reply, ToolCall, ToolResult, Trajectory, UserMessage

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [r.data for r in iter_records(FIXTURES / "adp")]


def test_every_record_is_imported(records: list[dict[str, Any]]) -> None:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    trajectories = list(FORMAT.read(str(FIXTURES / "adp"), bad.append))
    assert (len(trajectories), bad) == (6, [])
    assert [t.id for t in trajectories] == [f"adp-{r['id']}" for r in records]


def test_code_actions_are_calls_and_the_interpreter_answers_them(
    records: list[dict[str, Any]],
) -> None:
    record = records[0]  # CodeActInstruct: the interpreter's output comes with source "user"
    trajectory = adp_to_trajectory(record)
    code = [item for item in record["content"] if item["class_"] == "code_action"]
    calls = [a for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]
    assert [c.arguments for c in calls] == [{"code": item["content"]} for item in code]
    assert {c.name for c in calls} == {"execute_ipython_cell"}
    assert [s.reasoning for s in trajectory.steps[:3]] == [item["description"] for item in code]
    results = [o for s in trajectory.steps for o in s.observations]
    assert all(isinstance(o, ToolResult) and o.name == "execute_ipython_cell" for o in results)
    assert trajectory.steps[-1].actions == [Finish(content="<solution> 15/2 </solution>")]
    kept = trajectory.provenance.extra
    assert kept["content[7]"]["content"] == "<finish> <solution> 15/2 </solution> </finish>"
    assert kept["content[2]"] == {"source": "user"}  # what the result's place does not say
    assert [t.name for t in trajectory.tools] == ["execute_ipython_cell"]
    assert trajectory.tools[0].parameters is not None


def test_a_message_and_a_call_together_are_one_step(records: list[dict[str, Any]]) -> None:
    trajectory = adp_to_trajectory(records[-1])  # Toucan
    assert trajectory.system_prompt is not None
    assert trajectory.system_prompt.startswith("<|im_system|>tool_declare")
    assert trajectory.task.instruction is not None
    assert trajectory.task.instruction.startswith("I'm considering joining")
    first, last = trajectory.steps
    assert [type(a) for a in first.actions] == [Reply, ToolCall]
    assert first.observations[0].content.startswith('{"success": true')
    assert isinstance(last.actions[0], Finish)


def test_adp_and_its_atif_agree_on_the_calls(records: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in records}
    for converted in iter_records(FIXTURES / "atif"):
        original = adp_to_trajectory(by_id[converted.data["session_id"]])
        again = atif_to_trajectory(converted.data)
        assert _calls(original) == _calls(again)
        assert _results(original) == _results(again)
        assert original.task.instruction == again.task.instruction


def _calls(trajectory: Trajectory) -> list[str]:
    return [a.name for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]


def _results(trajectory: Trajectory) -> list[str]:
    return [o.content for s in trajectory.steps for o in s.observations]


def test_later_user_messages_and_bad_items() -> None:
    content = [
        {"class_": "text_observation", "content": "task", "source": "user", "name": None},
        {"class_": "message_action", "content": "which one?", "description": None},
        {"class_": "text_observation", "content": "the red one", "source": "user", "name": "ann"},
        {"class_": "code_action", "language": "bash", "content": "ls", "description": "look"},
        {"class_": "web_observation", "html": "<p>", "axtree": "[1] p", "url": "u"},
    ]
    trajectory = adp_to_trajectory({"id": "x", "content": content, "details": {"k": 1}})
    assert trajectory.steps[0].observations == [UserMessage(content="the red one", name="ann")]
    call = trajectory.steps[1].actions[0]
    assert call == ToolCall(name="execute_bash", arguments={"command": "ls"})
    assert trajectory.steps[1].observations == [ToolResult(name="execute_bash", content="[1] p")]
    assert trajectory.provenance.extra["content[4]"] == {"html": "<p>", "url": "u"}
    assert trajectory.provenance.extra["$"] == {"details": {"k": 1}}
    with pytest.raises(ConversionError, match="unknown content class 'thought'") as caught:
        adp_to_trajectory({"id": "y", "content": [*content, {"class_": "thought"}]})
    assert caught.value.path == "content[5].class_"
    twice = [content[0], {**content[0], "content": "again"}]
    with pytest.raises(ConversionError, match="a user message here has no place"):
        adp_to_trajectory({"id": "z", "content": twice})
