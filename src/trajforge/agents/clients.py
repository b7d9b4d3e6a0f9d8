"""Chat clients for the models that commands name by URL (judges, rollout policies).

The ``llm`` extra (openai) is imported only when a client is made, so that the core works
without it and says which extra a feature needs.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from trajforge.agents.endpoint_url import check_base_url
from trajforge.errors import ConfigError

if TYPE_CHECKING:
    from trajforge.agents.llm_client import ChatClient
    from trajforge.grade.process import PolicyChoice


def chat_client(
    url: str,
    model: str,
    api_key_env: str,
    *,
    option: str,
    what: str,
    timeout_s: float = 60.0,
    deadline_s: float = 180.0,
) -> ChatClient:
    """A ``ChatClient`` for ``url`` (given by ``option``) with the key in ``$api_key_env``,
    ``timeout_s`` per attempt and ``deadline_s`` per request (``what`` needs the ``llm`` extra,
    the error says)."""
    check_base_url(url, path=option)
    try:
        from trajforge.agents.llm_client import ChatClient, api_key_from  # noqa: PLC0415
    except ImportError:
        raise ConfigError(
            f"{what} needs the 'llm' extra", hint="pip install 'trajforge[llm]'"
        ) from None
    key = api_key_from(api_key_env)
    return ChatClient(url, model, api_key=key, timeout_s=timeout_s, deadline_s=deadline_s)


def ensure_ready(client: ChatClient) -> None:
    """Check that a client's endpoint answers, before any work."""
    asyncio.run(client.preflight())


def rollout_policy(url: str | None, model: str, api_key_env: str) -> PolicyChoice:
    """The environment's expert, or an LLM agent on ``url``."""
    if url is None:
        return "expert"
    client = chat_client(
        url, model, api_key_env, option="--rollout-endpoint", what="rollouts by an LLM"
    )
    ensure_ready(client)
    from trajforge.agents.llm import LLMAgentFactory  # noqa: PLC0415 - the extra is there

    return LLMAgentFactory(client)
