"""Monte-Carlo process labels: a step whose mistake makes the goal unreachable gets a label that
drops to 0 while the steps before it stay high, in every environment; labels are deterministic
for a seed and record N, the policy and the seeds; streams keep their order across workers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pytest

from trajforge.agents.base import Decision, Policy
from trajforge.agents.registry import expert_for, find_expert, with_experts, with_mistakes
from trajforge.agents.scripted import ScriptedExpert
from trajforge.envs.registry import get_environment
from trajforge.errors import ConfigError, EndpointDownError
from trajforge.grade.process import (
    PROCESS,
    SKIPPED,
    ProcessLabelStage,
    continuation_seeds,
    label_one,
    label_stream,
    make_options,
    process_labels,
)
from trajforge.grade.rollouts import RolloutPolicy
from trajforge.pipeline.runner import StageRunner
from trajforge.run.episode import generate_episode
from trajforge.schema import Step, Task, ToolCall, ToolResult, ToolSpec, Trajectory

SEED = 11
ENVIRONMENTS = ("support", "itops", "dataops", "web", "scheduling")

# A Pick sees the expert's intended call, the steps so far and the task's initial state, and
# returns the harmful call made in its place (or None to let the expert act).
Pick = Callable[[ToolCall, Sequence[Step], dict[str, Any]], ToolCall | None]


# ---------------------------------------------------------------- building a sabotaged episode


def _observed(steps: Sequence[Step], name: str) -> list[Any]:
    """The parsed ok results of every call of ``name`` so far, latest last."""
    found = []
    for step in steps:
        names = {a.id: a.name for a in step.actions if isinstance(a, ToolCall)}
        for o in step.observations:
            if isinstance(o, ToolResult) and o.status == "ok" and names.get(o.call_id) == name:
                found.append(msgspec.json.decode(o.content))
    return found


def _support(intended: ToolCall, steps: Sequence[Step], state: dict[str, Any]) -> ToolCall | None:
    """Refund the wrong item of the order (refunds cannot be taken back)."""
    if intended.name != "refund_order":
        return None
    order_id = intended.arguments["order_id"]
    orders = [o for o in _observed(steps, "get_order") if o["order_id"] == order_id]
    if not orders:
        return None
    wanted = set(intended.arguments["item_ids"])
    others = [i["item_id"] for i in orders[-1]["items"] if i["item_id"] not in wanted]
    if not others or orders[-1]["status"] != "delivered":
        return None
    return ToolCall(name="refund_order", arguments={**intended.arguments, "item_ids": others[:1]})


def _dataops(intended: ToolCall, steps: Sequence[Step], state: dict[str, Any]) -> ToolCall | None:
    """Delete a row from the authoritative table (the system of record) instead of fixing."""
    if intended.name not in ("sync_records", "update_record", "insert_record", "delete_record"):
        return None
    params = state["task"].parameters
    table = next(t for t in params["tables"] if t["name"] == params["truth"]["authoritative"])
    column = [c["name"] for c in table["columns"]].index(table["key"])
    key = table["rows"][0][column]
    return ToolCall(name="delete_record", arguments={"table": table["name"], "key": key})


def _scheduling(
    intended: ToolCall, steps: Sequence[Step], state: dict[str, Any]
) -> ToolCall | None:
    """Cancel one of the user's existing meetings instead of booking the new one."""
    if intended.name != "book_meeting":
        return None
    world = state["initial"]
    mine = [
        m["id"]
        for m in world["meetings"].values()
        if m["organizer_id"] == world["user_id"] and m["status"] != "cancelled"
    ]
    if not mine:
        return None
    return ToolCall(name="cancel_meeting", arguments={"meeting_id": mine[0]})


def _itops(intended: ToolCall, steps: Sequence[Step], state: dict[str, Any]) -> ToolCall | None:
    """Roll a healthy app back to an older release: a bad version nobody asked for."""
    if intended.name not in ("restart_service", "rollback", "edit_file"):
        return None
    world = state["initial"]
    truth = state["task"].parameters["truth"]
    broken = {f["service"] for f in state["task"].parameters["faults"]}
    for name, svc in sorted(world["services"].items()):
        if name in broken or name not in truth["expected_versions"]:
            continue
        older = [r["version"] for r in svc.get("releases", []) if r["version"] != svc["version"]]
        if older:
            return ToolCall(name="rollback", arguments={"service": name, "version": older[0]})
    return None


def _web(intended: ToolCall, steps: Sequence[Step], state: dict[str, Any]) -> ToolCall | None:
    """Type the wrong street into the checkout form: the order ships to the wrong address."""
    truth = state["task"].parameters["truth"]
    street = truth.get("address", {}).get("street") if truth.get("kind") == "buy" else None
    if intended.name != "type" or not street or intended.arguments.get("text") != street:
        return None
    return ToolCall(name="type", arguments={**intended.arguments, "text": "1 Wrong Way"})


#: Environments whose harmful call is the intended one with other arguments: the edited call
#: keeps the expert's call id, so the expert takes its result for its own and goes on.
KEEP_ID = frozenset({"web"})

PICKS: dict[str, Pick] = {
    "support": _support,
    "dataops": _dataops,
    "scheduling": _scheduling,
    "itops": _itops,
    "web": _web,
}


class Sabotage:
    """Plays the expert, except once: where ``pick`` says so, it makes a harmful call instead,
    with a call id of its own (the expert then makes the call it meant to make) or, with
    ``keep_id``, the intended call's id (an edited action: the expert believes it did its own)."""

    name = "expert+sabotage"

    def __init__(self, inner: Policy, pick: Pick, state: dict[str, Any], keep_id: bool) -> None:
        self.inner = inner
        self.pick = pick
        self.state = state
        self.keep_id = keep_id
        self.at: int | None = None

    async def decide(self, steps: Sequence[Step]) -> Decision:
        intended = await self.inner.decide(steps)
        calls = [a for a in intended.actions if isinstance(a, ToolCall)]
        if self.at is None and calls:
            harmful = self.pick(calls[0], steps, self.state)
            if harmful is not None:
                self.at = len(steps)
                call_id = calls[0].id if self.keep_id else f"{calls[0].id}_x"
                harmful = msgspec.structs.replace(harmful, id=call_id)
                return Decision(actions=[harmful], reasoning="Doing it now.")
        return intended


def _initial_state(env_name: str, task: Task) -> dict[str, Any]:
    env = get_environment(env_name)()
    env.reset(task)
    return {"task": task, "initial": env.state()}


def _episode(env_name: str, task: Task, maker: Callable[..., Policy], tid: str) -> Trajectory:
    return generate_episode(
        get_environment(env_name), maker, task, trajectory_id=tid, seed=SEED, faults="none"
    )


def _sabotaged(
    env_name: str, task: Task, expert: type[ScriptedExpert]
) -> tuple[Trajectory, int | None]:
    """The expert's episode of ``task`` with the harmful call, and the step it was made at."""
    state = _initial_state(env_name, task)
    made: list[Sabotage] = []

    def maker(task: Task, tools: list[ToolSpec], seed: int) -> Policy:
        inner = expert(task, tools, seed)
        made.append(Sabotage(inner, PICKS[env_name], state, keep_id=env_name in KEEP_ID))
        return made[-1]

    broken = _episode(env_name, task, maker, f"{env_name}-broken")
    return broken, made[0].at


def scenario(env_name: str) -> tuple[Trajectory, Trajectory, int]:
    """An expert trajectory that succeeds and the same episode with a fatal mistake at step k."""
    if env_name not in with_experts():
        pytest.skip(f"no scripted expert for {env_name} yet")
    return _scenario(env_name)


@functools.cache
def _scenario(env_name: str) -> tuple[Trajectory, Trajectory, int]:
    cls = get_environment(env_name)
    expert = find_expert(env_name)
    assert expert is not None
    for task in cls.sample_tasks(40, seed=3):
        clean = _episode(env_name, task, expert, f"{env_name}-clean")
        if clean.outcome.status != "success":
            continue
        broken, k = _sabotaged(env_name, task, expert)
        if k is None or broken.outcome.status == "success":
            continue
        result = next(o for o in broken.steps[k].observations if isinstance(o, ToolResult))
        if result.status == "ok":  # the harmful call went through
            return clean, broken, k
    pytest.fail(f"no {env_name} task gave a fatal mistake")


# ---------------------------------------------------------------- tests


def _values(trajectory: Trajectory) -> list[float]:
    values = []
    for step in trajectory.steps:
        labels = [x for x in step.labels if x.name == PROCESS]
        assert len(labels) == 1
        assert labels[0].value is not None
        values.append(labels[0].value)
    return values


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_labels_drop_at_the_fatal_step(env_name: str) -> None:
    clean, broken, k = scenario(env_name)
    assert all(v == 1.0 for v in _values(process_labels(clean, rollouts=2, mistakes=0.0)))
    values = _values(process_labels(broken, rollouts=3, mistakes=0.0))
    assert all(v == 1.0 for v in values[:k]), (k, values)
    assert all(v == 0.0 for v in values[k:]), (k, values)


@pytest.mark.parametrize("env_name", ["support", "dataops"])
def test_labels_with_a_noisy_policy_are_high_before_and_zero_after(env_name: str) -> None:
    _, broken, k = scenario(env_name)
    values = _values(process_labels(broken, rollouts=8, mistakes=0.1, seed=4))
    assert sum(values[:k]) / k >= 0.6, values
    assert values[k] == 0.0, values


def test_labels_record_n_policy_and_seeds() -> None:
    clean, _, _ = scenario("dataops")
    out = process_labels(clean, rollouts=4, mistakes=0.2, seed=9)
    last = len(out.steps) - 1
    for k, step in enumerate(out.steps):
        (label,) = [x for x in step.labels if x.name == PROCESS]
        assert label.source.kind == "rollout"
        assert label.source.id == "expert+mistakes0.2"
        assert label.source.version is not None
        assert label.target == f"steps[{k}]"
        details = label.details
        assert details["policy"] == "expert+mistakes0.2"
        if k == last:  # the finish: the replayed outcome, no rollouts
            assert details["n"] == 0
            assert details["terminal"] is True
            assert label.value == 1.0
            continue
        assert details["n"] == 4
        assert details["seeds"] == continuation_seeds(clean.id, 9, k, 4)
        assert len(set(details["seeds"])) == 4
        assert label.value == details["successes"] / 4
        assert 0.0 <= details["mean_score"] <= 1.0
    stage = out.provenance.stages[-1]
    assert stage.name == "process_labels"
    assert stage.params["rollouts"] == 4


def test_same_seed_same_labels_other_seed_other_seeds() -> None:
    _, broken, _ = scenario("support")
    a = process_labels(broken, rollouts=6, mistakes=0.3, seed=1)
    b = process_labels(broken, rollouts=6, mistakes=0.3, seed=1)
    c = process_labels(broken, rollouts=6, mistakes=0.3, seed=2)
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
    seeds_a = [x.details["seeds"] for s in a.steps for x in s.labels if x.name == PROCESS]
    seeds_c = [x.details["seeds"] for s in c.steps for x in s.labels if x.name == PROCESS]
    assert seeds_a != seeds_c


def test_labelling_twice_replaces_and_leaves_the_input_alone() -> None:
    clean, _, _ = scenario("dataops")
    before = msgspec.json.encode(clean)
    once = process_labels(clean, rollouts=2, mistakes=0.0)
    twice = process_labels(once, rollouts=2, mistakes=0.0)
    assert msgspec.json.encode(clean) == before
    assert msgspec.json.encode(once) == msgspec.json.encode(twice)


def test_the_stage_under_the_runner_labels_as_the_library_does() -> None:
    clean, broken, _ = scenario("support")
    options = make_options(rollouts=2, mistakes=0.0, seed=5)
    alone = [process_labels(t, rollouts=2, mistakes=0.0, seed=5) for t in (clean, broken)]
    staged = list(StageRunner([ProcessLabelStage(options)]).stream([clean, broken]))
    again = list(StageRunner([ProcessLabelStage(options)]).stream(staged))  # cleared, not doubled
    assert [msgspec.json.encode(t) for t in again] == [msgspec.json.encode(t) for t in alone]


def test_unsupported_trajectories_are_skipped_with_a_reason() -> None:
    clean, _, _ = scenario("dataops")
    foreign = msgspec.structs.replace(clean, task=Task(instruction="x", environment="nowhere"))
    out = process_labels(foreign, rollouts=2)
    (label,) = out.labels
    assert label.name == SKIPPED
    assert "nowhere" in (label.rationale or "")
    assert not any(x.name == PROCESS for s in out.steps for x in s.labels)


def test_a_policy_maker_plays_the_continuations() -> None:
    _, broken, k = scenario("scheduling")
    expert = expert_for("scheduling")
    policy = RolloutPolicy(maker=expert, mistakes=0.0, name="custom", version="7")
    out = process_labels(broken, rollouts=2, policy=policy)
    labels = [x for s in out.steps for x in s.labels if x.name == PROCESS]
    assert {(x.source.id, x.source.version) for x in labels} == {("custom", "7")}
    assert labels[k].value == 0.0


def test_stream_keeps_order_and_matches_in_process_labels() -> None:
    trajectories = [scenario(name)[i] for name in ("support", "dataops") for i in (0, 1)]
    alone = [process_labels(t, rollouts=2, mistakes=0.1, seed=3) for t in trajectories]
    pooled = list(label_stream(trajectories, rollouts=2, mistakes=0.1, seed=3, workers=2))
    assert [t.id for t in pooled] == [t.id for t in trajectories]
    assert [msgspec.json.encode(t) for t in pooled] == [msgspec.json.encode(t) for t in alone]


def test_stream_turns_a_failure_into_a_label() -> None:
    clean, _, _ = scenario("dataops")

    def exploding(task: Task, tools: list[ToolSpec], seed: int) -> Policy:
        raise RuntimeError("boom")

    (out,) = label_stream([clean], rollouts=1, policy=exploding, workers=1)
    assert [x.name for x in out.labels] == ["process_error"]
    assert "boom" in (out.labels[0].rationale or "")


def test_a_last_step_that_does_not_finish_is_rolled_out() -> None:
    clean, _, _ = scenario("dataops")
    cut = msgspec.structs.replace(clean, steps=clean.steps[:-1])  # as if a budget ran out
    out = process_labels(cut, rollouts=2, mistakes=0.0)
    (label,) = [x for x in out.steps[-1].labels if x.name == PROCESS]
    assert label.details["n"] == 2
    assert label.value == 1.0  # the expert goes on and finishes


def test_options_are_checked() -> None:
    clean, _, _ = scenario("dataops")
    with pytest.raises(ConfigError, match="rollouts"):
        process_labels(clean, rollouts=0)
    with pytest.raises(ConfigError, match="mistakes"):
        process_labels(clean, mistakes=1.5)
    with pytest.raises(ConfigError, match="worker processes"):
        next(label_stream([clean], policy=lambda task, tools, seed: None, workers=2))  # type: ignore[arg-type,return-value]


def test_an_llm_agent_can_play_the_continuations() -> None:
    from trajforge.agents.llm import LLMAgentFactory  # noqa: PLC0415 - the optional llm extra
    from trajforge.agents.llm_client import ChatClient  # noqa: PLC0415
    from trajforge.testing.fake_endpoint import FakeEndpoint, text  # noqa: PLC0415

    clean, _, _ = scenario("dataops")
    with FakeEndpoint(handler=lambda request: text("All done, nothing else needed.")) as fake:
        factory = LLMAgentFactory(ChatClient(fake.base_url, "fake-model", max_retries=0))
        out = process_labels(clean, rollouts=3, policy=factory, mistakes=0.0, concurrency=3)
    labels = [x for s in out.steps for x in s.labels if x.name == PROCESS]
    assert {x.source.id for x in labels} == {"llm:fake-model"}
    rolled = labels[:-1]  # the last step is the recorded finish
    assert all(x.details["n"] == 3 for x in rolled)
    assert rolled[0].value == 0.0  # the agent finishes at once: nothing was done yet
    assert rolled[-1].value == 1.0  # after the summary is filed, finishing is all that is left
    assert fake.served == 3 * len(rolled)
    seeds = {r["seed"] for r in fake.requests}
    assert len(seeds) > 1  # each continuation samples with its own seed


def test_a_rollout_endpoint_that_is_down_stops_the_labelling() -> None:
    from trajforge.agents.breaker import CircuitBreaker  # noqa: PLC0415
    from trajforge.agents.llm import LLMAgentFactory  # noqa: PLC0415 - the optional llm extra
    from trajforge.agents.llm_client import ChatClient  # noqa: PLC0415
    from trajforge.testing.fake_endpoint import FakeEndpoint, error  # noqa: PLC0415

    clean, _, _ = scenario("dataops")
    with FakeEndpoint(handler=lambda request: error(503, "down")) as fake:
        client = ChatClient(
            fake.base_url, "fake-model", max_retries=0, breaker=CircuitBreaker(trip_after=2)
        )
        options = make_options(rollouts=2, policy=LLMAgentFactory(client), concurrency=1)
        first = label_one(clean, options)  # a failing request: this trajectory's labels say so
        assert [x.name for x in first.labels][-1] == "process_error"
        with pytest.raises(EndpointDownError, match="2 requests in a row failed"):
            label_one(clean, options)  # the second failure in a row opens the breaker
        sent = fake.served
        with pytest.raises(EndpointDownError):
            label_one(clean, options)
        assert fake.served == sent  # nothing more is sent once the endpoint is taken for down


def test_faulty_episodes_replay_and_label_deterministically() -> None:
    cls = get_environment("support")
    task = cls.sample_tasks(1, seed=5)[0]
    noisy = with_mistakes(expert_for("support"), rate=0.3, recover=True)
    episode = generate_episode(cls, noisy, task, trajectory_id="s-flaky", seed=3, faults="flaky")
    assert any(step.faults for step in episode.steps)  # the flaky profile did inject faults
    a = process_labels(episode, rollouts=3, mistakes=0.2, seed=8)
    b = process_labels(episode, rollouts=3, mistakes=0.2, seed=8)
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
    labels = [x for s in a.steps for x in s.labels if x.name == PROCESS]
    assert len(labels) == len(episode.steps)
    assert not any("replay_diverged_at" in x.details for x in labels)


def test_a_trajectory_that_does_not_replay_is_flagged_where_it_diverges() -> None:
    clean, _, _ = scenario("dataops")
    steps = list(clean.steps)
    steps[1] = msgspec.structs.replace(steps[1], env_state_digest="edited")
    out = process_labels(msgspec.structs.replace(clean, steps=steps), rollouts=1, mistakes=0.0)
    flags = [x.details.get("replay_diverged_at") for s in out.steps for x in s.labels]
    assert flags == [None] + [1] * (len(steps) - 1)
