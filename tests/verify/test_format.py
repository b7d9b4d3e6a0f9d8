"""Format verification on hand-written, generated and imported trajectories."""

from __future__ import annotations

import pytest

from tests.verify.episodes import episode
from trajforge.envs.registry import ENVIRONMENTS
from trajforge.formats.openai import record_to_trajectory
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)
from trajforge.verify import ValidatorCache, check_format, pair_calls

TOOLS = [
    ToolSpec(
        name="get_order",
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string", "pattern": "^W[0-9]+$"}},
            "required": ["order_id"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(name="ping", parameters=None),
]


def check(t: Trajectory) -> list[tuple[int | None, str, str, str]]:
    found = check_format(t, ValidatorCache().table(t.tools), pair_calls(t))
    return [(p.step, p.check, p.grade, p.target) for p in found]


def lookup(order_id: object, call_id: str = "c1", **extra: object) -> Step:
    return Step(
        actions=[ToolCall(id=call_id, name="get_order", arguments={"order_id": order_id, **extra})],
        observations=[ToolResult(call_id=call_id, name="get_order", content="{}")],
    )


FINISH = Step(actions=[Finish(content="done")])


def test_a_clean_trajectory_has_no_problem() -> None:
    t = Trajectory(id="t", tools=TOOLS, steps=[lookup("W12"), FINISH])
    assert check(t) == []


def test_invalid_arguments_name_the_field() -> None:
    t = Trajectory(id="t", tools=TOOLS, steps=[lookup("W12"), lookup("X9", "c2"), FINISH])
    assert check(t) == [(1, "invalid_arguments", "error", "steps[1].actions[0].arguments.order_id")]
    found = check_format(t, ValidatorCache().table(t.tools), pair_calls(t))
    assert found[0].message.startswith("get_order: arguments.order_id must match pattern")


def test_unknown_tools_and_arguments_that_are_no_object() -> None:
    bad_text = ToolCall(id="c2", name="get_order", arguments={}, raw_arguments='["W1"]')
    t = Trajectory(
        id="t",
        tools=TOOLS,
        steps=[
            Step(
                actions=[ToolCall(id="c1", name="cancel_order", arguments={}), bad_text],
                observations=[
                    ToolResult(call_id="c1", content="x"),
                    ToolResult(call_id="c2", content="y"),
                ],
            ),
            FINISH,
        ],
    )
    assert check(t) == [
        (0, "unknown_tool", "error", "steps[0].actions[0].name"),
        (0, "arguments_not_object", "error", "steps[0].actions[1].raw_arguments"),
    ]


def test_non_canonical_argument_text_is_fine() -> None:
    spaced = ToolCall(id="c1", name="ping", arguments={"a": 1}, raw_arguments='{ "a": 1 }')
    t = Trajectory(
        id="t",
        tools=TOOLS,
        steps=[Step(actions=[spaced], observations=[ToolResult(call_id="c1", content="")]), FINISH],
    )
    assert check(t) == []


def test_step_order_problems() -> None:
    t = Trajectory(
        id="t",
        tools=TOOLS,
        steps=[
            Step(actions=[]),
            Step(actions=[HandOff(content="over to you"), Reply(content="bye")]),
            lookup("W1"),
        ],
    )
    assert check(t) == [
        (0, "empty_step", "error", "steps[0].actions"),
        (1, "action_after_end", "error", "steps[1].actions[1]"),
        (2, "step_after_end", "error", "steps[2]"),
        (2, "no_final_answer", "error", "steps[2].actions[0]"),
    ]


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (Step(actions=[Reply(content="Your order shipped.")]), []),
        (
            Step(
                actions=[Reply(content="Anything else?")], observations=[UserMessage(content="yes")]
            ),
            [(1, "unanswered_user_message", "warning", "steps[1].observations")],
        ),
        (
            Step(actions=[ClarifyingQuestion(content="Which order?")]),
            [(1, "no_final_answer", "warning", "steps[1].actions[0]")],
        ),
    ],
)
def test_final_answers(last: Step, expected: list[tuple[int, str, str, str]]) -> None:
    t = Trajectory(id="t", tools=TOOLS, steps=[lookup("W1"), last])
    assert check(t) == expected


@pytest.mark.parametrize(
    ("role", "result"),
    [("handoff", "Transfer successful"), ("finish", None)],
)
def test_a_hand_off_or_finish_tool_is_a_final_answer(role: str, result: str | None) -> None:
    """tau-bench hands off through ``transfer_to_human_agents``; ToolBench's ``Finish`` gets no
    result."""
    tool = ToolSpec(name="end_it", role=role)  # type: ignore[arg-type]
    observations = [ToolResult(call_id="e", content=result)] if result is not None else []
    end = Step(actions=[ToolCall(id="e", name="end_it")], observations=observations)  # type: ignore[arg-type]
    t = Trajectory(id="t", tools=[*TOOLS, tool], steps=[lookup("W1"), end])
    assert check(t) == []
    plain = Trajectory(id="t", tools=[*TOOLS, ToolSpec(name="end_it")], steps=[lookup("W1"), end])
    expected = [(1, "no_final_answer", "error", "steps[1].actions[0]")]
    if result is None:
        expected.insert(0, (1, "missing_result", "error", "steps[1].actions[0]"))
    assert check(plain) == expected


def test_no_steps_and_no_tools() -> None:
    assert check(Trajectory(id="t")) == [(None, "no_steps", "error", "steps")]
    t = Trajectory(id="t", steps=[lookup("W1"), FINISH])
    assert check(t) == [(None, "no_tools_declared", "warning", "tools")]


def test_imported_openai_records_are_checked_too() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Where is order W7?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "a",
                        "type": "function",
                        "function": {"name": "get_order", "arguments": '{"order_id": 7}'},
                    },
                    {
                        "id": "b",
                        "type": "function",
                        "function": {"name": "ping", "arguments": "oops"},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": "{}"},
            {"role": "assistant", "content": "It shipped."},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"parameters": t.parameters} if t.parameters else {}),
                },
            }
            for t in TOOLS
        ],
    }
    t = record_to_trajectory(record)
    assert check(t) == [
        (0, "invalid_arguments", "error", "steps[0].actions[0].arguments.order_id"),
        (0, "arguments_not_object", "error", "steps[0].actions[1].raw_arguments"),
        (0, "missing_result", "error", "steps[0].actions[1]"),
    ]


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_expert_runs_of_every_environment_are_clean(env: str) -> None:
    for index in range(3):
        t = episode(env, index)
        problems = check(t)
        assert problems == [], (env, index, problems)
