"""The dataops environment's scripted expert: its script, and the moves and wording it uses."""

from trajforge.envs.dataops.expert.script import DataOpsExpert

__all__ = ["DataOpsExpert"]
