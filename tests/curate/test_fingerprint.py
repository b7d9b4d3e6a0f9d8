"""Exact keys and near-duplicate features: what counts, what is ignored."""

from __future__ import annotations

import msgspec

from trajforge.curate.fingerprint import EMPTY, exact_key, near_features
from trajforge.schema import (
    Label,
    LabelSource,
    Outcome,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    Usage,
)


def episode(
    tid: str = "t1",
    *,
    instruction: str = "Please refund order W123, the lamp arrived broken.",
    arguments: dict[str, object] | None = None,
    call_id: str = "c1",
    latency: float = 10.0,
    seed: int = 1,
) -> Trajectory:
    args = {"order_id": "W123", "reason": "broken"} if arguments is None else arguments
    return Trajectory(
        id=tid,
        task=Task(instruction=instruction, environment="support", seed=seed),
        steps=[
            Step(
                actions=[ToolCall(id=call_id, name="refund_order", arguments=args)],
                observations=[ToolResult(call_id=call_id, content="ok", latency_ms=latency)],
                usage=Usage(prompt_tokens=int(latency)),
            ),
            Step(actions=[Reply(content="Your refund is on its way.")]),
        ],
    )


def test_the_exact_key_ignores_ids_seeds_timings_labels_outcome_and_provenance() -> None:
    first = episode()
    again = episode("t2", call_id="c9", latency=99.0, seed=2)
    again.outcome = Outcome(status="success", score=1.0)
    again.labels.append(Label(name="x", source=LabelSource(kind="human"), value=1.0))
    again.provenance = Provenance(source="imported", record_location="a.jsonl:3")
    assert exact_key(again) == exact_key(first)


def test_the_exact_key_follows_the_task_and_every_action() -> None:
    key = exact_key(episode())
    assert exact_key(episode(instruction="Please refund order W124.")) != key
    assert exact_key(episode(arguments={"order_id": "W124", "reason": "broken"})) != key
    other_reply = episode()
    other_reply.steps[1].actions = [Reply(content="Done.")]
    assert exact_key(other_reply) != key
    one_step = episode()
    one_step.steps = [Step(actions=[*one_step.steps[0].actions, *one_step.steps[1].actions])]
    assert exact_key(one_step) != key  # the same actions, decided in one step instead of two
    reordered = episode(arguments={"reason": "broken", "order_id": "W123"})
    assert exact_key(reordered) == key  # the same JSON object


def test_near_features_ignore_case_punctuation_and_argument_values() -> None:
    shouting = episode(
        instruction="PLEASE refund order w123 -- the lamp arrived broken!!",
        arguments={"order_id": "W999", "reason": "late"},
    )
    assert near_features(shouting, 3) == near_features(episode(), 3)


def test_near_features_are_instruction_shingles_then_the_action_signature() -> None:
    features = near_features(episode(instruction="Refund order W1 now"), 2)
    assert features == [
        "refund order",
        "order w1",
        "w1 now",
        "@refund_order(order_id,reason) reply",
    ]
    swapped = near_features(episode(arguments={"reason": "broken", "order_id": "W123"}), 3)
    assert swapped != near_features(episode(), 3)  # argument keys count in order


def test_near_features_of_short_and_empty_episodes() -> None:
    short = msgspec.structs.replace(episode(instruction="Refund"), steps=[])
    assert near_features(short, 3) == ["refund"]
    assert near_features(Trajectory(id="empty"), 3) == [EMPTY]
