"""The explicit registry of built-in environments, by name."""

from __future__ import annotations

from trajforge.envs.base import Environment
from trajforge.envs.dataops import DataOpsEnv
from trajforge.envs.itops import ItOpsEnv
from trajforge.envs.scheduling import SchedulingEnv
from trajforge.envs.support import SupportEnv
from trajforge.envs.web import WebEnv
from trajforge.errors import ConfigError

ENVIRONMENTS: dict[str, type[Environment]] = {
    "support": SupportEnv,
    "itops": ItOpsEnv,
    "dataops": DataOpsEnv,
    "web": WebEnv,
    "scheduling": SchedulingEnv,
}


def get_environment(name: str) -> type[Environment]:
    """The environment class registered under ``name``; a ConfigError names the choices."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        raise ConfigError(
            f"unknown environment {name!r}", hint=f"choose one of: {', '.join(ENVIRONMENTS)}"
        ) from None
