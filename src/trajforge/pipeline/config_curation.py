"""The ``[curate]`` table of a pipeline config: a curation config's file, or its steps inline.

    [curate]
    config = "curate.toml"     # a curation config (as for trajforge curate --config)

    [curate]                   # or the same tables inline, in the order they run
    seed = 7
    [curate.dedup]
    exact = true
    [curate.balance]
    ...

Every step is built once when the config is read, so a bad step table fails before any work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trajforge.curate.config import CurationConfig, build_steps, load_curation_config
from trajforge.curate.step import CURATION_STEPS
from trajforge.errors import ConfigError

#: Keys of the ``[curate]`` table that are not steps.
_OWN = ("skip", "config", "seed")


def curation_config(table: dict[str, Any], *, file: str, base: Path) -> CurationConfig:
    """The curation config that ``[curate]`` gives, its steps checked."""
    if "config" in table:
        extra = sorted(set(table) - {"skip", "config"})
        if extra:
            raise ConfigError(
                "[curate] takes a config file or inline steps, not both",
                file=file,
                path=f"curate.{extra[0]}",
            )
        if not isinstance(table["config"], str):
            raise ConfigError("expected a path", file=file, path="curate.config")
        config = load_curation_config(base / table["config"])
    else:
        config = _inline(table, file)
    try:
        build_steps(config, lambda step: _never)
    except ConfigError as exc:
        if config.file == file and exc.path and exc.path.startswith("["):
            exc.path = f"[curate.{exc.path[1:]}"
        raise exc.located(file=config.file) from None
    return config


def _inline(table: dict[str, Any], file: str) -> CurationConfig:
    seed = table.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError("expected a whole number", file=file, path="curate.seed")
    steps = [(name, value) for name, value in table.items() if name not in _OWN]
    for name, value in steps:
        where = f"[curate.{name}]"
        try:
            CURATION_STEPS.resolve(name)
        except ConfigError as exc:
            raise ConfigError(exc.message, file=file, path=where, hint=exc.hint) from None
        if not isinstance(value, dict):
            raise ConfigError("expected a table of the step's settings", file=file, path=where)
    if not steps:
        raise ConfigError(
            "no curation steps",
            file=file,
            path="curate",
            hint=f"add config = FILE or tables: {', '.join(CURATION_STEPS.names())}",
        )
    return CurationConfig(file, seed, steps)


def _never(*args: Any, **detail: Any) -> None:
    """The exclusion callback of steps built only to check their tables."""
