"""The scheduling environment: calendars, time zones, meeting rooms and ambiguous requests."""

from trajforge.envs.scheduling.env import SchedulingEnv

__all__ = ["SchedulingEnv"]
