"""The tau2-bench writer: importing a results file and writing its trajectories gives the file
back (the real samples, and generated files with unknown keys and empty values); trajectories
from elsewhere are written as files the importer reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajforge.errors import ConfigError, ConversionError
from trajforge.formats.registry import get_format
from trajforge.formats.tau_tools import TAU2_USER_ENDINGS
from trajforge.io import BadRecord
from trajforge.schema import (
    ArgumentMatch,
    ExpectedAction,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
)

SAMPLES = Path(__file__).parents[1] / "fixtures" / "tau2_bench"
FORMAT = get_format("tau2-bench")


def read(path: Path) -> list[Trajectory]:
    assert FORMAT.read is not None
    return list(FORMAT.read(str(path), None))


def write(path: Path, trajectories: list[Trajectory], **options: Any) -> int:
    assert FORMAT.write is not None
    return FORMAT.write(str(path), trajectories, **options).count


def located_nowhere(trajectories: list[Trajectory]) -> list[Trajectory]:
    """The trajectories without their record location (the file they were read from)."""
    return [
        msgspec.structs.replace(
            t, provenance=msgspec.structs.replace(t.provenance, record_location=None)
        )
        for t in trajectories
    ]


@pytest.mark.parametrize(
    "name", ["telecom_gpt-4o_simulation.json", "airline_tau3_whissle_run1.json"]
)
def test_a_real_results_file_comes_back_as_it_was(name: str, tmp_path: Path) -> None:
    source = SAMPLES / name
    imported = read(source)
    dest = tmp_path / "again.json"
    assert write(dest, imported) == len(imported)
    assert json.loads(dest.read_text()) == json.loads(source.read_text())
    assert located_nowhere(read(dest)) == located_nowhere(imported)


# ---------------------------------------------------------------- generated results files

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
_NAME = st.text("abcdefgh_", min_size=1, max_size=6)
_VALUE = st.none() | st.booleans() | st.integers(-5, 5) | _TEXT
#: Values the importer maps to nothing, which must come back as they were.
NO_TEXT: st.SearchStrategy[Any] = st.sampled_from([None, ""])
NO_LIST: st.SearchStrategy[Any] = st.sampled_from([None, []])
NO_OBJECT: st.SearchStrategy[Any] = st.sampled_from([None, {}])
_UNKNOWN = st.dictionaries(st.sampled_from(["turn_idx", "cost", "note", "x"]), _VALUE, max_size=2)


def _maybe(
    draw: st.DrawFn,
    record: dict[str, Any],
    key: str,
    value: st.SearchStrategy[Any],
    empty: st.SearchStrategy[Any],
) -> None:
    """Set ``key`` to a drawn value, an empty one, or leave it out."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        record[key] = draw(value)
    elif choice == 1:
        record[key] = draw(empty)


class _Ids:
    def __init__(self) -> None:
        self.next = 0

    def __call__(self) -> str:
        self.next += 1
        return f"call-{self.next}"


def _turn(draw: st.DrawFn, role: str, ids: _Ids) -> list[dict[str, Any]]:
    """A message of ``role`` and the tool messages answering its calls."""
    message: dict[str, Any] = {"role": role, **draw(_UNKNOWN)}
    ending = st.builds(str.__add__, _TEXT, st.sampled_from(TAU2_USER_ENDINGS))
    _maybe(draw, message, "content", _TEXT | ending if role == "user" else _TEXT, NO_TEXT)
    calls = [
        {"id": ids(), "name": draw(_NAME), "arguments": draw(st.dictionaries(_NAME, _VALUE))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if calls:
        message["tool_calls"] = calls
    else:
        _maybe(draw, message, "tool_calls", st.just([]), NO_LIST)
    results = []
    for call in calls:
        result = {"role": "tool", "id": call["id"], "error": draw(st.booleans()), "requestor": role}
        _maybe(draw, result, "content", _TEXT, NO_TEXT)
        results.append(result)
    return [message, *results]


@st.composite
def _simulation(draw: st.DrawFn, task_id: str, number: int, policy: bool) -> dict[str, Any]:
    ids = _Ids()
    messages = _turn(draw, "assistant", ids)
    for role in draw(st.lists(st.sampled_from(["assistant", "user"]), max_size=4)):
        messages += _turn(draw, role, ids)
    simulation: dict[str, Any] = {"id": f"sim-{number}", "task_id": task_id, "messages": messages}
    simulation |= draw(st.dictionaries(st.sampled_from(["trial", "seed", "note"]), _VALUE))
    if policy:
        simulation["policy"] = draw(_TEXT.filter(bool))
    reward = draw(st.integers(0, 3))
    if reward == 1:
        simulation["reward_info"] = None
    elif reward >= 2:
        info: dict[str, Any] = {"reward": draw(st.none() | st.floats(0, 1))}
        simulation["reward_info"] = info | draw(st.dictionaries(st.just("db_check"), _VALUE))
    return simulation


@st.composite
def _task(draw: st.DrawFn, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = {"id": task_id, **draw(st.dictionaries(st.just("ticket"), _VALUE))}
    _maybe(draw, task, "user_scenario", st.dictionaries(_NAME, _VALUE, min_size=1), NO_OBJECT)
    if draw(st.booleans()):
        return task
    criteria: dict[str, Any] = {}
    action = st.fixed_dictionaries(
        {"name": _NAME, "arguments": st.dictionaries(_NAME, _VALUE)},
        optional={"compare_args": st.none() | st.lists(_NAME), "requestor": st.just("user")},
    )
    _maybe(draw, criteria, "actions", st.lists(action, min_size=1, max_size=3), NO_LIST)
    _maybe(draw, criteria, "communicate_info", st.lists(_TEXT, min_size=1, max_size=2), NO_LIST)
    basis = st.lists(st.sampled_from(["DB", "ACTION", "COMMUNICATE", "ENV_ASSERTION"]))
    _maybe(draw, criteria, "reward_basis", basis, st.just([]))
    task["evaluation_criteria"] = criteria if draw(st.booleans()) else draw(NO_OBJECT)
    return task


@st.composite
def results_files(draw: st.DrawFn) -> dict[str, Any]:
    """A results file of 1-3 simulations of 1-2 tasks, with keys the importer does not know
    and values it maps to nothing."""
    task_ids = draw(st.lists(_NAME, min_size=1, max_size=2, unique=True))
    policy = draw(st.booleans())  # the simulations carry their policy, or the file does
    chosen = draw(st.lists(st.sampled_from(task_ids), min_size=1, max_size=3))
    simulations = [draw(_simulation(task_id, n, policy)) for n, task_id in enumerate(chosen)]
    used = list(dict.fromkeys(chosen))  # the writer writes the tasks in the order of use
    agent: dict[str, Any] = {"voice_settings": None}
    _maybe(draw, agent, "implementation", _NAME, NO_TEXT)
    _maybe(draw, agent, "llm", _NAME, NO_TEXT)
    _maybe(draw, agent, "llm_args", st.dictionaries(_NAME, _VALUE, min_size=1), NO_OBJECT)
    environment: dict[str, Any] = {"tool_defs": None}
    _maybe(draw, environment, "domain_name", _NAME, NO_TEXT)
    # tau2-bench always writes the environment's policy (what tells the writer where a
    # simulation's system prompt goes: see the importer)
    environment["policy"] = draw(_TEXT | NO_TEXT)
    return {
        "timestamp": draw(_TEXT),
        "info": {"agent_info": agent, "environment_info": environment, "seed": 3},
        "tasks": [draw(_task(task_id)) for task_id in used],
        "simulations": simulations,
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=results_files())
def test_any_results_file_comes_back_as_it_was(
    data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("tau2")
    source = folder / "run.json"
    source.write_text(json.dumps(data))
    imported = read(source)
    dest = folder / "again.json"
    write(dest, imported)
    assert json.loads(dest.read_text()) == data
    assert located_nowhere(read(dest)) == located_nowhere(imported)


# ---------------------------------------------------------------- trajectories from elsewhere


def support_trajectory() -> Trajectory:
    return Trajectory(
        id="gen-1",
        system_prompt="You are a support agent.",
        task=Task(
            instruction="Refund order W1.",
            domain="support",
            expected_actions=[
                ExpectedAction(
                    name="refund",
                    arguments={"order_id": "W1", "reason": "late"},
                    match={"reason": ArgumentMatch(mode="any")},
                )
            ],
            required_outputs=["refunded"],
        ),
        steps=[
            Step(
                actions=[ToolCall(id="c1", name="refund", arguments={"order_id": "W1"})],
                observations=[ToolResult(call_id="c1", content="no such order", status="error")],
            ),
            Step(actions=[Reply(content="It is refunded.")]),
        ],
    )


def test_a_generated_trajectory_is_written_as_tau2_bench_reads_it(tmp_path: Path) -> None:
    dest = tmp_path / "run.json"
    assert write(dest, [support_trajectory()]) == 1
    data = json.loads(dest.read_text())
    assert data["tasks"] == [
        {
            "id": "gen-1",
            "user_scenario": {"instructions": "Refund order W1."},
            "evaluation_criteria": {
                "actions": [
                    {
                        "name": "refund",
                        "arguments": {"order_id": "W1", "reason": "late"},
                        "compare_args": ["order_id"],
                    }
                ],
                "communicate_info": ["refunded"],
                "reward_basis": ["ACTION", "COMMUNICATE"],
            },
        }
    ]
    assert data["info"]["environment_info"] == {
        "domain_name": "support",
        "policy": "You are a support agent.",
    }
    assert data["simulations"][0]["messages"] == [
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "name": "refund", "arguments": {"order_id": "W1"}}],
        },
        {"role": "tool", "id": "c1", "content": "no such order", "error": True},
        {"role": "assistant", "content": "It is refunded."},
    ]
    [again] = read(dest)
    assert again.steps == support_trajectory().steps
    assert again.task.expected_actions == support_trajectory().task.expected_actions
    assert (again.task.expected_scope, again.task.required_outputs) == ("calls", ["refunded"])


def test_what_the_format_cannot_hold_is_named_and_set_aside(tmp_path: Path) -> None:
    good = support_trajectory()
    no_id = msgspec.structs.replace(
        good,
        id="gen-2",
        steps=[Step(actions=[ToolCall(name="refund")]), *good.steps[1:]],
    )
    two_texts = msgspec.structs.replace(
        good, id="gen-3", steps=[Step(actions=[Reply(content="a"), Reply(content="b")])]
    )
    with pytest.raises(ConversionError, match="a tool call without a call id") as caught:
        write(tmp_path / "strict.json", [good, no_id])
    assert (caught.value.file, caught.value.path) == ("trajectory gen-2", "steps[0]")
    assert not (tmp_path / "strict.json").exists()
    bad: list[BadRecord] = []
    assert write(tmp_path / "run.json", [no_id, good, two_texts], on_error=bad.append) == 1
    assert [(b.file, b.error) for b in bad] == [
        ("trajectory gen-2", "steps[0]: a tool call without a call id"),
        (
            "trajectory gen-3",
            "steps[0].actions: 2 text actions in one step; a tau2-bench message has one content",
        ),
    ]
    assert [t.id for t in read(tmp_path / "run.json")] == ["tau2-gen-1"]
    with pytest.raises(ConfigError, match="one JSON object") as wrong:
        write(tmp_path / "run.jsonl", [good])
    assert wrong.value.path == "OUT"
