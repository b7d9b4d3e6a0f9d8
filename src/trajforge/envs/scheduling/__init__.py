"""The scheduling environment: calendars, time zones, meeting rooms and ambiguous requests."""

from trajforge.envs.scheduling.env import SchedulingEnv
from trajforge.envs.scheduling.expert import SchedulingExpert
from trajforge.envs.scheduling.policy import PREAMBLE
from trajforge.envs.spec import EnvironmentSpec

#: What this package registers (``envs.registry``).
SPEC = EnvironmentSpec(SchedulingEnv, SchedulingExpert, PREAMBLE)

__all__ = ["SPEC", "SchedulingEnv", "SchedulingExpert"]
