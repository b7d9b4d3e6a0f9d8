"""Environment instances as episodes use them: wrapped in fault injection when a profile asks."""

from __future__ import annotations

from trajforge.envs.base import Environment, EnvironmentLike
from trajforge.envs.faults import FaultInjector, FaultProfile


def make_environment(cls: type[Environment], faults: str | FaultProfile) -> EnvironmentLike:
    """An environment instance, wrapped in fault injection unless the profile is ``none``."""
    if faults == "none":
        return cls()
    return FaultInjector(cls(), faults)
