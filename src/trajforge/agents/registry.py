"""Which policy plays a mix: an environment's scripted expert or an LLM, maybe with mistakes."""

from __future__ import annotations

from collections.abc import Callable

from trajforge.agents.base import Policy
from trajforge.agents.experts.dataops import DataOpsExpert
from trajforge.agents.experts.itops import ItOpsExpert
from trajforge.agents.experts.scheduling import SchedulingExpert
from trajforge.agents.experts.script import ScriptedExpert
from trajforge.agents.experts.support import SupportExpert
from trajforge.agents.experts.web import WebExpert
from trajforge.agents.mistakes import MistakeInjector
from trajforge.errors import ConfigError
from trajforge.schema import Task, ToolSpec

#: Scripted experts by environment name (explicit: no import side effects).
EXPERTS: dict[str, type[ScriptedExpert]] = {
    "support": SupportExpert,
    "itops": ItOpsExpert,
    "dataops": DataOpsExpert,
    "web": WebExpert,
    "scheduling": SchedulingExpert,
}

PolicyMaker = Callable[[Task, list[ToolSpec], int], Policy]


def expert_for(env: str) -> type[ScriptedExpert]:
    """The scripted expert of an environment; a ConfigError names those that have one."""
    try:
        return EXPERTS[env]
    except KeyError:
        raise ConfigError(
            f"no scripted expert for environment {env!r}",
            hint=f"experts exist for: {', '.join(EXPERTS) or 'none'}",
        ) from None


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
