"""A tiny environment for testing the Environment base, tools and faults in isolation."""

from __future__ import annotations

from typing import Literal

import msgspec

from trajforge.envs import Environment, PolicyRule, Violation, tool
from trajforge.envs.tools import ToolError
from trajforge.schema import CheckResult, GoalCheck, Task, Trajectory


class Address(msgspec.Struct):
    city: str
    zip: str | None = None


class Counter(msgspec.Struct):
    value: int = 0
    log: list[str] = []
    items: list[dict[str, int]] = []


class CounterEnv(Environment):
    """Increment a counter to a target."""

    name = "counter"
    difficulty_levels = {1: "small targets", 2: "large targets"}
    policy_rules = (PolicyRule(name="no_reset", kind="forbidden", description="never reset"),)
    state_type = Counter

    @classmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        target = seed % (10 * difficulty) + 1
        return Task(
            instruction=f"Bring the counter to {target}.",
            environment=cls.name,
            seed=seed,
            difficulty=difficulty,
            parameters={"target": target},
            goal_checks=[GoalCheck(name="reached"), GoalCheck(name="logged")],
        )

    def build_state(self, task: Task) -> Counter:
        return Counter(items=[{"id": i, "qty": i * 2} for i in range(3)])

    @tool
    def add(self, amount: int, mode: Literal["fast", "slow"] = "fast") -> dict[str, int]:
        """Add to the counter.

        Args:
            amount: how much to add
            mode: the speed
        """
        if amount < 0:
            raise ToolError("amount must be positive", kind="invalid_amount")
        self._state.value += amount
        self._state.log.append(f"add {amount}")
        return {"value": self._state.value}

    @tool(read_only=True)
    def read(self) -> dict[str, int]:
        """Read the counter."""
        return {"value": self._state.value}

    @tool(read_only=True)
    def items(self) -> list[dict[str, int]]:
        """List the items."""
        return self._state.items

    @tool
    def ship(self, address: Address) -> str:
        """Ship the counter.

        Args:
            address: where to
        """
        return f"shipped to {address.city}"

    @tool
    def reset_counter(self) -> str:
        """Reset the counter to zero."""
        self._state.value = 0
        return "reset"

    def goal_checks(self, task: Task) -> list[CheckResult]:
        target = task.parameters["target"]
        return [
            CheckResult(name="reached", passed=self._state.value == target),
            CheckResult(name="logged", passed=bool(self._state.log)),
        ]

    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        return [
            Violation(rule="no_reset", step=i, action=j, detail="reset called")
            for i, step in enumerate(trajectory.steps)
            for j, action in enumerate(step.actions)
            if getattr(action, "name", None) == "reset_counter"
        ]
