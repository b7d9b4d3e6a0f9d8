"""The rule context's constant-time answers agree with their definitions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trajforge.grade.rules.context import RuleContext
from trajforge.schema import Step, Task, ToolCall, ToolResult, Trajectory
from trajforge.schema.records import ResultStatus

#: A step: its state digest (maybe none), and its call (a read, a write, none) and how it went.
steps = st.lists(
    st.tuples(
        st.sampled_from([None, "a", "b"]),
        st.sampled_from([None, "get_order", "cancel_order"]),
        st.sampled_from(["ok", "error"]),
    ),
    max_size=7,
)


def trajectory(spec: list[tuple[str | None, str | None, ResultStatus]]) -> Trajectory:
    built = []
    for n, (digest, tool, status) in enumerate(spec):
        step = Step(env_state_digest=digest)
        if tool is not None:
            call = ToolCall(id=f"c{n}", name=tool)
            result = ToolResult(call_id=call.id, name=tool, content="{}", status=status)
            step = Step(actions=[call], observations=[result], env_state_digest=digest)
        built.append(step)
    return Trajectory(id="t", task=Task(instruction="x"), steps=built)


def unchanged_by_definition(ctx: RuleContext, first: int, last: int) -> bool:
    """The digests from ``first`` to ``last`` when all are there, else no write in between."""
    digests = [s.env_state_digest for s in ctx.steps[first : last + 1]]
    if digests and all(d is not None for d in digests):
        return len(set(digests)) == 1
    return not any(
        c.ok and not ctx.is_read_only(c.call.name)
        for step in ctx.step_calls[first + 1 : last + 1]
        for c in step
    )


@given(spec=steps)
def test_unchanged_is_its_definition(
    spec: list[tuple[str | None, str | None, ResultStatus]],
) -> None:
    ctx = RuleContext(trajectory(spec))
    for first in range(len(spec)):
        for last in range(first - 1, len(spec)):
            assert ctx.unchanged(first, last) == unchanged_by_definition(ctx, first, last)
