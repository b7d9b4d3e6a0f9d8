"""Simulated environments: tools, state, seeded tasks, goal checks, policy rules and faults."""

from trajforge.envs.base import (
    Environment,
    EnvironmentLike,
    PolicyRule,
    Snapshot,
    Violation,
    derive_seed,
    stable_digest,
)
from trajforge.envs.faults import FAULT_KINDS, PROFILES, FaultInjector, FaultProfile, load_profile
from trajforge.envs.tools import ToolDef, ToolError, tool

__all__ = [
    "FAULT_KINDS",
    "PROFILES",
    "Environment",
    "EnvironmentLike",
    "FaultInjector",
    "FaultProfile",
    "PolicyRule",
    "Snapshot",
    "ToolDef",
    "ToolError",
    "Violation",
    "derive_seed",
    "load_profile",
    "stable_digest",
    "tool",
]
