"""Corrected call: the agent made a call again for what it was for, with one argument changed,
nothing having changed in between, where the first value looks wrong. Again for what it was for:
the first failed or found nothing, or the new value is one the conversation gave (or another
declared choice) in place of the first. A tool used again on a new value after it answered asks
a new question (a calculator, a code runner, a clock asked about a second city), not a
correction.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext, scalars

#: Identifiers inside free text (SQL, messages).
IDENTIFIER = re.compile(r"(?<![\w@.-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*[A-Za-z0-9]")
#: ISO dates and date-times.
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
#: How far (in days) from every date in sight a date must be to look wrong by itself.
FAR_DAYS = 31


def later_same_tool(ctx: RuleContext, view: CallView) -> tuple[CallView | None, CallView | None]:
    """The next call of the same tool with other arguments, and the one the agent settled on
    (the last before the state changed; the last that succeeded, if any did)."""
    limit = ctx.stable_until(view.step)
    same = [c for c in ctx.calls_by_name[view.call.name] if c.n > view.n and c.step < limit]
    good = [c for c in same if c.ok and not ctx.unreliable(c)]
    following = next((c for c in same if c.key != view.key), None)
    final = (good or same)[-1] if same else None
    return following, final


def _enum(ctx: RuleContext, tool: str, key: str) -> list[Any]:
    spec = ctx.tools.get(tool)
    params = spec.parameters if spec is not None and spec.parameters else {}
    prop = params.get("properties", {}).get(key, {})
    enum = prop.get("enum") if isinstance(prop, dict) else None
    return enum if isinstance(enum, list) else []


def _date(value: str) -> date | None:
    m = ISO_DATE.match(value)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _suspect_date(ctx: RuleContext, view: CallView, key: str, old: str, new: Any) -> str | None:
    """Dates are worked out (next week, the day after), so quoting is not required; a date looks
    wrong when the one settled on was stated and it was not, or when it is far from every date
    in sight."""
    if ctx.mentioned(old, view.step):
        return None
    if isinstance(new, str) and ctx.mentioned(new, view.step):
        return f"{key} was {old!r}, not the {new!r} the conversation states"
    day = _date(old)
    known = [d for d in (_date(s) for s in ctx.iso_dates(view.step)) if d is not None]
    if day is None:
        return f"{key}={old!r} is not a valid date"
    if known and min(abs((day - d).days) for d in known) > FAR_DAYS:
        return f"{key}={old!r} is more than {FAR_DAYS} days from every date in the conversation"
    return None


def suspect(
    ctx: RuleContext, view: CallView, key: str, old: Any, new: Any, *, final: bool
) -> str | None:
    """Why the first value of a changed argument looks wrong, or None if it looks deliberate.

    A flipped flag or choice counts only against the value the agent settled on (``final``):
    against the next call alone it could as well be the next call that is wrong.
    """
    if old is None:
        return f"{key} was left out" if key in ctx.required(view.call.name) else None
    if isinstance(old, bool) or old in _enum(ctx, view.call.name, key):
        return f"{key} was {old!r}, then settled on {new!r}" if final else None
    if isinstance(old, list) and isinstance(new, list) and old == new[: len(old)]:
        return f"{key} lacked {new[len(old) :]!r}"
    if isinstance(old, str) and ISO_DATE.match(old):
        return _suspect_date(ctx, view, key, old, new)
    if isinstance(old, str) and any(c.isspace() for c in old.strip()):
        inside = IDENTIFIER.findall(old)
        unknown = [t for t in inside if not ctx.mentioned(t, view.step)]
        if unknown:
            return f"{key} mentions {', '.join(unknown)}, found nowhere in the task or results"
        if inside or ctx.mentioned(old, view.step):
            return None
        return f"{key}={old!r} appears nowhere in the task or the results so far"
    if isinstance(old, str | int | float) and not ctx.mentioned(old, view.step):
        return f"{key}={old!r} appears nowhere in the task or the results so far ({new!r} after)"
    return None


#: Results that say nothing was found.
_NOTHING = frozenset({"", "null", "[]", "{}"})


def answered(view: CallView) -> bool:
    """Whether a call succeeded with something in its answer."""
    return view.ok and view.result is not None and view.result.content.strip() not in _NOTHING


def grounded(ctx: RuleContext, value: Any, before: int) -> bool:
    """Whether the task or a result before step ``before`` gave a value (each string and number
    in it; a flag or null is nobody's word)."""
    if value is None or isinstance(value, bool):
        return False
    found = [value] if isinstance(value, str | int | float) else scalars(value)
    return bool(found) and all(ctx.mentioned(v, before) for v in found)


def replaces(ctx: RuleContext, view: CallView, fix: CallView, key: str) -> bool:
    """Whether ``fix`` repeats what ``view`` was for: the first failed, or found nothing where
    the fix found something, or it got an answer but the fix puts in its place a value the
    conversation gave (a made-up id replaced by the real one) or another of the declared
    choices. A tool used again on a new value after it answered asks a new question: a
    calculator, a code runner, a clock asked about a second city."""
    if view.failed:
        return True
    if not view.ok or not answered(fix):
        return False  # cut off or missing; or nothing found either way (a think tool)
    old = view.call.arguments.get(key)
    return (
        not answered(view)
        or isinstance(old, bool)
        or old in _enum(ctx, view.call.name, key)
        or grounded(ctx, fix.call.arguments.get(key), fix.step)
    )


def rejected(ctx: RuleContext, view: CallView, key: str, old: Any) -> str | None:
    """The tool's rejection as the reason, when the changed call then went through; not when
    the rejected value was a scalar the conversation gave (the user's mistake, not the agent's)."""
    if not view.failed or view.result is None or ctx.fault_error(view):
        return None
    if isinstance(old, str | int | float) and ctx.mentioned(old, view.step):
        return None
    excerpt = " ".join(view.result.content.split())
    excerpt = excerpt if len(excerpt) <= 80 else excerpt[:77] + "..."
    return f"the tool rejected {key} ({excerpt})"


def check(ctx: RuleContext) -> list[Finding]:
    """Label each call the agent replaced by the same tool with one argument changed, for what
    it was for (compared with the next call of the tool and with the one it settled on)."""
    found = []
    for view in ctx.calls:
        if ctx.calls_by_name[view.call.name][-1] is view:
            continue  # the tool's last call: nothing replaced it
        following, final = later_same_tool(ctx, view)
        candidates = [final] if following is final else [final, following]
        for fix in (c for c in candidates if c is not None):
            if fix.key == view.key:
                continue
            old, new = view.call.arguments, fix.call.arguments
            changed = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
            if len(changed) != 1 or not replaces(ctx, view, fix, changed[0]):
                continue  # several things changed, or a new question: not a correction
            key = changed[0]
            why = suspect(ctx, view, key, old.get(key), new.get(key), final=fix is final)
            if why is None and fix.ok:
                why = rejected(ctx, view, key, old.get(key))
            if why is not None:
                found.append(
                    RULE.find(
                        view.step,
                        "wrong-argument",
                        f"{view.call.name} was made again at step {fix.step} with {key} "
                        f"changed: {why}",
                        target=f"{view.target}.arguments.{key}",
                        corrected_at=fix.step,
                        argument=key,
                    )
                )
                break
    return found


RULE = Rule(
    name="corrected_call",
    version="1",
    description="A call the agent made again for what it was for (it failed or found nothing, "
    "or a value the conversation gave, or another choice, replaces the first), nothing having "
    "changed in between, with one argument changed, where the first value looks wrong (left "
    "out, flipped, cut short, a wrong date, or found nowhere in the conversation).",
    check=check,
)
