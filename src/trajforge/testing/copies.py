"""Copies of an episode that deduplication must see through, for its tests and benchmark."""

from __future__ import annotations

import msgspec

from trajforge.schema import ToolCall, ToolResult, Trajectory


def rerecorded(trajectory: Trajectory, new_id: str) -> Trajectory:
    """The same episode as another run records it: another trajectory id, other call ids, task
    seed, latencies and record location, no token usage. The original is left as it was."""
    steps = []
    for k, step in enumerate(trajectory.steps):
        renamed = {
            a.id: f"{new_id}-{k}-{i}" for i, a in enumerate(step.actions) if isinstance(a, ToolCall)
        }
        actions = [
            msgspec.structs.replace(a, id=renamed[a.id]) if isinstance(a, ToolCall) else a
            for a in step.actions
        ]
        observations = [
            msgspec.structs.replace(
                o, call_id=renamed.get(o.call_id), latency_ms=(o.latency_ms or 0.0) + 1.0
            )
            if isinstance(o, ToolResult)
            else o
            for o in step.observations
        ]
        steps.append(
            msgspec.structs.replace(step, actions=actions, observations=observations, usage=None)
        )
    task = msgspec.structs.replace(trajectory.task, seed=(trajectory.task.seed or 0) + 1)
    provenance = msgspec.structs.replace(trajectory.provenance, record_location=f"rerun:{new_id}")
    return msgspec.structs.replace(
        trajectory, id=new_id, task=task, steps=steps, provenance=provenance
    )
