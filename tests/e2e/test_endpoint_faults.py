"""The endpoint fault battery: every way an OpenAI-compatible endpoint misbehaves, met through the
commands a user types (``generate --agent llm --endpoint URL``, ``grade --judge URL``), run in this
process against one shared fake endpoint.

For each fault: no traceback, a located message, the right exit status, and after the endpoint
recovers a rerun of the same command leaves every episode present once. Endpoint faults (the server
fails) are retried, then stop the run through the circuit breaker; model faults (the server answers,
the model's output is unusable) become recorded ``malformed_output`` steps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openai")

from tests.conftest import Outcome

from trajforge.demo import example_path
from trajforge.formats.registry import get_format
from trajforge.io import read_trajectories, write_trajectories
from trajforge.io.manifest import Manifest
from trajforge.schema import encode
from trajforge.testing.fake_endpoint import (
    FakeEndpoint,
    FakeResponse,
    Handler,
    down_for,
    drop,
    empty_choices,
    error,
    hang,
    message,
    raw,
    text,
    tool_calls,
    truncated,
)

# Small retries and time-outs, so that each fault costs a second, not minutes.
GENERATE = ("generate", "--env", "support", "--agent", "llm", "--format", "jsonl",
            "--shard-size", "2", "--concurrency", "2", "--request-timeout", "0.3",
            "--max-retries", "1", "--retry-backoff", "0.02", "--trip-after", "2")  # fmt: skip
ENDPOINT_FAULTS = {
    "429 with Retry-After": error(429, "slow down", retry_after=0.05),
    "503": error(503, "overloaded"),
    "hang": hang(3.0),
    "dropped connection": drop(),
    "truncated body": truncated(keep=30),
    "HTML with status 200": raw(b"<html><body>Bad gateway</body></html>", "text/html"),
    "invalid JSON with status 200": raw(b'{"choices": [{"message": {"role": "assis'),
    "empty choices": empty_choices(),
}
HUGE = json.dumps({"customer_id": "C" * 5_000_000})
MODEL_FAULTS = {
    "tool_calls a list of strings": (
        message(content="on it", tool_calls=["x"]),
        "tool_call[0]: expected an object with a function object",
    ),
    "function a string": (
        message(tool_calls=[{"id": "c", "type": "function", "function": "list_orders"}]),
        "tool_call[0]: expected an object with a function object",
    ),
    "tool_calls an object": (
        message(tool_calls={"name": "list_orders"}),
        "tool_calls: expected a list, got dict",
    ),
    "invalid JSON arguments": (
        tool_calls(("list_orders", '{"customer_id": "C1"')),
        "tool_call[0] (list_orders): the arguments are not a JSON object",
    ),
    "unknown tool": (
        tool_calls(("drop_tables", {})),
        "tool_call[0]: unknown tool 'drop_tables'",
    ),
    "lone surrogate in a native call": (
        tool_calls(("list_orders", '{"customer_id": "C\\ud800"}')),
        "tool_call[0] (list_orders): the arguments are not a JSON object",
    ),
    "lone surrogate in a text call": (
        text('<tool_call>{"name": "list_orders", "arguments": {"customer_id": "\\udfff"}}'),
        "lone surrogate",
    ),
    "cut off mid-call": (
        tool_calls(("list_orders", '{"customer_id": "C'), finish_reason="length"),
        "the output was cut off at the token limit",
    ),
    "5 MB argument": (
        tool_calls(("list_orders", HUGE)),
        "the arguments are 5,000,019 characters, over the limit of 65,536",
    ),
}


TIMING = ("latency_ms", "wall_time_ms")
STOPPED = "the run stopped early: "
PENDING = "episodes are left pending: running the same command again resumes the run"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FakeEndpoint]:
    with FakeEndpoint(handler=support_agent) as fake:
        yield fake


@pytest.fixture
def fake(endpoint: FakeEndpoint) -> Iterator[FakeEndpoint]:
    """The shared endpoint, healthy and empty-handed at the start of each test."""
    endpoint.handler = support_agent
    endpoint.requests.clear()
    yield endpoint
    endpoint.script.clear()


def support_agent(request: dict[str, Any]) -> FakeResponse:
    """A support agent played from the request alone (so that a run's trajectories depend on
    nothing but the requests): it lists the orders of a customer named from the instruction, then
    answers with a digest of what the tools said."""
    messages = request["messages"]
    results = [m["content"] for m in messages if m["role"] == "tool"]
    if not results:
        first = next(m["content"] for m in messages if m["role"] == "user")
        customer = "C" + hashlib.blake2b(first.encode(), digest_size=2).hexdigest()
        return tool_calls(("list_orders", {"customer_id": customer}))
    seen = hashlib.blake2b(json.dumps(results).encode(), digest_size=6).hexdigest()
    return text(f"I looked your orders up ({seen}); that is all I can do.")


def verdict(request: dict[str, Any]) -> FakeResponse:
    """A judge's verdict, the same for every request."""
    return text(json.dumps({"score": 0.75, "verdict": "correct", "rationale": "grounded"}))


def first_attempt_fails(fault: FakeResponse, then: Handler) -> Handler:
    """A flaky endpoint: the first attempt of every distinct request meets ``fault``, its retry
    gets ``then``'s answer."""
    seen: set[str] = set()

    def handle(request: dict[str, Any]) -> FakeResponse:
        key = json.dumps(request, sort_keys=True)
        if key in seen:
            return then(request)
        seen.add(key)
        return fault

    return handle


def trajectories(directory: Path) -> list[dict[str, Any]]:
    """The records of a dataset as plain data, without what timing changes."""
    return [_timeless(json.loads(encode(t))) for t in read_trajectories(directory)]


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def assert_stopped(
    outcome: Outcome, fake: FakeEndpoint, failures: int, *, error: str = "", hint: str
) -> None:
    """The command stopped at an endpoint that is down, and said where, why and what next."""
    assert outcome.code == 1
    assert (
        f"error: {error}POST {fake.base_url}/chat/completions: the endpoint seems down: {failures} "
        "requests in a row failed; the last one: " in outcome.stderr
    )
    assert hint in outcome.stderr.partition("hint: ")[2]


def errors_of(directory: Path) -> list[dict[str, Any]]:
    path = directory / "errors.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---------------------------------------------------------------- generate


@pytest.mark.parametrize("fault", ENDPOINT_FAULTS.values(), ids=ENDPOINT_FAULTS.keys())
def test_generate_stops_on_a_failing_endpoint_and_a_rerun_finishes(
    fault: FakeResponse, fake: FakeEndpoint, trajforge: Callable[..., Outcome], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    command = (*GENERATE, "--tasks", "6", "--endpoint", fake.base_url, "--out", run)
    fake.handler = lambda request: fault
    stopped = trajforge(*command)
    assert_stopped(stopped, fake, 2, error=STOPPED, hint=f"6 {PENDING}")
    assert "0 episodes generated, 0 resumed; 0 trajectories" in stopped.stdout
    failed = errors_of(run)
    assert 2 <= len(failed) <= 3  # the breaker stopped the run: not one episode after another
    assert {entry["kind"] for entry in failed} == {"endpoint"}
    assert f"{len(failed)} failed episodes" in stopped.stdout
    assert f"{6 - len(failed)} not started" in stopped.stdout
    assert not Manifest.load(run).complete
    # the endpoint is back, flaky: every request fails once, then is answered (more retries, so
    # that a loaded machine missing the short timeout once more does not fail an episode)
    fake.handler = first_attempt_fails(fault, support_agent)
    rerun = trajforge(*command, "--max-retries", "3")
    assert rerun.code == 0, rerun.stderr
    assert "6 episodes generated, 0 resumed; 6 trajectories" in rerun.stdout
    records = trajectories(run)
    assert len({record["id"] for record in records}) == len(records) == 6
    assert all(record["steps"][-1]["actions"][-1]["kind"] == "finish" for record in records)
    assert Manifest.load(run).complete
    assert errors_of(run) == []


@pytest.mark.parametrize(("fault", "reason"), MODEL_FAULTS.values(), ids=MODEL_FAULTS.keys())
def test_unusable_model_output_is_a_recorded_step(
    fault: FakeResponse,
    reason: str,
    fake: FakeEndpoint,
    trajforge: Callable[..., Outcome],
    tmp_path: Path,
) -> None:
    """The model's first answer in every episode is unusable: each episode records it as a
    ``malformed_output`` step and goes on to its end; the run succeeds and a rerun adds none."""

    def first_answer_broken(request: dict[str, Any]) -> FakeResponse:
        answered = any(m["role"] == "assistant" for m in request["messages"])
        return support_agent(request) if answered else fault

    fake.handler = first_answer_broken
    run = tmp_path / "run"
    command = (*GENERATE, "--tasks", "3", "--endpoint", fake.base_url, "--out", run)
    done = trajforge(*command)
    assert done.code == 0, done.stderr
    assert "3 episodes generated, 0 resumed; 3 trajectories" in done.stdout
    for record in trajectories(run):
        (label,) = record["steps"][0]["labels"]
        assert (label["name"], label["grade"]) == ("malformed_output", "error")
        assert reason in label["rationale"]
        assert record["steps"][-1]["actions"][-1]["kind"] == "finish"
        assert len(json.dumps(record)) < 50_000
    assert max(len(json.dumps(request)) for request in fake.requests) < 50_000
    again = trajforge(*command)
    assert again.code == 0
    assert "0 episodes generated, 3 resumed; 0 trajectories" in again.stdout


@pytest.mark.parametrize("after", [0, 4], ids=["from the start", "mid-run"])
def test_an_outage_costs_a_rerun_and_changes_no_trajectory(
    after: int, fake: FakeEndpoint, trajforge: Callable[..., Outcome], tmp_path: Path
) -> None:
    """The endpoint is down for 30 s (503s and dropped connections, by its own clock, which the
    test moves on), from its first request or after a few. The breaker stops the first run early;
    one rerun after the outage ends with the trajectories of a run that never met it."""
    command = (*GENERATE, "--tasks", "10", "--trip-after", "3", "--endpoint", fake.base_url)
    assert trajforge(*command, "--out", tmp_path / "calm").code == 0
    now = [0.0]
    healthy = iter(range(after))
    outage = down_for(30.0, support_agent, clock=lambda: now[0])

    def handler(request: dict[str, Any]) -> FakeResponse:
        return support_agent(request) if next(healthy, None) is not None else outage(request)

    fake.handler = handler
    run = tmp_path / "run"
    sent = fake.served
    stopped = trajforge(*command, "--out", run)
    assert_stopped(stopped, fake, 3, error=STOPPED, hint=PENDING)
    # three requests of two attempts, and the one in flight: not 2 attempts for each of 10 episodes
    assert fake.served - sent <= after + 8
    now[0] = 30.0  # the outage is over
    rerun = trajforge(*command, "--out", run)
    assert rerun.code == 0, rerun.stderr
    calm = trajectories(tmp_path / "calm")
    assert len(calm) == 10
    assert trajectories(run) == calm
    assert errors_of(run) == []
    assert Manifest.load(run).complete


def test_a_run_that_keeps_failing_on_a_refusal_is_pending_not_done(
    fake: FakeEndpoint, trajforge: Callable[..., Outcome], tmp_path: Path
) -> None:
    """A 400 is no outage (the breaker stays shut) but each episode fails: they stay pending,
    the exit status says so, and a rerun retries them instead of reporting them resumed."""
    fake.handler = lambda request: error(400, "the model is gone")
    run = tmp_path / "run"
    command = (*GENERATE, "--tasks", "4", "--endpoint", fake.base_url, "--out", run)
    lost = trajforge(*command)
    assert lost.code == 1
    assert "error: 4 episodes failed" in lost.stderr
    assert "hint: 4 episodes are left pending: running the same command again" in lost.stderr
    assert [e["kind"] for e in errors_of(run)] == ["endpoint"] * 4
    assert all("HTTP 400 from the model endpoint: the model is gone" in e["error"]
               for e in errors_of(run))  # fmt: skip
    fake.handler = support_agent
    other_model = trajforge(*command, "--model", "another")
    assert other_model.code == 1
    assert "holds a different run" in other_model.stderr
    # how patiently the endpoint is asked may change between runs: the data does not depend on it
    rerun = trajforge(*command, "--request-deadline", "90", "--max-retries", "3")
    assert rerun.code == 0, rerun.stderr
    assert "4 episodes generated, 0 resumed" in rerun.stdout


# ---------------------------------------------------------------- grade --judge


@pytest.fixture(scope="module")
def judged_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two records of the shipped example, as trajforge records."""
    source = tmp_path_factory.mktemp("judge") / "in.jsonl"
    read = get_format("openai").read
    assert read is not None
    write_trajectories(source, islice(read(str(example_path()), None), 1, 3))
    return source


@pytest.mark.parametrize("fault", ENDPOINT_FAULTS.values(), ids=ENDPOINT_FAULTS.keys())
def test_grade_stops_on_a_failing_judge_and_writes_nothing(
    fault: FakeResponse,
    fake: FakeEndpoint,
    trajforge: Callable[..., Outcome],
    judged_input: Path,
    tmp_path: Path,
) -> None:
    graded = tmp_path / "graded.jsonl"
    command = ("grade", judged_input, "--rules", "none", "--out", graded,
               "--judge", fake.base_url, "--judge-timeout", "1")  # fmt: skip
    fake.handler = lambda request: fault
    stopped = trajforge(*command)
    assert_stopped(stopped, fake, 5, hint="nothing more is sent to it: check the server, then run")
    assert not graded.exists()  # nothing half-judged that could pass for graded
    fake.handler = verdict  # the endpoint is back (the judge's retries: tests/agents)
    rerun = trajforge(*command)
    assert rerun.code == 0, rerun.stderr
    records = [json.loads(line) for line in graded.read_text().splitlines()]
    assert len(records) == 2
    labels = [lb for r in records for s in (r, *r["steps"]) for lb in s["labels"]]
    assert {lb["name"] for lb in labels if lb["source"]["kind"] == "judge"} == {"judge"}
