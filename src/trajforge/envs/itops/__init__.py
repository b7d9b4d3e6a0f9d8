"""The itops environment: troubleshoot a failing deployment in a simulated ops box."""

from trajforge.envs.itops.env import ItOpsEnv

__all__ = ["ItOpsEnv"]
