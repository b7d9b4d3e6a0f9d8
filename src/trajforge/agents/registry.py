"""Which policy plays a mix: an environment's scripted expert or an LLM, maybe with mistakes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from trajforge.agents.base import Policy
from trajforge.agents.mistakes import MistakeInjector
from trajforge.agents.scripted import ScriptedExpert
from trajforge.envs.registry import ENVIRONMENTS, get_spec
from trajforge.errors import ConfigError
from trajforge.pipeline.registry import Registry
from trajforge.schema import Task, ToolSpec

PolicyMaker = Callable[[Task, list[ToolSpec], int], Policy]


def _as_expert(obj: Any) -> type[ScriptedExpert]:
    if isinstance(obj, type) and issubclass(obj, ScriptedExpert):
        return obj
    raise TypeError(f"expected a ScriptedExpert subclass, got {obj!r}")


#: Experts added by outside packages (entry point group ``trajforge.experts``) to environments
#: that have none of their own, by environment name; an environment's own expert is on its spec.
EXPERTS: Registry[type[ScriptedExpert]] = Registry("expert", "trajforge.experts", {}, _as_expert)


def find_expert(env: str) -> type[ScriptedExpert] | None:
    """The scripted expert of an environment: its own, else one registered for it, else None."""
    own = get_spec(env).expert
    if own is not None:
        return own
    return EXPERTS.get(env) if env in EXPERTS else None


def with_experts() -> list[str]:
    """The registered environments that have a scripted expert."""
    return [name for name in ENVIRONMENTS if find_expert(name) is not None]


def expert_for(env: str) -> PolicyMaker:
    """Makes the scripted expert of an environment, given the environment's policy document as
    its system prompt; a ConfigError names the environments that have an expert."""
    expert = find_expert(env)
    if expert is None:
        raise ConfigError(
            f"no scripted expert for environment {env!r}",
            hint=f"experts exist for: {', '.join(with_experts()) or 'none'}",
        )
    return partial(expert, system_prompt=get_spec(env).policy_document)


def with_mistakes(
    base: PolicyMaker,
    *,
    rate: float,
    recover: bool,
    read_only: frozenset[str] | None = None,
    always: bool = False,
) -> PolicyMaker:
    """Wrap a policy maker in mistake injection (``always``: even at rate 0, for branching)."""
    if rate <= 0 and not always:
        return base

    def make(task: Task, tools: list[ToolSpec], seed: int) -> Policy:
        policy = base(task, tools, seed)
        return MistakeInjector(
            policy, tools, rate=rate, seed=seed, recover=recover, read_only=read_only
        )

    return make
