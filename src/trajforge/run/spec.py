"""What a generation run is: mixes of environments, agents, mistakes and fault profiles.

A run is given by CLI flags (one mix) or by a TOML file (several mixes with counts or shares). Both
become a validated ``RunSpec``; errors name the file and the field path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, Literal

import msgspec

from trajforge.agents.endpoint_url import check_base_url
from trajforge.config import read_toml
from trajforge.envs.faults import PROFILES
from trajforge.envs.registry import ENVIRONMENTS, get_environment
from trajforge.errors import ConfigError
from trajforge.run.episode import Budget
from trajforge.schema.codec import schema_error

Rate = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
DataFormatName = Literal["jsonl", "jsonl.gz", "jsonl.zst", "parquet"]


class LLMSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """An OpenAI-compatible endpoint for LLM agents and users.

    ``timeout_s``: seconds one attempt may take; ``deadline_s``: one request, every retry and
    back-off included; ``backoff_s``: the wait before the first retry (doubled at each next one,
    unless the endpoint says ``Retry-After``); ``trip_after``: failed requests in a row that take
    the endpoint for down and stop the run (see ``agents.breaker``); ``max_argument_chars``: the
    longest tool-call argument text the agent takes from the model (longer is a
    ``malformed_output`` step).
    """

    base_url: str
    model: str
    api_key_env: str | None = "OPENAI_API_KEY"
    temperature: float = 0.7
    max_tokens: Positive = 512
    timeout_s: Seconds = 60.0
    deadline_s: Seconds = 180.0
    max_retries: Annotated[int, msgspec.Meta(ge=0)] = 5
    backoff_s: Annotated[float, msgspec.Meta(ge=0)] = 0.5
    trip_after: Positive = 5
    max_argument_chars: Positive = 65_536
    tool_mode: Literal["native", "prompt"] = "native"


#: What may change between the runs of one output directory: how the endpoint is reached, and how
#: patiently (the data made does not depend on it).
TRANSPORT: Final = (
    "base_url",
    "api_key_env",
    "timeout_s",
    "deadline_s",
    "max_retries",
    "backoff_s",
    "trip_after",
)


class MixSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """One slice of a run: an environment, an agent, its mistakes, the faults it meets."""

    env: str
    tasks: Annotated[int, msgspec.Meta(ge=0)] | None = None
    share: Rate | None = None
    agent: Literal["expert", "llm"] = "expert"
    mistakes: Rate = 0.0
    recover: bool = True
    faults: str = "none"
    difficulty: int | None = None
    user: Literal["scripted", "llm"] = "scripted"


class RunSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A whole generation run."""

    mix: list[MixSpec]
    seed: int = 0
    tasks: Annotated[int, msgspec.Meta(ge=0)] | None = None
    concurrency: Positive = 8
    shard_size: Positive = 1000
    format: DataFormatName = "jsonl.zst"
    budget: Budget = msgspec.field(default_factory=Budget)
    branch_at: list[Annotated[int, msgspec.Meta(ge=0)]] = []
    branches: Annotated[int, msgspec.Meta(ge=0)] = 0
    llm: LLMSpec | None = None

    def counts(self) -> list[int]:
        """Episodes per mix: explicit ``tasks``, or ``share`` of the run's ``tasks``."""
        counts: list[int | None] = [m.tasks for m in self.mix]
        shared = [i for i, m in enumerate(self.mix) if m.tasks is None]
        if not shared:
            return [c or 0 for c in counts]
        if self.tasks is None:
            raise ConfigError("mixes without their own 'tasks' need the run's 'tasks' total")
        shares = [self.mix[i].share for i in shared]
        if any(s is None for s in shares):
            raise ConfigError("every mix needs either 'tasks' or 'share'", path="mix")
        total = sum(s or 0.0 for s in shares)
        if total <= 0:
            raise ConfigError("the mixes' shares add up to zero", path="mix")
        remaining = self.tasks - sum(c or 0 for c in counts)
        exact = [(s or 0.0) / total * remaining for s in shares]
        floors = [int(x) for x in exact]
        order = sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], i))
        for i in order[: remaining - sum(floors)]:
            floors[i] += 1
        for i, n in zip(shared, floors, strict=True):
            counts[i] = n
        return [c or 0 for c in counts]

    @property
    def total(self) -> int:
        """Episodes in the run (branches not counted)."""
        return sum(self.counts())


def same_run(before: RunSpec, now: RunSpec) -> bool:
    """Whether ``now`` continues the run ``before``: the same spec but for ``TRANSPORT``."""
    if before.llm is None or now.llm is None:
        return before == now
    reached = {name: getattr(before.llm, name) for name in TRANSPORT}
    return before == msgspec.structs.replace(now, llm=msgspec.structs.replace(now.llm, **reached))


def load_run_config(path: str | Path) -> RunSpec:
    """Read and validate a TOML run config (errors name the file and the field path)."""
    file = str(path)
    data = read_toml(path, what="the run config")
    try:
        spec = msgspec.convert(data, RunSpec)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        raise ConfigError(error.message, file=file, path=error.path) from None
    validate(spec, file=file)
    return spec


def spec_from_flags(data: dict[str, Any]) -> RunSpec:
    """A RunSpec from command-line values (errors name the flag's field)."""
    try:
        spec = msgspec.convert(data, RunSpec)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        raise ConfigError(error.message, path=error.path) from None
    validate(spec)
    return spec


def validate(spec: RunSpec, *, file: str | None = None) -> None:
    """Check what types cannot: known environments and profiles, an endpoint for LLM mixes."""
    for i, mix in enumerate(spec.mix):
        where = f"mix[{i}]"
        if mix.env not in ENVIRONMENTS:
            raise ConfigError(
                f"unknown environment {mix.env!r}",
                file=file,
                path=f"{where}.env",
                hint=f"choose one of: {', '.join(ENVIRONMENTS)}",
            )
        if mix.faults not in PROFILES:
            raise ConfigError(
                f"unknown fault profile {mix.faults!r}",
                file=file,
                path=f"{where}.faults",
                hint=f"choose one of: {', '.join(PROFILES)}",
            )
        levels = get_environment(mix.env).difficulty_levels
        if mix.difficulty is not None and mix.difficulty not in levels:
            raise ConfigError(
                f"{mix.env} has no difficulty {mix.difficulty}",
                file=file,
                path=f"{where}.difficulty",
                hint=f"levels: {sorted(levels)}",
            )
        if "llm" in (mix.agent, mix.user) and spec.llm is None:
            raise ConfigError(
                "an LLM agent or user needs an endpoint",
                file=file,
                path=where,
                hint="add an [llm] table with base_url and model (or --endpoint/--model)",
            )
    if spec.llm is not None:
        check_base_url(spec.llm.base_url, file=file, path="llm.base_url")
    if spec.branches and not spec.branch_at:
        raise ConfigError("'branches' needs 'branch_at' (the steps to branch at)", file=file)
    spec.counts()
