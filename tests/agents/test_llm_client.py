"""ChatClient against the fake endpoint: real HTTP on loopback, the real openai client."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("openai")

from trajforge.agents.llm_client import ChatClient, _parse_retry_after
from trajforge.errors import EndpointError, TrajforgeError
from trajforge.testing.fake_endpoint import (
    FakeEndpoint,
    FakeResponse,
    drop,
    empty_choices,
    error,
    hang,
    raw,
    text,
    tool_calls,
    truncated,
)

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def fake() -> Iterator[FakeEndpoint]:
    with FakeEndpoint() as endpoint:
        yield endpoint


def client_for(fake: FakeEndpoint, **kwargs: Any) -> ChatClient:
    options: dict[str, Any] = {"backoff_s": 0.01, "timeout_s": 5.0, "seed": 1}
    options.update(kwargs)
    return ChatClient(fake.base_url, "fake-model", **options)


def complete(client: ChatClient, **kwargs: Any) -> Any:
    async def go() -> Any:
        async with client:
            return await client.complete(MESSAGES, **kwargs)

    return asyncio.run(go())


def test_a_plain_answer(fake: FakeEndpoint) -> None:
    fake.push(text("hello there", usage=(12, 3)))
    result = complete(client_for(fake))
    assert result.message == {"role": "assistant", "content": "hello there"}
    assert result.finish_reason == "stop"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (12, 3)
    assert result.attempts == 1
    assert result.latency_ms > 0
    assert result.usage.latency_ms == pytest.approx(result.latency_ms, abs=0.01)


def test_the_request_carries_model_messages_tools_and_sampling(fake: FakeEndpoint) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    complete(client_for(fake), tools=tools, temperature=0.3, max_tokens=7, seed=5)
    request = fake.requests[0]
    assert request["model"] == "fake-model"
    assert request["messages"] == MESSAGES
    assert request["tools"] == tools
    assert (request["temperature"], request["max_tokens"], request["seed"]) == (0.3, 7, 5)


def test_native_tool_calls_come_back_as_dicts(fake: FakeEndpoint) -> None:
    fake.push(tool_calls(("get_order", {"order_id": "W1"})))
    result = complete(client_for(fake))
    assert result.finish_reason == "tool_calls"
    (call,) = result.message["tool_calls"]
    assert call["function"] == {"name": "get_order", "arguments": '{"order_id":"W1"}'}


def test_429_with_retry_after_is_honoured(fake: FakeEndpoint) -> None:
    fake.push(error(429, "slow down", retry_after=0.3), text("ok"))
    client = client_for(fake)
    started = time.perf_counter()
    result = complete(client)
    assert time.perf_counter() - started >= 0.3
    assert result.attempts == 2
    assert result.elapsed_ms >= 300
    assert client.stats.retries == 1
    assert fake.served == 2


def test_server_errors_are_retried_with_backoff(fake: FakeEndpoint) -> None:
    fake.push(error(500), error(502), error(503), text("finally"))
    result = complete(client_for(fake))
    assert result.message["content"] == "finally"
    assert result.attempts == 4


def test_timeouts_are_retried(fake: FakeEndpoint) -> None:
    fake.push(hang(3.0), text("ok"))
    result = complete(client_for(fake, timeout_s=0.3))
    assert result.attempts == 2
    assert result.message["content"] == "ok"


def test_dropped_connections_are_retried(fake: FakeEndpoint) -> None:
    fake.push(drop(), text("ok"))
    assert complete(client_for(fake)).attempts == 2


def test_connections_close_when_the_event_loop_ends(fake: FakeEndpoint) -> None:
    """A caller that never closes the client (one ``asyncio.run`` per job) leaves no session
    open: each loop's SDK client closes as the loop shuts down, and the next loop gets its own."""
    client = client_for(fake)
    sdks = []
    for _ in range(2):
        asyncio.run(client.complete(MESSAGES))
        sdks.append(client._sdk)
    assert sdks[0] is not sdks[1]
    assert all(sdk is not None and sdk.is_closed() for sdk in sdks)


def test_a_time_out_and_a_hang_up_are_told_apart(fake: FakeEndpoint) -> None:
    """The aiohttp transport reports a closed connection as a time-out; the message says which."""
    fake.push(hang(3.0), drop())
    client = client_for(fake, timeout_s=0.3, max_retries=0)
    with pytest.raises(EndpointError, match=r"no answer within 0.3 s"):
        complete(client)
    with pytest.raises(EndpointError, match=r"connection failed: .*[Dd]isconnected"):
        complete(client)


@pytest.mark.parametrize(
    ("status", "hint_word"), [(400, "sampling"), (401, "API key"), (404, "base_url"), (422, "")]
)
def test_client_errors_fail_at_once_with_a_hint(
    fake: FakeEndpoint, status: int, hint_word: str
) -> None:
    fake.push(error(status, "nope"), text("never"))
    with pytest.raises(EndpointError) as info:
        complete(client_for(fake))
    exc = info.value
    assert isinstance(exc, TrajforgeError)
    assert exc.status == status
    assert exc.attempts == 1
    assert "nope" in exc.message
    assert hint_word in (exc.hint or "")
    assert exc.path == f"POST {fake.base_url}/chat/completions"
    assert fake.served == 1


def test_retries_run_out(fake: FakeEndpoint) -> None:
    fake.handler = lambda request: error(503, "down")
    client = client_for(fake, max_retries=2)
    with pytest.raises(EndpointError, match="gave up after 3 attempts") as info:
        complete(client)
    assert info.value.status == 503
    assert info.value.attempts == 3
    assert fake.served == 3
    assert client.stats.failures == 1


def test_a_retry_after_beyond_the_limit_fails_at_once(fake: FakeEndpoint) -> None:
    fake.push(error(429, retry_after=3600), text("never"))
    with pytest.raises(EndpointError, match="retry after 3600"):
        complete(client_for(fake, max_retry_after_s=10))
    assert fake.served == 1


NOT_COMPLETIONS = {
    "truncated": truncated(keep=30),  # the body stops short of its content-length
    "cut off": raw(b'{"choices": [{"message": {"role": "assistant", "content": "hi'),
    "html": raw(b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "no choices": empty_choices(),
    "wrong shape": raw(b'{"choices": [{"message": "hi"}]}'),
}


@pytest.mark.parametrize("answer", NOT_COMPLETIONS.values(), ids=NOT_COMPLETIONS.keys())
def test_a_200_that_is_not_a_completion_is_retried(
    fake: FakeEndpoint, answer: FakeResponse
) -> None:
    fake.push(answer, text("whole"))
    result = complete(client_for(fake))
    assert (result.message["content"], result.attempts) == ("whole", 2)


def test_answers_that_are_never_completions_give_up_with_what_came(fake: FakeEndpoint) -> None:
    fake.handler = lambda request: NOT_COMPLETIONS["html"]
    with pytest.raises(EndpointError) as info:
        complete(client_for(fake, max_retries=1))
    assert info.value.message.startswith(
        "gave up after 2 attempts; last: the answer is not a chat completion (JSON is malformed"
    )
    assert "'<html><body><h1>502 Bad Gateway</h1></body></html>'" in info.value.message
    assert "base_url" in (info.value.hint or "")
    assert info.value.path == f"POST {fake.base_url}/chat/completions"


def test_the_deadline_bounds_every_attempt_and_wait_together(fake: FakeEndpoint) -> None:
    """A hung endpoint costs one request its deadline, not (retries + 1) time-outs."""
    fake.handler = lambda request: hang(5.0)
    client = client_for(fake, timeout_s=0.4, deadline_s=1.0, max_retries=20)
    started = time.monotonic()
    with pytest.raises(EndpointError, match=r"no answer within the request's deadline of 1 s"):
        complete(client)
    assert time.monotonic() - started < 4.0  # generous: 21 time-outs would take 8 s
    assert fake.served <= 3


def test_a_caller_may_end_a_request_sooner(fake: FakeEndpoint) -> None:
    fake.handler = lambda request: error(503, retry_after=0.2)
    client = client_for(fake, max_retries=20)
    with pytest.raises(EndpointError, match="deadline") as info:
        complete(client, deadline_at=time.monotonic() + 0.5)
    assert 1 < info.value.attempts <= 3


def test_a_retry_after_past_the_deadline_is_not_waited_for(fake: FakeEndpoint) -> None:
    fake.push(error(429, retry_after=30), text("never"))
    with pytest.raises(EndpointError, match=r"deadline of 2 s \(1 attempt\); last: HTTP 429"):
        complete(client_for(fake, deadline_s=2.0))
    assert fake.served == 1


def test_jitter_is_seeded() -> None:
    def delays(seed: int) -> list[float]:
        client = ChatClient("http://127.0.0.1:9/v1", "m", seed=seed, backoff_s=1.0)
        return [client._backoff(n) for n in range(1, 6)]

    assert delays(3) == delays(3)
    assert delays(3) != delays(4)
    for n, delay in enumerate(delays(3), start=1):
        assert 0.5 * 2 ** (n - 1) <= delay < 2 ** (n - 1)


def test_retry_after_forms() -> None:
    assert _parse_retry_after({"retry-after": "2.5"}) == 2.5
    assert _parse_retry_after({"retry-after-ms": "150", "retry-after": "9"}) == 0.15
    assert _parse_retry_after({}) is None
    assert _parse_retry_after({"retry-after": "soon"}) is None
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < (_parse_retry_after({"retry-after": date}) or 0) <= 31


def test_the_client_works_across_event_loops(fake: FakeEndpoint) -> None:
    client = client_for(fake)
    assert asyncio.run(client.complete(MESSAGES)).attempts == 1
    assert asyncio.run(client.complete(MESSAGES)).attempts == 1


def test_concurrent_requests_overlap() -> None:
    with FakeEndpoint(latency_s=0.05) as fake:
        client = client_for(fake)

        async def go() -> list[Any]:
            async with client:
                return await asyncio.gather(*(client.complete(MESSAGES) for _ in range(32)))

        results = asyncio.run(go())
    assert len(results) == 32
    assert all(r.latency_ms >= 50 for r in results)
    assert fake.peak_concurrency >= 16  # the server saw the requests overlap: none serialised


# ---------------------------------------------------------------- preflight


class _Silent:
    """A loopback address that accepts connections and never answers; or, with ``status``, an
    HTTP server that answers every request with that status (a server without /models)."""

    def __init__(self, status: int | None = None) -> None:
        self.status = status
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            if self.status is None:
                await asyncio.sleep(30)
            head = f"HTTP/1.1 {self.status} Nope\r\ncontent-length: 2\r\nconnection: close\r\n\r\n"
            writer.write(head.encode() + b"{}")
            await writer.drain()
            writer.close()

        self._server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()


def test_preflight_passes_a_serving_endpoint_without_a_chat_request(fake: FakeEndpoint) -> None:
    client = client_for(fake)
    asyncio.run(client.preflight())
    assert fake.served == 0
    assert client.stats.requests == 0


def test_preflight_fails_fast_on_an_endpoint_nobody_serves() -> None:
    with FakeEndpoint() as endpoint:
        url = endpoint.base_url  # a port that was just free, now closed again
    client = ChatClient(url, "m", max_retries=5, backoff_s=1.0)
    started = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        asyncio.run(client.preflight())
    assert time.monotonic() - started < 2  # no retries, no back-off
    assert "cannot reach the model endpoint" in caught.value.message
    assert caught.value.path == f"GET {url}/models"
    assert caught.value.hint is not None
    assert "/v1" in caught.value.hint


def test_preflight_gives_up_on_an_endpoint_that_never_answers() -> None:
    async def main() -> EndpointError:
        async with _Silent() as url:
            client = ChatClient(url, "m", timeout_s=60.0)
            with pytest.raises(EndpointError) as caught:
                await client.preflight(timeout_s=0.3)
            await client.aclose()
            return caught.value

    failure = asyncio.run(main())
    assert "no answer within 0.3 s" in failure.message


def test_preflight_refuses_a_wrong_api_key() -> None:
    with FakeEndpoint(api_key="sk-right") as endpoint:
        wrong = ChatClient(endpoint.base_url, "m", api_key="sk-wrong")
        with pytest.raises(EndpointError) as caught:
            asyncio.run(wrong.preflight())
        assert caught.value.status == 401
        assert caught.value.hint is not None
        assert "API key" in caught.value.hint
        asyncio.run(ChatClient(endpoint.base_url, "m", api_key="sk-right").preflight())


def test_preflight_passes_a_server_without_a_models_route() -> None:
    async def main() -> None:
        async with _Silent(status=404) as url:
            client = ChatClient(url, "m")
            await client.preflight()
            await client.aclose()

    asyncio.run(main())
