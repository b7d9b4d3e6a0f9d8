"""Which trajectories a review queue takes, in curation's filter language
(:mod:`trajforge.curate.conditions`): ``--where`` conditions written as the inside of a TOML
inline table (``label = "policy_violation", recovered = false``), and a filter file with a
``[filter]`` table of ``keep`` and ``drop`` rules as a curation config writes them."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

import msgspec

from trajforge.config import read_toml
from trajforge.curate.conditions import Condition, Predicate, compile_condition
from trajforge.curate.filter import NAME, FilterSettings
from trajforge.curate.step import step_settings
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory
from trajforge.schema.codec import schema_error


def where_condition(text: str, where: str = "--where") -> Predicate:
    """The predicate of one ``--where`` condition; a ConfigError at ``where`` if it is not one."""
    try:
        table = tomllib.loads(f"w = {{{text}}}")["w"]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"not a condition: {text!r} ({exc})",
            path=where,
            hint='TOML keys and values, as in: label = "policy_violation", recovered = false',
        ) from None
    try:
        condition = msgspec.convert(table, Condition)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        path = f"{where}.{error.path}" if error.path else where
        raise ConfigError(error.message, path=path) from None
    return compile_condition(condition, where)


def filter_file(path: str) -> tuple[list[Predicate], list[Predicate]]:
    """The keep and drop rules of the ``[filter]`` table of the TOML file at ``path``."""
    table = read_toml(path, what="the filter file").get(NAME)
    if not isinstance(table, dict):
        raise ConfigError("no [filter] table", file=path, hint="[[filter.keep]] field = ...")
    try:
        settings = step_settings(table, FilterSettings, NAME)
        keep = [compile_condition(r, f"[{NAME}].keep[{i}]") for i, r in enumerate(settings.keep)]
        drop = [compile_condition(r, f"[{NAME}].drop[{i}]") for i, r in enumerate(settings.drop)]
    except ConfigError as exc:
        raise exc.located(file=path) from None
    return keep, drop


def selection(where: Sequence[str] = (), filter_path: str | None = None) -> Predicate | None:
    """Whether a trajectory goes into the queue: every ``where`` condition and every keep rule
    of the filter file pass, and no drop rule does (None: no selection, all go)."""
    keep = [where_condition(text, f"--where[{i}]") for i, text in enumerate(where)]
    drop: list[Predicate] = []
    if filter_path is not None:
        kept, drop = filter_file(filter_path)
        keep.extend(kept)
    if not keep and not drop:
        return None

    def selected(trajectory: Trajectory) -> bool:
        return all(test(trajectory) for test in keep) and not any(t(trajectory) for t in drop)

    return selected
