"""The tau2-bench format: real results files import one trajectory per simulation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trajforge.errors import ConversionError
from trajforge.formats.registry import get_format
from trajforge.formats.tau2_bench import convert, detect
from trajforge.formats.tau_tools import HANDOFF_TOOL, TAU2_USER_ENDINGS
from trajforge.io import BadRecord
from trajforge.io.documents import SourceRecord, iter_records
from trajforge.schema import (
    ArgumentMatch,
    HandOff,
    Reply,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

from .trajectories import findings

FIXTURES = Path(__file__).parents[1] / "fixtures"
SAMPLES = FIXTURES / "tau2_bench"
TELECOM = SAMPLES / "telecom_gpt-4o_simulation.json"
AIRLINE = SAMPLES / "airline_tau3_whissle_run1.json"
FORMAT = get_format("tau2-bench")


def read(path: Path) -> list[Trajectory]:
    assert FORMAT.read is not None
    bad: list[BadRecord] = []
    got = list(FORMAT.read(str(path), bad.append))
    assert bad == []
    return got


@pytest.fixture(scope="module")
def telecom() -> list[Trajectory]:
    return read(TELECOM)


@pytest.fixture(scope="module")
def airline() -> list[Trajectory]:
    return read(AIRLINE)


@pytest.mark.parametrize("path", [TELECOM, AIRLINE], ids=["telecom", "airline"])
def test_every_simulation_is_imported(path: Path) -> None:
    source = json.loads(path.read_text())
    got = read(path)
    assert [t.id for t in got] == [f"tau2-{s['id']}" for s in source["simulations"]]
    assert [t.task.parameters["task_id"] for t in got] == [
        s["task_id"] for s in source["simulations"]
    ]
    assert [t.outcome.source_reward for t in got] == [
        s["reward_info"]["reward"] for s in source["simulations"]
    ]
    domain = source["info"]["environment_info"]["domain_name"]
    assert {t.task.domain for t in got} == {domain}
    assert {t.provenance.original_format for t in got} == {"tau2-bench"}


def test_messages_map_to_steps(telecom: list[Trajectory]) -> None:
    t = telecom[0]
    assert t.task.instruction is None  # the agent greets first
    assert t.steps[0].actions == [Reply(content="Hi! How can I help you today?")]
    assert t.system_prompt is not None
    assert "telecom" in t.system_prompt.lower()
    calls = [a for s in t.steps for a in s.actions if isinstance(a, ToolCall)]
    assert calls[0].name == "get_customer_by_phone"
    assert calls[0].arguments == {"phone_number": "555-123-2002"}
    assert t.provenance.generator is not None
    assert (t.provenance.generator.policy, t.provenance.generator.model) == ("llm_agent", "gpt-4o")


def test_the_users_own_calls_stay_with_the_user(telecom: list[Trajectory]) -> None:
    users = [o for s in telecom[1].steps for o in s.observations if isinstance(o, UserMessage)]
    acting = [u for u in users if u.tool_calls]
    assert [c.name for u in acting for c in u.tool_calls] == [
        "check_network_status",
        "toggle_data",
        "run_speed_test",
    ]
    assert all(len(u.tool_results) == len(u.tool_calls) for u in acting)
    assert acting[1].tool_results[0].call_id == acting[1].tool_calls[0].id
    # the user's results are not the agent's: no step holds a result for a user's call
    user_ids = {c.id for u in acting for c in u.tool_calls}
    agent_results = [
        o for s in telecom[1].steps for o in s.observations if isinstance(o, ToolResult)
    ]
    assert not user_ids & {r.call_id for r in agent_results}
    assert "toggle_data" not in {tool.name for tool in telecom[1].tools}


def test_the_task_holds_the_ground_truth(
    telecom: list[Trajectory], airline: list[Trajectory]
) -> None:
    toggle = telecom[0].task
    assert [a.name for a in toggle.expected_actions] == ["toggle_roaming"]
    assert toggle.expected_scope == "writes"  # ENV_ASSERTION: the device's state is compared
    transfer = telecom[3].task
    assert transfer.expected_scope == "calls"  # ACTION: the call itself is checked
    assert transfer.expected_actions[0].match == {"summary": ArgumentMatch(mode="any")}
    assert "user_scenario" not in telecom[0].provenance.extra.get("tasks[0]", {})
    assert telecom[0].task.hidden_info["instructions"]["domain"] == "telecom"
    told = airline[2].task
    assert told.required_outputs == ["4"]  # COMMUNICATE is in the reward basis
    assert told.expected_actions[0].match == {}  # compare_args null: every argument compared


def test_tools_are_marked_as_the_file_says(airline: list[Trajectory]) -> None:
    tools = {tool.name: tool for t in airline for tool in t.tools}
    assert tools["update_reservation_flights"].read_only is False  # tool_type "write"
    assert tools["get_reservation_details"].read_only is True  # tool_type "read"
    assert tools["cancel_reservation"].read_only is False  # no type recorded: by its name
    assert tools["transfer_to_human_agents"].role == "handoff"


def test_unknown_keys_are_kept_where_they_were(airline: list[Trajectory]) -> None:
    extra = airline[0].provenance.extra
    assert extra["simulations[0].messages[0]"]["is_audio"] is False
    assert "effect_timeline" in extra["simulations[0]"]
    assert "reward" not in extra["simulations[0].reward_info"]
    assert "db_check" in extra["simulations[0].reward_info"]
    assert "simulation_index" in extra["$"]
    # the simulations carry the policy: the file's is kept to be written back beside them
    assert extra["info.environment_info"]["policy"] == airline[0].system_prompt
    # values that map to nothing are kept as they were, for the writer
    assert extra["simulations[0].messages[0]"]["tool_calls"] is None
    assert extra["simulations[0].messages[4]"]["content"] is None
    assert extra["simulations[0].messages[5]"]["error"] is False
    criteria = next(v for k, v in extra.items() if k.endswith("].evaluation_criteria"))
    assert criteria["actions"] == []  # no expected action: the empty list is kept as it was
    assert criteria["reward_basis"] == ["DB", "COMMUNICATE"]


def _marker(message: dict[str, Any]) -> str | None:
    return next((m for m in TAU2_USER_ENDINGS if m in (message.get("content") or "")), None)


def _imported_and_again(run: dict[str, Any], tmp_path: Path) -> list[Trajectory]:
    """The trajectories of ``run``, checked to be written back as ``run``."""
    got = list(convert(SourceRecord(run, "run.json")))
    dest = tmp_path / "again.json"
    assert FORMAT.write is not None
    FORMAT.write(str(dest), got)
    assert json.loads(dest.read_text()) == run
    return got


def test_the_simulated_users_ending_ends_the_conversation(tmp_path: Path) -> None:
    runs = [json.loads(path.read_text()) for path in (TELECOM, AIRLINE)]
    endings = [_marker(s["messages"][-1]) for run in runs for s in run["simulations"]]
    assert endings.count("###STOP###") == 4
    assert endings.count("###TRANSFER###") == 5  # one asked for, never made by the agent
    for run in runs:
        for i, (simulation, t) in enumerate(
            zip(run["simulations"], _imported_and_again(run, tmp_path), strict=True)
        ):
            last = len(simulation["messages"]) - 1
            assert (
                t.provenance.extra[f"simulations[{i}].messages[{last}]"]
                == (simulation["messages"][-1])
            )
            said = [o for s in t.steps for o in s.observations if isinstance(o, UserMessage)]
            assert not any(_marker({"content": o.content}) for o in said)
            assert "unanswered_user_message" not in findings(t)
    # without its marker, the user's last message is owed an answer again
    for simulation in (s for run in runs for s in run["simulations"]):
        ending = simulation["messages"][-1]
        ending["content"] = ending["content"].replace(_marker(ending), "").strip() or "Thanks!"
    for run in runs:
        for t in _imported_and_again(run, tmp_path):
            assert "unanswered_user_message" in findings(t)


def test_a_transfer_is_the_agents_own_hand_off(airline: list[Trajectory]) -> None:
    """The user's ``###TRANSFER###`` adds no action: the hand-off is the agent's call before it
    (a tool with role ``handoff``), and a transfer the user asked for is not made up."""
    source = json.loads(AIRLINE.read_text())["simulations"]
    moved = [
        t
        for simulation, t in zip(source, airline, strict=True)
        if _marker(simulation["messages"][-1]) == "###TRANSFER###"
    ]
    calls = [{a.name for s in t.steps for a in s.actions if isinstance(a, ToolCall)} for t in moved]
    assert [HANDOFF_TOOL in names for names in calls] == [True, False, True, True]
    assert all(not isinstance(a, HandOff) for t in moved for s in t.steps for a in s.actions)
    assert {tool.role for t in moved for tool in t.tools if tool.name == HANDOFF_TOOL} == {
        "handoff"
    }


def test_tool_definitions_are_used_when_the_run_recorded_them(tmp_path: Path) -> None:
    """tau2-bench's ``ToolSignature``: ``{name, doc, params, returns}`` per tool (no public
    sample carries them; written here after its data model)."""
    params = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    run = {
        "info": {
            "environment_info": {
                "domain_name": "mock",
                "policy": "Be kind.",
                "tool_defs": {
                    "get_item": {"name": "get_item", "doc": "An item.", "params": params},
                    "delete_item": {"name": "delete_item", "doc": "Gone.", "returns": {}},
                },
            }
        },
        "tasks": [{"id": "t1"}],
        "simulations": [
            {"id": "s1", "task_id": "t1", "messages": [{"role": "assistant", "content": "Hi"}]}
        ],
    }
    (t,) = convert(SourceRecord(run, "run.json"))
    assert [(x.name, x.description, x.parameters, x.read_only) for x in t.tools] == [
        ("get_item", "An item.", params, True),
        ("delete_item", "Gone.", None, False),
    ]
    kept = t.provenance.extra["info.environment_info.tool_defs.delete_item"]
    assert kept == {"name": "delete_item", "returns": {}}
    dest = tmp_path / "again.json"
    assert FORMAT.write is not None
    FORMAT.write(str(dest), [t])
    assert json.loads(dest.read_text()) == run  # the definitions are written back


def test_detection_recognises_results_files_and_nothing_else() -> None:
    assert all(detect(r.data) for p in (TELECOM, AIRLINE) for r in iter_records(str(p), None))
    others = [p for p in FIXTURES.rglob("*.json*") if "tau2_bench" not in p.parts]
    for path in others:
        assert not any(detect(r.data) for r in iter_records(str(path), lambda bad: None)), path


def _run(simulation: dict[str, Any]) -> dict[str, Any]:
    return {"tasks": [{"id": "t1"}], "simulations": [simulation]}


@pytest.mark.parametrize(
    ("run", "path"),
    [
        (_run({"id": "s", "task_id": "t9", "messages": []}), "simulations[0].task_id"),
        (
            _run({"id": "s", "task_id": "t1", "messages": [{"role": "user", "content": "hi"}]}),
            "simulations[0].messages[0]",
        ),
        (
            _run({"id": "s", "task_id": "t1", "messages": [{"role": "robot"}]}),
            "simulations[0].messages[0].role",
        ),
        ({"tasks": [], "simulations": [{"id": "s"}]}, "simulations[0].task_id"),
    ],
)
def test_bad_files_are_rejected_where_they_are_wrong(run: dict[str, Any], path: str) -> None:
    with pytest.raises(ConversionError) as caught:
        list(convert(SourceRecord(run, "run.json")))
    assert caught.value.path == path
