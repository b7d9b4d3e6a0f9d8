"""The scheduling policy rules and their detection in trajectories.

Violations are found by replaying the trajectory's tool calls in a fresh world built from
``trajectory.task``: a call that really ran (not one a fault blocked) is executed again, and what it
did (double bookings, times outside working hours, whose meeting it touched) is read from the
replayed state at that step. When the task carries no world, the tool results are read instead.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import msgspec

from trajforge.envs.base import PolicyRule, Violation
from trajforge.envs.consent import gives_consent
from trajforge.envs.pairing import results_by_action
from trajforge.schema import (
    ClarifyingQuestion,
    Reply,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

if TYPE_CHECKING:
    from trajforge.envs.scheduling.env import SchedulingEnv

NO_DOUBLE_BOOKING: Final = "no_double_booking"
CONFIRM_OUTSIDE_HOURS: Final = "confirm_outside_working_hours"
CONFIRM_OTHERS_MEETING: Final = "confirm_changing_others_meeting"
ASK_WHEN_AMBIGUOUS: Final = "ask_when_ambiguous"

POLICY_RULES: Final = (
    PolicyRule(
        name=NO_DOUBLE_BOOKING,
        kind="forbidden",
        description="Never book or move a meeting so that an attendee or the room is double-booked "
        "(the call's result lists the conflicts).",
    ),
    PolicyRule(
        name=CONFIRM_OUTSIDE_HOURS,
        kind="needs_confirmation",
        description="Booking or moving a meeting outside any attendee's working hours (their own "
        "time zone, Monday to Friday) needs the user's explicit confirmation first.",
    ),
    PolicyRule(
        name=CONFIRM_OTHERS_MEETING,
        kind="needs_confirmation",
        description="Cancelling or moving a meeting someone else organised needs the user's "
        "explicit confirmation first.",
    ),
    PolicyRule(
        name=ASK_WHEN_AMBIGUOUS,
        kind="forbidden",
        description="When the request is ambiguous (which person, room, meeting, day, time or how "
        "long), ask the user a clarifying question before changing anything.",
    ),
)

#: The opening of the policy document (envs.spec); its rule sections come from the rules above.
PREAMBLE: Final = """\
You are a scheduling assistant who books and moves meetings in people's calendars, using the
tools provided. Check everyone's free time and the room before booking, and say what you did.

- Where the request leaves something open (who, when, how long, which room), ask one question per
  ambiguity before changing anything.
- Never double-book anyone.
- Times outside working hours and changes to meetings that someone else organised need the user's
  explicit yes first.
"""

#: Error kinds of faults that stop a call before it runs (see trajforge.envs.faults).
_BLOCKED_KINDS: Final = frozenset({"timeout", "server_error", "rate_limit", "permanent"})
_CHANGING: Final = frozenset(
    {"book_meeting", "reschedule_meeting", "cancel_meeting", "send_invite", "notify"}
)
#: Changing calls that record no ``Effect`` and leave the meetings as they were: replaying them
#: would change nothing the rules look at.
_NO_EFFECT: Final = frozenset({"send_invite", "notify"})


def _ran(result: ToolResult | None) -> bool:
    """Whether the call reached the tool (faults that block a call leave no effect)."""
    if result is None:
        return True
    if result.status == "timeout":
        return False
    return not (result.status == "error" and result.error_kind in _BLOCKED_KINDS)


def _normalise(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, dict):
        return {k.replace("_", "").lower(): _normalise(v) for k, v in value.items()}
    return value


def _effect_from_result(call: ToolCall, result: ToolResult | None) -> dict[str, Any] | None:
    """Fallback when the world cannot be replayed: read what the result says."""
    if result is None or result.status in ("error", "timeout"):
        return None
    try:
        body = _normalise(msgspec.json.decode(result.content))
    except msgspec.DecodeError:
        return {
            "conflicts": '"type":"attendee"' in result.content or '"type":"room"' in result.content
        }
    if not isinstance(body, dict):
        return None
    meeting = body.get("meeting") if isinstance(body.get("meeting"), dict) else body
    return {
        "conflicts": bool(body.get("conflicts")),
        "outside": bool(body.get("outsideworkinghours")),
        "organizer": meeting.get("organizerid") if isinstance(meeting, dict) else None,
    }


class _Replayer:
    """Replays calls in a fresh environment, reset at the first call that needs it."""

    def __init__(self, trajectory: Trajectory, env: SchedulingEnv) -> None:
        self._task = trajectory.task
        self._fresh = env

    @cached_property
    def env(self) -> SchedulingEnv | None:
        """The environment, reset to the task's world (``None`` when the task has no world)."""
        try:
            self._fresh.reset(self._task)
        except (ValueError, KeyError, TypeError):
            return None
        return self._fresh

    def before(self, call: ToolCall) -> str | None:
        """The organizer of the meeting a call targets, before it runs."""
        if self.env is None:
            return None
        meeting = self.env._state.meetings.get(str(call.arguments.get("meeting_id", "")))
        return meeting.organizer_id if meeting is not None else None

    def run(self, call: ToolCall) -> dict[str, Any] | None:
        if self.env is None or call.name in _NO_EFFECT:
            return None
        self.env.last_effect = None
        self.env.execute(call)
        effect = self.env.last_effect
        if effect is None:
            return None
        return {
            "conflicts": bool(effect.conflicts),
            "outside": bool(effect.outside_hours),
            "organizer": effect.organizer_id,
            "detail_conflicts": effect.conflicts,
            "detail_outside": effect.outside_hours,
        }


def find_violations(trajectory: Trajectory, env: SchedulingEnv) -> list[Violation]:
    """Violations of the scheduling rules, in step order."""
    replay = _Replayer(trajectory, env)
    truth = trajectory.task.parameters.get("truth", {}) if trajectory.task.parameters else {}
    ambiguous = list(truth.get("ambiguous", [])) if isinstance(truth, dict) else []
    stated_user = trajectory.task.parameters.get("user_id") if trajectory.task.parameters else None
    violations: list[Violation] = []
    asked = False  # the agent has asked or replied to the user at some point
    clarified = False  # a clarifying question came in an earlier step
    confirmed = False  # the latest user message, after an ask, was a yes
    flagged_ambiguity = False
    for i, step in enumerate(trajectory.steps):
        results: dict[int, ToolResult] | None = None  # paired at the step's first changing call
        asks = clarifies = False
        for j, action in enumerate(step.actions):
            if not isinstance(action, ToolCall):
                asks |= isinstance(action, ClarifyingQuestion | Reply)
                clarifies |= isinstance(action, ClarifyingQuestion)
                continue
            if action.name not in _CHANGING:
                continue
            if ambiguous and not clarified and not flagged_ambiguity:
                flagged_ambiguity = True
                violations.append(
                    Violation(
                        rule=ASK_WHEN_AMBIGUOUS,
                        step=i,
                        action=j,
                        detail=f"{action.name} before asking about: {', '.join(ambiguous)}",
                    )
                )
            if results is None:
                results = results_by_action(step)
            result = results.get(j)
            if not _ran(result):
                continue
            organizer_before = replay.before(action)
            effect = (
                replay.run(action)
                if replay.env is not None
                else _effect_from_result(action, result)
            )
            if effect is None:
                continue
            if effect.get("conflicts"):
                detail = effect.get("detail_conflicts") or "the result lists conflicts"
                violations.append(
                    Violation(
                        rule=NO_DOUBLE_BOOKING, step=i, action=j, detail=f"{action.name}: {detail}"
                    )
                )
            if effect.get("outside") and not confirmed:
                who = effect.get("detail_outside") or "an attendee"
                violations.append(
                    Violation(
                        rule=CONFIRM_OUTSIDE_HOURS,
                        step=i,
                        action=j,
                        detail=f"{action.name} outside working hours of {who} without confirmation",
                    )
                )
            organizer = organizer_before or effect.get("organizer")
            user_id = replay.env._state.user_id if replay.env is not None else stated_user
            if (
                action.name in ("cancel_meeting", "reschedule_meeting")
                and user_id is not None
                and organizer is not None
                and organizer != user_id
                and not confirmed
            ):
                violations.append(
                    Violation(
                        rule=CONFIRM_OTHERS_MEETING,
                        step=i,
                        action=j,
                        detail=f"{action.name} on a meeting organised by {organizer} "
                        "without confirmation",
                    )
                )
        asked |= asks
        clarified |= clarifies
        for obs in step.observations:
            if isinstance(obs, UserMessage):
                confirmed = asked and gives_consent(obs.content)
    return violations
