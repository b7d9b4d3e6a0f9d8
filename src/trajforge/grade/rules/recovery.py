"""Recovery (a good move): a failed or doubtful call followed by a successful retry or
alternative."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext

#: Errors after which another tool is the way on.
_GONE = frozenset({"permanent", "unknown_tool"})


def _setback(ctx: RuleContext, view: CallView) -> str | None:
    if view.failed:
        return view.error_kind or view.status
    if ctx.unreliable(view):
        return "unreliable result"
    return None


def check(ctx: RuleContext) -> list[Finding]:
    """Label the call that got through after a setback (once per setback)."""
    found = []
    credited: set[tuple[int, int]] = set()
    for n, view in enumerate(ctx.calls):
        setback = _setback(ctx, view)
        if setback is None:
            continue
        for later in ctx.calls[n + 1 :]:
            if later.call.name != view.call.name and view.error_kind not in _GONE:
                continue
            if _setback(ctx, later) is not None:
                break  # the next attempt is a setback of its own, credited from there
            spot = (later.step, later.index)
            if later.ok and spot not in credited:
                credited.add(spot)
                how = "retrying" if later.key == view.key else f"using {later.call.name}"
                if later.call.name == view.call.name and later.key != view.key:
                    how = "correcting the arguments"
                found.append(
                    RULE.find(
                        later.step,
                        "recovery",
                        f"recovered from the {setback} of {view.call.name} at step {view.step} "
                        f"by {how}",
                        target=later.target,
                        setback_step=view.step,
                    )
                )
            break
    return found


RULE = Rule(
    name="recovery",
    version="1",
    description="A failed, cut-off or doubtful call followed by a successful retry, correction or "
    "alternative (a positive label).",
    check=check,
    negative=False,
)
