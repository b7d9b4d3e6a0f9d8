"""The circuit breaker, alone and in the client against the fake endpoint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("openai")

from trajforge.agents.breaker import CircuitBreaker
from trajforge.agents.llm_client import ChatClient
from trajforge.errors import EndpointDownError, EndpointError
from trajforge.testing.fake_endpoint import FakeEndpoint, error, text

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    with FakeEndpoint() as endpoint:
        yield endpoint


def failure(n: int = 1) -> EndpointError:
    return EndpointError(f"failure {n}", status=503, attempts=2, path="POST x")


def test_it_opens_after_failures_in_a_row_only() -> None:
    breaker = CircuitBreaker(trip_after=3)
    assert breaker.failed(failure(1)).message == "failure 1"
    assert breaker.failed(failure(2)).message == "failure 2"
    breaker.succeeded()  # an answer between: the count starts over
    breaker.failed(failure(3))
    breaker.failed(failure(4))
    breaker.check()
    down = breaker.failed(failure(5))
    assert isinstance(down, EndpointDownError)
    assert down.message == (
        "the endpoint seems down: 3 requests in a row failed; the last one: failure 5"
    )
    assert (down.path, down.status, down.attempts) == ("POST x", 503, 2)
    assert "run the same command again" in (down.hint or "")
    with pytest.raises(EndpointDownError, match="3 requests in a row failed"):
        breaker.check()
    breaker.succeeded()  # it does not close again
    with pytest.raises(EndpointDownError):
        breaker.check()
    with pytest.raises(ValueError, match="trip_after"):
        CircuitBreaker(0)


def test_opening_cuts_short_what_waits_inside_watching_and_nothing_else() -> None:
    breaker = CircuitBreaker(trip_after=1)

    async def waiting() -> None:
        with breaker.watching():
            await asyncio.sleep(30)

    async def cancelled_by_someone_else() -> None:
        with breaker.watching():
            await asyncio.sleep(30)

    async def go() -> list[Any]:
        first = asyncio.create_task(waiting())
        other = asyncio.create_task(cancelled_by_someone_else())
        outside = asyncio.create_task(asyncio.sleep(0.2, "untouched"))
        await asyncio.sleep(0.05)
        other.cancel()
        breaker.failed(failure())
        return list(await asyncio.gather(first, other, outside, return_exceptions=True))

    started = time.monotonic()
    first, other, outside = asyncio.run(go())
    assert time.monotonic() - started < 5  # not the 30 s sleeps
    assert isinstance(first, EndpointDownError)
    assert isinstance(other, asyncio.CancelledError)  # a cancellation of its own stays one
    assert outside == "untouched"


def client_for(fake: FakeEndpoint, **kwargs: Any) -> ChatClient:
    options: dict[str, Any] = {"backoff_s": 0.01, "timeout_s": 5.0, "max_retries": 0}
    options.update(kwargs)
    return ChatClient(fake.base_url, "fake-model", **options)


def outcomes(client: ChatClient, count: int) -> list[Any]:
    async def go() -> list[Any]:
        async with client:
            results: list[Any] = []
            for _ in range(count):
                try:
                    results.append(await client.complete(MESSAGES))
                except EndpointError as exc:
                    results.append(exc)
            return results

    return asyncio.run(go())


def test_the_client_stops_asking_an_endpoint_that_is_down(fake: FakeEndpoint) -> None:
    fake.handler = lambda request: error(503, "down for maintenance")
    client = client_for(fake, breaker=CircuitBreaker(trip_after=2))
    first, second, third = outcomes(client, 3)
    assert type(first) is EndpointError
    assert isinstance(second, EndpointDownError)
    assert second.message.startswith("the endpoint seems down: 2 requests in a row failed")
    assert "HTTP 503: down for maintenance" in second.message
    assert isinstance(third, EndpointDownError)
    assert fake.served == 2  # nothing sent once open


def test_refusals_of_one_request_show_the_endpoint_serves(fake: FakeEndpoint) -> None:
    fake.push(error(503), error(400, "bad request"), error(503), error(413), error(503))
    client = client_for(fake, breaker=CircuitBreaker(trip_after=2))
    results = outcomes(client, 5)
    assert not any(isinstance(r, EndpointDownError) for r in results)
    fake.push(error(503), text("ok"), error(503))
    assert [type(r).__name__ for r in outcomes(client, 3)] == [
        "EndpointDownError",  # the fifth 503 and this one: two in a row
        "EndpointDownError",
        "EndpointDownError",
    ]


def test_a_request_waiting_on_a_retry_is_cut_short_when_the_breaker_opens(
    fake: FakeEndpoint,
) -> None:
    """One request waits out a long Retry-After; another trips the breaker: the first stops
    at once rather than after its wait."""
    fake.push(error(429, retry_after=30))
    fake.handler = lambda request: error(503)
    client = client_for(fake, max_retries=3, breaker=CircuitBreaker(trip_after=1))

    async def go() -> list[Any]:
        async with client:
            patient = asyncio.create_task(client.complete(MESSAGES))
            await asyncio.sleep(0.3)  # it got its 429 and waits
            tripping = asyncio.create_task(client.complete(MESSAGES))
            return list(await asyncio.gather(patient, tripping, return_exceptions=True))

    started = time.monotonic()
    patient, tripping = asyncio.run(go())
    assert time.monotonic() - started < 10  # not the 30 s Retry-After
    assert isinstance(tripping, EndpointDownError)
    assert isinstance(patient, EndpointDownError)
    assert fake.served == 5  # the 429, and the other request's four 503s
