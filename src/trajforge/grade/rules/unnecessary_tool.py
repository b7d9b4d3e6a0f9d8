"""Unnecessary tool use: a lookup the task did not call for and whose answer the agent never
used."""

from __future__ import annotations

from functools import lru_cache

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext, related
from trajforge.grade.rules.missing_tool import VERIFY
from trajforge.grade.rules.usage import needed_calls, telling


def _rechecks(ctx: RuleContext, view: CallView) -> bool:
    """Whether the call re-reads something after a change (verifying the change)."""
    return any(
        c.step < view.step and not ctx.unchanged(c.step, view.step - 1)
        for c in ctx.calls_by_key[view.key]
    )


def _follows_lead(ctx: RuleContext, view: CallView) -> bool:
    """Whether the call checks one of several candidates an earlier result named (looking at
    each order a list showed until the right one turns up is searching, not waste)."""
    return ctx.calls_by_name[view.call.name][-1].n > view.n and any(
        isinstance(v, str) and ctx.mentioned(v, view.step) and ctx.result_mentions(v, view.step)
        for v in view.values
    )


def _expected(ctx: RuleContext, view: CallView) -> bool:
    return any(e.exact(view.call) for e in ctx.expectations_by_name.get(view.call.name, ()))


@lru_cache(maxsize=1024)
def _verifies(name: str) -> bool:
    """Whether a tool's name says it verifies (the calls ``missing_tool`` asks for)."""
    return VERIFY.search(name) is not None


def check(ctx: RuleContext) -> list[Finding]:
    """Label each read-only call that is not expected, not a re-check, and whose result (or,
    when it failed, whose retry) the agent did without."""
    # the tools called that look something up, and not to verify
    lookups = {name for name in ctx.calls_by_name if ctx.is_lookup(name) and not _verifies(name)}
    candidates = [
        view
        for view in ctx.calls
        if view.call.name in lookups
        and not _expected(ctx, view)
        and not _rechecks(ctx, view)
        and not _follows_lead(ctx, view)
    ]
    if not candidates:
        return []
    told = {
        (v.step, v.index) for v in candidates if v.ok and not ctx.unreliable(v) and telling(ctx, v)
    }
    needed = needed_calls(ctx, told) if told else set()
    found = []
    for view in candidates:
        if view.failed or ctx.unreliable(view):
            nxt = ctx.calls[view.n + 1] if view.n + 1 < len(ctx.calls) else None
            if view.error_kind == "permanent" or (nxt is not None and related(view, nxt)):
                continue
            why = f"{view.call.name} came back {view.status} and the agent did without it"
        elif view.ok:
            spot = (view.step, view.index)
            if spot in needed or spot not in told:  # reliable and ok: told if telling
                continue
            why = (
                f"nothing {view.call.name} returned was used that the agent did not also have "
                "from elsewhere"
            )
        else:
            continue
        found.append(RULE.find(view.step, "unnecessary-tool", why, target=view.target))
    return found


RULE = Rule(
    name="unnecessary_tool",
    version="1",
    description="A read-only call that the task's expected actions do not include and whose "
    "result nothing afterwards uses (re-checks after a change excepted).",
    check=check,
)
