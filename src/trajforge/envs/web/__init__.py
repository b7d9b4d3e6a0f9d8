"""The web environment: a simulated shop website (catalog, cart, checkout, orders, settings, help
center) rendered as accessibility-tree text, in three site versions with drifting ids and labels."""

from trajforge.envs.web.env import WebEnv

__all__ = ["WebEnv"]
