"""One client for OpenAI-compatible chat endpoints, with the only retry layer of trajforge.

``ChatClient.complete`` sends one chat-completions request and returns a ``ChatResult``: the
assistant message as a plain dict, the finish reason, token usage, latency and how many attempts
it took. Rate limits (429), server errors (5xx), 408/409, timeouts, connection errors and 200
answers that are not a chat completion (a cut-off body, an HTML page, invalid JSON, no
``choices``) are retried with exponential back-off and seeded jitter, honouring ``Retry-After``
(and ``retry-after-ms``); the openai SDK's own retries are switched off so that retries never
stack. Anything else (400, 401, 403, 404, 422...) raises ``EndpointError`` at once, with a hint.

Each attempt may take ``timeout_s``; the whole request, every attempt and back-off wait
included, ``deadline_s``. Every request reports to the client's ``CircuitBreaker``, which stops
all of the client's requests once the endpoint is plainly down (``agents.breaker``).
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import openai

from trajforge.agents.breaker import CircuitBreaker
from trajforge.agents.gate import Gate
from trajforge.envs.base import derive_seed
from trajforge.errors import EndpointDownError, EndpointError
from trajforge.schema import Usage

RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: Refusals of one request, not of the endpoint: an answer that shows the endpoint serves.
REQUEST_REFUSALS = frozenset({400, 413, 422})
_DOWN_HINT = (
    "the endpoint is overloaded or down: lower the concurrency, raise the retries, the timeout "
    "or the deadline, or check the server"
)
_NOT_A_COMPLETION_HINT = (
    "check that base_url points at an OpenAI-compatible API (usually .../v1), and the server's log"
)
_HINTS = {
    400: "the endpoint rejected the request: check the sampling options, the message shapes, "
    "and whether the model accepts tools (else use tool_mode='prompt')",
    401: "check the API key (api_key=..., or the OPENAI_API_KEY the caller passes on)",
    403: "the API key may not have access to this model",
    404: "check base_url (it usually ends in /v1) and the model name the server serves",
    413: "the request is too large: shorten the conversation or the tool list",
    422: "the endpoint could not process the request: check the sampling options and messages",
}


def api_key_from(env: str | None) -> str:
    """The API key in the environment variable ``env`` ("none" when unset: servers on loopback
    need no key, but the SDK wants one)."""
    return os.environ.get(env or "", "") or "none"


def seeded(sampling: Mapping[str, Any], send_seed: bool, *parts: object) -> dict[str, Any]:
    """One request's sampling settings with a ``seed`` derived from ``parts`` (unless a seed is
    set, or seeds are not sent): the same request gets the same seed on every run."""
    settings = dict(sampling)
    if send_seed and "seed" not in settings:
        settings["seed"] = derive_seed(*parts) % 2**31
    return settings


@dataclass(frozen=True)
class ChatResult:
    """One completed chat request.

    ``message`` is the assistant message as the endpoint sent it (``role``, ``content``,
    ``tool_calls``... with ``None`` values dropped); ``usage`` holds prompt and completion tokens
    and ``latency_ms`` of the attempt that succeeded; ``elapsed_ms`` counts every attempt and the
    waits between them.
    """

    message: dict[str, Any]
    finish_reason: str | None
    usage: Usage
    latency_ms: float
    attempts: int
    elapsed_ms: float
    model: str | None = None


@dataclass
class ClientStats:
    """Counters over a client's lifetime (read them for progress and reports)."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatClient:
    """An OpenAI-compatible chat client: ``await client.complete(messages, tools, **sampling)``.

    ``max_retries`` retries follow the first attempt. Back-off before retry ``n`` is
    ``min(max_backoff_s, backoff_s * 2**(n-1))`` scaled by a jitter factor in [0.5, 1) drawn
    from ``random.Random(seed)``; a ``Retry-After`` header replaces it (plus up to 10% jitter),
    and one asking for more than ``max_retry_after_s`` fails the request at once. An attempt
    may take ``timeout_s``, the whole request ``deadline_s`` (a retry that cannot start before
    it is not made). ``breaker`` (one of its own unless given: clients of one endpoint may share
    one) opens after ``trip_after`` failed requests in a row.
    The client may be used from several event loops in turn (a fresh connection pool per loop).
    Requests go through the openai SDK over its aiohttp transport (the ``llm`` extra installs
    it): at 64 requests in flight the SDK's default httpx transport costs about 40% more CPU per
    request, and against a fast endpoint the client's CPU, not the endpoint, sets the pace.
    A ``gate`` (:mod:`trajforge.agents.gate`) bounds the attempts in flight across every client
    that shares it, and shares the pauses the endpoint asks for.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "none",
        timeout_s: float = 60.0,
        deadline_s: float = 180.0,
        max_retries: int = 5,
        seed: int = 0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        max_retry_after_s: float = 120.0,
        default_headers: Mapping[str, str] | None = None,
        breaker: CircuitBreaker | None = None,
        gate: Gate | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if timeout_s <= 0 or deadline_s <= 0:
            raise ValueError("timeout_s and deadline_s must be > 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.deadline_s = deadline_s
        self.max_retries = max_retries
        self.breaker = breaker or CircuitBreaker()
        self.gate = gate
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.stats = ClientStats()
        self._api_key = api_key
        self._headers = dict(default_headers or {})
        self._rng = random.Random(seed)
        self._sdk: openai.AsyncOpenAI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    @property
    def endpoint(self) -> str:
        """Where requests go, for error messages."""
        return f"POST {self.base_url}/chat/completions"

    async def _client(self) -> openai.AsyncOpenAI:
        """The SDK client of this event loop (made on first use in each loop).

        Its connections close when the loop ends (``asyncio.run`` and ``asyncio.Runner`` shut
        down a loop's async generators then; see ``_closed_with_the_loop``), so a caller that
        never calls ``aclose`` leaves no open sessions behind.
        """
        loop = asyncio.get_running_loop()
        if self._sdk is None or self._loop is not loop:
            self._sdk = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                timeout=self.timeout_s,
                max_retries=0,
                default_headers=self._headers or None,
                http_client=_aiohttp_client(self.timeout_s),
            )
            self._loop = loop
            self._closer = _closed_with_the_loop(self._sdk)
            await anext(self._closer)
        return self._sdk

    async def aclose(self) -> None:
        """Close the connection pool of the current event loop's SDK client."""
        if self._closer is not None and self._loop is asyncio.get_running_loop():
            await self._closer.aclose()
        self._sdk = self._loop = self._closer = None

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def preflight(self, timeout_s: float = 10.0) -> None:
        """Fail fast, before a batch, when the endpoint cannot serve at all: one ``GET /models``,
        not retried. An endpoint that cannot be reached (refused, unknown host, no answer within
        ``timeout_s``) or that refuses the API key (401, 403) raises EndpointError; any other
        answer passes (not every server has a /models route)."""
        where = f"GET {self.base_url}/models"
        wait = min(timeout_s, self.timeout_s)
        try:
            sdk = await self._client()
            await sdk.get("/models", cast_to=bytes, options={"timeout": wait})
        except openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise EndpointError(
                    f"HTTP {exc.status_code} from the model endpoint: {_detail(exc)}",
                    status=exc.status_code,
                    path=where,
                    hint=_HINTS[exc.status_code],
                ) from None
        except openai.APIConnectionError as exc:
            raise EndpointError(
                f"cannot reach the model endpoint: {self._connection_failure(exc, wait)}",
                path=where,
                hint="is the server running? check base_url (it usually ends in /v1)",
            ) from None

    async def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        deadline_at: float | None = None,
        **sampling: Any,
    ) -> ChatResult:
        """One chat completion (retried as the class says); raises EndpointError on failure,
        ``EndpointDownError`` once the breaker is open. ``deadline_at`` (a ``time.monotonic()``
        instant) ends the request earlier than ``deadline_s`` would."""
        body: dict[str, Any] = {"model": self.model, "messages": list(messages), **sampling}
        if tools:
            body["tools"] = list(tools)
        payload = msgspec.json.encode(body)  # once, with msgspec: the SDK sends bytes as they are
        started = time.perf_counter()
        now = time.monotonic()
        until = now + self.deadline_s
        if deadline_at is not None:
            until = min(until, deadline_at)
        try:
            with self.breaker.watching():
                result = await self._attempts(payload, started, until, until - now)
        except EndpointDownError:
            raise
        except EndpointError as exc:
            self.stats.failures += 1
            if exc.status in REQUEST_REFUSALS:  # the endpoint serves; this request was wrong
                self.breaker.succeeded()
                raise
            raise self.breaker.failed(exc) from None
        self.breaker.succeeded()
        return result

    async def _attempts(
        self, payload: bytes, started: float, until: float, allowed_s: float
    ) -> ChatResult:
        """Send ``payload`` until an answer, a refusal, the last retry or the deadline (the
        ``time.monotonic()`` instant ``until``, ``allowed_s`` after the request began)."""
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            limit = min(self.timeout_s, max(0.001, until - time.monotonic()))
            sent = time.perf_counter()
            hint = _DOWN_HINT
            try:
                # ``post`` rather than ``chat.completions.create``: the body goes out as it is
                # (no per-field transform of every message) and the answer is decoded here.
                sdk = await self._client()
                options: Any = {} if limit >= self.timeout_s else {"timeout": limit}
                response = await self._post(sdk, payload, options)
            except openai.APIStatusError as exc:
                status = exc.status_code
                if not (status in RETRYABLE_STATUSES or status >= 500):
                    raise EndpointError(
                        f"HTTP {status} from the model endpoint: {_detail(exc)}",
                        status=status,
                        attempts=attempt,
                        path=self.endpoint,
                        hint=_HINTS.get(status, "see the endpoint's message above"),
                    ) from None
                wait = self._retry_after(exc.response.headers, attempt)
                failure: tuple[int | None, str] = (status, f"HTTP {status}: {_detail(exc)}")
            except openai.APIConnectionError as exc:  # time-outs included
                wait = self._backoff(attempt)
                failure = (None, self._connection_failure(exc, limit))
            else:
                try:
                    return self._result(response, started, sent, attempt)
                except _NotACompletionError as exc:
                    wait = self._backoff(attempt)
                    failure = (None, str(exc))
                    hint = _NOT_A_COMPLETION_HINT
            if attempt > self.max_retries:
                raise EndpointError(
                    f"gave up after {attempt} attempts; last: {failure[1]}",
                    status=failure[0],
                    attempts=attempt,
                    path=self.endpoint,
                    hint=hint,
                )
            if time.monotonic() + wait >= until:
                raise EndpointError(
                    f"no answer within the request's deadline of {_seconds(allowed_s)} "
                    f"({attempt} attempt{'s' if attempt > 1 else ''}); last: {failure[1]}",
                    status=failure[0],
                    attempts=attempt,
                    path=self.endpoint,
                    hint=hint,
                )
            self.stats.retries += 1
            await asyncio.sleep(wait)

    # ------------------------------------------------------------ helpers

    async def _post(self, sdk: openai.AsyncOpenAI, payload: bytes, options: Any) -> bytes:
        """One attempt, through the gate if there is one: a 429 pauses everyone behind it
        (before the slot is given back, so no one slips in)."""
        if self.gate is None:
            return await sdk.post(
                "/chat/completions", cast_to=bytes, content=payload, options=options
            )
        async with self.gate.slot():
            try:
                return await sdk.post(
                    "/chat/completions", cast_to=bytes, content=payload, options=options
                )
            except openai.APIStatusError as exc:
                if exc.status_code == 429:
                    asked = _parse_retry_after(exc.response.headers)
                    await self.gate.pause(self.backoff_s if asked is None else asked)
                raise

    def _connection_failure(
        self, exc: openai.APIConnectionError, timeout_s: float | None = None
    ) -> str:
        """What went wrong, from the error's root cause: the aiohttp transport reports a server
        that hung up as a time-out, and the message should say which it was (``timeout_s``: the
        request's limit, if not the client's)."""
        root: BaseException = exc
        while root.__cause__ is not None:
            root = root.__cause__
        if isinstance(root, TimeoutError) or (
            root is exc and isinstance(exc, openai.APITimeoutError)
        ):
            return f"no answer within {_seconds(timeout_s or self.timeout_s)}"
        return f"connection failed: {type(root).__name__}: {root}"

    def _backoff(self, attempt: int) -> float:
        delay = min(self.max_backoff_s, self.backoff_s * 2.0 ** (attempt - 1))
        return delay * (0.5 + 0.5 * self._rng.random())

    def _retry_after(self, headers: Mapping[str, str], attempt: int) -> float:
        asked = _parse_retry_after(headers)
        if asked is None:
            return self._backoff(attempt)
        if asked > self.max_retry_after_s:
            raise EndpointError(
                f"the endpoint asked to retry after {asked:g} s, more than "
                f"max_retry_after_s={self.max_retry_after_s:g}",
                status=429,
                attempts=attempt,
                path=self.endpoint,
                hint="wait for the rate limit to reset, or raise max_retry_after_s",
            )
        return asked * (1.0 + 0.1 * self._rng.random())

    def _result(self, response: bytes, started: float, sent: float, attempts: int) -> ChatResult:
        now = time.perf_counter()
        latency = (now - sent) * 1000.0
        try:
            completion = _DECODER.decode(response)
        except msgspec.DecodeError as exc:
            raise _NotACompletionError(
                f"the answer is not a chat completion ({exc}): {_start(response)}"
            ) from None
        if not completion.choices:
            raise _NotACompletionError("the answer has no choices")
        choice = completion.choices[0]
        message = {key: value for key, value in choice.message.items() if value is not None}
        usage = completion.usage or _WireUsage()
        self.stats.prompt_tokens += usage.prompt_tokens or 0
        self.stats.completion_tokens += usage.completion_tokens or 0
        return ChatResult(
            message=message,
            finish_reason=choice.finish_reason,
            usage=Usage(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                latency_ms=round(latency, 3),
            ),
            latency_ms=latency,
            attempts=attempts,
            elapsed_ms=(now - started) * 1000.0,
            model=completion.model,
        )


class _NotACompletionError(Exception):
    """A 200 answer that is not a chat completion (retried like a server error)."""


def _seconds(value: float) -> str:
    """Seconds as a message says them: ``2 s``, ``0.3 s``."""
    return f"{round(value, 2):g} s"


def _start(body: bytes, limit: int = 80) -> str:
    """The first bytes of an answer, for a message."""
    text = body[:limit].decode("utf-8", "replace")
    return repr(text) + ("..." if len(body) > limit else "")


class _WireUsage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _WireChoice(msgspec.Struct):
    message: dict[str, Any] = {}
    finish_reason: str | None = None


class _WireCompletion(msgspec.Struct):
    """The parts of a chat completion trajforge reads (other keys are ignored)."""

    choices: list[_WireChoice] = []
    usage: _WireUsage | None = None
    model: str | None = None


_DECODER = msgspec.json.Decoder(_WireCompletion)


async def _closed_with_the_loop(sdk: openai.AsyncOpenAI) -> AsyncGenerator[None, None]:
    """Wait, suspended, for the event loop to finalize its async generators, then close ``sdk``
    in that loop: the one hook an ending loop offers to code that still has something open."""
    try:
        yield
    finally:
        await sdk.close()


def _aiohttp_client(timeout_s: float) -> Any:
    """The SDK's aiohttp transport, or ``None`` (the SDK's default) without the aiohttp extra."""
    try:
        return openai.DefaultAioHttpClient(timeout=timeout_s)
    except (AttributeError, RuntimeError):  # an older openai, or openai without aiohttp
        return None


def _parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _detail(exc: openai.APIStatusError) -> str:
    """The endpoint's own error message, short."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return str(message)[:300]
    try:
        text = exc.response.text
    except Exception:  # a streamed response that was never read
        text = ""
    return (text or exc.message)[:300]
