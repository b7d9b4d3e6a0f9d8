"""A fill plan: what ``[balance]`` found missing, as a run config that ``trajforge generate
--config`` reads (:mod:`trajforge.run.spec`).

Each gap becomes mixes of the scripted expert steered towards it: an environment, difficulty or
fault profile the missing trajectories have is set as is; an outcome is steered through mistakes
(failures and partial successes come from mistakes the agent does not recover from); a fault
kind through the profile that injects it most; a tool through the environments that offer it.
What no setting steers (a length, a label) is left to chance, and the task counts are scaled by
the share of such episodes that land in the gap: the share seen in the input where it has any,
else a guess of 1 in 4. The counts are estimates: curate the new data with the old, and the
coverage table says what is still missing.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import msgspec

from trajforge.curate.config import CurationConfig
from trajforge.curate.step import CURATION_STEPS
from trajforge.curate.targets import REST
from trajforge.envs.base import derive_seed
from trajforge.envs.faults import PROFILES, FaultProfile
from trajforge.envs.registry import ENVIRONMENTS, get_environment
from trajforge.errors import ConfigError
from trajforge.io.atomic import atomic_write
from trajforge.run.spec import MixSpec, RunSpec, validate
from trajforge.schema import Trajectory

#: The share of episodes guessed to land in a gap when the input shows none.
GUESS: Final = 0.25
#: The mistake rate of mixes that make failures or mistakes to recover from.
MISTAKES: Final = 0.3

Item = tuple[str, str, bool]  # (tool | fault | mistake, its name, recovered)


@dataclass(frozen=True)
class Gap:
    """Trajectories a target misses: how many, why, the field keys they have (by path), the
    item they carry, and the environments and fault profiles of the input's trajectories like
    them (empty when the input has none)."""

    count: int
    why: str
    where: Mapping[str, str] = field(default_factory=dict)
    item: Item | None = None
    envs: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)


@dataclass
class Seen:
    """What the input holds, as far as planning needs: trajectories by environment and by fault
    profile, and the environments that offer each tool."""

    total: int = 0
    envs: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)
    tool_envs: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, trajectory: Trajectory) -> None:
        """Count one input trajectory."""
        env = trajectory.task.environment or ""
        self.total += 1
        self.envs[env] += 1
        self.profiles[trajectory.provenance.fault_profile or "none"] += 1
        for tool in {t.name for t in trajectory.tools}:
            self.tool_envs[tool][env] += 1


@runtime_checkable
class Planning(Protocol):
    """A step that can say what to generate to fill what it found missing."""

    def gaps(self) -> tuple[list[Gap], Seen]:
        """What is missing, and what the input holds."""
        ...


@dataclass
class _Planned:
    """One mix of the plan and the gaps it fills."""

    settings: dict[str, Any]
    tasks: int
    notes: list[str]


def check_planned(config: CurationConfig) -> None:
    """A ConfigError unless ``config`` has a step that finds what is missing (``[balance]``)."""
    if not any(CURATION_STEPS.resolve(name) == "balance" for name, _ in config.tables):
        raise ConfigError(
            "a fill plan needs a [balance] table (its targets say what is missing)",
            file=config.file,
            path="--fill-plan",
        )


def write_fill_plan(path: Path, stages: Sequence[object], *, seed: int) -> int:
    """Write the fill plan of the steps that found gaps (after their run) to ``path``
    atomically; how many mixes it has."""
    gaps: list[Gap] = []
    seen = Seen()
    for stage in stages:
        if isinstance(stage, Planning):
            found, seen = stage.gaps()
            gaps += found
    text, mixes = fill_plan(gaps, seen, seed=seed)
    with atomic_write(path) as out:
        out.write(text.encode())
    return mixes


def fill_plan(gaps: list[Gap], seen: Seen, *, seed: int) -> tuple[str, int]:
    """The run config (TOML text) that generates what ``gaps`` miss, and how many mixes it has;
    validated before it is given (a plan ``trajforge generate`` refuses is a bug here)."""
    planned: dict[str, _Planned] = {}
    unplanned: list[str] = []
    for gap in gaps:
        mixes = _steered(gap, seen)
        if not mixes:
            unplanned.append(f"{gap.why}: {gap.count} missing (no environment here makes them)")
        for settings, tasks, note in mixes:
            key = json.dumps(settings, sort_keys=True)
            mix = planned.setdefault(key, _Planned(settings, 0, []))
            mix.tasks += tasks
            mix.notes.append(note)
    run_seed = derive_seed("fill-plan", seed, seen.total) % 2**31
    spec = RunSpec(
        mix=[msgspec.convert({**m.settings, "tasks": m.tasks}, MixSpec) for m in planned.values()],
        seed=run_seed,
    )
    validate(spec)
    return _toml(spec, list(planned.values()), unplanned), len(spec.mix)


def _steered(gap: Gap, seen: Seen) -> list[tuple[dict[str, Any], int, str]]:
    """The mixes (settings, tasks, note) that make what ``gap`` misses."""
    settings: dict[str, Any] = {"env": ""}
    loose: list[str] = []  # what no setting steers
    envs = _registered(gap.envs) or _offering(gap, seen) or _registered(seen.envs)
    for path, key in gap.where.items():
        if key == REST:  # any value a mix does not name: the input's trajectories say which
            continue
        if path == "task.environment":
            envs = _registered(Counter({key: 1}))
        elif path == "task.difficulty" and key.isdigit():
            settings["difficulty"] = int(key)
        elif path == "provenance.fault_profile" and key in PROFILES:
            settings["faults"] = key
        elif path == "outcome.status" and key in ("failure", "partial"):
            settings.update(mistakes=MISTAKES, recover=False)
            loose.append(f"{path} = {key}")
        else:
            loose.append(f"{path} = {key}")
    share = _item_settings(gap, seen, settings, loose)
    found = []
    for env, count in _split(gap.count, envs).items():
        here = {**settings, "env": env}
        levels = get_environment(env).difficulty_levels
        if "difficulty" in here and levels and here["difficulty"] not in levels:
            continue
        rate = share if share is not None else _share(gap.envs[env], seen.envs[env], loose)
        tasks = math.ceil(count / rate)
        found.append((here, tasks, f"{gap.why}: {count} missing{_landing(rate, loose)}"))
    return found


def _item_settings(
    gap: Gap, seen: Seen, settings: dict[str, Any], loose: list[str]
) -> float | None:
    """Steer towards the gap's item; the share of episodes expected to have it if it is known
    from its fault profile (else ``None``: from the environment)."""
    if gap.item is None:
        return None
    each, name, recovered = gap.item
    loose.append(f"{each} {name}")
    if each == "mistake":
        settings.update(mistakes=MISTAKES, recover=recovered)
    if each != "fault":
        return None
    profile = max(PROFILES.values(), key=lambda p: _rate(p, name))
    settings["faults"] = profile.name
    return _share(gap.profiles[profile.name], seen.profiles[profile.name], loose)


def _rate(profile: FaultProfile, kind: str) -> float:
    return next((rate for k, rate in profile.rates.items() if k == kind), 0.0)


def _share(found: int, total: int, loose: list[str]) -> float:
    """The share of generated episodes expected to land in a gap."""
    if not loose:
        return 1.0
    return found / total if found and total else GUESS


def _landing(rate: float, loose: list[str]) -> str:
    if not loose:
        return ""
    return f"; about {rate:.0%} of the episodes are expected to have {' and '.join(loose)}"


def _offering(gap: Gap, seen: Seen) -> Counter[str]:
    """The registered environments that offer a missing tool (none for other gaps)."""
    if gap.item is None or gap.item[0] != "tool":
        return Counter()
    return _registered(seen.tool_envs.get(gap.item[1], Counter()))


def _registered(envs: Counter[str]) -> Counter[str]:
    return Counter({env: n for env, n in envs.items() if n > 0 and env in ENVIRONMENTS})


def _split(count: int, weights: Counter[str]) -> dict[str, int]:
    """``count`` shared out in proportion to ``weights`` (largest remainder), none given 0."""
    total = sum(weights.values())
    if not total:
        return {}
    exact = {env: count * n / total for env, n in weights.most_common()}
    whole = {env: math.floor(x) for env, x in exact.items()}
    for env in sorted(exact, key=lambda e: whole[e] - exact[e])[: count - sum(whole.values())]:
        whole[env] += 1
    return {env: n for env, n in whole.items() if n}


def _toml(spec: RunSpec, planned: list[_Planned], unplanned: list[str]) -> str:
    lines = [
        "# trajforge generate --config THIS_FILE --out DIR: what the [balance] targets of",
        "# trajforge curate found missing. Task counts are estimates: curate the new data",
        "# together with the old, and the coverage table says what is still missing.",
        *(f"# not planned: {note}" for note in unplanned),
        f"seed = {spec.seed}",
        f"format = {_value(spec.format)}",
    ]
    if not planned:
        lines += ["", "# nothing is missing", "mix = []"]
    defaults = MixSpec(env="")
    for mix, done in zip(spec.mix, planned, strict=True):
        lines += ["", *(f"# fills {note}" for note in done.notes), "[[mix]]"]
        for name in MixSpec.__struct_fields__:
            value = getattr(mix, name)
            if name in ("env", "tasks") or value != getattr(defaults, name):
                lines.append(f"{name} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    """A TOML value: booleans, numbers and text are all a plan holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
