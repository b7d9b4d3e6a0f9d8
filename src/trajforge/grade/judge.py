"""An LLM judge: a versioned rubric, sent to an OpenAI-compatible endpoint, scoring steps or whole
trajectories.

A rubric is a prompt template file (``grade/rubrics/step_v1.md``, ``trajectory_v1.md``) with a
front matter naming it, its ``version``, its ``scope`` (``step`` or ``trajectory``), the verdicts
it allows and the system message; its body has ``{{placeholders}}`` for the material: ``task``,
``tools``, ``history``, ``step`` and ``step_index`` (step scope), ``transcript`` and ``outcome``
(trajectory scope). The judge sees the request, the tools and what the agent did and saw; never
the task's hidden information, parameters or goal checks, nor any label.

The verdict is asked for as JSON: ``{"score": 0..1, "verdict": one of the rubric's,
"rationale": "..."}``, in the prompt (``output="text"``), and where the server can, also by
constraining the answer: ``json`` (any JSON object), ``schema`` (OpenAI structured outputs with the
verdict's JSON Schema: OpenAI, vLLM, llama.cpp's own server) or ``llama-schema`` (the same schema in
the ``json_object`` form that llama-cpp-python's server reads). An answer that is not such an object
is retried up to ``max_attempts`` in
all, each time with the model's answer and a corrective message appended; then, or when the
endpoint fails for good on that verdict, the judge records a ``judge_error`` label instead (an
endpoint that is plainly down, its client's breaker open, stops the judge with ``EndpointDownError``
rather than leave a ``judge_error`` on everything). Labels::

    Label(name="judge", source=LabelSource(kind="judge", id=<model>, version=<rubric version>),
          value=score, grade=verdict, rationale=..., target="steps[3]" | None,
          details={"rubric": ..., "attempts": ..., "prompt_tokens": ..., ...})

:class:`Judge` is async with a limit on requests in flight; :func:`judge_stream` drives it from
synchronous code, annotating a stream in windows and yielding in input order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, get_args

import msgspec

from trajforge.agents.llm_client import seeded
from trajforge.errors import ConfigError, EndpointDownError, EndpointError, TrajforgeError
from trajforge.grade.rubric import (
    Rubric,
    RubricError,
    Scope,
    load_rubric,
)
from trajforge.pipeline.provenance import clear_labels
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Label,
    LabelSource,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

if TYPE_CHECKING:
    from trajforge.agents.llm_client import ChatResult

JUDGE: Final = "judge"
JUDGE_ERROR: Final = "judge_error"
JudgeOutput = Literal["text", "json", "schema", "llama-schema"]
JUDGE_OUTPUTS: Final[tuple[str, ...]] = get_args(JudgeOutput)
DEFAULT_STEP_RUBRIC: Final = "step_v1"
#: Tokens a verdict may take unless ``sampling`` says otherwise: a verdict needs far fewer, and
#: an unbounded answer from a model that rambles makes each retry's prompt outgrow the context.
DEFAULT_MAX_TOKENS: Final = 400
DEFAULT_TRAJECTORY_RUBRIC: Final = "trajectory_v1"

CORRECTION: Final = (
    "Your answer could not be used: {reason}. Reply again with exactly one JSON object and "
    'nothing else: {{"score": <a number from 0 to 1>, "verdict": {verdicts}, '
    '"rationale": "<one or two sentences>"}}'
)


class VerdictError(TrajforgeError):
    """A judge's answer is not a usable verdict (``message`` says why, for the retry)."""


# ---------------------------------------------------------------- what the judge reads


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f" [... {len(text) - limit} more characters]"


def _arguments(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return call.raw_arguments
    return msgspec.json.encode(call.arguments).decode()


def render_step(step: Step, index: int, *, limit: int = 2000) -> str:
    """One step as the judge reads it: reasoning, actions, and what came back."""
    lines = [f"[step {index}]"]
    if step.reasoning:
        lines.append(f"agent thinks: {_clip(step.reasoning, limit)}")
    for action in step.actions:
        if isinstance(action, ToolCall):
            lines.append(f"agent calls {action.name}({_arguments(action)}) [id {action.id}]")
        elif isinstance(action, Reply):
            lines.append(f"agent says: {_clip(action.content, limit)}")
        elif isinstance(action, ClarifyingQuestion):
            lines.append(f"agent asks: {_clip(action.content, limit)}")
        elif isinstance(action, HandOff):
            lines.append(f"agent hands off to {action.target}: {_clip(action.content, limit)}")
        elif isinstance(action, Finish):
            state = "done" if action.completed else "not completed"
            lines.append(f"agent finishes ({state}): {_clip(action.content, limit)}")
    for observation in step.observations:
        if isinstance(observation, ToolResult):
            status = observation.status + (
                f"/{observation.error_kind}" if observation.error_kind else ""
            )
            lines.append(
                f"result of {observation.name or '?'} [id {observation.call_id}] ({status}): "
                f"{_clip(observation.content, limit)}"
            )
        elif isinstance(observation, UserMessage):
            lines.append(f"user: {_clip(observation.content, limit)}")
    return "\n".join(lines)


def render_tools(trajectory: Trajectory) -> str:
    """The tools on offer, one line each (name, description, parameter names)."""
    if not trajectory.tools:
        return "(none)"
    lines = []
    for tool in trajectory.tools:
        params = sorted((tool.parameters or {}).get("properties", {}))
        description = (tool.description or "").strip().splitlines()
        summary = description[0] if description else ""
        lines.append(f"- {tool.name}({', '.join(params)}): {summary}".rstrip(": "))
    return "\n".join(lines)


def material(
    trajectory: Trajectory, scope: Scope, step: int | None = None, *, limit: int = 2000
) -> dict[str, str]:
    """The placeholder values for a rubric of ``scope`` (``step``: the step's index)."""
    task = trajectory.task.instruction or "(no instruction recorded)"
    if trajectory.system_prompt:
        task = f"{task}\n\n(The agent's system prompt: {_clip(trajectory.system_prompt, limit)})"
    values = {"task": task, "tools": render_tools(trajectory)}
    steps = trajectory.steps
    if scope == "trajectory":
        transcript = "\n\n".join(render_step(s, i, limit=limit) for i, s in enumerate(steps))
        values["transcript"] = transcript or "(no steps)"
        values["outcome"] = trajectory.outcome.status
        return values
    assert step is not None, "a step rubric needs the step's index"
    history = "\n\n".join(render_step(s, i, limit=limit) for i, s in enumerate(steps[:step]))
    values["history"] = history or "(nothing yet: this is the first step)"
    values["step"] = render_step(steps[step], step, limit=limit)
    values["step_index"] = str(step)
    return values


# ---------------------------------------------------------------- verdicts


def verdict_schema(verdicts: Sequence[str]) -> dict[str, Any]:
    """The JSON Schema of a verdict under a rubric allowing ``verdicts``."""
    return {
        "type": "object",
        "properties": {
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "verdict": {"type": "string", "enum": list(verdicts)},
            "rationale": {"type": "string"},
        },
        "required": ["score", "verdict", "rationale"],
        "additionalProperties": False,
    }


def response_format(output: JudgeOutput, verdicts: Sequence[str]) -> dict[str, Any] | None:
    """The request's ``response_format`` for an output form (None for ``text``)."""
    if output == "json":
        return {"type": "json_object"}
    if output == "schema":
        schema = verdict_schema(verdicts)
        return {
            "type": "json_schema",
            "json_schema": {"name": "verdict", "schema": schema, "strict": True},
        }
    if output == "llama-schema":
        return {"type": "json_object", "schema": verdict_schema(verdicts)}
    return None


class Verdict(msgspec.Struct, frozen=True):
    """A usable verdict."""

    score: float
    verdict: str
    rationale: str


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, ch in enumerate(candidate) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def parse_verdict(text: str, verdicts: Sequence[str]) -> Verdict:
    """The verdict in a judge's answer; raises VerdictError saying what is wrong."""
    if not text.strip():
        raise VerdictError("the answer was empty")
    data = _json_object(text)
    if data is None:
        raise VerdictError("it contains no JSON object")
    score = data.get("score")
    if isinstance(score, str):  # "0.8": a number in quotes is still a number
        with contextlib.suppress(ValueError):
            score = float(score.strip())
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise VerdictError('"score" must be a number from 0 to 1')
    if not 0.0 <= score <= 1.0:
        raise VerdictError(f'"score" is {score:g}, outside 0 to 1')
    verdict = data.get("verdict")
    if not isinstance(verdict, str) or verdict.strip().lower() not in verdicts:
        raise VerdictError(f'"verdict" must be one of {", ".join(verdicts)}, not {verdict!r}')
    rationale = data.get("rationale")
    if not isinstance(rationale, str) or not rationale.strip():
        raise VerdictError('"rationale" must be a non-empty string')
    return Verdict(score=float(score), verdict=verdict.strip().lower(), rationale=rationale.strip())


# ---------------------------------------------------------------- the judge


class ChatLike(Protocol):
    """What the judge needs of ``agents.llm_client.ChatClient``."""

    model: str

    async def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        deadline_at: float | None = None,
        **sampling: Any,
    ) -> ChatResult: ...


@dataclass
class JudgeStats:
    """Counters over a judge's lifetime."""

    verdicts: int = 0
    retries: int = 0
    errors: int = 0


@dataclass
class _Outcome:
    verdict: Verdict | None
    attempts: int
    reason: str = ""
    raw: str = ""
    kind: str = "unparseable"
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)


def _rubric(spec: Rubric | str | Path | None, scope: Scope) -> Rubric | None:
    if spec is None:
        return None
    rubric = spec if isinstance(spec, Rubric) else load_rubric(spec)
    if rubric.scope != scope:
        raise RubricError(
            f"rubric {rubric.version} has scope {rubric.scope}, expected {scope}",
            file=rubric.source,
        )
    return rubric


class Judge:
    """Grades trajectories and their steps with rubrics over a chat endpoint.

    ``step_rubric`` / ``trajectory_rubric``: a :class:`Rubric`, a shipped rubric's name or a
    file; None skips that scope. ``concurrency``: requests in flight at once. ``max_attempts``:
    requests per verdict, the first included. ``sampling``: extra request options (temperature 0
    and ``max_tokens`` 400 by default; a per-request ``seed`` is derived unless given or
    ``send_seed`` is off).
    ``output``: how the answer is constrained (see the module docstring; not every server has
    every form).
    ``limit``: characters shown of any one text (a tool result, a message) before it is clipped.
    ``timeout_s``: seconds one verdict may take once its turn comes (a free ``concurrency``
    slot): every request, retry, back-off wait and re-ask included; None leaves each request
    to the client's own deadline. An endpoint whose breaker opens stops the judge: the
    ``EndpointDownError`` is raised, not recorded as a ``judge_error``.
    """

    def __init__(
        self,
        client: ChatLike,
        *,
        step_rubric: Rubric | str | Path | None = DEFAULT_STEP_RUBRIC,
        trajectory_rubric: Rubric | str | Path | None = DEFAULT_TRAJECTORY_RUBRIC,
        concurrency: int = 8,
        max_attempts: int = 3,
        sampling: Mapping[str, Any] | None = None,
        send_seed: bool = True,
        output: JudgeOutput = "text",
        limit: int = 2000,
        timeout_s: float | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, not {concurrency}")
        if max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, not {max_attempts}")
        if output not in JUDGE_OUTPUTS:
            raise ConfigError(
                f"unknown judge output {output!r}", hint=f"choose one of {', '.join(JUDGE_OUTPUTS)}"
            )
        self.client = client
        self.output = output
        self.step_rubric = _rubric(step_rubric, "step")
        self.trajectory_rubric = _rubric(trajectory_rubric, "trajectory")
        #: each rubric's ``response_format`` (its verdicts are in the schema), made once
        self._formats = {
            rubric: response_format(output, rubric.verdicts)
            for rubric in (self.step_rubric, self.trajectory_rubric)
            if rubric is not None
        }
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.sampling: dict[str, Any] = {
            "temperature": 0.0,
            "max_tokens": DEFAULT_MAX_TOKENS,
            **(sampling or {}),
        }
        self.send_seed = send_seed
        self.limit = limit
        self.timeout_s = timeout_s
        self.stats = JudgeStats()
        self._limits: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    @property
    def model(self) -> str:
        """The model the judge asks (the label's source id)."""
        return self.client.model

    def source(self, rubric: Rubric) -> LabelSource:
        """The source of this judge's labels under ``rubric``."""
        return LabelSource(kind="judge", id=self.model, version=rubric.version)

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._limits:
            self._limits = {loop: asyncio.Semaphore(self.concurrency)}
        return self._limits[loop]

    # -- one verdict ---------------------------------------------------------------------------

    async def _ask(self, rubric: Rubric, values: Mapping[str, str], key: str) -> _Outcome:
        messages: list[dict[str, Any]] = []
        if rubric.system:
            messages.append({"role": "system", "content": rubric.system})
        messages.append({"role": "user", "content": rubric.render(values)})
        sampling = seeded(self.sampling, self.send_seed, "judge", rubric.version, key)
        constraint = self._formats[rubric]
        if constraint is not None:
            sampling.setdefault("response_format", constraint)
        async with self._limit():  # one slot for the whole verdict, re-asks included
            until = None if self.timeout_s is None else time.monotonic() + self.timeout_s
            return await self._attempts(rubric, messages, sampling, until)

    async def _attempts(
        self,
        rubric: Rubric,
        messages: list[dict[str, Any]],
        sampling: dict[str, Any],
        until: float | None,
    ) -> _Outcome:
        """Ask until a usable verdict, the last attempt, or the verdict's time limit."""
        usage = {"prompt_tokens": 0, "completion_tokens": 0}
        quoted = ", ".join(f'"{v}"' for v in rubric.verdicts)
        outcome = _Outcome(verdict=None, attempts=0, usage=usage)
        for attempt in range(1, self.max_attempts + 1):
            outcome.attempts = attempt
            try:
                result = await self.client.complete(messages, deadline_at=until, **sampling)
            except EndpointDownError:  # the endpoint is gone: grading stops, nothing is half-judged
                raise
            except EndpointError as exc:
                outcome.kind, outcome.reason = "endpoint", str(exc)
                return outcome
            outcome.model = result.model
            usage["prompt_tokens"] += result.usage.prompt_tokens or 0
            usage["completion_tokens"] += result.usage.completion_tokens or 0
            content = result.message.get("content")
            outcome.raw = content if isinstance(content, str) else ""
            try:
                if result.finish_reason == "length":
                    raise VerdictError("the answer was cut off at the token limit; be brief")
                outcome.verdict = parse_verdict(outcome.raw, rubric.verdicts)
            except VerdictError as exc:
                outcome.reason = exc.message
                if until is not None and time.monotonic() >= until:
                    outcome.reason += f" (and the verdict's {self.timeout_s:g} s ran out)"
                    return outcome
                if attempt < self.max_attempts:
                    self.stats.retries += 1
                    messages.append({"role": "assistant", "content": outcome.raw})
                    correction = CORRECTION.format(reason=exc.message, verdicts=quoted)
                    messages.append({"role": "user", "content": correction})
                continue
            return outcome
        return outcome

    def _label(self, rubric: Rubric, outcome: _Outcome, target: str | None) -> Label:
        details: dict[str, Any] = {"rubric": rubric.name, "attempts": outcome.attempts}
        if outcome.model and outcome.model != self.model:
            details["served_by"] = outcome.model
        details.update({k: v for k, v in outcome.usage.items() if v})
        verdict = outcome.verdict
        if verdict is not None:
            self.stats.verdicts += 1
            return Label(
                name=JUDGE,
                source=self.source(rubric),
                value=verdict.score,
                grade=verdict.verdict,
                rationale=verdict.rationale,
                target=target,
                details=details,
            )
        self.stats.errors += 1
        details["error"] = outcome.kind
        if outcome.raw:
            details["raw"] = outcome.raw[:1000]
        why = (
            f"the endpoint failed: {outcome.reason}"
            if outcome.kind == "endpoint"
            else f"no usable verdict after {outcome.attempts} attempts: {outcome.reason}"
        )
        return Label(
            name=JUDGE_ERROR,
            source=self.source(rubric),
            grade="error",
            rationale=why,
            target=target,
            details=details,
        )

    # -- public --------------------------------------------------------------------------------

    async def grade_trajectory(self, trajectory: Trajectory) -> Label:
        """The trajectory rubric's label (``judge`` or ``judge_error``) for a whole trajectory."""
        rubric = self.trajectory_rubric
        if rubric is None:
            raise ConfigError("this judge has no trajectory rubric")
        values = material(trajectory, "trajectory", limit=self.limit)
        return self._label(rubric, await self._ask(rubric, values, trajectory.id), None)

    async def grade_step(self, trajectory: Trajectory, index: int) -> Label:
        """The step rubric's label (``judge`` or ``judge_error``) for step ``index``."""
        rubric = self.step_rubric
        if rubric is None:
            raise ConfigError("this judge has no step rubric")
        values = material(trajectory, "step", index, limit=self.limit)
        outcome = await self._ask(rubric, values, f"{trajectory.id}\x1f{index}")
        return self._label(rubric, outcome, f"steps[{index}]")

    async def annotate(self, trajectory: Trajectory) -> Trajectory:
        """A copy of ``trajectory`` with this judge's labels (earlier ones of its sources
        replaced): one per step with a step rubric, one on the trajectory with a trajectory
        rubric. Requests run concurrently, up to the judge's limit."""
        return await self.label(clear_labels(trajectory, self.owns))

    async def label(self, trajectory: Trajectory) -> Trajectory:
        """A copy of ``trajectory`` with this judge's labels added to those it has."""
        steps_rubric = self.step_rubric
        count = len(trajectory.steps) if steps_rubric is not None else 0
        jobs = [self.grade_step(trajectory, k) for k in range(count)]
        if self.trajectory_rubric is not None:
            jobs.append(self.grade_trajectory(trajectory))
        labels = await asyncio.gather(*jobs)
        steps = [
            msgspec.structs.replace(step, labels=[*step.labels, labels[k]]) if k < count else step
            for k, step in enumerate(trajectory.steps)
        ]
        top = [*trajectory.labels, *labels[count:]]
        return msgspec.structs.replace(trajectory, steps=steps, labels=top)

    def owns(self, label: Label) -> bool:
        """Whether ``label`` is this judge's (its model under one of its rubrics)."""
        rubrics = (self.step_rubric, self.trajectory_rubric)
        return label.name in (JUDGE, JUDGE_ERROR) and label.source in [
            self.source(r) for r in rubrics if r
        ]

    async def annotate_all(self, trajectories: Iterable[Trajectory]) -> list[Trajectory]:
        """:meth:`annotate` for several trajectories at once, in order."""
        return list(await asyncio.gather(*(self.annotate(t) for t in trajectories)))

    async def aclose(self) -> None:
        """Close the client's connections in the running loop (if it can be closed)."""
        close = getattr(self.client, "aclose", None)
        if close is not None:
            await close()


def judge_stream(
    trajectories: Iterable[Trajectory], judge: Judge, *, window: int = 32, fresh: bool = True
) -> Iterator[Trajectory]:
    """Annotate a stream with ``judge`` from synchronous code, ``window`` trajectories at a time
    (their requests share the judge's concurrency limit), yielding in input order. ``fresh``:
    replace the judge's earlier labels (else they are known to be gone already)."""
    annotate = judge.annotate if fresh else judge.label
    if window < 1:
        raise ConfigError(f"window must be >= 1, not {window}")
    with asyncio.Runner() as runner:
        batch: list[Trajectory] = []
        try:
            for trajectory in trajectories:
                batch.append(trajectory)
                if len(batch) >= window:
                    yield from runner.run(_gathered(annotate, batch))
                    batch = []
            if batch:
                yield from runner.run(_gathered(annotate, batch))
        finally:
            runner.run(judge.aclose())


async def _gathered(
    annotate: Callable[[Trajectory], Awaitable[Trajectory]], batch: list[Trajectory]
) -> list[Trajectory]:
    return list(await asyncio.gather(*(annotate(t) for t in batch)))


class JudgeStage:
    """The ``judge`` stage: the judge's labels on every trajectory of a stream, ``window``
    trajectories at a time (earlier labels of this judge are the runner's to clear)."""

    name = "judge"

    def __init__(self, judge: Judge, *, window: int = 32) -> None:
        self.judge = judge
        self.window = window
        rubrics = [r for r in (judge.step_rubric, judge.trajectory_rubric) if r]
        self.version = "+".join(f"{r.name}@{r.version}" for r in rubrics) or "none"

    @property
    def params(self) -> dict[str, Any]:
        """The model, the rubrics and how the verdict is asked for."""
        return {"model": self.judge.model, "version": self.version, "output": self.judge.output}

    def owns(self, label: Label) -> bool:
        """This judge's labels."""
        return self.judge.owns(label)

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The stream with the judge's labels added."""
        return judge_stream(trajectories, self.judge, window=self.window, fresh=False)
