"""The runner with an LLM agent and an LLM user over a local OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openai")

from trajforge.envs.registry import get_spec
from trajforge.errors import EndpointError
from trajforge.io import read_trajectories
from trajforge.run.llm_hooks import llm_hooks
from trajforge.run.runner import Runner
from trajforge.run.spec import spec_from_flags
from trajforge.testing.fake_endpoint import FakeEndpoint, FakeResponse, text, tool_calls


def agent_or_user(request: dict[str, Any]) -> FakeResponse:
    """Plays both roles: the user model gets a persona prompt, the agent looks things up first."""
    messages = request["messages"]
    if "tools" not in request and any("user" in str(m.get("content", "")) for m in messages[:1]):
        return text("Yes, please go ahead.", usage=(30, 5))
    if not any(m["role"] == "tool" for m in messages):
        return tool_calls(("list_orders", {"customer_id": "C1"}), usage=(120, 12))
    return text("Everything is sorted out for you.", usage=(150, 9))


def test_llm_agent_runs_through_the_runner(tmp_path: Path) -> None:
    with FakeEndpoint(handler=agent_or_user) as endpoint:
        spec = spec_from_flags(
            {
                "mix": [{"env": "support", "tasks": 4, "agent": "llm", "user": "llm"}],
                "llm": {"base_url": endpoint.base_url, "model": "fake-model"},
                "shard_size": 2,
                "format": "jsonl",
            }
        )
        progress = asyncio.run(Runner(spec, tmp_path / "out", llm_hooks=llm_hooks()).run())
    assert (progress.done, progress.errors) == (4, 0)
    trajectories = list(read_trajectories(tmp_path / "out"))
    assert len(trajectories) == 4
    for trajectory in trajectories:
        assert trajectory.provenance.generator is not None
        assert trajectory.provenance.generator.model == "fake-model"
        first = trajectory.steps[0]
        assert first.actions[0].name == "list_orders"  # type: ignore[union-attr]
        assert first.usage is not None
        assert first.usage.prompt_tokens == 120
        assert trajectory.metrics.prompt_tokens == 270
        assert trajectory.system_prompt
        assert get_spec("support").policy_document.strip() in trajectory.system_prompt


def test_an_endpoint_that_cannot_serve_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    with FakeEndpoint() as gone:
        down = gone.base_url  # a port that was just free, closed again
    spec = spec_from_flags(
        {
            "mix": [{"env": "support", "tasks": 2, "agent": "llm"}],
            "llm": {"base_url": down, "model": "m"},
        }
    )
    with pytest.raises(EndpointError, match="cannot reach the model endpoint"):
        asyncio.run(Runner(spec, tmp_path / "out", llm_hooks=llm_hooks()).run())
    assert not (tmp_path / "out").exists()
