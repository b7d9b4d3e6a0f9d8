"""Exact keys and near-duplicate features: what counts, what is ignored."""

from __future__ import annotations

from typing import Any

import msgspec

from tests.formats.trajectories import call, reply, rule, trajectory
from trajforge.curate.fingerprint import EMPTY, exact_key, near_features
from trajforge.schema import Outcome, Provenance, Reply, Step, Trajectory
from trajforge.testing.copies import rerecorded

REFUND = "Please refund order W123, the lamp arrived broken."


def episode(instruction: str = REFUND, **arguments: Any) -> Trajectory:
    """A refund (``arguments`` or the usual ones) then a reply."""
    arguments = arguments or {"order_id": "W123", "reason": "broken"}
    return trajectory(
        "t1",
        call("refund_order", **arguments),
        reply("Your refund is on its way."),
        task=instruction,
    )


def test_the_exact_key_ignores_ids_seeds_timings_labels_outcome_and_provenance() -> None:
    first = episode()
    again = rerecorded(first, "t2")
    again.outcome = Outcome(status="success", score=1.0)
    again.labels = [rule("x", "correct", 1.0)]
    again.provenance = Provenance(source="imported", record_location="a.jsonl:3")
    assert again.steps[0].actions != first.steps[0].actions  # the call ids differ
    assert exact_key(again) == exact_key(first)


def test_the_exact_key_follows_the_task_and_every_action() -> None:
    key = exact_key(episode())
    assert exact_key(episode("Please refund order W124.")) != key
    assert exact_key(episode(order_id="W124", reason="broken")) != key
    other_reply = episode()
    other_reply.steps[1].actions = [Reply(content="Done.")]
    assert exact_key(other_reply) != key
    one_step = episode()
    one_step.steps = [Step(actions=[*one_step.steps[0].actions, *one_step.steps[1].actions])]
    assert exact_key(one_step) != key  # the same actions, decided in one step instead of two
    assert exact_key(episode(reason="broken", order_id="W123")) == key  # the same JSON object


def test_near_features_ignore_case_punctuation_and_argument_values() -> None:
    shouting = episode(
        "PLEASE refund order w123 -- the lamp arrived broken!!", order_id="W9", reason="x"
    )
    assert near_features(shouting, 3) == near_features(episode(), 3)


def test_near_features_are_instruction_shingles_then_the_action_signature() -> None:
    features = near_features(episode("Refund order W1 now"), 2)
    assert features == [
        "refund order",
        "order w1",
        "w1 now",
        "@refund_order(order_id,reason) reply",
    ]
    swapped = near_features(episode(reason="broken", order_id="W123"), 3)
    assert swapped != near_features(episode(), 3)  # argument keys count in order


def test_near_features_of_short_and_empty_episodes() -> None:
    short = msgspec.structs.replace(episode("Refund"), steps=[])
    assert near_features(short, 3) == ["refund"]
    assert near_features(Trajectory(id="empty"), 3) == [EMPTY]
