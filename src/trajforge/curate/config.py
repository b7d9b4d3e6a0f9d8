"""The curation config: one table per step, run in the order written (but ``[audit]`` last),
and the run's seed.

    seed = 7                   # optional (default 0): every step's random draws derive from it

    [filter]                   # a registered curation step (trajforge plugins lists them)
    ...
    [balance]
    ...

``[audit]`` runs after every other step wherever its table is, so that the review queue holds
trajectories as the output holds them (filtered, deduplicated, redacted): a sample drawn before
``[redact]`` would put the personal data the output is rid of in front of reviewers.

Every table is checked when the config is read, before anything runs: an unknown table names
the registered steps, and a step's errors are located as ``curate.toml: [balance].size: ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from trajforge.config import read_toml
from trajforge.curate.step import CURATION_STEPS, Exclude, StepContext
from trajforge.errors import ConfigError
from trajforge.pipeline.stage import Stage

#: The steps that run after all others, wherever the config lists them.
LAST: Final = frozenset({"audit"})


@dataclass(frozen=True)
class CurationConfig:
    """A read curation config: where it is, its seed, and its step tables in the order they
    run."""

    file: str
    seed: int
    tables: list[tuple[str, dict[str, Any]]]


def load_curation_config(path: str | Path) -> CurationConfig:
    """Read the curation config at ``path`` (ConfigErrors name the file and the table)."""
    file = str(path)
    data = read_toml(path, what="the curation config")
    seed = data.pop("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError("expected a whole number", file=file, path="seed")
    tables = []
    for name, table in data.items():
        if name not in CURATION_STEPS:
            raise ConfigError(
                f"unknown curation step {name!r}",
                file=file,
                path=f"[{name}]",
                hint=f"the steps are: {', '.join(CURATION_STEPS.names())}",
            )
        if not isinstance(table, dict):
            raise ConfigError("expected a table of the step's settings", file=file, path=name)
        tables.append((name, table))
    tables.sort(key=lambda entry: entry[0] in LAST)  # stable: the others keep their order
    if not tables:
        raise ConfigError(
            "no curation steps", file=file, hint=f"add tables: {', '.join(CURATION_STEPS.names())}"
        )
    return CurationConfig(file, seed, tables)


def build_steps(config: CurationConfig, exclude: Callable[[str], Exclude]) -> list[Stage]:
    """The config's steps in order; ``exclude(step)`` is where that step's removals go."""
    steps = []
    for name, table in config.tables:
        factory = CURATION_STEPS.get(name)
        try:
            steps.append(factory(table, StepContext(exclude(name), seed=config.seed)))
        except ConfigError as exc:
            raise exc.located(file=config.file) from None
    return steps
