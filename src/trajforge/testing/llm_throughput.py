"""LLM-agent request throughput against a fixed-latency local endpoint (for bench/generate.py).

The endpoint runs in its own process, so the agent's event loop has a core of its own; each
request is one ``LLMAgent.decide`` (request building, the HTTP round trip with retries available,
parsing the answer into a Decision), ``concurrency`` at a time.

Two rates come back. ``steady`` counts the requests completed between the end of the first
``warmup_s`` and the moment the first worker runs out of work, over that window: the rate the
client sustains. ``overall`` is all requests over the whole run, so it also pays for the ramp
(the first ``concurrency`` requests leave one after another) and the tail (the last requests
finish while fewer are in flight), which shrink as the run grows.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass

from trajforge.agents.llm import AgentSettings, LLMAgentFactory
from trajforge.agents.llm_client import ChatClient
from trajforge.envs.support import SupportEnv


@dataclass(frozen=True)
class Throughput:
    """Requests per second: sustained (``steady``) and over the whole run (``overall``)."""

    steady: float
    overall: float
    requests: int
    cpu_ms_per_request: float


async def measure_throughput(
    requests: int, concurrency: int, latency_s: float, warmup_s: float = 0.5
) -> Throughput:
    """Requests per second that LLM agents reach at ``concurrency`` in flight."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trajforge.testing.fake_endpoint",
            "--latency-ms",
            str(latency_s * 1000),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        client = ChatClient(base_url, "fake-model", timeout_s=30)
        task = SupportEnv.generate_task(1, 1)
        factory = LLMAgentFactory(client, AgentSettings(sampling={"max_tokens": 16}))
        agents = [factory(task, SupportEnv().tool_specs(), seed) for seed in range(concurrency)]
        await agents[0].decide([])  # connect and warm up
        remaining = requests
        done: list[float] = []
        drained: list[float] = []

        async def worker(index: int) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await agents[index].decide([])
                done.append(time.perf_counter())
            drained.append(time.perf_counter())

        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        await client.aclose()
        window_start, window_end = start + warmup_s, min(drained)
        in_window = sum(window_start <= t <= window_end for t in done)
        steady = in_window / (window_end - window_start) if window_end > window_start else 0.0
        return Throughput(steady, requests / elapsed, requests, cpu / requests * 1000.0)
    finally:
        server.terminate()
        server.wait()
