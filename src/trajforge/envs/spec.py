"""What one environment package registers: its environment, its scripted expert and the policy
document every agent of it is given as its system prompt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from trajforge.envs.base import Environment, PolicyRule

if TYPE_CHECKING:
    from trajforge.agents.scripted import ScriptedExpert

#: How the document introduces each kind of rule.
KIND_WORDS: Final = {
    "forbidden": "always",
    "needs_confirmation": "ask the user first",
    "needs_approval": "a human approves",
}


@dataclass(frozen=True)
class EnvironmentSpec:
    """One environment as registered: the class, its expert (None: none of its own), and the
    preamble of its policy document (the rules themselves come from the class)."""

    environment: type[Environment]
    expert: type[ScriptedExpert] | None = None
    preamble: str = ""

    @property
    def name(self) -> str:
        """The environment's name."""
        return self.environment.name

    @property
    def policy_document(self) -> str:
        """The environment's policy in prose: the preamble, then one section per policy rule."""
        return policy_document(self.name, self.preamble, self.environment.policy_rules)


def policy_document(name: str, preamble: str, rules: tuple[PolicyRule, ...]) -> str:
    """A policy document in markdown, assembled from its rules so the two cannot disagree."""
    parts = [f"# Policy of the {name} environment"]
    if preamble:
        parts.append(preamble.strip())
    if rules:
        parts.append("## Rules")
        parts.extend(rule_section(rule) for rule in rules)
    return "\n\n".join(parts) + "\n"


def rule_section(rule: PolicyRule) -> str:
    """A rule as a section of the document: its name and kind, then its prose."""
    return f"### {rule.name} ({KIND_WORDS[rule.kind]})\n\n{rule.description}"


def as_spec(obj: Any) -> EnvironmentSpec:
    """A registered environment as a spec: a spec as is, a bare Environment subclass without an
    expert or preamble."""
    if isinstance(obj, EnvironmentSpec):
        return obj
    if isinstance(obj, type) and issubclass(obj, Environment):
        return EnvironmentSpec(obj)
    raise TypeError(f"expected an EnvironmentSpec or an Environment subclass, got {obj!r}")
