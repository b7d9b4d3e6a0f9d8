"""The customer-support environment: orders, refunds, exchanges and account changes."""

from trajforge.envs.support.env import SupportEnv

__all__ = ["SupportEnv"]
