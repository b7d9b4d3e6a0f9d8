"""The support environment's scripted expert: its script, and the moves and wording it uses."""

from trajforge.envs.support.expert.script import SupportExpert

__all__ = ["SupportExpert"]
