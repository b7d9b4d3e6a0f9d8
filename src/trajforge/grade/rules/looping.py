"""Looping: the agent keeps doing the same thing and getting the same answer."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext

#: How many identical attempts make a loop.
LOOP_LENGTH = 3


def check(ctx: RuleContext) -> list[Finding]:
    """Label the third and later identical attempts (same call, same answer, state unchanged)."""
    found = []
    seen: dict[tuple[str, str, str], list[int]] = {}
    repeated = any(len(same) >= LOOP_LENGTH for same in ctx.calls_by_key.values())
    for view in ctx.calls if repeated else ():
        if view.result is None or ctx.fault_error(view):
            continue  # retrying through faults is not looping
        key = (view.key, view.result.status, view.result.content)
        steps = [s for s in seen.get(key, []) if ctx.unchanged(s, view.step - 1)]
        steps.append(view.step)
        seen[key] = steps
        if len(steps) >= LOOP_LENGTH:
            found.append(
                RULE.find(
                    view.step,
                    "loop",
                    f"{view.call.name} made {len(steps)} times with the same arguments and the "
                    f"same answer (steps {', '.join(map(str, steps))})",
                    target=view.target,
                    steps=steps,
                )
            )
    texts: dict[str, list[int]] = {}
    for step, index, text in ctx.texts:
        texts.setdefault(text.strip(), []).append(step)
        repeats = texts[text.strip()]
        if len(repeats) >= LOOP_LENGTH:
            found.append(
                RULE.find(
                    step,
                    "loop",
                    f"the same message sent {len(repeats)} times",
                    target=f"steps[{step}].actions[{index}]",
                    steps=list(repeats),
                )
            )
    return found


RULE = Rule(
    name="looping",
    version="1",
    description=f"The same call with the same answer {LOOP_LENGTH} or more times with nothing "
    "changing, or the same message over and over.",
    check=check,
)
