"""How the runner gets LLM agents and users: from the optional ``llm`` extra, if installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trajforge.agents.breaker import CircuitBreaker
from trajforge.agents.gate import Gate
from trajforge.envs.registry import get_environment, get_spec
from trajforge.run.episode import User
from trajforge.run.items import WorkItem
from trajforge.run.runner import LLMHooks
from trajforge.run.spec import LLMSpec, MixSpec, RunSpec


def llm_hooks(gates: Callable[[str], Gate] | None = None) -> LLMHooks | None:
    """The LLM agent and user makers, or None when the ``llm`` extra is not installed;
    ``gates`` gives the gate of an endpoint's base URL (on a cluster: one for all workers)."""
    try:
        from trajforge.agents.llm import (  # noqa: PLC0415 - optional extra
            AgentSettings,
            LLMAgentFactory,
        )
        from trajforge.agents.llm_client import ChatClient, api_key_from  # noqa: PLC0415
        from trajforge.agents.llm_user import LLMUser  # noqa: PLC0415
    except ImportError:
        return None
    clients: dict[LLMSpec, Any] = {}

    def client(spec: LLMSpec) -> Any:
        """One client per endpoint, so its agents and users share one circuit breaker."""
        if spec not in clients:
            clients[spec] = ChatClient(
                spec.base_url,
                spec.model,
                api_key=api_key_from(spec.api_key_env),
                timeout_s=spec.timeout_s,
                deadline_s=spec.deadline_s,
                max_retries=spec.max_retries,
                backoff_s=spec.backoff_s,
                breaker=CircuitBreaker(spec.trip_after),
                gate=gates(spec.base_url) if gates else None,
            )
        return clients[spec]

    def sampling(spec: LLMSpec) -> dict[str, Any]:
        return {"temperature": spec.temperature, "max_tokens": spec.max_tokens}

    def agent(run: RunSpec, mix: MixSpec) -> Callable[..., Any]:
        assert run.llm is not None  # validated
        settings = AgentSettings(
            policy=get_spec(mix.env).policy_document,
            sampling=sampling(run.llm),
            tool_mode=run.llm.tool_mode,
            max_argument_chars=run.llm.max_argument_chars,
        )
        return LLMAgentFactory(client(run.llm), settings)

    def user(run: RunSpec, mix: MixSpec, item: WorkItem) -> User:
        assert run.llm is not None  # validated
        keys = get_environment(mix.env).hidden_info_keys
        return LLMUser(client(run.llm), item.task, keys, seed=item.seed, sampling=sampling(run.llm))

    async def preflight(run: RunSpec) -> None:
        assert run.llm is not None  # validated
        await client(run.llm).preflight()

    return LLMHooks(agent, user, preflight)
