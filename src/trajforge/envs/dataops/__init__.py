"""The dataops environment: reconcile two tables of a sandboxed SQLite database."""

from trajforge.envs.dataops.env import DataOpsEnv

__all__ = ["DataOpsEnv"]
