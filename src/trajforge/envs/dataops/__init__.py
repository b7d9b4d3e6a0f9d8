"""The dataops environment: reconcile two tables of a sandboxed SQLite database."""

from trajforge.envs.dataops.env import DataOpsEnv
from trajforge.envs.dataops.expert import DataOpsExpert
from trajforge.envs.dataops.policy import PREAMBLE
from trajforge.envs.spec import EnvironmentSpec

#: What this package registers (``envs.registry``).
SPEC = EnvironmentSpec(DataOpsEnv, DataOpsExpert, PREAMBLE)

__all__ = ["SPEC", "DataOpsEnv", "DataOpsExpert"]
