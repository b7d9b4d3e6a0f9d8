"""The scheduling environment's scripted expert: its script, and the moves and wording it uses."""

from trajforge.envs.scheduling.expert.script import SchedulingExpert

__all__ = ["SchedulingExpert"]
