"""The LLM judge against the fake OpenAI-compatible endpoint (real HTTP on loopback): good
verdicts, malformed then fixed, always malformed, endpoint failures, step- and trajectory-level
labels, the concurrency limit, the synchronous stream, and the versioned rubric files."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from trajforge.agents.breaker import CircuitBreaker
from trajforge.agents.llm_client import ChatClient, ChatResult
from trajforge.errors import ConfigError, EndpointDownError
from trajforge.grade.judge import (
    DEFAULT_MAX_TOKENS,
    JUDGE,
    JUDGE_ERROR,
    Judge,
    JudgeOutput,
    VerdictError,
    judge_stream,
    parse_verdict,
    verdict_schema,
)
from trajforge.grade.rubric import RUBRICS, RubricError, builtin_rubrics, load_rubric, parse_rubric
from trajforge.schema import (
    Finish,
    Label,
    LabelSource,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)
from trajforge.testing.fake_endpoint import FakeEndpoint, FakeResponse, error, text

MODEL = "judge-model"
SECRET = "the-hidden-zip-98765"


def verdict(score: float = 0.9, grade: str = "correct", why: str = "grounded") -> FakeResponse:
    return text(json.dumps({"score": score, "verdict": grade, "rationale": why}))


def trajectory(tid: str = "t1") -> Trajectory:
    """Three steps: a lookup, a refund with an injected mistake, a finish."""
    mistake = Label(
        name="injected_mistake", source=LabelSource(kind="generator", id="mistakes"), grade="x"
    )
    return Trajectory(
        id=tid,
        task=Task(
            instruction="Refund the kettle on order W1.",
            environment="support",
            hidden_info={"zip": SECRET},
            parameters={"truth": {"answer": SECRET}},
        ),
        tools=[
            ToolSpec(
                name="get_order",
                description="Get an order.\nMore text.",
                parameters={"type": "object", "properties": {"order_id": {"type": "string"}}},
            ),
            ToolSpec(name="refund_order", description="Refund items."),
        ],
        steps=[
            Step(
                reasoning="Look the order up.",
                actions=[ToolCall(id="c1", name="get_order", arguments={"order_id": "W1"})],
                observations=[
                    ToolResult(call_id="c1", name="get_order", content='{"items": ["kettle"]}')
                ],
            ),
            Step(
                actions=[ToolCall(id="c2", name="refund_order", arguments={"item": "chair"})],
                observations=[
                    ToolResult(
                        call_id="c2",
                        name="refund_order",
                        content="no such item",
                        status="error",
                        error_kind="not_found",
                    ),
                    UserMessage(content="ok"),
                ],
                labels=[mistake],
            ),
            Step(actions=[Finish(content="Your kettle is refunded.")]),
        ],
    )


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    with FakeEndpoint() as endpoint:
        yield endpoint


def client(fake: FakeEndpoint) -> ChatClient:
    return ChatClient(fake.base_url, MODEL, max_retries=0)


def user_text(request: dict[str, Any]) -> str:
    return "\n".join(
        m["content"] for m in request["messages"] if m["role"] == "user" and m.get("content")
    )


# ---------------------------------------------------------------- trajectory level


def test_a_good_verdict_becomes_a_trajectory_label(fake: FakeEndpoint) -> None:
    fake.push(verdict(0.75, "partial", "the refund failed and the finish claims success"))
    judge = Judge(client(fake), step_rubric=None)
    out = asyncio.run(judge.annotate(trajectory()))
    (label,) = out.labels
    assert label.name == JUDGE
    assert label.source == LabelSource(kind="judge", id=MODEL, version="trajectory_v1")
    assert label.value == 0.75
    assert label.grade == "partial"
    assert label.rationale == "the refund failed and the finish claims success"
    assert label.target is None
    assert label.details["attempts"] == 1
    assert label.details["rubric"] == "trajectory"
    assert all(x.name != JUDGE for s in out.steps for x in s.labels)
    (request,) = fake.requests
    assert request["model"] == MODEL
    assert request["temperature"] == 0.0
    assert request["messages"][0]["role"] == "system"
    prompt = user_text(request)
    assert "Refund the kettle on order W1." in prompt
    assert 'get_order({"order_id":"W1"})' in prompt
    assert "(error/not_found): no such item" in prompt
    assert "Your kettle is refunded." in prompt
    assert SECRET not in json.dumps(request)  # never the hidden info nor the parameters
    assert "injected_mistake" not in json.dumps(request)  # never a label


def test_the_input_is_not_changed_and_judging_again_replaces(fake: FakeEndpoint) -> None:
    judge = Judge(client(fake), step_rubric=None)
    original = trajectory()
    fake.push(verdict(0.2, "incorrect"))
    once = asyncio.run(judge.annotate(original))
    fake.push(verdict(0.4, "partial"))
    twice = asyncio.run(judge.annotate(once))
    assert original.labels == []
    assert [x.value for x in twice.labels] == [0.4]


# ---------------------------------------------------------------- step level


def _by_step(request: dict[str, Any]) -> FakeResponse:
    """Score each step by its index: 0 -> 1.0, 1 -> 0.0, 2 -> 0.5."""
    index = int(re.search(r"step to grade \(step (\d+)\)", user_text(request)).group(1))  # type: ignore[union-attr]
    score, grade = [(1.0, "correct"), (0.0, "incorrect"), (0.5, "partial")][index]
    return verdict(score, grade, f"step {index}")


def test_every_step_gets_its_own_label(fake: FakeEndpoint) -> None:
    fake.handler = _by_step
    judge = Judge(client(fake), trajectory_rubric=None)
    out = asyncio.run(judge.annotate(trajectory()))
    labels = [[x for x in s.labels if x.name == JUDGE] for s in out.steps]
    assert [[(x.value, x.grade, x.target) for x in ls] for ls in labels] == [
        [(1.0, "correct", "steps[0]")],
        [(0.0, "incorrect", "steps[1]")],
        [(0.5, "partial", "steps[2]")],
    ]
    assert all(x.source.version == "step_v1" for ls in labels for x in ls)
    assert out.labels == []
    assert [x.name for x in out.steps[1].labels] == ["injected_mistake", JUDGE]
    prompts = sorted(user_text(r) for r in fake.requests)
    first = next(p for p in prompts if "(step 0)" in p)
    assert "nothing yet: this is the first step" in first
    last = next(p for p in prompts if "(step 2)" in p)
    assert "[step 1]" in last.split("# The step to grade")[0]  # the history before it
    assert "Your kettle is refunded." in last.split("# The step to grade")[1]


def test_steps_and_trajectory_together(fake: FakeEndpoint) -> None:
    fake.handler = lambda r: (
        _by_step(r) if "step to grade" in user_text(r) else verdict(0.3, "incorrect")
    )
    out = asyncio.run(Judge(client(fake)).annotate(trajectory()))
    assert len(fake.requests) == 4
    assert [x.value for x in out.labels] == [0.3]
    assert [x.value for s in out.steps for x in s.labels if x.name == JUDGE] == [1.0, 0.0, 0.5]


# ---------------------------------------------------------------- malformed verdicts


def test_a_malformed_verdict_is_retried_with_a_correction(fake: FakeEndpoint) -> None:
    fake.push(text("The agent did fine, I would say."), verdict(0.8, "correct", "fixed"))
    judge = Judge(client(fake), step_rubric=None)
    out = asyncio.run(judge.annotate(trajectory()))
    (label,) = out.labels
    assert (label.name, label.value, label.rationale) == (JUDGE, 0.8, "fixed")
    assert label.details["attempts"] == 2
    assert judge.stats.retries == 1
    second = fake.requests[1]["messages"]
    assert second[-2] == {"role": "assistant", "content": "The agent did fine, I would say."}
    assert second[-1]["role"] == "user"
    assert "could not be used: it contains no JSON object" in second[-1]["content"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"score": 1.5, "verdict": "correct", "rationale": "x"}', "outside 0 to 1"),
        ('{"score": 0.5, "verdict": "meh", "rationale": "x"}', '"verdict" must be one of'),
        ('{"score": 0.5, "verdict": "partial"}', '"rationale"'),
        ('{"score": true, "verdict": "partial", "rationale": "x"}', '"score" must be a number'),
    ],
)
def test_invalid_fields_are_retried(fake: FakeEndpoint, answer: str, reason: str) -> None:
    fake.push(text(answer), verdict(0.6, "partial"))
    out = asyncio.run(Judge(client(fake), step_rubric=None).annotate(trajectory()))
    assert out.labels[0].name == JUDGE
    assert reason in fake.requests[1]["messages"][-1]["content"]


def test_always_malformed_becomes_a_judge_error(fake: FakeEndpoint) -> None:
    fake.handler = lambda r: text("no idea")
    judge = Judge(client(fake), step_rubric=None, max_attempts=3)
    out = asyncio.run(judge.annotate(trajectory()))
    (label,) = out.labels
    assert label.name == JUDGE_ERROR
    assert label.source == LabelSource(kind="judge", id=MODEL, version="trajectory_v1")
    assert label.value is None
    assert label.grade == "error"
    assert "no usable verdict after 3 attempts: it contains no JSON object" in (
        label.rationale or ""
    )
    assert label.details["raw"] == "no idea"
    assert label.details["attempts"] == 3
    assert len(fake.requests) == 3
    assert judge.stats.errors == 1


def test_a_cut_off_answer_is_retried(fake: FakeEndpoint) -> None:
    fake.push(text('{"score": 0.5, "verd', finish_reason="length"), verdict())
    out = asyncio.run(Judge(client(fake), step_rubric=None).annotate(trajectory()))
    assert out.labels[0].details["attempts"] == 2
    assert "cut off" in fake.requests[1]["messages"][-1]["content"]


def test_step_level_errors_land_on_their_step(fake: FakeEndpoint) -> None:
    def handler(request: dict[str, Any]) -> FakeResponse:
        return text("broken") if "(step 1)" in user_text(request) else verdict()

    fake.handler = handler
    out = asyncio.run(
        Judge(client(fake), trajectory_rubric=None, max_attempts=2).annotate(trajectory())
    )
    names = [[x.name for x in s.labels if x.source.kind == "judge"] for s in out.steps]
    assert names == [[JUDGE], [JUDGE_ERROR], [JUDGE]]
    error_label = out.steps[1].labels[-1]
    assert error_label.target == "steps[1]"


def test_an_endpoint_failure_becomes_a_judge_error(fake: FakeEndpoint) -> None:
    fake.push(error(400, "bad request"))
    out = asyncio.run(Judge(client(fake), step_rubric=None).annotate(trajectory()))
    (label,) = out.labels
    assert label.name == JUDGE_ERROR
    assert label.details["error"] == "endpoint"
    assert "HTTP 400" in (label.rationale or "")


def test_the_timeout_bounds_a_whole_verdict_retries_and_re_asks_included(
    fake: FakeEndpoint,
) -> None:
    """Slow answers that are never verdicts, re-asked up to 20 times, with 5xx in between: the
    verdict ends in a judge_error when its time is up, not after every attempt."""
    answers = iter([error(503), text("no idea", delay_s=0.3)] * 20)
    fake.handler = lambda request: next(answers)
    slow = ChatClient(fake.base_url, MODEL, max_retries=5, backoff_s=0.05)
    judge = Judge(slow, step_rubric=None, max_attempts=20, timeout_s=1.0)
    started = time.monotonic()
    (label,) = asyncio.run(judge.annotate(trajectory())).labels
    assert time.monotonic() - started < 5  # generous: 20 re-asks would take 7 s and more
    assert label.name == JUDGE_ERROR
    # the time ran out in a request (its deadline) or between re-asks (the verdict's)
    assert re.search(r"deadline of 0\.\d+ s|the verdict's 1 s ran out", label.rationale or "")
    assert label.details["attempts"] <= 4


def test_an_endpoint_that_is_down_stops_the_judge(fake: FakeEndpoint) -> None:
    """Not a judge_error on every step: the judge raises, and nothing is half-judged."""
    fake.handler = lambda request: error(503, "the service is down")
    down = ChatClient(fake.base_url, MODEL, max_retries=0, breaker=CircuitBreaker(trip_after=2))
    judge = Judge(down, concurrency=1)
    with pytest.raises(EndpointDownError, match="2 requests in a row failed"):
        list(judge_stream([trajectory("t1"), trajectory("t2")], judge))
    assert fake.served == 2


# ---------------------------------------------------------------- concurrency and streams


class Counting:
    """A client wrapper that counts requests in flight."""

    def __init__(self, inner: ChatClient) -> None:
        self.inner = inner
        self.model = inner.model
        self.now = 0
        self.most = 0

    async def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **sampling: Any,
    ) -> ChatResult:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await self.inner.complete(messages, tools, **sampling)
        finally:
            self.now -= 1


def test_requests_in_flight_stay_under_the_limit() -> None:
    with FakeEndpoint(handler=lambda r: verdict(), latency_s=0.02) as fake:
        counting = Counting(client(fake))
        judge = Judge(counting, concurrency=3)
        out = asyncio.run(judge.annotate_all([trajectory(f"t{i}") for i in range(4)]))
    assert len(fake.requests) == 16
    assert counting.most == 3
    assert [t.id for t in out] == ["t0", "t1", "t2", "t3"]


def test_the_stream_keeps_order_across_windows(fake: FakeEndpoint) -> None:
    fake.handler = lambda r: verdict(0.5, "partial")
    judge = Judge(client(fake), step_rubric=None)
    out = list(judge_stream((trajectory(f"t{i}") for i in range(5)), judge, window=2))
    assert [t.id for t in out] == [f"t{i}" for i in range(5)]
    assert all(t.labels[0].name == JUDGE for t in out)


def test_the_seed_sent_is_stable(fake: FakeEndpoint) -> None:
    fake.handler = lambda r: verdict()
    judge = Judge(client(fake), step_rubric=None)
    asyncio.run(judge.annotate(trajectory()))
    asyncio.run(judge.annotate(trajectory()))
    seeds = [r["seed"] for r in fake.requests]
    assert seeds[0] == seeds[1]
    asyncio.run(Judge(client(fake), step_rubric=None, send_seed=False).annotate(trajectory()))
    assert "seed" not in fake.requests[-1]


# ---------------------------------------------------------------- verdict parsing


@pytest.mark.parametrize(
    "answer",
    [
        '{"score": 0.7, "verdict": "Partial", "rationale": " ok "}',
        'Here you go:\n```json\n{"score": 0.7, "verdict": "partial", "rationale": "ok"}\n```',
        'Sure. {"score": "0.7", "verdict": "partial", "rationale": "ok"} Hope that helps.',
    ],
)
def test_verdicts_are_found_in_prose_and_fences(answer: str) -> None:
    parsed = parse_verdict(answer, ("correct", "partial", "incorrect"))
    assert (parsed.score, parsed.verdict, parsed.rationale) == (0.7, "partial", "ok")


@pytest.mark.parametrize("answer", ["", "[1, 2]", '{"score": NaN}', "{not json}"])
def test_unusable_answers_raise(answer: str) -> None:
    with pytest.raises(VerdictError):
        parse_verdict(answer, ("correct",))


# ---------------------------------------------------------------- rubrics


def test_the_shipped_rubrics_are_versioned() -> None:
    assert {"step_v1", "trajectory_v1"} <= set(builtin_rubrics())
    step = load_rubric("step_v1")
    assert (step.name, step.version, step.scope) == ("step", "step_v1", "step")
    assert step.verdicts == ("correct", "partial", "incorrect")
    assert step.system
    whole = load_rubric("trajectory_v1")
    assert (whole.version, whole.scope) == ("trajectory_v1", "trajectory")
    assert "{{transcript}}" in whole.template


def test_a_rubric_file_can_be_given_by_path(tmp_path: Path, fake: FakeEndpoint) -> None:
    path = tmp_path / "strict.md"
    path.write_text(
        "---\nrubric: strict\nversion: strict_v3\nscope: trajectory\nverdicts: pass, fail\n---\n"
        "Task: {{task}}\n{{transcript}}\n",
        encoding="utf-8",
    )
    fake.push(text('{"score": 0, "verdict": "fail", "rationale": "no"}'))
    judge = Judge(client(fake), step_rubric=None, trajectory_rubric=path)
    (label,) = asyncio.run(judge.annotate(trajectory())).labels
    assert (label.source.version, label.grade, label.value) == ("strict_v3", "fail", 0.0)
    assert fake.requests[0]["messages"][0]["role"] == "user"  # no system line: no system message


@pytest.mark.parametrize(
    ("text_", "message"),
    [
        ("no front matter", "front matter"),
        ("---\nrubric: a\n", "closing"),
        ("---\nrubric: a\nscope: step\nverdicts: x\n---\n", "lacks version"),
        ("---\nrubric: a\nversion: 1\nscope: both\nverdicts: x\n---\n", "scope must be"),
        ("---\nrubric: a\nversion: 1\nscope: step\nverdicts: x\n---\n{{transcript}}", "unknown"),
    ],
)
def test_malformed_rubrics_are_refused(text_: str, message: str) -> None:
    with pytest.raises(RubricError, match=message):
        parse_rubric(text_, "r.md")


def test_unknown_rubric_names_and_wrong_scopes_are_refused(fake: FakeEndpoint) -> None:
    with pytest.raises(RubricError, match="no rubric named"):
        load_rubric("nope_v9")
    with pytest.raises(RubricError, match="expected step"):
        Judge(client(fake), step_rubric="trajectory_v1")


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("text", None),
        ("json", {"type": "json_object"}),
        (
            "schema",
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "verdict",
                    "schema": verdict_schema(("correct", "partial", "incorrect")),
                    "strict": True,
                },
            },
        ),
        (
            "llama-schema",
            {"type": "json_object", "schema": verdict_schema(("correct", "partial", "incorrect"))},
        ),
    ],
)
def test_the_answer_is_constrained_as_the_server_allows(
    fake: FakeEndpoint, output: JudgeOutput, expected: dict[str, Any] | None
) -> None:
    fake.handler = lambda r: verdict()
    judge = Judge(client(fake), step_rubric=None, output=output)
    asyncio.run(judge.annotate(trajectory()))
    (request,) = fake.requests
    assert request.get("response_format") == expected
    assert request["max_tokens"] == DEFAULT_MAX_TOKENS  # a rambling model cannot run on
    schema = verdict_schema(("correct", "partial", "incorrect"))
    assert schema["properties"]["verdict"]["enum"] == ["correct", "partial", "incorrect"]
    assert schema["required"] == ["score", "verdict", "rationale"]


def test_an_unknown_output_form_is_refused(fake: FakeEndpoint) -> None:
    with pytest.raises(ConfigError, match="unknown judge output 'xml'"):
        Judge(client(fake), output="xml")  # type: ignore[arg-type]


def test_a_registered_rubric_is_found_by_name(fake: FakeEndpoint) -> None:
    text = (
        "---\nrubric: brevity\nversion: 3\nscope: trajectory\nverdicts: correct, long\n---\n"
        "Is this short? {{ transcript }}\n"
    )
    RUBRICS.add("brevity", parse_rubric(text))
    try:
        assert load_rubric("brevity").version == "3"
        fake.push(verdict(1.0, "correct", "short enough"))
        judge = Judge(client(fake), step_rubric=None, trajectory_rubric="brevity")
        (label,) = asyncio.run(judge.annotate(trajectory())).labels
        assert label.source == LabelSource(kind="judge", id=MODEL, version="3")
        assert "Is this short?" in user_text(fake.requests[-1])
    finally:
        RUBRICS.remove("brevity")
    with pytest.raises(RubricError, match="no rubric named 'brevity'"):
        load_rubric("brevity")
