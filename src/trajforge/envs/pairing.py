"""Which result answers which tool call of a step: one pairing for every environment, rule and
expert (verify/pairing.py checks the pairing itself and labels its problems)."""

from __future__ import annotations

from trajforge.schema.records import Step, ToolCall, ToolResult


def results_by_action(step: Step) -> dict[int, ToolResult]:
    """Each tool call of a step (by action index) paired with its result: by id, else in order."""
    results = [o for o in step.observations if isinstance(o, ToolResult)]
    by_id = {r.call_id: r for r in results if r.call_id is not None}
    unpaired = iter([r for r in results if r.call_id is None])
    paired: dict[int, ToolResult] = {}
    for index, action in enumerate(step.actions):
        if not isinstance(action, ToolCall):
            continue
        result = by_id.get(action.id) if action.id is not None else None
        if result is None:
            result = next(unpaired, None)
        if result is not None:
            paired[index] = result
    return paired
