"""Workers on a Ray cluster share one gate per endpoint: its in-flight limit and its pauses."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pytest
import ray
from ray import cloudpickle

from trajforge.agents.llm_client import ChatClient
from trajforge.engine import Engine
from trajforge.engine.limits import RayGates
from trajforge.testing.fake_endpoint import FakeEndpoint, FakeResponse, error, text

pytestmark = pytest.mark.ray

cloudpickle.register_pickle_by_value(sys.modules[__name__])

LATENCY = 0.2


@ray.remote
def _send(base_url: str, gates: RayGates, requests: int) -> None:
    """In a worker: ``requests`` completions at once through the endpoint's gate."""

    async def run() -> None:
        client = ChatClient(base_url, "fake", gate=gates(base_url), backoff_s=0.01)
        messages = [{"role": "user", "content": "hi"}]
        await asyncio.gather(*(client.complete(messages) for _ in range(requests)))

    asyncio.run(run())


def _most_at_once(arrivals: list[float]) -> int:
    """The most requests whose service (``LATENCY`` each from arrival) overlapped."""
    arrivals = sorted(arrivals)
    return max(sum(1 for t in arrivals if a <= t < a + LATENCY * 0.9) for a in arrivals)


def test_workers_never_exceed_the_endpoint_limit(ray_engine: Engine) -> None:
    arrivals: list[float] = []

    def handle(request: dict[str, Any]) -> FakeResponse:
        arrivals.append(time.monotonic())
        return text("ok")

    with FakeEndpoint(handler=handle, latency_s=LATENCY) as fake:
        gates = RayGates.of([fake.base_url], limit=2)
        ray.get([_send.remote(fake.base_url, gates, 4) for _ in range(2)])
    assert len(arrivals) == 8
    assert _most_at_once(arrivals) == 2  # 8 sent at once by two workers, 2 let through


def test_a_rate_limit_pauses_every_worker(ray_engine: Engine) -> None:
    arrivals: list[float] = []
    answers = iter([error(429, retry_after=1.0)])

    def handle(request: dict[str, Any]) -> FakeResponse:
        arrivals.append(time.monotonic())
        return next(answers, text("ok"))

    with FakeEndpoint(handler=handle, latency_s=0.01) as fake:
        gates = RayGates.of(
            [fake.base_url], limit=1
        )  # one at a time: the 429 comes before any other request
        ray.get([_send.remote(fake.base_url, gates, 2) for _ in range(2)])
    assert len(arrivals) == 5  # four requests, one of them twice
    gap = arrivals[1] - arrivals[0]
    assert gap >= 0.9  # the worker that was not told waited too
