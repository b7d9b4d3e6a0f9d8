"""The scripted-expert engine: an expert is a generator of moves; this engine does the rest.

An environment's expert writes *what* a careful human would do, as a generator that yields moves
(``Call``, ``Say``, ``Ask``, ``HandOff``, ``Done``) and receives what came back (a ``Result`` for a
call, the user's answer for ``Ask``). The engine turns moves into Decisions and writes everything
down the same way for every environment: the plan before acting, a rationale per call, state notes
(done / remaining / assumptions) and re-plans. It also recovers from faults the way each calls for,
so scripts stay about the task: retry with back-off on timeouts and server errors, honour
retry-after on rate limits, re-query truncated, empty or stale data (but never repeat a change
whose reply was cut off: the script checks it instead), adapt to drifted formats
(CSV, renamed fields, a list where an object was), switch to an alternative tool when one is gone
for good, and report an honest failure when no alternative is left.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from trajforge.agents.base import Decision, call_id
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    FaultRecord,
    Finish,
    HandOff,
    Plan,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserMessage,
)

MAX_RETRIES = 4
_TRANSIENT = {"timeout", "server_error", "rate_limit"}
_SILENT = {"stale", "empty"}


@dataclass
class Call:
    """Call a tool. ``fallbacks`` are alternative calls for when the tool is gone for good.

    ``verification=True`` marks a check whose result the script only needs to be ok (verifying an
    identity, a health check): mistake injection may skip it.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    why: str = ""
    fallbacks: list[Call] = field(default_factory=list)
    verification: bool = False


@dataclass
class Say:
    """Tell the user something (no answer expected unless it ends with a question)."""

    content: str
    why: str = ""


@dataclass
class Ask:
    """Ask the user a clarifying question; the script receives the answer text."""

    content: str
    why: str = ""


@dataclass
class HandOffMove:
    """Hand the conversation to a human; ends the episode."""

    content: str
    reason: str
    why: str = ""


@dataclass
class Done:
    """Finish; ``completed=False`` is an honest failure report."""

    content: str
    completed: bool = True
    why: str = ""


Move = Call | Say | Ask | HandOffMove | Done


@dataclass
class Result:
    """What a call gave the script: parsed data when ok, the error otherwise.

    ``kind="partial"`` (with ``ok`` true and the truncated text as ``data``): a call of the
    expert's ``run_once`` went through but its reply was cut off; the script checks its effect.
    """

    ok: bool
    data: Any = None
    error: str | None = None
    kind: str | None = None


Script = Generator[Move, Any, None]


def parse_content(text: str, *, csv_allowed: bool = False) -> Any:
    """Parse a tool result: JSON if it is JSON, rows of dicts if CSV is expected, else the text.

    CSV is only tried when the format is known to have drifted, so that a log line with a comma
    stays text.
    """
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        pass
    lines = text.strip().splitlines()
    if csv_allowed and len(lines) >= 2 and "," in lines[0]:
        return list(csv.DictReader(io.StringIO(text)))
    return text


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def undrift(value: Any, like_object: bool) -> Any:
    """Undo format drift: snake_case keys back, unwrap a one-item list where an object was."""
    if isinstance(value, list) and like_object and len(value) == 1 and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, dict):
        return {_snake(k): v for k, v in value.items()}
    if isinstance(value, list):
        return [{_snake(k): v for k, v in v.items()} if isinstance(v, dict) else v for v in value]
    return value


class ScriptedExpert:
    """Base of the per-environment experts: subclass and implement ``script``."""

    name: ClassVar[str] = "expert"
    #: Calls never made twice when their reply is cut off: they ran, and a second one would act
    #: twice (refund, delete, insert, book). Their script gets ``Result(kind="partial")`` instead.
    run_once: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        #: The environment's policy document, recorded on the trajectory.
        self.system_prompt = system_prompt
        self.task = task
        self.tools = {t.name: t for t in tools}
        self.seed = seed
        self.truth: dict[str, Any] = task.parameters.get("truth", {})
        self._plan: list[str] = []
        self._plan_revision = 0
        self._plan_pending: Plan | None = None
        self._done: list[str] = []
        self._assumptions: list[str] = []
        self._script = self.script(task)
        self._started = False
        self._pending: Move | None = None
        self._pending_id: str | None = None
        self._retries = 0
        self._calls = 0
        self._shapes: dict[str, bool] = {}
        self.optimal_steps = 0

    # -- for scripts ---------------------------------------------------------------------------

    def script(self, task: Task) -> Script:
        """Yield the moves that solve ``task``; override in each environment's expert."""
        raise NotImplementedError

    def plan(self, steps: list[str], reason: str | None = None) -> None:
        """Declare (or revise, with a reason) the plan; it is written on the next step."""
        if self._plan:
            self._plan_revision += 1
        self._plan = list(steps)
        self._plan_pending = Plan(steps=list(steps), revision=self._plan_revision, reason=reason)

    def mark_done(self, item: str) -> None:
        """Record a plan item (or any fact) as done."""
        if item not in self._done:
            self._done.append(item)

    def assume(self, assumption: str) -> None:
        """Record an assumption the agent is acting on."""
        if assumption not in self._assumptions:
            self._assumptions.append(assumption)

    def drop_assumption(self, assumption: str) -> None:
        """An assumption no longer holds."""
        if assumption in self._assumptions:
            self._assumptions.remove(assumption)

    # -- engine --------------------------------------------------------------------------------

    async def decide(self, steps: Sequence[Step]) -> Decision:
        """The next decision given the episode so far."""
        return self.next_decision(steps)

    def next_decision(self, steps: Sequence[Step]) -> Decision:
        """Synchronous core of ``decide``."""
        last = steps[-1] if steps else None
        pending = self._pending
        if isinstance(pending, Call):
            return self._after_call(pending, last)
        if isinstance(pending, Ask | Say):
            if last is None or not self._asked_in(last):
                return self._emit(pending, recovering="I did not get to say that yet. ")
            user = [o.content for o in last.observations if isinstance(o, UserMessage)]
            return self._advance(user[0] if user else None)
        if isinstance(pending, Done | HandOffMove):  # a final move the episode did not end on:
            # a mistake replaced it, so it was never made; the script has nothing after it
            return self._emit(pending, recovering="That was not what I meant to do. ")
        return self._advance(None)

    def skip_pending(self) -> Decision | None:
        """Go on as if the pending verification call had succeeded (a mistake, injected).

        Returns the decision that follows, or None when the pending move is no verification.
        """
        pending = self._pending
        if not isinstance(pending, Call) or not pending.verification:
            return None
        return self._advance(Result(ok=True, data={}))

    def _asked_in(self, step: Step) -> bool:
        return any(isinstance(a, ClarifyingQuestion | Reply) for a in step.actions)

    def _advance(self, value: Any) -> Decision:
        try:
            move = self._script.send(value) if self._started else next(self._script)
        except StopIteration:
            move = Done("All done.")
        self._started = True
        self._retries = 0
        self.optimal_steps += 1
        return self._emit(move)

    def _after_call(self, call: Call, last: Step | None) -> Decision:
        result = self._result_of(last)
        if result is None:  # our call was not made (a mistake replaced it): make it now
            return self._emit(call, recovering="That was not the call I meant to make. ")
        assert last is not None  # the result was found in it
        faults = [f for f in last.faults if f.call_id == self._pending_id]
        kind = result.error_kind if result.status != "ok" else None
        if kind in _TRANSIENT or result.status == "timeout":
            return self._retry(call, result, kind or "timeout")
        if result.status == "partial":
            if self._runs_once(call):
                return self._after_cut_off_change(call, result)
            return self._emit(call, recovering="The result was cut off; querying again. ")
        if kind == "permanent":
            return self._fallback(call)
        silent = next((f for f in faults if f.kind in _SILENT), None)
        if silent is not None:
            return self._requery(call, silent)
        drifted = any(f.kind == "format_drift" for f in faults)
        data = parse_content(result.content, csv_allowed=drifted)
        note = ""
        if drifted:
            data = undrift(data, like_object=self._shapes.get(call.name, True))
            note = "The response came back in a different format; reading it accordingly. "
        elif isinstance(data, dict | list):
            self._shapes[call.name] = isinstance(data, dict)
        outcome = Result(ok=result.status == "ok", data=data)
        if result.status == "error":
            error = data.get("error") if isinstance(data, dict) else str(data)
            outcome = Result(ok=False, data=data, error=str(error), kind=result.error_kind)
        decision = self._advance(outcome)
        if note:
            decision.reasoning = note + (decision.reasoning or "")
        return decision

    def _runs_once(self, call: Call) -> bool:
        """Whether a call must never be made twice (see ``run_once``)."""
        return call.name in self.run_once

    def _after_cut_off_change(self, call: Call, result: ToolResult) -> Decision:
        """A change went through but its reply was cut off: the script checks, never repeats
        (an expert may check otherwise, say by reading the page the change acted on)."""
        decision = self._advance(Result(ok=True, data=result.content, kind="partial"))
        decision.reasoning = (
            f"The reply to {call.name} was cut off after it went through; making the call "
            "again would do it twice, so I do not repeat it. " + (decision.reasoning or "")
        ).strip()
        return decision

    def _result_of(self, last: Step | None) -> ToolResult | None:
        if last is None:
            return None
        for obs in last.observations:
            if isinstance(obs, ToolResult) and obs.call_id == self._pending_id:
                return obs
        return None

    def _retry(self, call: Call, result: ToolResult, kind: str) -> Decision:
        self._retries += 1
        if self._retries > MAX_RETRIES:
            return self._fallback(call, reason=f"{call.name} kept failing ({kind})")
        if kind == "rate_limit":
            wait = parse_content(result.content)
            seconds = wait.get("retry_after", 1) if isinstance(wait, dict) else 1
            why = f"Rate limited; waiting {seconds}s as the server asked, then retrying. "
        elif kind == "timeout":
            why = f"The call timed out; retrying after a {2 ** (self._retries - 1)}s back-off. "
        else:
            why = f"The server had a transient error; retrying after {2 ** (self._retries - 1)}s. "
        return self._emit(call, recovering=why)

    def _requery(self, call: Call, fault: FaultRecord) -> Decision:
        self._retries += 1
        if self._retries > MAX_RETRIES:
            return self._fallback(call, reason=f"{call.name} keeps giving unreliable data")
        why = (
            "The result is empty although the record should exist; querying again. "
            if fault.kind == "empty"
            else "That looks outdated compared with what I know; checking again. "
        )
        return self._emit(call, recovering=why)

    def _fallback(self, call: Call, reason: str | None = None) -> Decision:
        why = reason or f"{call.name} is no longer available"
        if call.fallbacks:
            alternative, *rest = call.fallbacks
            alternative.fallbacks = [*rest, *alternative.fallbacks]
            self._retries = 0
            return self._emit(alternative, recovering=f"{why}; using {alternative.name} instead. ")
        self._pending = None
        report = (
            f"I'm sorry, I could not finish: {why}, and there is no other way to do it. "
            f"Done so far: {', '.join(self._done) or 'nothing'}."
        )
        return self._emit(Done(report, completed=False, why=f"{why}; stopping honestly. "))

    def _emit(self, move: Move, recovering: str = "") -> Decision:
        self._pending = move
        action: Action
        if isinstance(move, Call):
            self._calls += 1
            self._pending_id = call_id("expert", self.seed, self._calls)
            action = ToolCall(
                id=self._pending_id,
                name=move.name,
                arguments=dict(move.arguments),
                rationale=move.why or None,
            )
        elif isinstance(move, Ask):
            action = ClarifyingQuestion(content=move.content)
        elif isinstance(move, Say):
            action = Reply(content=move.content)
        elif isinstance(move, HandOffMove):
            action = HandOff(content=move.content, reason=move.reason)
        else:
            action = Finish(content=move.content, completed=move.completed)
        plan, self._plan_pending = self._plan_pending, None
        reasoning = (recovering + (move.why or "")).strip() or None
        return Decision(actions=[action], reasoning=reasoning, plan=plan, notes=self._notes())

    def _notes(self) -> StateNotes:
        remaining = [p for p in self._plan if p not in self._done]
        return StateNotes(
            done=list(self._done), remaining=remaining, assumptions=list(self._assumptions)
        )
