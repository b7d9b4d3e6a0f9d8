"""Missing tool use: the agent went past a verification the task requires (an identity check, a
health check) without making it successfully.

Only verifications count: the expected actions of a task describe one good route, and lookups
have legitimate alternatives (asking the user for an order id instead of listing the orders,
reading a config instead of searching the logs), so a lookup missing from the list is no
evidence of a mistake; answering with facts no lookup gave is caught by ``unsupported_claim``.
An agent that checks the things it changes (a health check after each restart) must check them
all: a change left unchecked is a missing verification too.
"""

from __future__ import annotations

import re
from collections import Counter

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext, scalars
from trajforge.grade.rules.expected import Expectation
from trajforge.schema import Finish, Reply

#: Arguments that identify a thing (a service's name, an order's id).
_IDENTIFYING = re.compile(r"^(name|id|.*_id)$")
#: Tools that verify something (an identity, a service's health, a booking's room), by name.
VERIFY = re.compile(r"verif|validat|confirm|check|authenticat|health|approv", re.IGNORECASE)


def check(ctx: RuleContext) -> list[Finding]:
    """Label where each required verification was skipped (and where the agent went on
    without it), and the changes an agent that checks its changes left unchecked."""
    expected = ctx.expectations
    if not expected:
        return _unverified_changes(ctx)
    wanted = Counter(e.name for e in expected)
    done = [_made(ctx, e, wanted[e.name]) for e in expected]
    skipped_checks = [
        i
        for i, e in enumerate(expected)
        if not done[i] and VERIFY.search(e.name) and _required(ctx, expected, i)
    ]
    if not skipped_checks:
        return _unverified_changes(ctx)
    tried = [[c.step for c in ctx.calls_by_name.get(e.name, [])] for e in expected]
    claims = [s for s, _, text in ctx.texts if text and _claims(ctx, s)]
    found = []
    for i in skipped_checks:
        e = expected[i]
        start = max((min(done[j]) for j in range(i) if done[j]), default=-1)
        later = [s for j in range(i + 1, len(expected)) for s in tried[j]]
        moved_on = sorted(s for s in [*later, *claims] if s > start)
        if not moved_on:
            continue  # the agent stopped (or failed honestly) before needing it
        attempts = {c.step for c in ctx.calls_by_name.get(e.name, []) if e.matches(c.call)}
        skipped = next((s for s in range(start + 1, len(ctx.steps)) if s not in attempts), None)
        args = ", ".join(f"{k}={v!r}" for k, v in e.action.arguments.items())
        tried_note = " (its attempts failed)" if attempts else ""
        for step in sorted({s for s in (skipped, moved_on[0]) if s is not None}):
            what = "went on" if step == moved_on[0] else "skipped it here and went on"
            found.append(
                RULE.find(
                    step,
                    "missing-tool",
                    f"{what} without {e.name}({args}){tried_note}, which the task requires "
                    "before this point",
                    expected=i,
                    tool=e.name,
                )
            )
    return found + _unverified_changes(ctx)


def _unverified_changes(ctx: RuleContext) -> list[Finding]:
    """Changes the agent left unchecked, when it is an agent that checks after changing.

    An agent whose first successful check comes after its first successful change (a health
    check of each service it restarted) needs a check of every thing it changed (by an
    identifying argument shared by both tools: ``name``, ``id``, ``..._id``). The label goes
    where the check was due (after the check of the thing changed just before, or at the first
    check after the change) and on the finish that claims success.
    """
    found = []
    checks = [c for c in ctx.calls if c.ok and VERIFY.search(c.call.name)]
    if not checks:
        return []
    changes = [c for c in ctx.calls if c.ok and _changes(ctx, c.call.name)]
    if not changes or checks[0].step <= changes[0].step:
        return []  # no checks, no changes, or an agent that checks before it changes
    for tool in dict.fromkeys(c.call.name for c in checks):
        mine = [c for c in checks if c.call.name == tool]
        keys = {k for c in mine for k, v in c.call.arguments.items() if isinstance(v, str)}
        for key in sorted(k for k in keys if _IDENTIFYING.search(k)):
            last_change: dict[str, int] = {}  # thing -> step of its last change
            for c in changes:
                value = c.call.arguments.get(key)
                if isinstance(value, str):
                    last_change.pop(value, None)
                    last_change[value] = c.step
            checked = {  # a check before the change counts too (check the room, then book it)
                thing: next((c.step for c in mine if c.call.arguments.get(key) == thing), None)
                for thing in last_change
            }
            order = sorted(last_change, key=lambda t: last_change[t])
            for n, thing in enumerate(order):
                if checked[thing] is not None:
                    continue
                before = [s for t in order[:n] if (s := checked[t]) is not None]
                after = [c.step for c in mine if c.step > last_change[thing]]
                due = max(before) + 1 if before else (min(after) if after else None)
                for step in sorted({s for s in (due, ctx.finish_step()) if s is not None}):
                    found.append(
                        RULE.find(
                            min(step, len(ctx.steps) - 1),
                            "missing-tool",
                            f"{thing} was changed at step {last_change[thing]} but never checked "
                            f"with {tool} afterwards",
                            tool=tool,
                            unchecked=thing,
                        )
                    )
    return found


def _changes(ctx: RuleContext, name: str) -> bool:
    return not ctx.is_read_only(name) and not VERIFY.search(name)


def _required(ctx: RuleContext, expected: list[Expectation], i: int) -> bool:
    """Whether an expected verification is required of this agent: it gates the task's first
    change (an identity check before any refund), it checks what the request is about, or it
    checks something the agent changed (a health check of a service it restarted, the room it
    booked)."""
    first_change = next((j for j, e in enumerate(expected) if _changes(ctx, e.name)), None)
    if first_change is None or i < first_change:
        return True
    values = {str(v) for v in scalars(expected[i].action.arguments) if len(str(v)) >= 3}
    if any(ctx.mentioned(v, 0) for v in values):
        return True  # it checks what the request is about (the service that is down)
    return any(
        c.ok and _changes(ctx, c.call.name) and values & {str(v) for v in c.values}
        for c in ctx.calls
    )


def _claims(ctx: RuleContext, step: int) -> bool:
    """Whether the agent presents results at this step (a completed finish or a reply)."""
    return any(
        (isinstance(a, Finish) and a.completed) or isinstance(a, Reply)
        for a in ctx.steps[step].actions
    )


def _check(ctx: RuleContext) -> list[Finding]:
    """``check``, once per trajectory (premature_finish asks for it too)."""
    return ctx.memo("missing_tool", lambda: check(ctx))


RULE = Rule(
    name="missing_tool",
    version="1",
    description="A verification the task requires (among its expected actions: one that gates "
    "the first change, or checks something the agent changed) never made successfully, although "
    "the agent went on to later steps or answered.",
    check=_check,
)


def _made(ctx: RuleContext, e: Expectation, wanted: int) -> list[int]:
    """The steps that made an expected action successfully: calls with its arguments, or else,
    when the agent called the tool as many times (``wanted``, with distinct arguments) as
    expected, any successful call of it (the agent may check another room than the task's
    author thought of; not when the request itself names what to check)."""
    same = [c for c in ctx.calls_by_name.get(e.name, ()) if c.ok and not ctx.unreliable(c)]
    if not same:
        return []
    exact = [c.step for c in same if e.matches(c.call)]
    if exact:
        return exact
    if any(isinstance(v, str) and ctx.mentioned(v, 0) for v in scalars(e.action.arguments)):
        return []  # the request names what to check: only that check will do
    return [c.step for c in same] if len({c.key for c in same}) >= wanted else []
