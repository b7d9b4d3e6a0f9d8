"""The tau-bench format: real result files import whole, and results round-trip unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.formats.test_openai_properties import json_values, names, records, texts
from trajforge.errors import ConversionError
from trajforge.formats.registry import get_format
from trajforge.formats.tau_bench import convert, detect, trajectory_to_result
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord, iter_records
from trajforge.schema import (
    ToolCall,
    ToolResult,
    Trajectory,
    TrajectoryDecoder,
    UserMessage,
    encode,
)
from trajforge.verify import verify_trajectory

from .trajectories import findings

FIXTURES = Path(__file__).parents[1] / "fixtures"
SAMPLE = FIXTURES / "tau_bench" / "gpt-4o-airline.json"
FORMAT = get_format("tau-bench")


@pytest.fixture(scope="module")
def imported() -> dict[int, Trajectory]:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    got = list(FORMAT.read(str(SAMPLE), bad.append))
    assert bad == []
    return {t.task.parameters["task_id"]: t for t in got}


def test_every_result_of_the_sample_is_imported(imported: dict[int, Trajectory]) -> None:
    source = json.loads(SAMPLE.read_text())
    assert sorted(imported) == sorted(r["task_id"] for r in source)
    assert [imported[r["task_id"]].outcome.source_reward for r in source] == [
        r["reward"] for r in source
    ]
    for t in imported.values():
        assert t.provenance.original_format == "tau-bench"
        assert t.system_prompt is not None
        assert t.system_prompt.startswith("# Airline Agent Policy")
        assert t.outcome.status == "unknown"  # the source's reward is not trajforge's judgement


def test_the_task_holds_the_ground_truth(imported: dict[int, Trajectory]) -> None:
    task = imported[8].task
    assert [a.name for a in task.expected_actions] == ["cancel_reservation", "book_reservation"]
    assert task.expected_actions[0].arguments == {"reservation_id": "K1NW8N"}
    assert task.required_outputs == ["327", "1000", "1786"]
    assert task.expected_scope == "writes"
    assert task.hidden_info["user_id"] == "mohamed_silva_9265"
    assert task.hidden_info["instruction"].startswith("You are mohamed_silva_9265.")
    assert imported[12].task.expected_actions == []


def test_tools_are_marked_from_their_names(imported: dict[int, Trajectory]) -> None:
    tools = {tool.name: tool for tool in imported[4].tools}
    assert tools["transfer_to_human_agents"].role == "handoff"
    assert tools["transfer_to_human_agents"].read_only is True
    assert tools["get_reservation_details"].read_only is True
    assert tools["update_reservation_flights"].read_only is False
    assert tools["update_reservation_passengers"].read_only is False  # only expected
    assert {tool.role for tool in imported[6].tools} == {None}


def test_a_hand_off_through_the_tool_is_a_final_answer(imported: dict[int, Trajectory]) -> None:
    for task_id in (4, 18):  # both end on transfer_to_human_agents and its result
        verified = verify_trajectory(_decoder.decode(encode(imported[task_id])))  # a copy
        found = {label.name for step in verified.steps for label in step.labels}
        assert "no_final_answer" not in found
        verdict = next(label for label in verified.labels if label.name == "verify")
        assert verdict.grade == "pass", verdict.rationale


def test_the_simulated_users_stop_ends_the_conversation(
    imported: dict[int, Trajectory],
) -> None:
    source = json.loads(SAMPLE.read_text())
    ending = [r for r in source if "###STOP###" in str(r["traj"][-1].get("content"))]
    assert len(ending) == 7
    for result in ending:
        trajectory = imported[result["task_id"]]
        last = len(result["traj"]) - 1
        assert trajectory.provenance.extra[f"traj[{last}]"] == result["traj"][-1]
        said = [o for s in trajectory.steps for o in s.observations if isinstance(o, UserMessage)]
        assert all("###STOP###" not in o.content for o in said)
        assert "unanswered_user_message" not in findings(trajectory)
        assert trajectory_to_result(trajectory) == result
    # a user who speaks last without the stop token is still owed an answer
    unfinished = json.loads(json.dumps(ending[0]))
    unfinished["traj"][-1]["content"] = "Thank you so much for your help!"
    (trajectory,) = convert(SourceRecord(unfinished, str(SAMPLE), item=0))
    assert "unanswered_user_message" in findings(trajectory)
    assert trajectory_to_result(trajectory) == unfinished


def test_error_results_follow_the_sources_convention(imported: dict[int, Trajectory]) -> None:
    results = [
        o for step in imported[0].steps for o in step.observations if isinstance(o, ToolResult)
    ]
    failed = [r for r in results if r.status == "error"]
    assert [r.content[:40] for r in failed] == ["Error: payment amount does not add up, t"]
    assert all(not r.content.startswith("Error:") for r in results if r.status == "ok")


def test_the_rest_is_kept_and_written_back(imported: dict[int, Trajectory]) -> None:
    extra = imported[0].provenance.extra
    assert extra["$"] == {"trial": 0}
    assert set(extra["info"]) == {"source", "user_cost", "reward_info"}
    source = json.loads(SAMPLE.read_text())
    assert [trajectory_to_result(imported[r["task_id"]]) for r in source] == source


def test_the_writer_writes_what_the_reader_reads(
    imported: dict[int, Trajectory], tmp_path: Path
) -> None:
    assert FORMAT.write is not None
    assert FORMAT.read is not None
    dest = tmp_path / "again.json"
    written = FORMAT.write(str(dest), imported.values())
    assert written.count == len(imported)
    assert json.loads(dest.read_text()) == [trajectory_to_result(t) for t in imported.values()]
    again = list(FORMAT.read(str(dest), None))
    assert [t.id for t in again] == [t.id for t in imported.values()]


def test_detection_recognises_results_and_nothing_else() -> None:
    assert all(detect(r.data) for r in iter_records(str(SAMPLE), None))
    others = [p for p in FIXTURES.rglob("*.json*") if "tau_bench" not in p.parts]
    assert others
    for path in others:
        assert not any(detect(r.data) for r in iter_records(str(path), lambda bad: None)), path


@pytest.mark.parametrize(
    ("record", "path"),
    [
        (
            {"traj": [], "info": {"task": {"actions": [{"kwargs": {}}]}}},
            "info.task.actions[0].name",
        ),
        ({"traj": [], "info": {}}, "info.task"),
        ({"traj": [{"role": "robot", "content": "hi"}], "info": {"task": {}}}, "traj[0].role"),
    ],
)
def test_bad_results_are_rejected_where_they_are_wrong(record: dict[str, Any], path: str) -> None:
    with pytest.raises(ConversionError) as caught:
        convert(SourceRecord(record, "results.json", item=0))
    assert caught.value.path == path


# ---------------------------------------------------------------- round trip, any result

unknown = st.dictionaries(texts, json_values, max_size=2)


def rest(data: dict[str, Any], mapped: tuple[str, ...]) -> dict[str, Any]:
    """The keys of ``data`` other than ``mapped``."""
    return {key: value for key, value in data.items() if key not in mapped}


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    """tau-bench results with any chat, ground truth and keys tau-bench did not define."""
    actions = []
    for _ in range(draw(st.integers(0, 3))):
        action = {"name": draw(names), "kwargs": draw(st.dictionaries(texts, json_values))}
        action.update(draw(unknown.map(lambda d: rest(d, ("name", "kwargs")))))
        actions.append(action)
    task: dict[str, Any] = {}
    if draw(st.booleans()):
        task["user_id"] = draw(texts)
    task["actions"] = actions
    if draw(st.booleans()):
        task["instruction"] = draw(texts)
    task["outputs"] = draw(st.lists(texts, max_size=2))
    task.update(rest(draw(unknown), ("user_id", "actions", "instruction", "outputs")))
    info = {"task": task, **rest(draw(unknown), ("task",))}
    result: dict[str, Any] = {"task_id": draw(st.integers(0, 500) | texts)}
    if draw(st.booleans()):
        result["reward"] = draw(st.sampled_from([0.0, 1.0, 0.5]))
    result |= {"info": info, "traj": draw(records())["messages"]}
    result.update(rest(draw(unknown), ("task_id", "reward", "info", "traj")))
    return result


_decoder = TrajectoryDecoder()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results())
def test_any_result_round_trips(result: dict[str, Any]) -> None:
    (trajectory,) = convert(SourceRecord(result, "results.json", item=0))
    assert trajectory_to_result(trajectory) == result
    assert trajectory_to_result(_decoder.decode(encode(trajectory))) == result
    calls = {a.name for step in trajectory.steps for a in step.actions if isinstance(a, ToolCall)}
    assert calls <= {tool.name for tool in trajectory.tools}
