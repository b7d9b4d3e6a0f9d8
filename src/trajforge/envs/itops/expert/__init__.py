"""The itops environment's scripted expert: its script, and the moves and wording it uses."""

from trajforge.envs.itops.expert.script import ItOpsExpert

__all__ = ["ItOpsExpert"]
