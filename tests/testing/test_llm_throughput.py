"""The throughput probe of bench/generate.py measures what it says (not how fast it is)."""

from __future__ import annotations

import asyncio

from trajforge.testing.llm_throughput import measure_throughput


def test_rates_are_bounded_by_the_endpoints_latency() -> None:
    """16 agents against a 20 ms endpoint cannot exceed 800 requests/s; both rates are real."""
    result = asyncio.run(measure_throughput(400, 16, 0.02, warmup_s=0.05))
    ideal = 16 / 0.02
    assert result.requests == 400
    assert 0 < result.overall <= ideal
    assert 0 < result.steady <= ideal * 1.02  # the window's edges fall between completions
    assert result.cpu_ms_per_request > 0
