"""The customer-support environment: orders, refunds, exchanges and account changes."""

from trajforge.envs.spec import EnvironmentSpec
from trajforge.envs.support.env import SupportEnv
from trajforge.envs.support.expert import SupportExpert
from trajforge.envs.support.policy import PREAMBLE

#: What this package registers (``envs.registry``).
SPEC = EnvironmentSpec(SupportEnv, SupportExpert, PREAMBLE)

__all__ = ["SPEC", "SupportEnv", "SupportExpert"]
