"""The web environment: a simulated shop website (catalog, cart, checkout, orders, settings, help
center) rendered as accessibility-tree text, in three site versions with drifting ids and labels."""

from trajforge.envs.spec import EnvironmentSpec
from trajforge.envs.web.env import WebEnv
from trajforge.envs.web.expert import WebExpert
from trajforge.envs.web.policy import PREAMBLE

#: What this package registers (``envs.registry``).
SPEC = EnvironmentSpec(WebEnv, WebExpert, PREAMBLE)

__all__ = ["SPEC", "WebEnv", "WebExpert"]
