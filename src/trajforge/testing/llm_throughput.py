"""LLM-agent request throughput against a fixed-latency local endpoint (for bench/generate.py).

The endpoint runs in its own process, so the agent's event loop has a core of its own; each
request is one ``LLMAgent.decide`` (request building, the HTTP round trip with retries available,
parsing the answer into a Decision), ``concurrency`` at a time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from trajforge.agents.llm import LLMAgentFactory
from trajforge.agents.llm_client import ChatClient
from trajforge.envs.support import SupportEnv


async def measure_throughput(requests: int, concurrency: int, latency_s: float) -> float:
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
        factory = LLMAgentFactory(client, sampling={"max_tokens": 16})
        agents = [factory(task, SupportEnv().tool_specs(), seed) for seed in range(concurrency)]
        await agents[0].decide([])  # connect and warm up
        remaining = requests

        async def worker(index: int) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await agents[index].decide([])

        start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - start
        await client.aclose()
        return requests / elapsed
    finally:
        server.terminate()
        server.wait()
