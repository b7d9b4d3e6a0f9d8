"""The canonical trajectory record family, defined once as msgspec Structs.

A ``Trajectory`` is one episode: the task, the tools on offer, and the agent's ``Step``s. A step is
one decision: optional reasoning and plan, the actions taken (tool calls, a reply, a clarifying
question, a hand-off, finish), the observations that came back, state notes, the environment's
state digest, faults injected at this step and the labels graders attached. Free-form JSON values
(tool arguments, JSON Schemas, state snapshots) are typed ``Any``; everything else is checked on
decode.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, TypeAlias

import msgspec

SCHEMA_VERSION: Final = "1.0"

Unit = Annotated[float, msgspec.Meta(ge=0.0, le=1.0, description="A number in [0, 1].")]
NonNegative = Annotated[float, msgspec.Meta(ge=0.0)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1, description="A 64-bit integer.")]


class Record(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Base of every nested record: keyword-only, strict, compact on the wire."""


# ---------------------------------------------------------------- task and tools


ToolRole = Literal["handoff", "finish"]


class ToolSpec(Record):
    """A tool the agent may call: name, description and JSON-Schema parameters.

    ``role`` marks a tool whose call ends the agent's turn for good: ``handoff`` passes the
    conversation to a human (tau-bench's ``transfer_to_human_agents``), ``finish`` is a finish
    pseudo-tool (ToolBench's ``Finish``); verify counts such a call as the final answer.
    ``read_only`` says whether calling it changes the environment (``None``: unknown); matching
    expected actions may skip read-only calls.
    """

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    role: ToolRole | None = None
    read_only: bool | None = None


class GoalCheck(Record):
    """A programmatic check over the final environment state that defines success."""

    name: str
    description: str | None = None
    params: dict[str, Any] = {}


MatchMode = Literal["exact", "any_of", "text", "number", "any"]


class ArgumentMatch(Record):
    """How one argument of an expected action is compared with the call's.

    ``exact``: equal JSON values; ``any_of``: equal to one of ``values`` (BFCL lists every
    accepted value); ``text``: equal after normalising case, spacing and punctuation;
    ``number``: within ``tolerance`` (absolute) of the expected number; ``any``: not compared
    (tau2-bench's ``compare_args`` leaves it out), any value or none matches.
    """

    mode: MatchMode = "exact"
    values: list[Any] = []
    tolerance: NonNegative | None = None


class ExpectedAction(Record):
    """A tool call the source expects (tau-bench / BFCL style ground truth).

    Arguments without an entry in ``match`` compare exactly; an argument in ``match`` but not
    in ``arguments`` is optional (BFCL's ``""`` among accepted values).
    """

    name: str
    arguments: dict[str, Any] = {}
    match: dict[str, ArgumentMatch] = {}


ExpectedScope = Literal["calls", "writes"]


class Task(Record):
    """What the agent is asked to do, where, and what only the simulated user knows.

    ``expected_actions`` (in order when ``expected_actions_ordered``) and ``required_outputs``
    (texts that must appear in a reply to the user) are the source's ground truth, where it has
    one. ``expected_scope`` says how the source's reward reads the expected actions: ``calls``,
    every one must be made; ``writes``, the reward compares the final state (tau-bench), so
    expected calls of read-only tools are skipped, a successful call of a writing tool that
    matches none of them fails, and an empty list means that no write was expected.
    ``expected_tools`` names tools the source says the task needs, without saying how they
    are called (ToolBench's "relevant APIs").
    """

    instruction: str | None = None
    environment: str | None = None
    environment_version: str | None = None
    seed: Int64 | None = None
    parameters: dict[str, Any] = {}
    goal_checks: list[GoalCheck] = []
    expected_actions: list[ExpectedAction] = []
    expected_actions_ordered: bool = False
    expected_scope: ExpectedScope = "calls"
    required_outputs: list[str] = []
    expected_tools: list[str] = []
    difficulty: Int64 | None = None
    domain: str | None = None
    hidden_info: dict[str, Any] = {}


# ---------------------------------------------------------------- actions


class ToolCall(Record, tag="tool_call", tag_field="kind", kw_only=True):
    """A call of a declared tool.

    ``id`` is the call id pairing it with its result (``None`` for legacy single ``function_call``
    messages). ``raw_arguments`` keeps the exact argument text when it is not the canonical JSON
    encoding of ``arguments`` (other spacing, or text that is not a JSON object at all).
    """

    id: str | None = None
    name: str
    arguments: dict[str, Any] = {}
    raw_arguments: str | None = None
    rationale: str | None = None


class Reply(Record, tag="reply", tag_field="kind", kw_only=True):
    """A message to the user."""

    content: str


class ClarifyingQuestion(Record, tag="ask", tag_field="kind", kw_only=True):
    """A question to the user because the request is ambiguous or incomplete."""

    content: str


class HandOff(Record, tag="handoff", tag_field="kind", kw_only=True):
    """The agent passes the conversation to a human (or another agent)."""

    content: str
    target: str = "human"
    reason: str | None = None


class Finish(Record, tag="finish", tag_field="kind", kw_only=True):
    """The agent ends the episode, reporting whether it believes it completed the task."""

    content: str
    completed: bool = True


Action: TypeAlias = ToolCall | Reply | ClarifyingQuestion | HandOff | Finish
TextAction: TypeAlias = Reply | ClarifyingQuestion | HandOff | Finish
TEXT_ACTIONS: tuple[type, ...] = (Reply, ClarifyingQuestion, HandOff, Finish)

# ---------------------------------------------------------------- observations

ResultStatus = Literal["ok", "error", "timeout", "partial"]


class ToolResult(Record, tag="tool_result", tag_field="kind", kw_only=True):
    """What came back from a tool call."""

    call_id: str | None = None
    name: str | None = None
    content: str
    status: ResultStatus = "ok"
    error_kind: str | None = None
    latency_ms: NonNegative | None = None


class UserMessage(Record, tag="user", tag_field="kind", kw_only=True):
    """A message from the (possibly simulated) user.

    ``tool_calls`` are calls the user made on their own side in this turn, and ``tool_results``
    what came back to the user (tau2-bench's dual control: the user toggles settings on their
    phone); the agent's calls and results are the step's.
    """

    content: str
    name: str | None = None
    tool_calls: list[ToolCall] = []
    tool_results: list[ToolResult] = []


Observation: TypeAlias = ToolResult | UserMessage

# ---------------------------------------------------------------- step annotations


class Plan(Record):
    """The agent's plan: ordered sub-goals, and why it changed if it was revised."""

    steps: list[str]
    revision: Count = 0
    reason: str | None = None


class StateNotes(Record):
    """The agent's running memory: what is done, what remains, what it assumes."""

    done: list[str] = []
    remaining: list[str] = []
    assumptions: list[str] = []


class FaultRecord(Record):
    """A fault the environment injected at this step."""

    kind: str
    tool: str | None = None
    call_id: str | None = None
    permanent: bool = False
    detail: str | None = None
    params: dict[str, Any] = {}


LabelSourceKind = Literal[
    "rule", "verify", "replay", "rollout", "judge", "human", "generator", "imported"
]


class LabelSource(Record):
    """Who gave a label: a rule, replay, rollouts, an LLM judge, a human, the generator, or the
    imported file itself (``imported``: a mark the source carried, such as OpenAI's ``weight: 0``),
    with id and version."""

    kind: LabelSourceKind
    id: str | None = None
    version: str | None = None


class Label(Record):
    """Graded feedback on a trajectory or one of its steps."""

    name: str
    source: LabelSource
    value: Unit | None = None
    grade: str | None = None
    rationale: str | None = None
    target: str | None = None
    details: dict[str, Any] = {}


class Usage(Record):
    """Token usage and latency of one model call."""

    prompt_tokens: Count | None = None
    completion_tokens: Count | None = None
    latency_ms: NonNegative | None = None


class Step(Record):
    """One decision of the agent and what came back from it."""

    reasoning: str | None = None
    plan: Plan | None = None
    actions: list[Action] = []
    observations: list[Observation] = []
    state_notes: StateNotes | None = None
    env_state_digest: str | None = None
    state_diff: dict[str, Any] | None = None
    faults: list[FaultRecord] = []
    labels: list[Label] = []
    usage: Usage | None = None


# ---------------------------------------------------------------- trajectory level

OutcomeStatus = Literal["success", "partial", "failure", "unknown"]


class CheckResult(Record):
    """The result of one goal check."""

    name: str
    passed: bool
    score: Unit | None = None
    detail: str | None = None


class Outcome(Record):
    """How the episode ended, graded by the goal checks.

    ``source_reward`` is the reward or success an imported record came with (tau-bench's
    ``reward``, ToolBench's ``win`` as 1/0), kept beside trajforge's own judgement and never
    copied into ``status`` or ``score``.
    """

    status: OutcomeStatus = "unknown"
    score: Unit | None = None
    checks: list[CheckResult] = []
    final_state_digest: str | None = None
    source_reward: float | None = None


class Generator(Record):
    """What produced the trajectory: policy, model and sampling settings."""

    policy: str | None = None
    model: str | None = None
    sampling: dict[str, Any] = {}
    seed: Int64 | None = None


class StageRecord(Record):
    """A pipeline stage the trajectory passed through."""

    name: str
    version: str | None = None
    params: dict[str, Any] = {}
    digest: str | None = None  # of the params, to compare runs at a glance


ProvenanceSource = Literal["synthetic", "human", "imported", "production"]


class Provenance(Record):
    """Where a trajectory came from and what happened to it since.

    For an imported record, ``original_format`` and ``record_location`` say where it was read,
    and ``extra`` keeps what the importer found there and could not map, keyed by where it was
    in the source record (a path such as ``messages[8]``, or ``$`` for its top level) to an
    object of the unmapped keys; exporting to the same format puts it back.
    """

    source: ProvenanceSource = "synthetic"
    generator: Generator | None = None
    fault_profile: str | None = None
    parent_id: str | None = None
    branch_step: Count | None = None
    stages: list[StageRecord] = []
    original_format: str | None = None
    record_location: str | None = None
    license: str | None = None
    extra: dict[str, Any] = {}


class Metrics(Record):
    """Totals over the episode."""

    prompt_tokens: Count | None = None
    completion_tokens: Count | None = None
    wall_time_ms: NonNegative | None = None
    optimal_steps: Count | None = None


class Trajectory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One episode: the unit that flows through every trajforge stage.

    Top-level fields are always written (``schema_version`` in particular), nested records omit
    their defaults.
    """

    id: str
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    task: Task = msgspec.field(default_factory=Task)
    tools: list[ToolSpec] = []
    system_prompt: str | None = None
    steps: list[Step] = []
    outcome: Outcome = msgspec.field(default_factory=Outcome)
    labels: list[Label] = []
    provenance: Provenance = msgspec.field(default_factory=Provenance)
    metrics: Metrics = msgspec.field(default_factory=Metrics)
    metadata: dict[str, Any] = {}
