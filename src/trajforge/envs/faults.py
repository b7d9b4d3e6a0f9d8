"""Fault injection: wrap any environment so that it pushes back like real systems do.

Faults are drawn per tool call from a seeded generator (seed, call index), so the same episode
replays identically. Each injected fault is returned by ``drain_faults()`` for the episode loop to
record on the step. All faults are recoverable by a sensible agent (retry, back off, re-query,
adapt, use another tool, ask, hand off) except ``permanent``, which disables the tool for the
episode.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any, Literal, get_args

import msgspec

from trajforge.envs.base import Environment, Snapshot, Violation, derive_seed, render_content
from trajforge.errors import ConfigError
from trajforge.schema import Outcome, Task, TextAction, ToolCall, ToolResult, ToolSpec, Trajectory
from trajforge.schema.records import FaultRecord, UserMessage

FaultKind = Literal[
    "timeout",
    "server_error",
    "rate_limit",
    "partial",
    "format_drift",
    "stale",
    "empty",
    "permanent",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
#: Faults that replace the call (the tool does not run).
_BLOCKING = frozenset({"timeout", "server_error", "rate_limit", "permanent"})
#: Faults that only make sense on a read-only tool's result.
_READ_ONLY = frozenset({"stale", "empty"})


class FaultProfile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Per-call fault probabilities, with optional per-tool overrides."""

    name: str
    rates: dict[FaultKind, float] = {}
    per_tool: dict[str, dict[FaultKind, float]] = {}

    def rates_for(self, tool: str) -> dict[FaultKind, float]:
        """The rates that apply to one tool."""
        return self.per_tool.get(tool, self.rates)


PROFILES: dict[str, FaultProfile] = {
    "none": FaultProfile(name="none"),
    "flaky": FaultProfile(
        name="flaky",
        rates={
            "timeout": 0.04,
            "server_error": 0.03,
            "rate_limit": 0.03,
            "partial": 0.03,
            "format_drift": 0.03,
            "stale": 0.02,
            "empty": 0.02,
        },
    ),
    "drift": FaultProfile(name="drift", rates={"format_drift": 0.3}),
    "hostile": FaultProfile(
        name="hostile",
        rates={
            "timeout": 0.08,
            "server_error": 0.06,
            "rate_limit": 0.06,
            "partial": 0.05,
            "format_drift": 0.06,
            "stale": 0.04,
            "empty": 0.04,
            "permanent": 0.02,
        },
    ),
}


def load_profile(spec: str | FaultProfile) -> FaultProfile:
    """A profile by name, or a validated custom one; unknown names give a ConfigError."""
    if isinstance(spec, FaultProfile):
        profile = spec
    elif spec in PROFILES:
        profile = PROFILES[spec]
    else:
        raise ConfigError(
            f"unknown fault profile {spec!r}", hint=f"choose one of: {', '.join(PROFILES)}"
        )
    for rates in [profile.rates, *profile.per_tool.values()]:
        if any(r < 0 for r in rates.values()) or sum(rates.values()) > 1:
            raise ConfigError(
                f"fault profile {profile.name!r}: rates must be >= 0 and sum to at most 1"
            )
    return profile


def _camel(key: str) -> str:
    """camelCase a snake_case key; capitalise a key with no underscore so it always changes."""
    head, *rest = key.split("_")
    renamed = head + "".join(part.title() for part in rest)
    return renamed if renamed != key else key[:1].upper() + key[1:]


def _to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    fields = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: render_content(v) if isinstance(v, dict | list) else v for k, v in row.items()}
        )
    return buffer.getvalue()


def drift_format(value: Any, rng: random.Random) -> tuple[str, str] | None:
    """Change a JSON result's format the way an upgraded API might; None if not applicable."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if rng.random() < 0.5:
            return _to_csv(value), "csv_instead_of_json"
        renamed = [{_camel(k): v for k, v in row.items()} for row in value]
        return render_content(renamed), "renamed_fields"
    if isinstance(value, dict) and value:
        if rng.random() < 0.5:
            return render_content({_camel(k): v for k, v in value.items()}), "renamed_fields"
        return render_content([value]), "list_instead_of_object"
    return None


class FaultInjector:
    """An environment wrapper that injects faults per a profile, deterministically by seed."""

    def __init__(self, inner: Environment, profile: str | FaultProfile, seed: int = 0) -> None:
        self.inner = inner
        self.profile = load_profile(profile)
        self.name = inner.name
        self._seed = seed
        self._calls = 0
        self._disabled: set[str] = set()
        self._pending: list[FaultRecord] = []
        self._initial: Snapshot | None = None

    # -- delegation ----------------------------------------------------------------------------

    def tool_specs(self) -> list[ToolSpec]:
        """The wrapped environment's tools."""
        return self.inner.tool_specs()

    def reset(self, task: Task, seed: int | None = None) -> UserMessage:
        """Reset the wrapped environment and the fault stream."""
        first = self.inner.reset(task, seed)
        self._seed = derive_seed("faults", self.profile.name, self.inner.seed)
        self._calls = 0
        self._disabled = set()
        self._pending = []
        self._initial = self.inner.snapshot()
        return first

    def observe_action(self, action: TextAction) -> None:
        """Pass a non-tool action on to the wrapped environment."""
        self.inner.observe_action(action)

    def state(self) -> Any:
        """The wrapped environment's state."""
        return self.inner.state()

    def digest(self) -> str:
        """The wrapped environment's digest."""
        return self.inner.digest()

    def check(self, task: Task) -> Outcome:
        """The wrapped environment's goal checks."""
        return self.inner.check(task)

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """The wrapped environment's policy violations."""
        return self.inner.find_violations(trajectory)

    def snapshot(self) -> Snapshot:
        """The wrapped state plus the fault stream's position and disabled tools."""
        inner = self.inner.snapshot()
        extra = {"fault_calls": self._calls, "fault_disabled": sorted(self._disabled)}
        return Snapshot(state=inner.state, extra={**inner.extra, **extra})

    def restore(self, snapshot: Snapshot) -> None:
        """Restore the wrapped state and the fault stream."""
        self.inner.restore(snapshot)
        self._calls = int(snapshot.extra.get("fault_calls", 0))
        self._disabled = set(snapshot.extra.get("fault_disabled", []))
        self._pending = []

    def drain_faults(self) -> list[FaultRecord]:
        """Faults injected since the last drain, for the step record."""
        pending, self._pending = self._pending, []
        return pending

    # -- injection -----------------------------------------------------------------------------

    def _draw(self, call: ToolCall, rng: random.Random) -> FaultKind | None:
        tool_def = self.inner.tools.get(call.name)
        read_only = tool_def is not None and tool_def.read_only
        roll = rng.random()
        for kind, rate in self.profile.rates_for(call.name).items():
            if roll < rate:
                return None if kind in _READ_ONLY and not read_only else kind
            roll -= rate
        return None

    def execute(self, call: ToolCall) -> ToolResult:
        """Run a call through the wrapped environment, perhaps injecting a fault."""
        rng = random.Random(derive_seed(self._seed, self._calls))
        self._calls += 1
        if call.name in self._disabled:
            return self._blocked(call, "permanent", rng, repeat=True)
        kind = self._draw(call, rng)
        if kind in _BLOCKING:
            return self._blocked(call, kind, rng)
        if kind == "stale" and self._initial is not None:
            current = self.inner.snapshot()
            self.inner.restore(self._initial)
            result = self.inner.execute(call)
            self.inner.restore(current)
            if result.status == "ok":
                self._record(call, kind, "served from a stale cache")
            return result
        result = self.inner.execute(call)
        if kind is None or result.status != "ok":
            return result
        return self._degrade(call, kind, result, rng)

    def _record(self, call: ToolCall, kind: str, detail: str, **params: Any) -> None:
        self._pending.append(
            FaultRecord(
                kind=kind,
                tool=call.name,
                call_id=call.id,
                permanent=kind == "permanent",
                detail=detail,
                params=params,
            )
        )

    def _blocked(
        self, call: ToolCall, kind: str, rng: random.Random, *, repeat: bool = False
    ) -> ToolResult:
        status: Literal["error", "timeout"] = "timeout" if kind == "timeout" else "error"
        body: dict[str, Any] = {"error": "", "code": kind}
        params: dict[str, Any] = {}
        if kind == "timeout":
            body["error"] = "the request timed out after 30s"
        elif kind == "server_error":
            body["error"] = "503 Service Unavailable: try again"
        elif kind == "rate_limit":
            params["retry_after_s"] = rng.choice([1, 2, 5])
            body["error"] = "429 Too Many Requests"
            body["retry_after"] = params["retry_after_s"]
        else:
            self._disabled.add(call.name)
            body["error"] = f"{call.name} is no longer available (410 Gone)"
        self._record(call, kind, "repeated: tool disabled" if repeat else body["error"], **params)
        return ToolResult(
            call_id=call.id,
            name=call.name,
            content=render_content(body),
            status=status,
            error_kind=kind,
        )

    def _degrade(
        self, call: ToolCall, kind: FaultKind, result: ToolResult, rng: random.Random
    ) -> ToolResult:
        content = result.content
        if kind == "partial":
            cut = max(1, len(content) // 2)
            self._record(call, kind, f"truncated at {cut} of {len(content)} characters")
            return msgspec.structs.replace(
                result,
                content=content[:cut] + " …[truncated]",
                status="partial",
                error_kind="truncated",
            )
        try:
            value = msgspec.json.decode(content)
        except msgspec.DecodeError:
            return result
        if kind == "empty":
            empty = "[]" if isinstance(value, list) else "{}"
            self._record(call, kind, "returned an empty result")
            return msgspec.structs.replace(result, content=empty)
        drifted = drift_format(value, rng)
        if drifted is None:
            return result
        text, variant = drifted
        self._record(call, kind, variant, variant=variant)
        return msgspec.structs.replace(result, content=text)
