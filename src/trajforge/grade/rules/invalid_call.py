"""Invalid call: a call that cannot be right as made (undeclared tool, required argument left out)
or that the environment rejected because of what was asked (not because of a fault)."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext


def problem(ctx: RuleContext, view: CallView) -> str | None:
    """Why the call is invalid, or None."""
    name = view.call.name
    if ctx.tools and name not in ctx.tools:
        return f"{name} is not one of the declared tools"
    missing = [k for k in ctx.required(name) if k not in view.call.arguments]
    if missing:
        return f"{name} called without its required argument {', '.join(missing)}"
    if view.call.raw_arguments is not None and not view.call.arguments:
        return f"{name} called with arguments that are not a JSON object"
    if view.failed and not ctx.fault_error(view) and not ctx.repeats_done(view):
        assert view.result is not None  # a failed call has a result
        body = view.body
        error = body.get("error") if isinstance(body, dict) else None
        text = str(error) if error else view.result.content[:200]
        return f"{name} was rejected ({view.error_kind or 'error'}): {text}"
    return None


def check(ctx: RuleContext) -> list[Finding]:
    """Label each invalid or rejected call."""
    found = []
    for view in ctx.calls:
        why = problem(ctx, view)
        if why is not None:
            found.append(
                RULE.find(view.step, "error", why, target=view.target, error_kind=view.error_kind)
            )
    return found


RULE = Rule(
    name="invalid_call",
    version="1",
    description="A call of an undeclared tool, without a required argument, or rejected by the "
    "environment for what it asked (faults such as time-outs do not count).",
    check=check,
)
