"""The web environment's scripted expert: its script, and the moves and wording it uses."""

from trajforge.envs.web.expert.script import WebExpert

__all__ = ["WebExpert"]
