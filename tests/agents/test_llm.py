"""LLMAgent against the fake endpoint: requests, decisions, malformed output, whole episodes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("openai")

from trajforge.agents.llm import (
    CONTEXT_EXCEEDED,
    DEFAULT_SYSTEM_PROMPT,
    MALFORMED_OUTPUT,
    PARSE_NOTICE,
    AgentSettings,
    LLMAgent,
    LLMAgentFactory,
    is_malformed,
    render_tools,
)
from trajforge.agents.llm_client import ChatClient
from trajforge.agents.users import ScriptedUser
from trajforge.envs.support import SupportEnv
from trajforge.errors import EndpointError
from trajforge.formats.openai import record_to_trajectory, trajectory_to_messages
from trajforge.run.episode import Budget, EpisodeRecorder, run_episode
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    TrajectoryDecoder,
    UserMessage,
    encode,
)
from trajforge.testing.fake_endpoint import (
    FakeEndpoint,
    FakeResponse,
    error,
    text,
    tool_calls,
)

TOOLS = [
    ToolSpec(
        name="get_order",
        description="Get an order.",
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    ),
    ToolSpec(name="list_orders", description="List orders.", parameters={"type": "object"}),
]
TASK = Task(instruction="Where is my order W1?")


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    with FakeEndpoint() as endpoint:
        yield endpoint


def factory(fake: FakeEndpoint, **kwargs: Any) -> LLMAgentFactory:
    client = ChatClient(fake.base_url, "fake-model", backoff_s=0.01, timeout_s=5)
    return LLMAgentFactory(client, AgentSettings(**kwargs))


def decide(agent: LLMAgent, steps: Sequence[Step] = ()) -> Any:
    return asyncio.run(agent.decide(list(steps)))


def agent_for(fake: FakeEndpoint, **kwargs: Any) -> LLMAgent:
    return factory(fake, **kwargs)(TASK, TOOLS, 7)


def decide_in_turn(agent: LLMAgent, count: int) -> list[Step]:
    """``count`` decisions, each made after the steps of those before it."""
    steps: list[Step] = []
    for _ in range(count):
        decision = decide(agent, steps)
        steps.append(
            Step(
                reasoning=decision.reasoning,
                actions=decision.actions,
                labels=decision.labels,
                usage=decision.usage,
            )
        )
    return steps


# ---------------------------------------------------------------- decisions


def test_native_tool_calls(fake: FakeEndpoint) -> None:
    fake.push(tool_calls(("get_order", {"order_id": "W1"}), ("list_orders", {}), usage=(40, 9)))
    decision = decide(agent_for(fake))
    assert decision.actions == [
        ToolCall(id="call_0_0", name="get_order", arguments={"order_id": "W1"}),
        ToolCall(id="call_0_1", name="list_orders", arguments={}),
    ]
    assert decision.labels == []
    assert (decision.usage.prompt_tokens, decision.usage.completion_tokens) == (40, 9)
    assert decision.usage.latency_ms > 0


def test_native_call_with_text_keeps_the_text_as_a_reply(fake: FakeEndpoint) -> None:
    fake.push(tool_calls(("list_orders", ""), content="Let me check."))
    decision = decide(agent_for(fake))
    assert decision.actions == [
        Reply(content="Let me check."),
        ToolCall(id="call_0_0", name="list_orders", arguments={}),
    ]


def test_hermes_text_calls(fake: FakeEndpoint) -> None:
    body = (
        'Checking.\n<tool_call>{"name": "get_order", "arguments": {"order_id": "W1"}}</tool_call>'
    )
    fake.push(text(body))
    decision = decide(agent_for(fake))
    assert decision.actions == [
        Reply(content="Checking."),
        ToolCall(id="call_0_0", name="get_order", arguments={"order_id": "W1"}),
    ]
    assert decision.labels == []


def test_bare_json_calls(fake: FakeEndpoint) -> None:
    fake.push(text('```json\n{"name": "list_orders", "parameters": {}}\n```'))
    decision = decide(agent_for(fake))
    assert decision.actions == [ToolCall(id="call_0_0", name="list_orders", arguments={})]


def test_a_question_and_a_final_answer(fake: FakeEndpoint) -> None:
    fake.push(text("What is your email?"), text("  Your order has shipped.  "))
    agent = agent_for(fake)
    assert decide(agent).actions == [ClarifyingQuestion(content="What is your email?")]
    assert decide(agent).actions == [Finish(content="Your order has shipped.")]


def test_think_blocks_become_reasoning(fake: FakeEndpoint) -> None:
    fake.push(text("<think>The user wants W1.</think>What is your email?"))
    decision = decide(agent_for(fake))
    assert decision.reasoning == "The user wants W1."
    assert decision.actions == [ClarifyingQuestion(content="What is your email?")]


def test_a_refusal_is_a_final_answer(fake: FakeEndpoint) -> None:
    fake.push(FakeResponse(message={"role": "assistant", "content": None, "refusal": "I can't."}))
    assert decide(agent_for(fake)).actions == [Finish(content="I can't.")]


def test_reasoning_content_is_kept(fake: FakeEndpoint) -> None:
    message = {"role": "assistant", "content": "Done.", "reasoning_content": "easy"}
    fake.push(FakeResponse(message=message))
    assert decide(agent_for(fake)).reasoning == "easy"


# ---------------------------------------------------------------- malformed output


def assert_malformed(decision: Any, reason: str) -> None:
    (label,) = decision.labels
    assert label.name == MALFORMED_OUTPUT
    assert label.source.kind == "generator"
    assert label.grade == "error"
    assert reason in (label.rationale or "")
    assert decision.usage is not None


def test_truncated_output(fake: FakeEndpoint) -> None:
    fake.push(text('<tool_call>{"name": "get_order", "argu', finish_reason="length"))
    decision = decide(agent_for(fake))
    assert_malformed(decision, "cut off")
    assert decision.actions == []
    assert decision.reasoning == '<tool_call>{"name": "get_order", "argu'
    assert decision.labels[0].details["finish_reason"] == "length"


def test_unparseable_text_call(fake: FakeEndpoint) -> None:
    fake.push(text("<tool_call>{name: get_order}</tool_call>"))
    decision = decide(agent_for(fake))
    assert_malformed(decision, "tool_call[0]")
    assert decision.actions == []
    assert decision.reasoning == "<tool_call>{name: get_order}</tool_call>"


def test_unknown_tool_in_text(fake: FakeEndpoint) -> None:
    fake.push(text('<tool_call>{"name": "drop_tables", "arguments": {}}</tool_call>'))
    assert_malformed(decide(agent_for(fake)), "unknown tool 'drop_tables'")


def test_invalid_native_argument_json_is_kept_for_the_environment(fake: FakeEndpoint) -> None:
    fake.push(tool_calls(("get_order", '{"order_id": "W1"'), ("list_orders", "{}")))
    decision = decide(agent_for(fake))
    assert_malformed(decision, "tool_call[0] (get_order): the arguments are not a JSON object")
    bad, good = decision.actions
    assert bad == ToolCall(
        id="call_0_0", name="get_order", arguments={}, raw_arguments='{"order_id": "W1"'
    )
    assert good == ToolCall(id="call_0_1", name="list_orders", arguments={})
    # The environment answers the broken call with an error, as for any bad call.
    result = SupportEnv().execute(bad)
    assert result.status == "error"
    assert result.error_kind == "invalid_arguments"


@pytest.mark.parametrize(
    ("calls", "reason"),
    [
        (["x"], "tool_call[0]: expected an object with a function object"),
        (
            [{"id": "c", "function": "get_order"}],
            "tool_call[0]: expected an object with a function",
        ),
        ({"name": "get_order"}, "tool_calls: expected a list, got dict"),
        ("get_order", "tool_calls: expected a list, got str"),
    ],
)
def test_odd_tool_call_shapes_are_malformed_output(
    fake: FakeEndpoint, calls: object, reason: str
) -> None:
    message = {"role": "assistant", "content": "on it", "tool_calls": calls}
    fake.push(FakeResponse(message=message, finish_reason="tool_calls"))
    decision = decide(agent_for(fake))
    assert_malformed(decision, reason)
    assert encode_decision(decision)


def test_a_native_call_of_an_unknown_tool_is_malformed_output(fake: FakeEndpoint) -> None:
    fake.push(tool_calls(("drop_tables", {}), ("get_order", {"order_id": "W1"})))
    decision = decide(agent_for(fake))
    assert_malformed(decision, "tool_call[0]: unknown tool 'drop_tables'")
    assert [a.name for a in decision.actions] == ["drop_tables", "get_order"]


def test_a_lone_surrogate_in_a_text_call_is_malformed_output(fake: FakeEndpoint) -> None:
    call = '<tool_call>{"name": "get_order", "arguments": {"order_id": "W\\ud800"}}</tool_call>'
    fake.push(text(call))
    decision = decide(agent_for(fake))
    assert_malformed(decision, "tool_call[0] (get_order): text with a lone surrogate")
    assert decision.actions == []
    assert encode_decision(decision)  # the raw output is kept as the model wrote it


def test_a_runaway_argument_is_malformed_and_never_sent_back_whole(fake: FakeEndpoint) -> None:
    """5 MB of arguments, step after step: each is a malformed step whose runaway call is not
    made, and neither the record nor the next requests carry it, so they stay small (no 413)."""
    runaway = json.dumps({"order_id": "W" * 5_000_000})
    fake.handler = lambda request: tool_calls(("get_order", runaway), ("list_orders", {}))
    agent = agent_for(fake, max_malformed=10)
    steps = decide_in_turn(agent, 3)
    assert_malformed(
        steps[-1],
        "tool_call[0] (get_order): the arguments are 5,000,016 characters, "
        "over the limit of 65,536",
    )
    assert [[type(a).__name__ for a in s.actions] for s in steps] == [["ToolCall"]] * 3
    assert {a.name for s in steps for a in s.actions} == {"list_orders"}  # type: ignore[union-attr]
    assert all(len(encode(step)) < 5_000 for step in steps)
    assert "more characters]" in (steps[0].reasoning or "")
    sizes = [len(json.dumps(request["messages"])) for request in fake.requests]
    assert max(sizes) < 20_000


def test_the_argument_limit_holds_for_calls_written_as_text(fake: FakeEndpoint) -> None:
    call = '<tool_call>{"name": "get_order", "arguments": {"order_id": "' + "W" * 80 + '"}}'
    fake.push(text(call + "</tool_call>"))
    decision = decide(agent_for(fake, max_argument_chars=50))
    assert_malformed(decision, "tool_call[0] (get_order): the arguments are 95 characters")
    assert decision.actions == []
    assert decision.reasoning == call[:50] + f" [... {len(call) + 12 - 50} more characters]"


def encode_decision(decision: Any) -> bytes:
    """The decision's step as a record would hold it: it must encode as UTF-8 JSON."""
    return encode(
        Step(actions=decision.actions, reasoning=decision.reasoning, labels=decision.labels)
    )


def test_empty_output(fake: FakeEndpoint) -> None:
    fake.push(text(""))
    assert_malformed(decide(agent_for(fake)), "no text")


def test_the_next_request_shows_the_output_and_the_notice(fake: FakeEndpoint) -> None:
    fake.push(text("<tool_call>{oops</tool_call>"), text("Sorry. What is your email?"))
    agent = agent_for(fake)
    first = decide(agent)
    step = Step(reasoning=first.reasoning, actions=first.actions, labels=first.labels)
    second = decide(agent, [step])
    assert second.labels == []
    assistant, notice = fake.requests[1]["messages"][-2:]
    assert assistant == {"role": "assistant", "content": "<tool_call>{oops</tool_call>"}
    assert notice["role"] == "user"
    assert notice["content"].startswith(PARSE_NOTICE.split("{reason}")[0])
    assert "tool_call[0]" in notice["content"]


def test_consecutive_malformed_outputs_end_the_episode(fake: FakeEndpoint) -> None:
    fake.handler = lambda request: text("{{{", finish_reason="length")
    agent = agent_for(fake, max_malformed=3)
    steps = decide_in_turn(agent, 3)
    assert all(is_malformed(step) for step in steps)
    assert [s.actions for s in steps[:2]] == [[], []]
    (finish,) = steps[2].actions
    assert isinstance(finish, Finish)
    assert finish.completed is False
    assert "3" in finish.content


def test_a_good_output_resets_the_malformed_streak(fake: FakeEndpoint) -> None:
    fake.push(text("{{{", finish_reason="length"), text("ok?"), text("{{{", finish_reason="length"))
    agent = agent_for(fake, max_malformed=2)
    steps = decide_in_turn(agent, 3)
    assert steps[2].actions == []  # the streak is 1 again, not 2


def test_context_overflow_finishes_with_a_label(fake: FakeEndpoint) -> None:
    fake.push(error(400, "Requested tokens (5000) exceed context window of 4096"))
    decision = decide(agent_for(fake))
    (finish,) = decision.actions
    assert isinstance(finish, Finish)
    assert not finish.completed
    assert decision.labels[0].name == CONTEXT_EXCEEDED


def test_other_endpoint_errors_propagate(fake: FakeEndpoint) -> None:
    fake.push(error(401, "bad key"))
    with pytest.raises(EndpointError, match="401"):
        decide(agent_for(fake))


# ---------------------------------------------------------------- requests


def test_native_request_shape(fake: FakeEndpoint) -> None:
    agent = agent_for(fake, system_prompt="Be brief.", sampling={"temperature": 0.2})
    steps = [
        Step(
            reasoning="secret thoughts",
            actions=[ToolCall(id="c1", name="get_order", arguments={"order_id": "W1"})],
            observations=[ToolResult(call_id="c1", name="get_order", content='{"status":"x"}')],
        )
    ]
    messages, tools = agent.request(steps)
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[1] == {"role": "user", "content": TASK.instruction}
    assert "reasoning_content" not in messages[2]
    assert messages[2]["tool_calls"][0]["id"] == "c1"
    assert messages[3]["role"] == "tool"
    assert [t["function"]["name"] for t in tools] == ["get_order", "list_orders"]
    fake.push(text("done"))
    decide(agent, steps)
    request = fake.requests[0]
    assert request["temperature"] == 0.2
    assert isinstance(request["seed"], int)
    assert request["messages"] == messages


def test_seeds_are_deterministic_per_episode_and_step(fake: FakeEndpoint) -> None:
    make = factory(fake)
    for _ in range(2):
        decide(make(TASK, TOOLS, 1))
    decide(make(TASK, TOOLS, 2))
    seeds = [r["seed"] for r in fake.requests]
    assert seeds[0] == seeds[1] != seeds[2]


def test_the_policy_document_follows_the_instructions_and_precedes_the_tools(
    fake: FakeEndpoint,
) -> None:
    agent = agent_for(fake, policy="# Policy\n\nNever refund.\n", tool_mode="prompt")
    prompt = agent.system_prompt
    assert prompt.startswith(DEFAULT_SYSTEM_PROMPT + "\n\n# Policy\n\nNever refund.")
    assert prompt.index("Never refund.") < prompt.index("<tool_call>")


def test_prompt_mode_describes_tools_and_renders_calls_as_text(fake: FakeEndpoint) -> None:
    agent = agent_for(fake, tool_mode="prompt", tool_listing="compact")
    assert "get_order(order_id: string) - Get an order." in agent.system_prompt
    assert "<tool_call>" in agent.system_prompt
    steps = [
        Step(
            actions=[ToolCall(id="c1", name="get_order", arguments={"order_id": "W1"})],
            observations=[ToolResult(call_id="c1", name="get_order", content="shipped")],
        ),
        Step(
            actions=[ClarifyingQuestion(content="Anything else?")],
            observations=[UserMessage(content="No.")],
        ),
    ]
    messages, tools = agent.request(steps)
    assert tools == []
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    call = messages[2]["content"]
    assert call.startswith("<tool_call>")
    assert json.loads(call.split("\n")[1]) == {"name": "get_order", "arguments": {"order_id": "W1"}}
    assert messages[3]["content"] == "<tool_response>\nshipped\n</tool_response>"
    assert all(set(m) == {"role", "content"} for m in messages)


def test_json_listing_is_one_tool_object_per_line() -> None:
    lines = render_tools(TOOLS, "json").splitlines()
    assert [json.loads(line)["function"]["name"] for line in lines] == ["get_order", "list_orders"]


def test_factory_names_and_provenance(fake: FakeEndpoint) -> None:
    make = factory(fake, sampling={"temperature": 0.5})
    agent = make(TASK, TOOLS, 3)
    assert make.name == agent.name == "llm:fake-model"
    generator = make.generator(3)
    assert (generator.policy, generator.model, generator.seed) == (
        "llm:fake-model",
        "fake-model",
        3,
    )
    assert generator.sampling == {"temperature": 0.5}


# ---------------------------------------------------------------- whole episodes


def support_script(request: dict[str, Any]) -> FakeResponse:
    """A tiny 'model': looks the customer up, then answers; one malformed output on the way."""
    turns = sum(1 for m in request["messages"] if m["role"] == "assistant")
    if turns == 0:
        return text('<tool_call>{"name": "find_customer_by_email", "argu', finish_reason="length")
    if turns == 1:
        email = "nobody@example.org"
        return tool_calls(("find_customer_by_email", {"email": email}))
    if turns == 2:
        return text("Which order do you mean?")
    return text("Thanks, all done.")


def test_a_support_episode_end_to_end(fake: FakeEndpoint) -> None:
    fake.handler = support_script
    make = factory(fake)
    task = SupportEnv.sample_tasks(1, 3)[0]
    env = SupportEnv()
    recorder = EpisodeRecorder(
        env,
        task,
        trajectory_id="e1",
        user=ScriptedUser(task, SupportEnv.hidden_info_keys),
        seed=3,
        generator=make.generator(3),
    )
    agent = make(task, env.tool_specs(), 3)
    trajectory = asyncio.run(run_episode(recorder, agent, Budget(max_steps=8)))
    assert len(trajectory.steps) == 4
    assert is_malformed(trajectory.steps[0])
    assert trajectory.steps[1].observations[0].status in ("ok", "error")  # type: ignore[union-attr]
    assert isinstance(trajectory.steps[2].actions[0], ClarifyingQuestion)
    assert isinstance(trajectory.steps[3].actions[0], Finish)
    assert all(s.usage and s.usage.prompt_tokens and s.usage.latency_ms for s in trajectory.steps)
    assert trajectory.provenance.generator is not None
    assert trajectory.provenance.generator.policy == "llm:fake-model"
    assert TrajectoryDecoder().decode(encode(trajectory)) == trajectory
    # What the model was sent is the exporter's rendering of the steps so far (plus the notice).
    trajectory.system_prompt = agent.system_prompt
    last = fake.requests[-1]["messages"]
    exported = trajectory_to_messages(trajectory)
    assert last[0] == exported[0]
    assert last[3]["content"].startswith("[notice]")
    assert (
        record_to_trajectory({"messages": exported}).steps[1].actions == trajectory.steps[1].actions
    )
