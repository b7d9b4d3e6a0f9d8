"""Mistake injection: every kind, labelled, seeded, recoverable or not."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Sequence

import pytest

from tests.agents.test_scripted import CounterExpert, episode
from tests.envs.toy_env import CounterEnv
from trajforge.agents.base import Decision
from trajforge.agents.mistakes import MISTAKE_KINDS, MistakeInjector
from trajforge.run.episode import generate_episode
from trajforge.schema import Finish, Reply, Step, ToolCall, ToolResult

TOOLS = CounterEnv().tool_specs()


class Fixed:
    """A policy that always intends the same decision."""

    name = "fixed"

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    async def decide(self, steps: Sequence[Step]) -> Decision:
        return self.decision


HISTORY = [
    Step(
        actions=[ToolCall(id="c0", name="read")],
        observations=[ToolResult(call_id="c0", content='{"value":0}')],
    )
]


def mistake(kind: str, decision: Decision, *, recover: bool = True) -> Decision:
    injector = MistakeInjector(
        Fixed(decision),
        TOOLS,
        rate=1.0,
        seed=1,
        kinds=[kind],  # type: ignore[list-item]
        read_only=frozenset({"read", "items"}),
        recover=recover,
    )
    return asyncio.run(injector.decide(HISTORY))


def only_label(decision: Decision) -> tuple[str | None, str | None]:
    (label,) = decision.labels
    return label.name, label.grade


def test_wrong_and_missing_arguments() -> None:
    intended = Decision(
        actions=[ToolCall(id="c1", name="add", arguments={"amount": 3, "mode": "slow"})]
    )
    assert mistake("wrong_argument", intended) == intended  # a write is not botched when recovering
    wrong = mistake("wrong_argument", intended, recover=False)
    assert only_label(wrong) == ("injected_mistake", "wrong_argument")
    call = wrong.actions[0]
    assert isinstance(call, ToolCall)
    assert call.arguments != {"amount": 3, "mode": "slow"}
    assert call.id != "c1"
    assert wrong.labels[0].details["intended"]["arguments"] == {"amount": 3, "mode": "slow"}
    missing = mistake("missing_argument", intended, recover=False)
    assert missing.actions[0].arguments == {"mode": "slow"}  # type: ignore[union-attr]


def test_redundant_unnecessary_premature_hallucinated() -> None:
    intended = Decision(actions=[Reply(content="Your counter is at 12 now.")])
    redundant = mistake("redundant_call", intended)
    assert redundant.actions[0].name == "read"  # type: ignore[union-attr]
    unnecessary = mistake("unnecessary_tool", intended)
    assert unnecessary.actions[0].name == "items"  # type: ignore[union-attr]
    premature = mistake("premature_finish", intended)
    assert isinstance(premature.actions[0], Finish)
    fact = mistake("hallucinated_fact", intended)
    assert "12" not in fact.actions[0].content  # type: ignore[union-attr]
    assert only_label(fact)[1] == "hallucinated_fact"


def test_kinds_that_do_not_apply_fall_back_to_the_intended_decision() -> None:
    intended = Decision(actions=[Reply(content="no numbers here")])
    assert mistake("hallucinated_fact", intended) == intended
    assert mistake("skipped_verification", intended) == intended


def test_rate_is_respected_and_seeded() -> None:
    intended = Decision(actions=[ToolCall(id="c1", name="add", arguments={"amount": 3})])

    def run(seed: int) -> list[bool]:
        injector = MistakeInjector(Fixed(intended), TOOLS, rate=0.2, seed=seed)
        return [bool(asyncio.run(injector.decide(HISTORY)).labels) for _ in range(2000)]

    first = run(3)
    assert first == run(3)
    assert abs(sum(first) / 2000 - 0.2) < 0.03


@pytest.mark.parametrize("recover", [True, False])
def test_expert_recovers_or_derails(recover: bool) -> None:
    outcomes: Counter[str] = Counter()
    for seed in range(30):
        kinds = ["wrong_argument", "missing_argument", "redundant_call"]
        traj = episode_with(expert_with_mistakes(seed, 0.3, kinds, recover=recover), seed)
        if any(label.name == "injected_mistake" for s in traj.steps for label in s.labels):
            outcomes[traj.outcome.status] += 1
    assert sum(outcomes.values()) >= 10
    if recover:
        assert outcomes["success"] == sum(outcomes.values())
    else:
        assert outcomes["success"] < sum(outcomes.values())


def expert_with_mistakes(seed: int, rate: float, kinds: list[str], *, recover: bool = True):  # type: ignore[no-untyped-def]
    """A policy factory: the counter expert with mistakes of ``kinds`` at ``rate``."""

    def factory(t, tools, s):  # type: ignore[no-untyped-def]
        return MistakeInjector(
            CounterExpert(t, tools, s),
            tools,
            rate=rate,
            seed=seed,
            kinds=kinds,  # type: ignore[arg-type]
            recover=recover,
            read_only=frozenset({"read", "items"}),
        )

    return factory


def episode_with(factory, seed: int):  # type: ignore[no-untyped-def]
    task = CounterEnv.generate_task(seed, 1)
    task.hidden_info["colour"] = "blue"
    return generate_episode(CounterEnv, factory, task, trajectory_id=f"m{seed}", seed=seed)


def test_all_kinds_are_known() -> None:
    assert set(MISTAKE_KINDS) == {
        "wrong_argument",
        "missing_argument",
        "redundant_call",
        "unnecessary_tool",
        "skipped_verification",
        "premature_finish",
        "hallucinated_fact",
    }
    assert episode("none", 0).outcome.status == "success"


def test_call_ids_do_not_tell_mistakes_from_the_experts_calls() -> None:
    """Every call id is ``call_`` and 24 hex digits, unique in its trajectory: no suffix or
    prefix gives away an injected mistake (a shortcut a trained model would learn)."""
    shape = re.compile(r"call_[0-9a-f]{24}")
    mistaken = 0
    kinds = ["wrong_argument", "missing_argument", "redundant_call", "unnecessary_tool"]
    for seed in range(30):
        traj = episode_with(expert_with_mistakes(seed, 0.5, kinds), seed)
        ids = [a.id for s in traj.steps for a in s.actions if isinstance(a, ToolCall)]
        assert all(shape.fullmatch(i) for i in ids), ids
        assert len(set(ids)) == len(ids)
        mistaken += sum(lb.name == "injected_mistake" for s in traj.steps for lb in s.labels)
    assert mistaken >= 10


def test_no_fixed_sentence_marks_a_mistake() -> None:
    """The reasoning of a redundant or unnecessary call and the text of a premature finish vary
    (a reward model must not learn one sentence as the sign of a bad step), and stay the same
    for the same seed; mistaken calls carry a rationale like the expert's."""
    kinds = ["redundant_call", "unnecessary_tool", "premature_finish"]
    said: dict[str, set[str]] = {kind: set() for kind in kinds}
    for seed in range(40):
        traj = episode_with(expert_with_mistakes(seed, 0.5, kinds), seed)
        assert traj == episode_with(expert_with_mistakes(seed, 0.5, kinds), seed)
        for step in traj.steps:
            for call in step.actions:  # a call without a rationale would stand out
                assert not isinstance(call, ToolCall) or call.rationale, (seed, call)
            for label in step.labels:
                if label.name == "injected_mistake":
                    assert step.reasoning, seed  # so would a step without reasoning
                    text = step.reasoning if label.grade != "premature_finish" else None
                    finish = step.actions[0]
                    said[str(label.grade)].add(
                        text or (finish.content if isinstance(finish, Finish) else "")
                    )
    assert all(len(texts) >= 3 for texts in said.values()), said
