"""What a curation step is, and the registry ``trajforge curate`` builds its steps from.

A curation step is a pipeline stage (``name``, ``version``, ``__call__(stream) -> stream``: see
:mod:`trajforge.pipeline.stage`) made from one table of the curation config (``[dedup]``,
``[redact]``, ...) by a factory registered in :data:`CURATION_STEPS` under the table's name:

    @CURATION_STEPS.register("dedup")
    def make_dedup(table: Mapping[str, Any], context: StepContext) -> Stage: ...

The factory checks its table with :func:`step_settings` (unknown keys and wrong types are located
ConfigErrors such as ``[dedup].threshold: expected a number``). A step that removes a trajectory
calls ``context.exclude(trajectory, reason, **detail)`` (the record and why go to the exclusion
file) instead of yielding it. A step with something to report after the stream ends (counts,
clusters, hits, coverage) also has ``report() -> dict`` of JSON values (:class:`Reporting`);
``trajforge curate`` writes every step's report into ``OUT.curation.json`` and prints a summary.
Outside packages register steps under the entry-point group ``trajforge.curation``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import msgspec

from trajforge.curate.choices import choices_at
from trajforge.errors import ConfigError
from trajforge.pipeline.registry import Registry, callable_entries
from trajforge.pipeline.stage import Stage
from trajforge.schema import Trajectory
from trajforge.schema.codec import schema_error

S = TypeVar("S")

Exclude = Callable[..., None]
"""``exclude(trajectory, reason, **detail)``: a step removes a trajectory, saying why."""


@dataclass(frozen=True)
class StepContext:
    """What a step gets besides its table: where removed trajectories go, and the run's seed."""

    exclude: Exclude
    seed: int = 0


@runtime_checkable
class Reporting(Protocol):
    """A step with a report to give once its stream has ended."""

    def report(self) -> dict[str, Any]:
        """The step's report: JSON values only."""
        ...


StepFactory = Callable[[Mapping[str, Any], StepContext], Stage]
"""Makes a curation step from its config table."""


#: Curation steps by config table name: built-ins by import path, and outside packages'.
CURATION_STEPS: Registry[StepFactory] = Registry(
    "curation step",
    "trajforge.curation",
    {
        "filter": "trajforge.curate.filter:make_filter",
        "balance": "trajforge.curate.balance:make_balance",
        "redact": "trajforge.curate.redact:make_redact",
        "decontaminate": "trajforge.curate.decontaminate:make_decontaminate",
        "audit": "trajforge.curate.audit:make_audit",
        "dedup": "trajforge.curate.dedup:make_dedup",
    },
    check=callable_entries("a curation step factory"),
)


def step_settings(table: Mapping[str, Any], settings: type[S], step: str) -> S:
    """``table`` checked into the ``settings`` struct (a ``msgspec.Struct`` with
    ``forbid_unknown_fields=True``); a ConfigError located at ``[step].field`` otherwise, with
    the choices as the hint where a value is not one of them."""
    try:
        return msgspec.convert(dict(table), settings)
    except msgspec.ValidationError as exc:
        found = schema_error(exc)
        path = f"[{step}]" + (f".{found.path}" if found.path else "")
        choices = choices_at(settings, found.path or "")
        hint = f"one of: {', '.join(choices)}" if choices else None
        raise ConfigError(found.message, path=path, hint=hint) from None


def excluded_record(
    trajectory: Trajectory, step: str, reason: str, **detail: Any
) -> dict[str, Any]:
    """One line of the exclusion file: which trajectory, which step removed it, why, and the
    record itself (so nothing is lost)."""
    return {
        "id": trajectory.id,
        "step": step,
        "reason": reason,
        "detail": detail,
        "trajectory": msgspec.to_builtins(trajectory),
    }


class SettingsStep(Generic[S]):
    """Base of a curation step made from a settings struct: it keeps the settings, where its
    removals go and the run's seed, and gives the settings as written as its parameters
    (recorded in provenance). Subclasses set ``name`` (and ``version``) and define
    ``__call__``."""

    name: str = ""
    version: str = "1"

    def __init__(self, settings: S, context: StepContext) -> None:
        self.settings = settings
        self.exclude = context.exclude
        self.seed = context.seed

    @property
    def params(self) -> Mapping[str, Any]:
        """The settings, as written."""
        params: dict[str, Any] = msgspec.to_builtins(self.settings)
        return params
