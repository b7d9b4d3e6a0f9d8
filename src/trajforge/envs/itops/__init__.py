"""The itops environment: troubleshoot a failing deployment in a simulated ops box."""

from trajforge.envs.itops.env import ItOpsEnv
from trajforge.envs.itops.expert import ItOpsExpert
from trajforge.envs.itops.policy import PREAMBLE
from trajforge.envs.spec import EnvironmentSpec

#: What this package registers (``envs.registry``).
SPEC = EnvironmentSpec(ItOpsEnv, ItOpsExpert, PREAMBLE)

__all__ = ["SPEC", "ItOpsEnv", "ItOpsExpert"]
